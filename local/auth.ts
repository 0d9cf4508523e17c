import type { FastifyRequest, onRequestHookHandler } from "fastify";
import { scopeCovers } from "../src/dto/scopes.js";
import { HttpError } from "./errors.js";
import { DEFAULT_ORG_ID, DEFAULT_WORKSPACE_ID, type Identity, type TokenService } from "./tokens.js";

// A WeakMap rather than a request decoration: no module augmentation of fastify leaks into the
// types that `@flow-sdk/sdk/local` publishes.
const identities = new WeakMap<FastifyRequest, Identity>();
const tenants = new WeakMap<FastifyRequest, Tenant>();

/** The org and workspace a request acts in. */
export interface Tenant {
  /** Org id. */
  orgId: string;
  /** Workspace id. */
  workspaceId: string;
}

/**
 * True for the workspace the manifest describes: the default org and workspace. Its services and
 * connectors belong to it alone (a file service acts there, with its own token), so any other
 * workspace sees none of them.
 */
export function isManifestWorkspace(tenant: Tenant): boolean {
  return tenant.orgId === DEFAULT_ORG_ID && tenant.workspaceId === DEFAULT_WORKSPACE_ID;
}

/** The `@org` and `@ws` parameters every store query is keyed by. */
export function tenantParams(tenant: Tenant): { org: string; ws: string } {
  return { org: tenant.orgId, ws: tenant.workspaceId };
}

/** onRequest hook: verifies the bearer token and attaches the identity to the request. */
export function authenticate(tokens: TokenService): onRequestHookHandler {
  return async (request) => {
    const header = request.headers.authorization;
    if (header === undefined || header.trim() === "") {
      throw new HttpError(401, "missing_token", "No token: send Authorization: Bearer <token> (flow-sdk-local token mints one)");
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
 * Route options declaring the scope a workspace route needs, e.g. `app.get("/state", needs("state:read"), handler)`.
 * {@link authorizeWorkspace} checks it before the body is read and before a stored idempotent answer
 * can be replayed.
 */
export function needs(scope: string): { config: { scope: string } } {
  return { config: { scope } };
}

/**
 * onRequest hook of the workspace routes: checks that the route's `:orgId` and `:workspaceId` are
 * the token's (keeping them for {@link tenantOf}), then that the token carries the scope the route
 * declares with {@link needs}. Runs before the idempotency preHandler, so a token refused here never
 * receives an answer stored for another token.
 * @throws {HttpError} 403 `tenant_mismatch` or `missing_scope`.
 */
export function authorizeWorkspace(): onRequestHookHandler {
  return async (request) => {
    tenants.set(request, requireTenant(request));
    const scope = (request.routeOptions.config as { scope?: unknown } | undefined)?.scope;
    // Fail closed: a workspace route that forgot to declare its scope answers 500, not 200.
    if (typeof scope !== "string") throw new Error(`flow-local: route ${request.method} ${request.routeOptions.url ?? "?"} declares no scope`);
    requireScope(request, scope);
  };
}

/** The tenant {@link authorizeWorkspace} checked; throws on a route outside the workspace scope. */
export function tenantOf(request: FastifyRequest): Tenant {
  const tenant = tenants.get(request);
  if (!tenant) throw new Error(`flow-local: ${request.method} ${request.routeOptions.url ?? "?"} has no checked tenant`);
  return tenant;
}

/**
 * Checks that the route's `:orgId` and `:workspaceId` are the token's, and returns them.
 * @throws {HttpError} 403 `tenant_mismatch`.
 */
function requireTenant(request: FastifyRequest): Tenant {
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
function requireScope(request: FastifyRequest, scope: string): void {
  if (!scopeCovers(identityOf(request).scopes, scope)) {
    throw new HttpError(403, "missing_scope", `The token lacks the scope ${scope}; mint one with it (flow-sdk-local token --scopes ${scope})`);
  }
}
