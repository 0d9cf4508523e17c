// flow.secrets: read the secrets configured for the workspace, with a short in-memory cache.
// Not available yet: the types below are the planned API; every method rejects with
// FlowNotAvailableError.
import { injectable } from "tsyringe";
import type { RequestOptions } from "../http/request-options.js";
import type { PagePromise } from "../pagination.js";
import { notAvailable, notAvailablePage } from "./not-available.js";

/** A secret as listed: its name and dates, never its value (read that with `get`). */
export interface Secret {
  /** The secret's name, e.g. `STRIPE_API_KEY`. */
  name: string;
  /** When the secret was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When the value last changed, as an ISO 8601 timestamp. */
  updatedAt: string;
}

/** Parameters of `secrets.get`. */
export interface SecretsGetParams {
  /**
   * Skip the in-memory cache and read the current value from the platform.
   * @default false
   */
  fresh?: boolean | undefined;
}

/** Parameters of `secrets.getMany`. */
export type SecretsGetManyParams = SecretsGetParams;

/** Parameters of `secrets.list`. */
export interface SecretsListParams {
  /** Only secrets whose name starts with this prefix. */
  prefix?: string | undefined;
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Reads workspace secrets; values are never logged. Not available yet: every method rejects with `FlowNotAvailableError`. */
@injectable()
export class SecretsNamespace {
  /** Resolves to the value of the secret `name`; rejects with `FlowNotFoundError` when there is none. */
  async get(name: string, params?: SecretsGetParams, options?: RequestOptions): Promise<string> {
    throw notAvailable("secrets.get");
  }

  /** Resolves to the values of several secrets in one call, keyed by name. */
  async getMany(names: readonly string[], params?: SecretsGetManyParams, options?: RequestOptions): Promise<Record<string, string>> {
    throw notAvailable("secrets.getMany");
  }

  /** Lists the workspace's secrets by name, without their values. */
  list(params?: SecretsListParams, options?: RequestOptions): PagePromise<Secret> {
    return notAvailablePage<Secret>("secrets.list");
  }
}
