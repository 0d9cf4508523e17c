import type { FastifyRequest, onRequestHookHandler } from "fastify";
import { scopeCovers } from "../src/dto/scopes.js";
import { HttpError } from "./errors.js";
import type { Identity, TokenService } from "./tokens.js";

// A WeakMap rather than a request decoration: no module augmentation of fastify leaks into the
// types that `flow-sdk/local` publishes.
const identities = new WeakMap<FastifyRequest, Identity>();

/** The org and workspace a request acts in. */
export interface Tenant {
  /** Org id. */
  orgId: string;
  /** Workspace id. */
  workspaceId: string;
}

/** onRequest hook: verifies the bearer token and attaches the identity to the request. */
export function authenticate(tokens: TokenService): onRequestHookHandler {
  return async (request) => {
    const header = request.headers.authorization;
    if (header === undefined || header.trim() === "") {
      throw new HttpError(401, "missing_token", "No token: send Authorization: Bearer <token> (flow-local token mints one)");
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) {
      throw new HttpError(401, "invalid_token", "The Authorization header must be of the form Bearer <token>");
    }
    identities.set(request, await tokens.verify(match[1]));
  };
}

/** The identity `authenticate` attached; throws 401 on a route that skipped it. */
export function identityOf(request: FastifyRequest): Identity {
  const identity = identities.get(request);
  if (!identity) throw new HttpError(401, "missing_token", "This route needs a token: send Authorization: Bearer <token>");
  return identity;
}

/**
 * Checks that the route's `:orgId` and `:workspaceId` are the token's, and returns them.
 * @throws {HttpError} 403 `tenant_mismatch`.
 */
export function requireTenant(request: FastifyRequest): Tenant {
  const identity = identityOf(request);
  const params = (request.params ?? {}) as Partial<Record<string, string>>;
  if (params.orgId !== identity.orgId || params.workspaceId !== identity.workspaceId) {
    throw new HttpError(
      403,
      "tenant_mismatch",
      `The token is for org ${identity.orgId} / workspace ${identity.workspaceId}, not org ${params.orgId ?? "?"} / workspace ${params.workspaceId ?? "?"}`,
    );
  }
  return { orgId: identity.orgId, workspaceId: identity.workspaceId };
}

/**
 * Checks that the token carries `scope` (e.g. `state:read`).
 * @throws {HttpError} 403 `missing_scope` naming the scope.
 */
export function requireScope(request: FastifyRequest, scope: string): void {
  if (!scopeCovers(identityOf(request).scopes, scope)) {
    throw new HttpError(403, "missing_scope", `The token lacks the scope ${scope}; mint one with it (flow-local token --scopes ${scope})`);
  }
}
