// flow.serviceTokens: machine tokens for scripts and services that act on the workspace.
// Not available yet: the types below are the planned API; every method rejects with
// FlowNotAvailableError.
import { injectable } from "tsyringe";
import type { RequestOptions } from "../http/request-options.js";
import type { PagePromise } from "../pagination.js";
import { notAvailable, notAvailablePage } from "./not-available.js";

/** A service token as the platform describes it later: everything but its secret. */
export interface ServiceToken {
  /** The token's id. */
  id: string;
  /** Human-readable name given at creation. */
  name: string;
  /** Scopes the token grants, e.g. `state:read`. */
  scopes: string[];
  /** When the token was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When the token expires, as an ISO 8601 timestamp, or `null` if it never does. */
  expiresAt: string | null;
  /** When the token was last used, or `null` if never. */
  lastUsedAt: string | null;
  /** When the token was revoked, or `null` while it is active. */
  revokedAt: string | null;
}

/** A freshly created service token, with its secret: the only time the secret is shown. */
export interface CreatedServiceToken extends ServiceToken {
  /** The bearer secret; store it now, the platform never returns it again. */
  token: string;
}

/** Parameters of `serviceTokens.create`. */
export interface ServiceTokensCreateParams {
  /** Human-readable name, e.g. `nightly-export`. */
  name: string;
  /** Scopes to grant; a token gets no scope it is not given here. */
  scopes: string[];
  /**
   * Lifetime in seconds from now.
   * @default no expiry
   */
  expiresIn?: number | undefined;
}

/** Parameters of `serviceTokens.list`. */
export interface ServiceTokensListParams {
  /**
   * Include revoked tokens.
   * @default false
   */
  includeRevoked?: boolean | undefined;
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Creates, lists and revokes machine tokens. Not available yet: every method rejects with `FlowNotAvailableError`. */
@injectable()
export class ServiceTokensNamespace {
  /** Creates a token and resolves to it with its secret, which is shown only this once. */
  async create(params: ServiceTokensCreateParams, options?: RequestOptions): Promise<CreatedServiceToken> {
    throw notAvailable("serviceTokens.create");
  }

  /** Resolves to the token `id`, without its secret. */
  async get(id: string, options?: RequestOptions): Promise<ServiceToken> {
    throw notAvailable("serviceTokens.get");
  }

  /** Lists the workspace's service tokens, without their secrets. */
  list(params?: ServiceTokensListParams, options?: RequestOptions): PagePromise<ServiceToken> {
    return notAvailablePage<ServiceToken>("serviceTokens.list");
  }

  /** Revokes the token `id`; requests made with it fail from then on. */
  async revoke(id: string, options?: RequestOptions): Promise<void> {
    throw notAvailable("serviceTokens.revoke");
  }
}
