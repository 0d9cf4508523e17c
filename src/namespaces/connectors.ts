// flow.connectors: call the integrations configured for the workspace (a CRM, a ticket tracker,
// any HTTP API) through the platform, which adds their credentials: the block never holds them.
import { inject, injectable } from "tsyringe";
import { ConnectorIdInput, ConnectorInvokeInput, ConnectorListInput, validateInput } from "../dto/index.js";
import type { RequestOptions } from "../http/request-options.js";
import { WorkspaceClient } from "../internal/workspace-client.js";
import type { PagePromise } from "../pagination.js";

/** An HTTP method a connector action uses. */
export type ConnectorMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** How the platform authenticates a connector's calls: the name of the workspace secret it reads, never its value. */
export interface ConnectorAuth {
  /** The name of the workspace secret holding the credential. */
  secret: string;
  /** The header the credential goes in, e.g. `Authorization`. */
  header: string;
  /** What comes before the credential in that header, e.g. `Bearer `. */
  prefix: string;
}

/** One action of a connector. */
export interface ConnectorAction {
  /** The action's name, as `connectors.invoke` takes it. */
  name: string;
  /** The HTTP method of the upstream call. */
  method: ConnectorMethod;
  /** The path template on the connector's base URL, e.g. `/repos/{owner}/{repo}/issues`. */
  path: string;
  /** The template's parameter names, each required in `params`. */
  params: string[];
  /** What the action does, or `null`. */
  description: string | null;
}

/** An integration configured in the workspace. */
export interface Connector {
  /** The connector's id. */
  id: string;
  /** Its kind: `http`. */
  type: "http";
  /** Human-readable name. */
  name: string;
  /** What it connects to, or `null`. */
  description: string | null;
  /** The upstream API's base URL. */
  baseUrl: string;
  /** How its calls are authenticated, or `null` when they are not. */
  auth: ConnectorAuth | null;
  /** The actions it supports. */
  actions: ConnectorAction[];
  /** Longest an upstream call may take, in seconds. */
  timeoutSeconds: number;
  /** When the connector was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When it was last changed, as an ISO 8601 timestamp. */
  updatedAt: string;
}

/** Parameters of `connectors.list`. */
export interface ConnectorsListParams {
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/**
 * Parameters of a connector action: each `{name}` of its path template, and the rest, sent as the
 * query string (`GET`, `DELETE`: strings, numbers, booleans or arrays of them) or as the JSON body
 * (`POST`, `PUT`, `PATCH`).
 */
export type ConnectorsInvokeParams = Record<string, unknown>;

/** What an upstream answered to an action. */
export interface ConnectorResult<TBody = unknown> {
  /** Its status (`2xx`; other statuses reject). */
  status: number;
  /** Its headers, names lower-cased. */
  headers: Record<string, string>;
  /** Its body: parsed when it is JSON, else its text; `null` when empty. */
  body: TBody;
}

/** Lists the workspace's connectors and invokes their actions. */
@injectable()
export class ConnectorsNamespace {
  /** Built by the container. */
  constructor(@inject(WorkspaceClient) private readonly client: WorkspaceClient) {}

  /**
   * The workspace's connectors, by id; await for the first page or `for await` over all.
   *
   * @example for await (const connector of flow.connectors.list()) console.log(connector.id, connector.actions.map((a) => a.name));
   */
  list(params: ConnectorsListParams = {}, options?: RequestOptions): PagePromise<Connector> {
    return this.client.list(() => ({ path: this.client.path("connectors"), query: validateInput(ConnectorListInput, params, "connectors.list") }), options);
  }

  /**
   * Resolves to the connector `id`, its actions and the name (never the value) of its secret.
   *
   * @throws {FlowNotFoundError} when there is none; the message names the connectors there are.
   */
  async get(id: string, options?: RequestOptions): Promise<Connector> {
    const input = validateInput(ConnectorIdInput, { id }, "connectors.get");
    return this.client.get<Connector>(this.client.path("connectors", input.id), options);
  }

  /**
   * Runs `action` of the connector `id` with `params` and resolves to the upstream's answer. The
   * platform fills the action's path template from `params`, sends the rest as the query or the
   * JSON body, and adds the credential. A retry of the same call (same `idempotencyKey`) gets the
   * first answer back instead of calling the upstream again.
   *
   * @example
   * const { body } = await flow.connectors.invoke<{ id: number }>("tracker", "createIssue", { project: "web", title: "Broken link" });
   * @throws {FlowValidationError} for bad arguments (before any request), an unknown action (issue on `action`, naming the actions) or a missing path parameter (issue on `params.<name>`).
   * @throws {FlowNotFoundError} when there is no connector `id`.
   * @throws {FlowRateLimitError} when the upstream answered 429 (`retryAfter` as it said).
   * @throws {FlowServerError} 502: `connector_auth_failed` (the credential was refused or is not set), `connector_upstream_error` (another status: `details.status` and `details.body`) or `connector_unavailable` (no answer within the connector's timeout, or none at all).
   */
  async invoke<TBody = unknown>(id: string, action: string, params?: ConnectorsInvokeParams, options?: RequestOptions): Promise<ConnectorResult<TBody>> {
    const { id: validId, ...body } = validateInput(ConnectorInvokeInput, params === undefined ? { id, action } : { id, action, params }, "connectors.invoke");
    return this.client.post<ConnectorResult<TBody>>(`${this.client.path("connectors", validId)}/invoke`, body, options);
  }
}
