import type { FastifyInstance, FastifyRequest } from "fastify";
import { identityOf, type Tenant } from "./auth.js";
import { HttpError } from "./errors.js";
import { pathOf } from "./url.js";
import type { IdempotencyStore } from "./store/idempotency.js";

const MAX_KEY_LENGTH = 255;

interface Claim {
  tenant: Tenant;
  key: string;
  path: string;
  release: () => void;
}

/**
 * Adds the Idempotency-Key behaviour of docs/protocol.md to every route of `app`: the first
 * answer to a POST is stored per token org and workspace, and a repeat gets it back with
 * `Idempotent-Replayed: true`. Must be registered after `authenticate`, whose identity scopes it.
 */
export function registerIdempotency(app: FastifyInstance, store: IdempotencyStore): void {
  // A repeat that arrives while the first call still runs waits for it, so the work runs once.
  const inFlight = new Map<string, Promise<void>>();
  const claims = new WeakMap<FastifyRequest, Claim>();

  app.addHook("onRequest", async (request, reply) => {
    const key = idempotencyKey(request);
    if (key === undefined) return;
    const identity = identityOf(request);
    const tenant = { orgId: identity.orgId, workspaceId: identity.workspaceId };
    const slot = JSON.stringify([tenant.orgId, tenant.workspaceId, key]);
    for (let running = inFlight.get(slot); running; running = inFlight.get(slot)) await running;

    const path = pathOf(request.url);
    const stored = store.find(tenant, key);
    if (stored) {
      if (stored.method !== request.method || stored.path !== path) {
        throw new HttpError(422, "idempotency_key_reused", `This Idempotency-Key was first used on ${stored.method} ${stored.path}; use a new key for a new call`);
      }
      return reply.status(stored.status).header("idempotent-replayed", "true").type("application/json; charset=utf-8").send(stored.body);
    }
    if (request.method !== "POST") return;

    let release = (): void => {};
    const running = new Promise<void>((resolve) => {
      release = () => {
        if (inFlight.get(slot) === running) inFlight.delete(slot);
        resolve();
      };
    });
    inFlight.set(slot, running);
    claims.set(request, { tenant, key, path, release });
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const claim = claims.get(request);
    if (!claim) return payload;
    claims.delete(request);
    if (isFinal(reply.statusCode) && typeof payload === "string") {
      store.save(claim.tenant, claim.key, { method: request.method, path: claim.path, status: reply.statusCode, body: payload });
    }
    claim.release();
    return payload;
  });

  // onSend does not run when the client goes away first; the waiters must still be let go.
  const releaseLeftover = async (request: FastifyRequest): Promise<void> => {
    claims.get(request)?.release();
    claims.delete(request);
  };
  app.addHook("onResponse", releaseLeftover);
  app.addHook("onRequestAbort", releaseLeftover);
}

// 5xx, 408 and 429 are answers a client retries; storing them would make the retry pointless.
function isFinal(status: number): boolean {
  return status < 500 && status !== 408 && status !== 429;
}

function idempotencyKey(request: FastifyRequest): string | undefined {
  const value = request.headers["idempotency-key"];
  if (value === undefined) return undefined;
  const key = Array.isArray(value) ? value.join(",") : value;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new HttpError(400, "bad_request", `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters`);
  }
  return key;
}
