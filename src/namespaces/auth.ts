import { inject, injectable } from "tsyringe";
import type { Lifecycle } from "../container/lifecycle.js";
import { TOKENS } from "../container/tokens.js";
import type { RequestContextStore } from "../context/request-context.js";
import { scopeCovers, scopeList } from "../dto/scopes.js";
import { FlowValidationError } from "../errors.js";
import type { RequestOptions } from "../http/request-options.js";
import { WorkspaceClient } from "../internal/workspace-client.js";

/** Who the SDK's token belongs to. */
export interface Identity {
  /** Subject of the token (a user or service id). */
  subject: string;
  /** Organisation the token is for. */
  orgId: string;
  /** Workspace the token is for. */
  workspaceId: string;
  /** Scopes granted, e.g. `state:read`; `*` grants all. */
  scopes: string[];
  /** When the token expires (ISO 8601), or `null`. */
  expiresAt: string | null;
}

/** Identity: who the SDK acts as, and the auth of the request it is serving. */
@injectable()
export class AuthNamespace {
  /** Built by the container. */
  constructor(
    @inject(WorkspaceClient) private readonly client: WorkspaceClient,
    @inject(TOKENS.RequestContext) private readonly contextStore: RequestContextStore,
    @inject(TOKENS.Lifecycle) private readonly lifecycle: Lifecycle,
  ) {}

  /** Asks the platform who the current token belongs to. */
  async whoami(options?: RequestOptions): Promise<Identity> {
    const identity = await this.client.get<Identity>("/v1/auth/whoami", options);
    return { ...identity, scopes: scopeList(identity.scopes) };
  }

  /** The `auth` part of the bound request context (empty when nothing is bound). */
  context(): Readonly<Record<string, unknown>> {
    this.lifecycle.assertOpen();
    return this.contextStore.current().auth;
  }

  /**
   * True when `scope` is granted. When a request context with `auth` is bound, its `scopes` (an
   * array, or a space-separated string; `scope` also works) decide: that is the caller being
   * served, and an `auth` without scopes grants nothing. Only when no `auth` is bound does the
   * SDK's own token decide (asks the platform). `*` and `<area>:*` are wildcards.
   */
  async hasScope(scope: string, options?: RequestOptions): Promise<boolean> {
    if (typeof scope !== "string" || !scope.trim()) {
      throw new FlowValidationError("auth.hasScope: scope must be a non-empty string such as \"state:read\"", [{ path: "scope", message: "must be a non-empty string" }]);
    }
    const bound = this.context();
    if (Object.keys(bound).length > 0) return scopeCovers(scopeList(bound["scopes"] ?? bound["scope"]), scope);
    return scopeCovers((await this.whoami(options)).scopes, scope);
  }
}
