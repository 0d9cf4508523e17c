import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { maxHeaderSize, STATUS_CODES, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { fastify, type FastifyInstance } from "fastify";
import { MAX_JSON_BODY_BYTES } from "../src/dto/common.js";
import { systemClock, type Clock } from "../src/container/clock.js";
import { authenticate, authorizeWorkspace } from "./auth.js";
import type { LocalDb } from "./db.js";
import { envelope, errorHandler, frameworkErrorHandler, HttpError, notFoundHandler, type InternalErrorReporter } from "./errors.js";
import { pathOf } from "./url.js";
import { registerIdempotency } from "./idempotency.js";
import { checkRateLimit, rateLimitHook, RateLimiter, type RateLimitOptions } from "./rate-limit.js";
import { adminRoutes } from "./routes/admin.js";
import { auditRoutes } from "./routes/audit.js";
import { authRoutes } from "./routes/auth.js";
import { echoRoutes } from "./routes/echo.js";
import { healthRoutes } from "./routes/health.js";
import { stateRoutes } from "./routes/state.js";
import { secretsRoutes } from "./routes/secrets.js";
import { storageRoutes, storageSignedRoutes } from "./routes/storage.js";
import { datasetsRoutes } from "./routes/datasets.js";
import { vectorRoutes } from "./routes/vector.js";
import { memoryRoutes } from "./routes/memory.js";
import { conversationsRoutes } from "./routes/conversations.js";
import { codeBlocksRoutes } from "./routes/code-blocks.js";
import { jobsRoutes } from "./routes/jobs.js";
import { workflowsRoutes } from "./routes/workflows.js";
import type { Compute } from "./compute/compute.js";
import { agentsRoutes } from "./routes/agents.js";
import { connectorsRoutes } from "./routes/connectors.js";
import { serviceTokensRoutes } from "./routes/service-tokens.js";
import { servicesRoutes } from "./routes/services.js";
import type { Gateway } from "./gateway/gateway.js";
import { gatewayRoutes } from "./gateway/routes.js";
import { AuditStore } from "./store/audit.js";
import { IdempotencyStore } from "./store/idempotency.js";
import { StateStore } from "./store/state.js";
import { StorageStore } from "./store/storage.js";
import type { TokenService } from "./tokens.js";

/** What the server is built from. */
export interface ServerDeps {
  /** The platform database. */
  db: LocalDb;
  /** Signs and checks tokens. */
  tokens: TokenService;
  /** Key that guards `POST /v1/_local/tokens`. */
  adminKey: string;
  /** Where unexpected errors go. @default a line on stderr */
  reportError?: InternalErrorReporter | undefined;
  /** Identifies this running platform in `GET /v1/health`. @default a random one */
  instanceId?: string | undefined;
  /** How often expired rows are deleted. @default 60 000 ms */
  sweepIntervalMs?: number | undefined;
  /** Directory for storage objects' content. @default a temporary directory, removed when the server closes */
  objectsDir?: string | undefined;
  /** The compute half (code blocks, jobs, workflows); without it, those routes are not served. */
  compute?: Compute | undefined;
  /** Where every store reads the time; give the token service the same one. @default the system clock */
  clock?: Clock | undefined;
  /** The model gateway; without it, its routes are not served and memory embeds locally. */
  gateway?: Gateway | undefined;
  /** A per-token rate limit on every route that takes a token, read on `clock`. @default none */
  rateLimit?: RateLimitOptions | undefined;
}

/** Path prefix of workspace resources. */
export const WORKSPACE_PREFIX = "/v1/orgs/:orgId/workspaces/:workspaceId";

const SWEEP_INTERVAL_MS = 60_000;
// Encoded state keys (up to 512 characters, up to 3 bytes each when percent-encoded) must fit.
const MAX_PARAM_LENGTH = 4096;
const CLIENT_REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

/** Builds the fastify app serving docs/protocol.md; call `listen` to serve it. */
export function buildServer(deps: ServerDeps): FastifyInstance {
  const report = deps.reportError ?? reportToStderr;
  const app = fastify({
    logger: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    bodyLimit: MAX_JSON_BODY_BYTES,
    genReqId,
    // Bad percent-encoding and over-long path parameters: the envelope and X-Request-Id too.
    frameworkErrors: frameworkErrorHandler(report, MAX_PARAM_LENGTH),
    // Fastify's own 503 while closing is a bare body without X-Request-Id. Requests that arrive
    // during close() go through the hooks instead; forceCloseConnections ends them soon after.
    return503OnClosing: false,
    // The SDK keeps connections alive; without this, close() would wait for them to time out.
    forceCloseConnections: true,
    // Node's HTTP parser refuses some requests (headers over its limit, malformed framing) before
    // fastify sees them; fastify's default answer has neither the envelope nor X-Request-Id.
    clientErrorHandler,
  });
  const clock = deps.clock ?? systemClock;
  const state = new StateStore(deps.db, clock);
  const audit = new AuditStore(deps.db, clock);
  const idempotency = new IdempotencyStore(deps.db, clock);
  const objectsDir = deps.objectsDir ?? mkdtempSync(path.join(os.tmpdir(), "flow-local-objects-"));
  if (deps.objectsDir === undefined) app.addHook("onClose", async () => rmSync(objectsDir, { recursive: true, force: true }));
  const storage = new StorageStore(deps.db, objectsDir, clock);

  app.setErrorHandler(errorHandler(report));
  app.setNotFoundHandler(notFoundHandler);
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  acceptEmptyJson(app);

  healthRoutes(app, deps.instanceId ?? randomBytes(16).toString("hex"));
  adminRoutes(app, deps.tokens, deps.adminKey);
  storageSignedRoutes(app, storage); // signed URLs: the signature stands in for the token
  app.register(async (authed) => {
    authed.addHook("onRequest", authenticate(deps.tokens));
    // After the token is known, before the tenant check, a replay or any work. Health and the
    // admin route sit outside this scope: never limited.
    if (deps.rateLimit !== undefined) authed.addHook("onRequest", rateLimitHook(new RateLimiter(checkRateLimit(deps.rateLimit), clock)));
    registerIdempotency(authed, idempotency);
    authRoutes(authed);
    if (deps.gateway) gatewayRoutes(authed, deps.gateway);
    await authed.register(echoRoutes);
    await authed.register(
      async (workspace) => {
        // Tenant, then the route's scope: both before the body is read and before a replay.
        workspace.addHook("onRequest", authorizeWorkspace());
        stateRoutes(workspace, state);
        auditRoutes(workspace, audit);
        secretsRoutes(workspace, deps.db);
        storageRoutes(workspace, storage, clock);
        datasetsRoutes(workspace, deps.db, clock);
        vectorRoutes(workspace, deps.db, clock);
        memoryRoutes(workspace, deps.db, clock, deps.gateway);
        conversationsRoutes(workspace, deps.db, clock);
        serviceTokensRoutes(workspace, deps.db, clock);
        if (deps.compute) {
          codeBlocksRoutes(workspace, deps.compute);
          jobsRoutes(workspace, deps.compute);
          workflowsRoutes(workspace, deps.compute);
          agentsRoutes(workspace, deps.compute);
          connectorsRoutes(workspace, deps.compute);
          servicesRoutes(workspace, deps.compute);
        }
      },
      { prefix: WORKSPACE_PREFIX },
    );
  });

  // Expired rows are already invisible; the sweep only keeps the file from growing. A failure
  // (disk full, database locked too long) is reported, not thrown: a throw in a timer would end
  // the process, and the next sweep tries again. The sweep runs on a real interval (a test's
  // manual clock need not be advanced for the file to stay small), but what has expired is
  // judged by the clock, like every read.
  const sweep = setInterval(() => {
    for (const store of [state, idempotency]) {
      try {
        store.purgeExpired(clock.now());
      } catch (error) {
        report(error, undefined);
      }
    }
  }, deps.sweepIntervalMs ?? SWEEP_INTERVAL_MS);
  sweep.unref();
  app.addHook("onClose", async () => clearInterval(sweep));
  return app;
}

/** Listens on 127.0.0.1 only (port 0 = a free one) and returns the base URL. */
export async function listen(app: FastifyInstance, port = 0): Promise<string> {
  await app.listen({ host: "127.0.0.1", port });
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("flow-local: the server has no TCP address");
  return `http://127.0.0.1:${address.port}`;
}

// Keeps the client's X-Request-Id when it is a sane token, so logs on both sides line up.
function genReqId(request: IncomingMessage): string {
  const given = request.headers["x-request-id"];
  return typeof given === "string" && CLIENT_REQUEST_ID.test(given) ? given : `req_${randomBytes(8).toString("hex")}`;
}

// A DELETE or GET sent with Content-Type: application/json but no body is common in HTTP clients;
// fastify's default parser refuses it with a 400. The body is read as bytes and decoded strictly:
// invalid UTF-8 is refused, never stored as U+FFFD, and a charset other than UTF-8 is refused
// rather than read as UTF-8.
function acceptEmptyJson(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    const charset = charsetOf(request.headers["content-type"]);
    if (charset !== undefined && !UTF8_CHARSETS.has(charset.toLowerCase())) {
      done(new HttpError(415, "bad_request", `A JSON body must be UTF-8; this one says charset=${JSON.stringify(charset).slice(0, 80)}`), undefined);
      return;
    }
    let text: string;
    try {
      text = STRICT_UTF8.decode(typeof body === "string" ? Buffer.from(body, "utf8") : body);
    } catch {
      done(new HttpError(400, "bad_request", "The JSON body is not valid UTF-8"), undefined);
      return;
    }
    if (text.trim() === "") {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });
const UTF8_CHARSETS = new Set(["utf-8", "utf8"]);

// The charset parameter of a Content-Type, unquoted, or undefined when there is none.
function charsetOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  for (const part of contentType.split(";").slice(1)) {
    const eq = part.indexOf("=");
    if (eq === -1 || part.slice(0, eq).trim().toLowerCase() !== "charset") continue;
    const value = part.slice(eq + 1).trim();
    return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  }
  return undefined;
}

