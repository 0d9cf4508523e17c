// flow.services: find the workspace's services and call them through the platform, which passes
// the caller's request id, trace context and identity on to the service.
import type { Readable } from "node:stream";
import type { AxiosError, AxiosInstance, AxiosResponse } from "axios";
import { inject, injectable } from "tsyringe";
import type { Lifecycle } from "../container/lifecycle.js";
import { TOKENS } from "../container/tokens.js";
import { isReadableStream, paramsObject, ServiceCallInput, ServiceIdOrNameInput, ServiceListInput, validateInput } from "../dto/index.js";
import { FlowError } from "../errors.js";
import { callConfig } from "../http/call-options.js";
import { mapStreamError } from "../http/map-error.js";
import type { RequestOptions } from "../http/request-options.js";
import { isJsonType } from "../http/response-body.js";
import { surelyNotDone } from "../http/retry.js";
import { WorkspaceClient } from "../internal/workspace-client.js";
import { through } from "../internal/streams.js";
import type { Redactor } from "../logging/redactor.js";
import type { PagePromise } from "../pagination.js";
import type { ServiceInfo, ServiceStatus } from "./service.js";

/** HTTP method of a service call (upper or lower case). */
export type ServicesCallMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" | Lowercase<"GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS">;

/** How `services.call` hands over the answer's body: `auto` (JSON parsed when it says JSON, else text), `text`, `buffer` or `stream` (a Readable, for large bodies). */
export type ServicesCallResponseType = "auto" | "text" | "buffer" | "stream";

/** Parameters of `services.list`. */
export interface ServicesListParams {
  /** Only services in this status. */
  status?: ServiceStatus | undefined;
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Parameters of `services.call`. */
export interface ServicesCallParams {
  /**
   * HTTP method.
   * @default "GET"
   */
  method?: ServicesCallMethod | undefined;
  /** Path on the service, starting with a single `/`, e.g. `/orders/42`; sent as written (percent-encode what needs it). */
  path: string;
  /**
   * Request body: a JSON value (sent as `application/json`), a string (sent as it is, `text/plain`
   * unless `headers` say otherwise), or bytes or a readable stream (sent as they are,
   * `application/octet-stream` unless `headers` say otherwise; a stream once: it is never retried).
   */
  body?: unknown;
  /** Query parameters: strings, finite numbers or booleans; `undefined` leaves one out. */
  query?: Record<string, string | number | boolean | undefined> | undefined;
  /** Extra headers for the service, by the rule of `RequestOptions.headers`; the request context headers (`X-Request-Id`, `traceparent`) are added for you. */
  headers?: Record<string, string> | undefined;
  /**
   * How to hand over the answer's body.
   * @default "auto": parsed JSON when its content type says JSON, else text; `null` when empty
   */
  responseType?: ServicesCallResponseType | undefined;
}

/** A service's answer to `services.call`: whatever its status, as the service gave it. */
export interface ServiceResponse<T = unknown> {
  /** The service's HTTP status. */
  status: number;
  /** Its headers, names lower-cased (a repeated header's values joined with `, `). */
  headers: Record<string, string>;
  /** The body, as `responseType` asked. */
  body: T;
}

/** Methods safe to send twice: a call with one of them is retried like any other SDK call. */
const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/** Lists the workspace's services and calls them through the platform. */
@injectable()
export class ServicesNamespace {
  /** Built by the container. */
  constructor(
    @inject(WorkspaceClient) private readonly client: WorkspaceClient,
    @inject(TOKENS.PlatformHttp) private readonly http: AxiosInstance,
    @inject(TOKENS.Lifecycle) private readonly lifecycle: Lifecycle,
    @inject(TOKENS.Redactor) private readonly redactor: Redactor,
  ) {}

  /** The workspace's services, by id; await for the first page or `for await` over all. */
  list(params: ServicesListParams = {}, options?: RequestOptions): PagePromise<ServiceInfo> {
    return this.client.list(() => ({ path: this.client.path("services"), query: validateInput(ServiceListInput, params, "services.list") }), options);
  }

