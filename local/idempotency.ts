import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from "fastify";
import { identityOf } from "./auth.js";
import { envelope, HttpError } from "./errors.js";
import { pathOf } from "./url.js";
import { PENDING_STATUS, type IdempotencyScope, type IdempotencyStore } from "./store/idempotency.js";

const MAX_KEY_LENGTH = 255;

interface Claim {
  scope: IdempotencyScope;
  key: string;
  path: string;
  fingerprint: string;
  release: () => void;
  /** Set once the answer (or a pending claim) was written in the work's transaction. */
  settled?: "answered" | "pending";
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
      if (stored.status === PENDING_STATUS) {
        throw new HttpError(
          409,
          "idempotency_outcome_unknown",
          `The first call with this Idempotency-Key (${stored.method} ${stored.path}) started its work but its answer was never recorded (the platform stopped or failed mid-call); it is not done again. Read the resource to see whether it took effect, or use a new key`,
        );
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
      // A handler that went asynchronous: its work was committed with a pending claim, and its
      // answer is recorded now. A failure here leaves the claim pending: this client still gets
      // the answer, and a retry gets 409 idempotency_outcome_unknown instead of the work again.
      if (claim.settled === "pending") {
        try {
          if (isStored(reply.statusCode) && typeof payload === "string") {
            store.save(claim.scope, claim.key, { method: request.method, path: claim.path, fingerprint: claim.fingerprint, status: reply.statusCode, body: payload });
          } else {
            store.unclaim(claim.scope, claim.key);
          }
        } catch (error) {
          request.log.error({ err: error }, "idempotency: could not record the answer; the key stays pending");
        }
      }
    } finally {
      // Waiters must not hang on this key, whatever happened.
      claim.release();
      claims.delete(request);
    }
    return payload;
  });

  // The work and the answer in one transaction: every mutating route's handler is wrapped.
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((method) => MUTATING.has(method)) || (route.config as { replay?: unknown } | undefined)?.replay === false) return;
    route.handler = atomicHandler(route.handler as RouteHandlerMethod, store, (request) => claims.get(request));
  });

  // onSend does not run when the client goes away first; the waiters must still be let go.
  const releaseLeftover = async (request: FastifyRequest): Promise<void> => {
    claims.get(request)?.release();
    claims.delete(request);
  };
  app.addHook("onResponse", releaseLeftover);
  app.addHook("onRequestAbort", releaseLeftover);
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";

/** After a write found the database locked, the next ones within this long answer 503 without asking SQLite. */
const BUSY_BACKOFF_MS = 250;
/** Per database, until when writes answer busy at once: SQLite's busy wait blocks the event loop, so it is paid once per backoff, not once per request. */
const busyUntil = new WeakMap<object, number>();

/**
 * `BEGIN IMMEDIATE`, failing at once (as SQLITE_BUSY, which the error handler answers as 503
 * database_busy) while another write found the database locked less than {@link BUSY_BACKOFF_MS}
 * ago: 64 writes in flight against a lock held elsewhere then block the event loop for one busy
 * wait (100 ms), not 64 of them.
 */
function beginImmediate(db: IdempotencyStore["db"]): void {
  if (Date.now() < (busyUntil.get(db) ?? 0)) throw Object.assign(new Error("the database was locked a moment ago"), { code: "SQLITE_BUSY" });
  try {
    db.exec("BEGIN IMMEDIATE");
  } catch (error) {
    if ((error as { code?: unknown }).code === "SQLITE_BUSY") busyUntil.set(db, Date.now() + BUSY_BACKOFF_MS);
    throw error;
  }
}

/**
 * Wraps a route handler so that its synchronous database work and the stored answer commit in one
 * transaction (BEGIN IMMEDIATE: a busy database fails here, before any work, as 503
 * database_busy). better-sqlite3 is synchronous, so the handler's synchronous part runs inside the
 * transaction, and the transaction never stays open across an await: it commits before the
 * wrapper returns. The answer is known synchronously when the handler calls `reply.send` or
 * returns a value without awaiting; the send is held back until after COMMIT, so a failed commit
 * answers an error, never a success whose work was rolled back. A handler that goes asynchronous
 * before answering commits its synchronous part together with a pending claim instead.
 */
function atomicHandler(handler: RouteHandlerMethod, store: IdempotencyStore, claimOf: (request: FastifyRequest) => Claim | undefined): RouteHandlerMethod {
  const db = store.db;
  return function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
    // A nested call (inject inside a handler) joins the open transaction as it always did.
    if (db.inTransaction) return handler.call(this, request, reply);
    const claim = claimOf(request);
    beginImmediate(db);
    let sent: { payload: unknown } | undefined;
    let result: unknown;
    const send = reply.send;
    reply.send = ((payload?: unknown) => {
      sent = { payload };
      return reply;
    }) as typeof reply.send;
    try {
      try {
        result = handler.call(this, request, reply);
      } finally {
        // The instance's own property shadowed Reply.prototype.send.
        delete (reply as { send?: unknown }).send;
        if (reply.send !== send) reply.send = send;
      }
      if (sent === undefined && !isThenable(result) && result !== undefined) sent = { payload: result };
      let answer: unknown = sent?.payload;
      if (sent !== undefined && claim !== undefined) {
        if (isSerializable(answer)) {
          answer = reply.serialize(answer);
          if (!reply.hasHeader("content-type")) reply.type("application/json; charset=utf-8");
        }
        if (isStored(reply.statusCode) && typeof answer === "string") {
          store.save(claim.scope, claim.key, { method: request.method, path: claim.path, fingerprint: claim.fingerprint, status: reply.statusCode, body: answer });
          claim.settled = "answered";
        }
      } else if (sent === undefined && claim !== undefined) {
        store.claim(claim.scope, claim.key, { method: request.method, path: claim.path, fingerprint: claim.fingerprint });
        claim.settled = "pending";
      }
      db.exec("COMMIT");
      if (sent === undefined) return result;
      // An async handler's rest (after the send) cannot change the answer; a late failure has
      // nowhere to go. Only a promise: the reply itself is thenable, and `return reply.send(x)`
      // from a plain function must not have its then() called.
      if (result instanceof Promise) {
        result.then(undefined, (error: unknown) => request.log.error({ err: error }, "handler failed after answering"));
      }
      reply.send(answer);
      return undefined;
    } catch (error) {
      if (db.inTransaction) db.exec("ROLLBACK");
      if (claim !== undefined) delete claim.settled;
      // An answer of the stored kind thrown by the work (404, 409, 412) is recorded like a sent one.
      if (claim !== undefined && error instanceof HttpError && isStored(error.status)) {
        try {
          store.save(claim.scope, claim.key, {
            method: request.method,
            path: claim.path,
            fingerprint: claim.fingerprint,
            status: error.status,
            body: JSON.stringify(envelope(error.code, error.message, error.details)),
          });
        } catch {
          // Nothing was done: the retry does the work, once.
        }
      }
      throw error;
    }
  } as RouteHandlerMethod;
}

/** Values fastify serializes to JSON (not a string, buffer, stream or error, which it sends as they are). */
function isSerializable(value: unknown): boolean {
  if (value === undefined || typeof value === "string") return false;
  if (typeof value !== "object" || value === null) return true;
  return !(value instanceof Error) && !Buffer.isBuffer(value) && typeof (value as { pipe?: unknown }).pipe !== "function" && !(value instanceof Uint8Array);
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
