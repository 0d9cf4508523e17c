// flow.service: the service this code runs as (`SERVICE_ID`) and the request it is serving now.
// Inside a service, one call binds the platform's request context from the incoming request
// (Node http, Express, fastify), so every SDK call made while handling it carries the caller's
// request id and trace context on.
import { AsyncResource } from "node:async_hooks";
import type { IncomingMessage, ServerResponse } from "node:http";
import { inject, injectable } from "tsyringe";
import type { FlowConfig } from "../container/config.js";
import { TOKENS } from "../container/tokens.js";
import type { RequestContext, RequestContextInput, RequestContextStore } from "../context/request-context.js";
import { paramsObject, ServiceHeartbeatInput, validateInput } from "../dto/index.js";
import { FlowConfigError, FlowValidationError } from "../errors.js";
import type { RequestOptions } from "../http/request-options.js";
import { WorkspaceClient } from "../internal/workspace-client.js";

/** Where a service stands: started and not yet listening, taking requests, not well (exited and waiting to be restarted, or its heartbeat says so), or stopped. */
export type ServiceStatus = "starting" | "running" | "degraded" | "stopped";

/** The last heartbeat a service sent. */
export interface ServiceHeartbeat {
  /** What it said of itself. */
  status: "running" | "degraded";
  /** The details it sent (`{}` when none). */
  details: Record<string, unknown>;
}

/** A service as the platform describes it. */
export interface ServiceInfo {
  /** The service's id (`SERVICE_ID`; the manifest key locally). */
  id: string;
  /** Name, unique in the workspace; `services.call` accepts it in place of the id. */
  name: string;
  /** What it does, or `null`. */
  description: string | null;
  /** Where it stands. */
  status: ServiceStatus;
  /** Where the platform reaches it, or `null` before it first started. */
  url: string | null;
  /** When it last sent a heartbeat, or `null` if never. */
  lastHeartbeatAt: string | null;
  /** Its last heartbeat, or `null` if never. */
  heartbeat: ServiceHeartbeat | null;
  /** How often the platform started it again after it exited. */
  restarts: number;
  /** Why it last stopped running (how its process ended, the end of its stderr), or `null`. */
  lastError: string | null;
  /** When the service was created, as an ISO 8601 timestamp. */
  createdAt: string;
}

/** Parameters of `service.heartbeat`. */
export interface ServiceHeartbeatParams {
  /**
   * What the service says of itself: `degraded` shows in `services.get` as its status while it runs.
   * @default "running"
   */
  status?: "running" | "degraded" | undefined;
  /** Free-form health details, e.g. `{ queueDepth: 3 }`: a JSON object of at most 64 KiB. */
  details?: Record<string, unknown> | undefined;
}

/**
 * An incoming request as Node's `http`, Express or fastify hands it to a handler: something
 * with `headers` (Node's `IncomingMessage`, Express' `req`), or with `raw` and `headers`
 * (fastify's `request`).
 */
export interface IncomingServiceRequest {
  /** The request's headers. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Node's request under a framework's (fastify). */
  raw?: IncomingMessage | undefined;
  /** The response Express links to its request. */
  res?: ServerResponse | undefined;
}

/** The response a handler answers with: Node's `ServerResponse`, or a framework's wrapper of it (fastify's `reply.raw`). */
export type OutgoingServiceResponse = ServerResponse | { raw: ServerResponse };

/** A Node `http` request listener. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Express/connect middleware. */
export type ConnectMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** A fastify plugin function (`app.register(plugin)`); its hooks apply to the whole app. */
export interface ServiceFastifyPlugin {
  /** Adds the hooks to `app`. */
  (app: FastifyLike, options: unknown, done: (error?: Error) => void): void;
}

/** What the fastify plugin needs of an app: `addHook`. */
export interface FastifyLike {
  /** Adds a hook. */
  addHook(name: "onRequest" | "preValidation", hook: (request: { raw: IncomingMessage; headers: Record<string, unknown> }, reply: unknown, done: (error?: Error) => void) => void): unknown;
}

/** Headers that never go into the bound context: credentials a caller may have sent the service directly. */
const PRIVATE_HEADERS = new Set(["authorization", "proxy-authorization", "cookie"]);

/**
 * The request context of an incoming request forwarded by the platform (docs/protocol.md,
 * "Services"): its headers (credentials left out), so `X-Request-Id`, `traceparent` and
 * `tracestate` go on with every SDK call; `auth` from `X-Flow-Subject`, `X-Flow-Org-Id`,
 * `X-Flow-Workspace-Id` and `X-Flow-Scopes` (the caller; so `auth.hasScope` answers for it);
 * `execution` from `X-Flow-Execution-Id`; and `service` as `{ id: serviceId }`.
 */