// Fastify's `clientErrorHandler`: what Node's HTTP parser refuses (headers over its limit,
// malformed framing, a request too slow to arrive) is answered on the raw socket with the envelope
// and a fresh X-Request-Id (the client's own cannot be read from headers that did not parse), then
// the connection is closed. A socket already reset or destroyed gets nothing.
function clientErrorHandler(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [status, code, message] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? [431, "headers_too_large", `The request's headers are over the server's limit of ${maxHeaderSize} bytes in all; send fewer or shorter headers`]
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "request_timeout", "The request did not arrive in time"]
        : [400, "bad_request", "The request is not valid HTTP"];
  if (socket.writable) {
    const body = JSON.stringify(envelope(code, message));
    const head = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}`,
      "Content-Type: application/json; charset=utf-8",
      `Content-Length: ${Buffer.byteLength(body)}`,
      `X-Request-Id: req_${randomBytes(8).toString("hex")}`,
      "Connection: close",
    ];
    socket.write(`${head.join("\r\n")}\r\n\r\n${body}`);
  }
  socket.destroy(error);
}

/**
 * Reports an unexpected error on stderr: where it happened (a request, or `elsewhere`: the
 * expiry sweep unless told) and its stack.
 */
export function reportToStderr(error: unknown, request: { method: string; url: string; id: string } | undefined, elsewhere = "in the expiry sweep"): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  const where = request === undefined ? elsewhere : `on ${request.method} ${pathOf(request.url)} (request ${request.id})`;
  process.stderr.write(`flow-local: internal error ${where}: ${detail}\n`);
}