  /**
   * Resolves to the service with this id or name: its status, URL, last heartbeat and restarts.
   *
   * @throws {FlowNotFoundError} when there is none; the message names the services there are.
   */
  async get(idOrName: string, options?: RequestOptions): Promise<ServiceInfo> {
    const input = validateInput(ServiceIdOrNameInput, { idOrName }, "services.get");
    return this.client.get<ServiceInfo>(this.client.path("services", input.idOrName), options);
  }

  /**
   * Calls a route of a service through the platform, which adds the caller's request id,
   * `traceparent` and identity, and resolves to the service's answer `{ status, headers, body }`
   * whatever its status: a service's own `404` or `500` is an answer, not an error. Only the
   * platform's own failures reject. Retries: a `GET`, `HEAD`, `OPTIONS`, `PUT` or `DELETE`, or a
   * call given an `idempotencyKey` (which the service receives as `Idempotency-Key`), is retried
   * like any SDK call when the platform fails; a `POST` or `PATCH` without one only when the
   * request never reached the service. A service's own answer is never retried.
   *
   * @example
   * const { status, body } = await flow.services.call<Order>("orders", { path: "/orders/42" });
   * const { body: file } = await flow.services.call("reports", { path: "/export", responseType: "stream" });
   * @throws {FlowValidationError} for bad params or options, before any request.
   * @throws {FlowNotFoundError} when there is no such service; the message names the services there are.
   * @throws {FlowServerError} (502, code `service_unavailable`) naming the service when it is not running, refuses the connection or breaks off.
   */
  call(idOrName: string, params: ServicesCallParams & { responseType: "stream" }, options?: RequestOptions): Promise<ServiceResponse<Readable>>;
  /** Calls a route of a service through the platform; resolves to its answer with the body as a Buffer (see the first overload). */
  call(idOrName: string, params: ServicesCallParams & { responseType: "buffer" }, options?: RequestOptions): Promise<ServiceResponse<Buffer>>;
  /** Calls a route of a service through the platform; resolves to its answer with the body as text (see the first overload). */
  call(idOrName: string, params: ServicesCallParams & { responseType: "text" }, options?: RequestOptions): Promise<ServiceResponse<string>>;
  /**
   * Calls a route of a service through the platform and resolves to its answer `{ status, headers,
   * body }` whatever its status, the body JSON-parsed when it says JSON, else text (`null` when
   * empty); only the platform's own failures reject (see the first overload).
   * @example const { status, body } = await flow.services.call<Order>("orders", { path: "/orders/42" });
   */
  call<T = unknown>(idOrName: string, params: ServicesCallParams, options?: RequestOptions): Promise<ServiceResponse<T>>;
  async call(idOrName: string, params: ServicesCallParams, options?: RequestOptions): Promise<ServiceResponse<unknown>> {
    const input = validateInput(ServiceCallInput, { ...paramsObject(params, "services.call", ["idOrName"]), idOrName }, "services.call");
    const base = callConfig(options);
    const method = (input.method ?? "GET").toUpperCase();
    const path = `${this.client.path("services", input.idOrName)}/call${input.path}`;
    const { data, contentType } = requestBody(input.body);
    const headers: Record<string, string> = { ...input.headers, ...(base.headers as Record<string, string> | undefined) };
    if (contentType && !Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) headers["Content-Type"] = contentType;
    const responseType = input.responseType ?? "auto";
    const safe = IDEMPOTENT_METHODS.has(method) || options?.idempotencyKey !== undefined;
    const response: AxiosResponse<unknown> = await this.http.request({
      ...base,
      method,
      url: path,
      ...(input.query === undefined ? {} : { params: input.query }),
      data,
      headers,
      responseType: responseType === "stream" ? "stream" : responseType === "buffer" ? "arraybuffer" : "text",
      // Sent as made above (axios would quote a string sent with a JSON content type).
      transformRequest: (body: unknown) => body,
      transformResponse: (body: unknown) => body,
      maxContentLength: -1,
      maxBodyLength: -1,
      // The service's own answer, whatever its status, is the caller's to read: never retried or thrown.
      flowOwnAnswer: (answer) => answer.headers["x-flow-service"] !== undefined,
      ...(safe ? {} : { flowMayRetry: neverReachedService }),
    });
    // Only an answer the platform marks as the service's is one: anything else (a proxy, a route
    // of the platform itself) is never handed over as if the service had said it.
    if (response.headers["x-flow-service"] === undefined) {
      (response.data as { destroy?: () => void } | undefined)?.destroy?.();
      throw new FlowError(`services.call(${JSON.stringify(input.idOrName)}): ${method} ${input.path} answered HTTP ${response.status} without X-Flow-Service, so it is not the service's answer; check that PLATFORM_API_URL points at the Flow platform`);
    }
    const answerHeaders = plainHeaders(response.headers);
    const what = `services.call(${JSON.stringify(input.idOrName)}): ${method} ${input.path}`;
    return { status: response.status, headers: answerHeaders, body: this.#body(response, responseType, what, method, path, base.signal as AbortSignal | undefined) };
  }

  #body(response: AxiosResponse<unknown>, responseType: ServicesCallResponseType, what: string, method: string, path: string, signal: AbortSignal | undefined): unknown {
    const data = response.data;
    if (responseType === "stream") {
      let received = 0;
      return through(data as Readable, {
        chunk: (chunk) => {
          received += chunk.length;
        },
        error: (error) =>
          mapStreamError(
            error,
            { method, path, requestId: undefined, closed: this.lifecycle.closed, aborted: signal?.aborted === true, received: `after ${received} bytes`, retry: "call the service again" },
            this.redactor,
          ),
      });
    }
    if (responseType === "buffer") return Buffer.from(data as ArrayBuffer);
    const text = typeof data === "string" ? data : "";
    if (responseType === "text") return text;
    if (text === "") return null;
    if (!isJsonType(response.headers["content-type"])) return text;
    try {
      return JSON.parse(text);
    } catch {
      // A service's failure may say JSON and not be: its text is still its answer.
      if (response.status >= 300) return text;
      throw new FlowError(`${what} answered HTTP ${response.status} with a JSON content type but a body that is not JSON; ask for responseType "text" to read it`);
    }
  }
}

/** The wire body of a call and the content type it goes with unless the caller's headers say. */
function requestBody(body: unknown): { data: unknown; contentType: string | undefined } {
  if (body === undefined) return { data: undefined, contentType: undefined };
  if (typeof body === "string") return { data: body, contentType: "text/plain; charset=utf-8" };
  if (body instanceof Uint8Array) return { data: Buffer.from(body.buffer, body.byteOffset, body.byteLength), contentType: "application/octet-stream" };
  if (isReadableStream(body)) return { data: body, contentType: "application/octet-stream" };
  return { data: JSON.stringify(body), contentType: "application/json" };
}

/**
 * For a `POST` or `PATCH` without a key: retried only when the platform says the request never
 * reached the service (not running, or the connection refused), when it is rate-limited, or when
 * the platform itself could not be reached.
 */
function neverReachedService(error: AxiosError): boolean {
  const response = error.response;
  if (!response || response.status !== 502) return surelyNotDone(error);
  try {
    const data: unknown = typeof response.data === "string" ? JSON.parse(response.data) : response.data;
    const reason = (data as { error?: { details?: { reason?: unknown } } } | undefined)?.error?.details?.reason;
    return reason === "not_running" || reason === "connection_refused";
  } catch {
    return false;
  }
}

/** Response headers as a plain object of strings, names lower-cased. */
function plainHeaders(headers: unknown): Record<string, string> {
  const source = (headers as { toJSON?: () => Record<string, unknown> }).toJSON?.() ?? (headers as Record<string, unknown>);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(source ?? {})) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}
