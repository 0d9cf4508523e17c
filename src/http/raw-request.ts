import type { AxiosInstance, Method } from "axios";
import { FlowError, FlowValidationError } from "../errors.js";
import { callConfig } from "./call-options.js";
import type { RequestOptions } from "./request-options.js";
import { isJsonType } from "./response-body.js";

/** A request to any route of a Flow base URL. */
export interface RawRequestParams {
  /**
   * HTTP method.
   * @default "GET"
   */
  method?: Method | undefined;
  /** Path on the base URL, starting with `/`, e.g. `/v1/models`. */
  path: string;
  /** JSON body. */
  body?: unknown;
  /** Query parameters. */
  query?: Record<string, string | number | boolean | undefined> | undefined;
  /** Extra headers for this request. */
  headers?: Record<string, string> | undefined;
}

/**
 * Sends `params` through `http` (so with its auth, context headers, retries and error mapping) and
 * resolves to the parsed JSON body, the text when the answer is not JSON, or `undefined` when it
 * is empty. For `gateway.request` and any namespace that exposes raw routes.
 *
 * @throws {FlowValidationError} when `path` is not a path (absolute URLs are refused, so the token never leaves for another host).
 * @throws {FlowError} when the answer says it is JSON and is not.
 */
export async function rawRequest<T>(http: AxiosInstance, params: RawRequestParams, options: RequestOptions | undefined, what: string): Promise<T> {
  const path = params?.path;
  if (typeof path !== "string" || !path.startsWith("/") || path.startsWith("//")) {
    throw new FlowValidationError(`${what}: path must start with "/" (a path on the base URL), got ${JSON.stringify(path)}`, [
      { path: "path", message: "must be a path starting with /" },
    ]);
  }
  const base = callConfig(options);
  const method = params.method ?? "GET";
  const response = await http.request<string>({
    ...base,
    method,
    url: path,
    params: params.query,
    data: params.body,
    headers: { ...params.headers, ...(base.headers as Record<string, string> | undefined) },
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
