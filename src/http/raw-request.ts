import type { AxiosInstance } from "axios";
import { RawRequestInput } from "../dto/raw-request.js";
import { MAX_CALLER_HEADERS } from "../dto/request-options.js";
import { invalidInput, validateInput } from "../dto/validate.js";
import { FlowError } from "../errors.js";
import { callConfig } from "./call-options.js";
import type { RequestOptions } from "./request-options.js";
import { isJsonType } from "./response-body.js";

/** The HTTP methods of a raw request. */
type RawMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";

/** An HTTP method a raw request may use, in upper or lower case. */
export type RawRequestMethod = RawMethod | Lowercase<RawMethod>;

/** A request to any route of a Flow base URL. */
export interface RawRequestParams {
  /**
   * HTTP method.
   * @default "GET"
   */
  method?: RawRequestMethod | undefined;
  /** Path on the base URL, starting with a single `/`, e.g. `/v1/models`; no backslash, control characters or lone surrogates. */
  path: string;
  /**
   * JSON body: a JSON value (no cycles, bigints, functions or class instances); or bytes (a Buffer
   * or Uint8Array) or a readable stream, sent as they are (a stream once: it is never retried).
   */
  body?: unknown;
  /** Query parameters: strings, finite numbers or booleans; `undefined` leaves one out. */
  query?: Record<string, string | number | boolean | undefined> | undefined;
  /** Extra headers for this request, by the rule of `RequestOptions.headers`. */
  headers?: Record<string, string> | undefined;
}

/**
 * Sends `params` through `http` (so with its auth, context headers, retries and error mapping) and
 * resolves to the parsed JSON body, the text when the answer is not JSON, or `undefined` when it
 * is empty. For `gateway.request` and any namespace that exposes raw routes.
 *
 * @throws {FlowValidationError} for bad params (see {@link RawRequestParams}) or options, before any request; `path` must be a path,
 * as absolute URLs are refused so that the token never leaves for another host.
 * @throws {FlowError} when the answer says it is JSON and is not.
 */
export async function rawRequest<T>(http: AxiosInstance, params: RawRequestParams, options: RequestOptions | undefined, what: string): Promise<T> {
  const input = validateInput(RawRequestInput, params, what);
  const { path } = input;
  const base = callConfig(options);
  const method = input.method ?? "GET";
  // Each set is capped on its own (callConfig checked options); together they are capped too.
  const count = Object.keys({ ...input.headers, ...options?.headers }).length;
  if (count > MAX_CALLER_HEADERS) {
    throw invalidInput(what, [{ path: "headers", message: `params.headers and options.headers together must hold at most ${MAX_CALLER_HEADERS} headers (got ${count})` }]);
  }
  const headers = { ...input.headers, ...(base.headers as Record<string, string> | undefined) };
  const response = await http.request<string>({
    ...base,
    method,
    url: path,
    params: input.query,
    data: input.body,
    headers,
    responseType: "text",
    transformResponse: (data: unknown) => data,
  });
  const text = response.data;
  if (typeof text !== "string" || text === "") return undefined as T;
  if (!isJsonType(response.headers["content-type"])) return text as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new FlowError(`${what}: ${method.toUpperCase()} ${path} answered HTTP ${response.status} with a JSON content type but a body that is not JSON`);
  }
}