export function serviceRequestContext(req: IncomingServiceRequest, serviceId: string | undefined): RequestContextInput {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers ?? {})) {
    const key = name.toLowerCase();
    if (value === undefined || PRIVATE_HEADERS.has(key)) continue;
    headers[key] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  const subject = headers["x-flow-subject"];
  const auth =
    subject === undefined
      ? {}
      : {
          subject,
          orgId: headers["x-flow-org-id"] ?? null,
          workspaceId: headers["x-flow-workspace-id"] ?? null,
          scopes: (headers["x-flow-scopes"] ?? "").split(" ").filter((scope) => scope !== ""),
        };
  const executionId = headers["x-flow-execution-id"];
  return { headers, auth, execution: executionId ? { id: executionId } : {}, service: serviceId ? { id: serviceId } : {} };
}

/** The running service and the request it is serving. */
@injectable()
export class ServiceNamespace {
  /** Built by the container. */
  constructor(
    @inject(WorkspaceClient) private readonly client: WorkspaceClient,
    @inject(TOKENS.Config) private readonly config: FlowConfig,
    @inject(TOKENS.RequestContext) private readonly context: RequestContextStore,
  ) {}

  /** This service's id (`SERVICE_ID`), or `undefined` outside a service. */
  get id(): string | undefined {
    return this.config.serviceId;
  }

  /**
   * Resolves to this service as the platform describes it (status, last heartbeat, restarts).
   *
   * @throws {FlowConfigError} when `SERVICE_ID` (option `serviceId`) is not set: this code does not run as a service.
   */
  async info(options?: RequestOptions): Promise<ServiceInfo> {
    this.client.checkOptions(options);
    const id = this.#id("service.info");
    return this.client.get<ServiceInfo>(this.client.path("services", id), options);
  }

  /**
   * Tells the platform how this service is; `services.get` shows it as `lastHeartbeatAt` and
   * `heartbeat`, and `status: "degraded"` as the service's status while it runs. Resolves to the
   * service as the platform now describes it.
   *
   * @example await flow.service.heartbeat({ details: { queueDepth: 3 } });
   * @throws {FlowConfigError} when `SERVICE_ID` is not set.
   * @throws {FlowValidationError} for bad params, before any request.
   */
  async heartbeat(params?: ServiceHeartbeatParams, options?: RequestOptions): Promise<ServiceInfo> {
    // Bad input is refused first, whether or not this code runs as a service.
    const { id: _id, ...body } = validateInput(ServiceHeartbeatInput, { ...paramsObject(params, "service.heartbeat", ["id"]), id: this.config.serviceId ?? "service" }, "service.heartbeat");
    this.client.checkOptions(options);
    const id = this.#id("service.heartbeat");
    return this.client.post<ServiceInfo>(`${this.client.path("services", id)}/heartbeat`, body, options);
  }

  /** The request being served now: the bound request context (empty outside a request). */
  get request(): RequestContext {
    return this.context.current();
  }

  /**
   * Binds the platform's request context from `req` (Node's request, Express' `req` or fastify's
   * `request`) for the rest of its handling, and returns it: every SDK call the handler makes
   * from here on carries the caller's `X-Request-Id` and `traceparent`. Call it first in each
   * handler. The binding ends with the response (`res`, or the one Express or Node links to the
   * request), so it never reaches the next request on a kept-alive connection; for work that
   * goes on after the response, use {@link ServiceNamespace.run}, {@link ServiceNamespace.middleware},
   * {@link ServiceNamespace.handler} or {@link ServiceNamespace.fastify}, which bind every continuation.
   * The caller's identity (`auth`: `X-Flow-Subject`, `X-Flow-Scopes`, ...) is what the headers
   * say: trust it only when the service is reachable through the platform alone (a file service
   * listens on 127.0.0.1); anyone who can reach the port directly can send those headers.
   *
   * @example
   * http.createServer(async (req, res) => {
   *   flow.service.bind(req, res);
   *   await flow.audit.log({ action: "greet", resourceType: "greeting", resourceId: "1" }); // carries the caller's request id
   *   res.end("hi");
   * });
   * @throws {FlowValidationError} when `req` has no headers object, or `res` is given and is not an object.
   */
  bind(req: IncomingServiceRequest, res?: OutgoingServiceResponse): RequestContext {
    const input = this.#input(req, "service.bind");
    if (res !== undefined && (typeof res !== "object" || res === null)) {
      throw new FlowValidationError("service.bind: res must be the response (Node's http response, Express' res or fastify's reply), or left out", [
        { path: "res", message: "must be the response, or left out" },
      ]);
    }
    const response = responseOf(req, res);
    this.context.bind(input, response ? () => !response.writableEnded : undefined);
    return this.context.current();
  }

