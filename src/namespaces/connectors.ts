// flow.connectors: call the integrations configured for the workspace (Slack, a CRM, a database...).
// Not available yet: the types below are the planned API; every method rejects with
// FlowNotAvailableError.
import { injectable } from "tsyringe";
import type { RequestOptions } from "../http/request-options.js";
import type { PagePromise } from "../pagination.js";
import { notAvailable, notAvailablePage } from "./not-available.js";

/** Whether a connector can be used. */
export type ConnectorStatus = "active" | "error" | "disabled";

/** An integration configured in the workspace. */
export interface Connector {
  /** The connector's id. */
  id: string;
  /** Human-readable name. */
  name: string;
  /** The integration it talks to, e.g. `slack`. */
  type: string;
  /** Whether it can be used now. */
  status: ConnectorStatus;
  /** The actions it supports, e.g. `postMessage`. */
  actions: string[];
  /** When the connector was created, as an ISO 8601 timestamp. */
  createdAt: string;
}

/** Parameters of `connectors.list`. */
export interface ConnectorsListParams {
  /** Only connectors of this type, e.g. `slack`. */
  type?: string | undefined;
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Arguments of a connector action, as that action defines them. */
export type ConnectorsInvokeParams = Record<string, unknown>;

/** Lists and invokes configured integrations. Not available yet: every method rejects with `FlowNotAvailableError`. */
@injectable()
export class ConnectorsNamespace {
  /** Lists the workspace's connectors. */
  list(params?: ConnectorsListParams, options?: RequestOptions): PagePromise<Connector> {
    return notAvailablePage<Connector>("connectors.list");
  }

  /** Resolves to the connector `id`. */
  async get(id: string, options?: RequestOptions): Promise<Connector> {
    throw notAvailable("connectors.get");
  }

  /** Runs `action` on the connector `id` and resolves to the action's result. */
  async invoke<TResult = unknown>(
    id: string,
    action: string,
    params?: ConnectorsInvokeParams,
    options?: RequestOptions,
  ): Promise<TResult> {
    throw notAvailable("connectors.invoke");
  }
}
