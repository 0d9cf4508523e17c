// Routes of docs/protocol.md for services ("Services"), relative to the workspace prefix: the
// manifest's services with their status and last heartbeat, heartbeats, and calls forwarded to a
// service with the caller's request id, trace context and identity, its answer streamed back as it is.
import http, { type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import https from "node:https";
import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from "fastify";
import { hasDotSegment, ServiceHeartbeatInput, ServiceIdOrNameInput, ServiceListInput, validateInput } from "../../src/dto/index.js";
import type { ServiceHeartbeat, ServiceInfo } from "../../src/namespaces/service.js";
import { identityOf, isManifestWorkspace, needs, tenantOf, tenantParams, type Tenant } from "../auth.js";
import { callerOf } from "../compute/caller.js";
import type { Compute } from "../compute/compute.js";
import { HttpError } from "../errors.js";
import type { ServiceDef } from "../manifest.js";
import { listKind, pageOf, queryInput } from "../pagination.js";
import { withPath } from "./with-path.js";

interface IdRoute {
  Params: { idOrName: string };
  Body: unknown;
}

interface HeartbeatRow {
  status: string;
  details: string;
  at: number;
}

/** Methods a call may use. */
const CALL_METHODS: HTTPMethods[] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/** Hop-by-hop headers (RFC 9110 7.6.1) and `host`: never forwarded either way. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host"]);

/** Caller headers that never reach a service: credentials, and identity headers only the platform sets. */
const PRIVATE_REQUEST_HEADERS = new Set(["authorization", "proxy-authorization", "cookie", "x-flow-local-admin", "traceparent", "tracestate", "x-request-id"]);

/** Service answer headers the platform sets itself. */
const OWN_RESPONSE_HEADERS = new Set(["x-request-id", "x-flow-service", "proxy-authenticate"]);

/** `W/services`, `W/services/:idOrName`, `W/services/:id/heartbeat`, `W/services/:idOrName/call/*`. */
export function servicesRoutes(app: FastifyInstance, compute: Compute): void {
  const { db } = compute.services.deps;
  const selectHeartbeat = db.prepare("SELECT status, details, at FROM service_heartbeats WHERE org = @org AND ws = @ws AND service_id = @id");
  const upsertHeartbeat = db.prepare(
    `INSERT INTO service_heartbeats (org, ws, service_id, status, details, at) VALUES (@org, @ws, @id, @status, @details, @at)
     ON CONFLICT (org, ws, service_id) DO UPDATE SET status = excluded.status, details = excluded.details, at = excluded.at`,
  );

  /** The service `def` as the API shows it to `tenant`. */
  const toService = (tenant: Tenant, def: ServiceDef): ServiceInfo => {
    const runtime = compute.services.runtime(def.id);
    const row = selectHeartbeat.get({ ...tenantParams(tenant), id: def.id }) as HeartbeatRow | undefined;
    const heartbeat: ServiceHeartbeat | null = row ? { status: row.status as ServiceHeartbeat["status"], details: JSON.parse(row.details) as Record<string, unknown> } : null;
    // A heartbeat that says degraded degrades a running service: any for a URL service, one sent
    // by its current process for a file service (an older process's word is out of date).
    const current = row !== undefined && (def.file === null || (runtime.startedAt !== null && row.at >= runtime.startedAt));
    const status = runtime.status === "running" && current && row.status === "degraded" ? "degraded" : runtime.status;
    return {
      id: def.id,
      name: def.name,
      description: def.description,
      status,
      url: runtime.url,
      lastHeartbeatAt: row ? new Date(row.at).toISOString() : null,
      heartbeat,
      restarts: runtime.restarts,
      lastError: runtime.lastError,
      createdAt: new Date(compute.manifest.loadedAt).toISOString(),
    };
  };

  /**
   * The service with this id, else this name.
   * @throws {HttpError} 404 `not_found` naming the services there are.
   */
  /** The manifest's services, as `tenant` sees them: all of them in the manifest's workspace, none elsewhere. */
  const servicesOf = (tenant: Tenant): ReadonlyMap<string, ServiceDef> => (isManifestWorkspace(tenant) ? compute.manifest.services : new Map());

  const find = (tenant: Tenant, idOrName: string): ServiceDef => {
    const services = servicesOf(tenant);
    const def = services.get(idOrName) ?? [...services.values()].find((service) => service.name === idOrName);
    if (def) return def;
    const known = !isManifestWorkspace(tenant)
      ? "the manifest's services belong to its workspace (org_local/ws_local) alone"
      : services.size === 0
        ? "the manifest (flow-local.json) declares no services"
        : `the services are: ${[...services.keys()].sort().join(", ")}`;
    throw new HttpError(404, "not_found", `No service ${JSON.stringify(idOrName)} in this workspace (by id or name); ${known}`);
  };

  app.get("/services", needs("services:read"), async (request) => {
    const input = validateInput(ServiceListInput, queryInput(request.query), "GET services");
    const tenant = tenantOf(request);
    const all = [...servicesOf(tenant).values()].map((def) => toService(tenant, def));
    const shown = input.status === undefined ? all : all.filter((service) => service.status === input.status);
    return pageOf(shown, input, listKind("services", input.status ?? null), (service) => service.id);
  });

  app.get<IdRoute>("/services/:idOrName", needs("services:read"), async (request) => {
    const { idOrName } = validateInput(ServiceIdOrNameInput, { idOrName: request.params.idOrName }, "GET services/:idOrName");
    const tenant = tenantOf(request);
    return toService(tenant, find(tenant, idOrName));
  });

  app.post<IdRoute>("/services/:idOrName/heartbeat", needs("services:write"), (request) => {
    const input = validateInput(ServiceHeartbeatInput, withPath(request.body ?? {}, { id: request.params.idOrName }), "POST services/:id/heartbeat");
    const tenant = tenantOf(request);
    const def = find(tenant, input.id); // by id or name, like every other route; 404 naming the services
    upsertHeartbeat.run({ ...tenantParams(tenant), id: def.id, status: input.status ?? "running", details: JSON.stringify(input.details ?? {}), at: compute.services.deps.clock.now() });
    return toService(tenant, def);
  });

  // Calls get their own context: the body is not parsed but passed on as the stream it is, and
  // no other workspace route may lose its JSON parser to that.
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  app.addHook("onClose", async () => {
    agents.http.destroy();
    agents.https.destroy();
  });
  app.register(async (calls) => {
    calls.removeAllContentTypeParsers();
    calls.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
    const handler = async (request: FastifyRequest<IdRoute>, reply: FastifyReply): Promise<unknown> => {
      const { idOrName } = validateInput(ServiceIdOrNameInput, { idOrName: request.params.idOrName }, "services call");
      const def = find(tenantOf(request), idOrName);
      const forwarded = forwardedPath(request.raw.url ?? "/");
      if (hasDotSegment(forwarded)) {
        throw new HttpError(400, "validation_error", "The path called on a service must not hold . or .. segments (also percent-encoded): they would leave the service's base path", {
          issues: [{ path: "path", message: "must not hold . or .. segments" }],
        });
      }
      // A caller that goes away ends the wait for a starting service and the forwarded request.
      const gone = new AbortController();
      reply.raw.once("close", () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      const body = isStream(request.body) ? request.body : undefined;
      const target = await compute.services.target(def.id, gone.signal);
      if (!("url" in target)) {
        body?.resume();
        throw unavailable(def, "not_running", `is not running (${target.state}): ${target.reason}`);
      }
      const url = new URL(target.url + forwarded);
      const upstream = await forward(url, request.method, forwardedHeaders(request, body !== undefined), body, url.protocol === "https:" ? agents.https : agents.http, gone.signal).catch((error: unknown) => {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ECONNREFUSED") throw unavailable(def, "connection_refused", `is unavailable: it refused the connection at ${url.origin}`);
        throw unavailable(def, "broke_off", `is unavailable: the connection broke off before it answered (${code ?? (error as Error).message})`);
      });
      reply.status(upstream.statusCode ?? 502);
      for (const [name, value] of Object.entries(upstream.headers)) {
        if (value === undefined || HOP_BY_HOP.has(name) || OWN_RESPONSE_HEADERS.has(name) || connectionListed(upstream.headers, name)) continue;
        reply.header(name, value);
      }
      reply.header("x-flow-service", def.id);
      // A service that breaks off while its body streams ends the caller's answer the same way.
      upstream.on("error", () => reply.raw.destroy());
      return reply.send(upstream);
    };
    const options = { ...needs("services:call"), config: { scope: "services:call", replay: false }, exposeHeadRoute: false };
    calls.route<IdRoute>({ method: CALL_METHODS, url: "/services/:idOrName/call", ...options, handler });
    calls.route<IdRoute>({ method: CALL_METHODS, url: "/services/:idOrName/call/*", ...options, handler });
  });
}

/** 502 `service_unavailable` naming the service; `reason` says whether the request reached it. */
function unavailable(def: ServiceDef, reason: "not_running" | "connection_refused" | "broke_off", what: string): HttpError {
  return new HttpError(502, "service_unavailable", `Service ${def.id} ${what}`, { service: def.id, reason });
}

/** The part of the raw URL after `.../services/<idOrName>/call`, query string included, as the caller encoded it. */
function forwardedPath(rawUrl: string): string {
  const start = rawUrl.indexOf("?");
  const pathPart = start === -1 ? rawUrl : rawUrl.slice(0, start);
  const query = start === -1 ? "" : rawUrl.slice(start);
  const segments = pathPart.split("/");
  const at = segments.indexOf("services");
  // [..., "services", idOrName, "call", ...rest]
  const rest = at === -1 ? [] : segments.slice(at + 3);
  return `/${rest.join("/")}${query}`;
}

/** The caller's headers as the service gets them: credentials and hop-by-hop ones out, the request's context and the caller's identity in. */
function forwardedHeaders(request: FastifyRequest, hasBody: boolean): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  const incoming: IncomingHttpHeaders = request.headers;
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || PRIVATE_REQUEST_HEADERS.has(name) || name.startsWith("x-flow-") || connectionListed(incoming, name)) continue;
    if (!hasBody && name === "content-length") continue;
    headers[name] = value;
  }
  const caller = callerOf(request);
  const identity = identityOf(request);
  headers["x-request-id"] = caller.requestId;
  if (caller.traceparent) headers["traceparent"] = caller.traceparent;
  if (caller.tracestate) headers["tracestate"] = caller.tracestate;
  headers["x-flow-subject"] = identity.subject;
  headers["x-flow-org-id"] = identity.orgId;
  headers["x-flow-workspace-id"] = identity.workspaceId;
  headers["x-flow-scopes"] = identity.scopes.join(" ");
  if (caller.parentExecutionId) headers["x-flow-execution-id"] = caller.parentExecutionId;
  // A body without a length goes out chunked (the caller's own framing is hop-by-hop).
  return headers;
}

/** True when the message's `Connection` header lists `name` as hop-by-hop. */
function connectionListed(headers: IncomingHttpHeaders, name: string): boolean {
  const connection = headers.connection;
  if (typeof connection !== "string") return false;
  return connection.split(",").some((token) => token.trim().toLowerCase() === name);
}

/** Sends the request to the service and resolves once its answer's head arrives. */
function forward(url: URL, method: string, headers: Record<string, string | string[]>, body: Readable | undefined, agent: http.Agent, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === "https:" ? https.request : http.request;
    const outgoing = send(url, { method, headers, agent, signal });
    outgoing.once("response", resolve);
    outgoing.once("error", reject);
    if (!body) {
      outgoing.end();
      return;
    }
    body.once("error", (error) => outgoing.destroy(error));
    body.pipe(outgoing);
  });
}

function isStream(value: unknown): value is Readable {
  return typeof value === "object" && value !== null && typeof (value as { pipe?: unknown }).pipe === "function";
}