  /**
   * Runs `fn` with the request context of `req` bound (across all its awaits, also after the
   * response) and returns what it returns.
   * @example app.post("/orders", (req, res) => flow.service.run(req, () => createOrder(req, res)));
   * @throws {FlowValidationError} when `req` has no headers object or `fn` is not a function.
   */
  run<T>(req: IncomingServiceRequest, fn: () => T): T {
    const input = this.#input(req, "service.run");
    if (typeof fn !== "function") throw new FlowValidationError("service.run: fn must be a function () => ..., run with the request's context bound", [{ path: "fn", message: "must be a function" }]);
    return this.context.run(input, fn);
  }

  /**
   * Wraps a Node `http` request listener so that each request is handled with its context bound.
   * @example http.createServer(flow.service.handler(async (req, res) => { ... })).listen(Number(process.env.PORT));
   */
  handler(listener: RequestListener): RequestListener {
    if (typeof listener !== "function") throw new FlowValidationError("service.handler: listener must be a function (req, res) => ...", [{ path: "listener", message: "must be a function" }]);
    return (req, res) => this.run(req, () => listener(req, res));
  }

  /**
   * Express/connect middleware binding each request's context for the rest of its handling. Put
   * it after the body parsers (`app.use(express.json()); app.use(flow.service.middleware())`):
   * a parser reads the body in the connection's async context and goes on from there.
   */
  middleware(): ConnectMiddleware {
    return (req, _res, next) => this.run(req, () => next());
  }

  /**
   * A fastify plugin binding each request's context for the rest of its handling, handler
   * included: `await app.register(flow.service.fastify())`. Its hooks apply to the whole app
   * (it is not encapsulated).
   */
  fastify(): ServiceFastifyPlugin {
    const resources = new WeakMap<IncomingMessage, AsyncResource>();
    const plugin: ServiceFastifyPlugin = (app, _options, done) => {
      app.addHook("onRequest", (request, _reply, next) => {
        this.run({ headers: request.headers as IncomingServiceRequest["headers"] }, () => {
          const resource = new AsyncResource("flow-sdk.service-request");
          resources.set(request.raw, resource);
          resource.runInAsyncScope(next);
        });
      });
      // The body is read in the socket's async context: from here on (validation, handler), back in the request's.
      app.addHook("preValidation", (request, _reply, next) => {
        const resource = resources.get(request.raw);
        if (resource) resource.runInAsyncScope(next);
        else next();
      });
      done();
    };
    // What fastify-plugin sets: the hooks apply to the app registering it, not to a child context.
    Object.assign(plugin, { [Symbol.for("skip-override")]: true, [Symbol.for("fastify.display-name")]: "flow-sdk-service" });
    return plugin;
  }

  #input(req: IncomingServiceRequest, what: string): RequestContextInput {
    if (typeof req !== "object" || req === null || typeof req.headers !== "object" || req.headers === null) {
      throw new FlowValidationError(`${what}: req must be the incoming request (Node's http request, Express' req or fastify's request), which has headers`, [
        { path: "req", message: "must be an incoming request with headers" },
      ]);
    }
    return serviceRequestContext(req, this.config.serviceId);
  }

  #id(what: string): string {
    const id = this.config.serviceId;
    if (!id) throw new FlowConfigError(`${what}() needs SERVICE_ID (option serviceId): it tells which service this code runs as; the platform sets it for the services it starts`, ["SERVICE_ID (option serviceId)"]);
    return id;
  }
}

/** The response that ends `req`'s binding: the one given, the one Express links, or the one Node has assigned to its socket. */
function responseOf(req: IncomingServiceRequest, res: OutgoingServiceResponse | undefined): ServerResponse | undefined {
  if (res !== undefined) return "raw" in res && res.raw ? res.raw : (res as ServerResponse);
  if (req.res) return req.res;
  const raw = req.raw ?? (req as unknown as IncomingMessage);
  const current = (raw.socket as unknown as { _httpMessage?: unknown } | null | undefined)?._httpMessage;
  return typeof current === "object" && current !== null && typeof (current as ServerResponse).writableEnded === "boolean" ? (current as ServerResponse) : undefined;
}
