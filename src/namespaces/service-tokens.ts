// flow.serviceTokens: machine tokens for scripts and services that act on the workspace.
import { inject, injectable } from "tsyringe";
import { TOKENS } from "../container/tokens.js";
import { paramsObject, ServiceTokenCreateInput, ServiceTokenIdInput, ServiceTokenListInput, validateInput } from "../dto/index.js";
import type { RequestOptions } from "../http/request-options.js";
import { surelyNotDone } from "../http/retry.js";
import { WorkspaceClient } from "../internal/workspace-client.js";
import type { Redactor } from "../logging/redactor.js";
import type { PagePromise } from "../pagination.js";

/** A service token as the platform describes it: everything but its secret. */
export interface ServiceToken {
  /** The token's id (`stk_…` on the local platform); not a secret. */
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
  /** Subject of the token that created it (a user, or `serviceToken:<id>`). */
  createdBy: string;
}

/**
 * A freshly created service token, with its secret: the only time the secret is shown. A plain
 * object, so `JSON.stringify` or a log of it shows `token` (that is how you keep it); the
 * creating FlowSDK instance redacts it from its own errors and log lines from now on.
 */
export interface CreatedServiceToken extends ServiceToken {
  /** The bearer secret (`fst_…`), usable as `AUTH_TOKEN`; store it now, the platform never returns it again. */
  token: string;
}

/** Parameters of `serviceTokens.create`. */
export interface ServiceTokensCreateParams {
  /** Human-readable name, e.g. `nightly-export`: 1 to 200 characters. */
  name: string;
  /**
   * Scopes to grant (1 to 100): `<area>:<action>` such as `state:read`, `state:*` for every action
   * on an area, or `*` for everything. Each must be held by the token creating it.
   */
  scopes: string[];
  /**
   * Lifetime in seconds from now, 1 to 31 536 000 (one year).
   * @default no expiry
   */
  expiresInSeconds?: number | undefined;
}

/** Parameters of `serviceTokens.list`. */
export interface ServiceTokensListParams {
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Creates, lists and revokes the workspace's machine tokens. */
@injectable()
export class ServiceTokensNamespace {
  /** Built by the container. */
  constructor(
    @inject(WorkspaceClient) private readonly client: WorkspaceClient,
    @inject(TOKENS.Redactor) private readonly redactor: Redactor,
  ) {}

  /**
   * Creates a token in this workspace and resolves to it with its secret (`token`), which is shown
   * only this once: the platform keeps only its hash. It authenticates as subject
   * `serviceToken:<id>` with exactly `scopes`, so it works as another process's `AUTH_TOKEN`.
   * A create is not replayed by `Idempotency-Key` (the secret is kept nowhere), so the SDK sends
   * it again only when the attempt surely created nothing (no connection, or a 429 or 503); when an
   * answer is lost after the token was made, the call fails, and `list` shows the token to `revoke`.
   *
   * @example
   * const { id, token } = await flow.serviceTokens.create({ name: "nightly-export", scopes: ["state:read"], expiresInSeconds: 86_400 });
   * @throws {FlowValidationError} for a bad name, scope or lifetime, before any request.
   * @throws {FlowPermissionError} `missing_scope` when the calling token lacks one of `scopes` (the message names it).
   */
  async create(params: ServiceTokensCreateParams, options?: RequestOptions): Promise<CreatedServiceToken> {
    const body = validateInput(ServiceTokenCreateInput, params, "serviceTokens.create");
    // A create is not replayed by Idempotency-Key (that would mean storing the secret): an attempt
    // is sent again only when it surely created nothing, so a lost answer leaves no unseen token.
    const created = await this.client.post<CreatedServiceToken>(this.client.path("service-tokens"), { ...body }, options, { mayRetry: surelyNotDone });
    // Before anything else can print it: from here on, this instance's errors and logs hide it.
    if (typeof created.token === "string") this.redactor.addSecret(created.token);
    return created;
  }

  /**
   * Resolves to the token `id`, without its secret.
   *
   * @throws {FlowNotFoundError} when there is no such token in this workspace.
   * @throws {FlowValidationError} when `id` is not an id (a secret given as the id is refused here, never sent).
   */
  async get(id: string, options?: RequestOptions): Promise<ServiceToken> {
    const input = validateInput(ServiceTokenIdInput, { id }, "serviceTokens.get");
    return this.client.get<ServiceToken>(this.client.path("service-tokens", input.id), options);
  }

  /**
   * The workspace's service tokens, revoked and expired ones included, newest first, never with
   * a secret; await for the first page or `for await` over all.
   *
   * @example for await (const t of flow.serviceTokens.list()) if (t.revokedAt === null) console.log(t.name, t.scopes);
   */
  list(params: ServiceTokensListParams = {}, options?: RequestOptions): PagePromise<ServiceToken> {
    return this.client.list(
      () => ({ path: this.client.path("service-tokens"), query: validateInput(ServiceTokenListInput, paramsObject(params, "serviceTokens.list"), "serviceTokens.list") }),
      options,
    );
  }

  /**
   * Revokes the token `id` and resolves to it with `revokedAt` set: its very next request fails
   * with `FlowAuthenticationError`. Revoking a revoked token changes nothing.
   *
   * @throws {FlowNotFoundError} when there is no such token in this workspace.
   */
  async revoke(id: string, options?: RequestOptions): Promise<ServiceToken> {
    const input = validateInput(ServiceTokenIdInput, { id }, "serviceTokens.revoke");
    return this.client.post<ServiceToken>(`${this.client.path("service-tokens", input.id)}/revoke`, {}, options);
  }
}
