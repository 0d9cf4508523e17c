import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { identityOf } from "./auth.js";
import { HttpError } from "./errors.js";
import { pathOf } from "./url.js";
import type { IdempotencyScope, IdempotencyStore } from "./store/idempotency.js";

const MAX_KEY_LENGTH = 255;

interface Claim {
  scope: IdempotencyScope;
  key: string;
  path: string;
  fingerprint: string;
  release: () => void;
}

/** Methods whose answers are remembered: the SDK sends a key with each, and retries them. */
const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Adds the Idempotency-Key behaviour of docs/protocol.md to every route of `app`: the answer to a
 * POST, PUT, PATCH or DELETE whose work was attempted is stored per token org, workspace and subject together with a
 * fingerprint of the request, and a repeat of the same request gets it back with
 * `Idempotent-Replayed: true`. Other methods ignore the header. Must be registered after
 * `authenticate`, whose identity scopes it; tenant and scope checks run in onRequest, before it.
 */
export function registerIdempotency(app: FastifyInstance, store: IdempotencyStore): void {
  // A repeat that arrives while the first call still runs waits for it, so the work runs once.
  const inFlight = new Map<string, Promise<void>>();
  const claims = new WeakMap<FastifyRequest, Claim>();

  // preHandler, not onRequest: the fingerprint needs the parsed body. Body errors (malformed
  // JSON, too large, wrong content type) and the tenant and scope checks (onRequest) answer before
  // this runs, so a stored answer never goes to a token that may not make the call.
  app.addHook("preHandler", async (request, reply) => {
    // A GET carrying a key (a client that sends one on everything) is neither looked up nor checked,
    // nor is a read sent as POST whose route declares `replay: false` (its answer holds secrets).
    if (!MUTATING.has(request.method) || (request.routeOptions.config as { replay?: unknown } | undefined)?.replay === false) return;
    const key = idempotencyKey(request);
    if (key === undefined) return;
    const identity = identityOf(request);
    const scope: IdempotencyScope = { orgId: identity.orgId, workspaceId: identity.workspaceId, subject: identity.subject };
    const slot = JSON.stringify([scope.orgId, scope.workspaceId, scope.subject, key]);
    for (let running = inFlight.get(slot); running; running = inFlight.get(slot)) await running;

    const path = pathOf(request.url);
    const fingerprint = fingerprintOf(request.method, path, request.url, request.body);
    const stored = store.find(scope, key);
    if (stored) {
      if (stored.fingerprint !== fingerprint) {
        const first = stored.method === request.method && stored.path === path ? `another query or body on ${stored.method} ${stored.path}` : `${stored.method} ${stored.path}`;
        throw new HttpError(422, "idempotency_key_reused", `This Idempotency-Key was first used with other parameters (${first}); use a new key for a new call`);
      }
      return reply.status(stored.status).header("idempotent-replayed", "true").type("application/json; charset=utf-8").send(stored.body);
    }

    let release = (): void => {};
    const running = new Promise<void>((resolve) => {
      release = () => {
        if (inFlight.get(slot) === running) inFlight.delete(slot);
        resolve();
      };
    });
    inFlight.set(slot, running);
    claims.set(request, { scope, key, path, fingerprint, release });
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const claim = claims.get(request);
    if (!claim) return payload;
    try {
      if (isStored(reply.statusCode) && typeof payload === "string") {
        store.save(claim.scope, claim.key, { method: request.method, path: claim.path, fingerprint: claim.fingerprint, status: reply.statusCode, body: payload });
      }
    } finally {
      // Also when the save fails (the client then gets a 500): waiters must not hang on this key.
      claim.release();
      claims.delete(request);
    }
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

/**
 * Only answers to work that was attempted are stored (Stripe's rule): success, 404, and the
 * conflicts 409 and 412. A request refused before its work ran (400 bad input, 401, 403 tenant or
 * scope, 413, 415, 422) must do the work once retried corrected with the same key, and 408, 429
 * and 5xx are answers a client retries.
 */
function isStored(status: number): boolean {
  return (status >= 200 && status < 300) || status === 404 || status === 409 || status === 412;
}

/** sha256 of the method, the path, the query string with its parameters sorted by name, and the body as parsed. */
function fingerprintOf(method: string, path: string, url: string, body: unknown): string {
  const start = url.indexOf("?");
  const query = new URLSearchParams(start === -1 ? "" : url.slice(start + 1));
  // Stable: repeated parameters keep their order, which may mean something.
  query.sort();
  // The JSON as received, keys in the order sent; no body and an empty body are the same.
  const text = body === undefined ? "" : JSON.stringify(body);
  return createHash("sha256").update(JSON.stringify([method, path, query.toString(), text])).digest("hex");
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
