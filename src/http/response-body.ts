import type { AxiosResponse, AxiosResponseHeaders, InternalAxiosRequestConfig, RawAxiosResponseHeaders } from "axios";
import { FlowError } from "../errors.js";

/** Most of an error body worth reading: enough for any error envelope. */
const MAX_ERROR_BODY = 64 * 1024;

/** True when a content type names JSON (`application/json`, `application/problem+json`, ...). */
export function isJsonType(contentType: unknown): boolean {
  return /[/+]json\b/i.test(String(contentType ?? ""));
}

/**
 * The SDK clients' response transform, in place of axios' own: JSON bodies (by content type) are
 * parsed, empty ones become `undefined`, others stay text; `text`, `stream` and `arraybuffer`
 * calls are left alone. A 2xx answer that says JSON and does not parse is a FlowError: it must
 * never pass as data. (axios' default would hand the unparsed text to the caller.)
 */
export function parseJsonBody(
  this: InternalAxiosRequestConfig,
  data: unknown,
  headers: AxiosResponseHeaders | RawAxiosResponseHeaders,
  status?: number,
): unknown {
  if ((this.responseType && this.responseType !== "json") || typeof data !== "string") return data;
  if (data === "") return undefined;
  if (!isJsonType(headers["content-type"])) return data;
  try {
    return JSON.parse(data);
  } catch {
    if (status !== undefined && status >= 300) return data; // an error body: map-error reads it as text
    throw new FlowError(`${(this.method ?? "get").toUpperCase()} ${(this.url ?? "").split("?")[0]} answered HTTP ${status ?? "2xx"} with a JSON content type but a body that is not JSON`);
  }
}

/**
 * Makes an error response's body text when it came as a stream or bytes (calls made with
 * `responseType` `stream` or `arraybuffer`), reading at most 64 KiB and destroying the stream, so
 * that map-error reads its envelope like any text body and its socket goes back to the pool.
 */
export async function readErrorBody(response: AxiosResponse | undefined): Promise<void> {
  if (!response) return;
  const data: unknown = response.data;
  if (Buffer.isBuffer(data) || data instanceof ArrayBuffer) {
    response.data = Buffer.from(data as ArrayBuffer).subarray(0, MAX_ERROR_BODY).toString("utf8");
    return;
  }
  if (!isNodeStream(data)) return;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of data) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      chunks.push(buffer);
      size += buffer.length;
      if (size >= MAX_ERROR_BODY) break;
    }
  } catch {
    // A body that broke off says nothing more; the status still maps.
  } finally {
    data.destroy();
  }
  response.data = Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY).toString("utf8");
}

/** True for a request body that can be sent only once (a stream): such a call is never retried. */
export function isOneShotBody(data: unknown): boolean {
  return isNodeStream(data) || (typeof data === "object" && data !== null && Symbol.asyncIterator in data && !Buffer.isBuffer(data));
}

/**
 * The body of a platform answer that must be a JSON object (an entry, an event, a page).
 *
 * @throws {FlowError} naming the call when it is not: the URL points at something else.
 */
export function objectBody<T extends object>(response: AxiosResponse): T {
  const data: unknown = response.data;
  if (typeof data === "object" && data !== null && !Array.isArray(data)) return data as T;
  const call = `${(response.config.method ?? "get").toUpperCase()} ${(response.config.url ?? "").split("?")[0]}`;
  throw new FlowError(`${call} answered HTTP ${response.status} without the JSON object the protocol promises; check that the base URL points at the Flow platform`);
}

function isNodeStream(value: unknown): value is NodeJS.ReadableStream & { destroy(): void } & AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { pipe?: unknown }).pipe === "function" && typeof (value as { destroy?: unknown }).destroy === "function";
}
