import type { AxiosResponse } from "axios";
import { isAxiosError } from "./axios.js";
import {
  FlowAbortError,
  FlowAPIError,
  FlowClosedError,
  FlowConnectionError,
  FlowError,
  FlowTimeoutError,
  FlowValidationError,
  type FlowValidationIssue,
} from "../errors.js";
import type { Redactor } from "../logging/redactor.js";
import { retryAfterMs } from "./retry.js";

/** What the HTTP layer knows about the failed call, for the message. */
export interface FailedCall {
  /** HTTP method, when the failure came after the request was made. */
  method: string | undefined;
  /** Path without the base URL or query string. */
  path: string | undefined;
  /** The `X-Request-Id` sent. */
  requestId: string | undefined;
  /** The `Idempotency-Key` sent, if any. */
  idempotencyKey?: string | undefined;
  /** True when an earlier attempt of the call may have reached the platform (it was sent, or answered). */
  earlierAttemptSent?: boolean | undefined;
  /** True once the instance was closed. */
  closed: boolean;
  /** True when the caller's signal aborted the call (also while it waited to retry). */
  aborted: boolean;
  /** What to do about it, appended to the message. */
  hint?: string | undefined;
}

interface Envelope {
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

/**
 * The one place where a transport failure becomes a typed FlowError. The axios error itself is
 * never kept (its config holds the Authorization header); the cause is a plain, redacted Error.
 */
export function mapError(error: unknown, call: FailedCall, redactor: Redactor): FlowError {
  const where = call.method && call.path !== undefined ? `${call.method} ${call.path}` : "the request";
  // A call made after close() says so; closing and aborting win over whatever error they caused.
  if (error instanceof FlowClosedError) return error;
  if (call.closed) return new FlowClosedError(`${where} was cut off because this FlowSDK instance was closed`);
  if (call.aborted) return new FlowAbortError(`${where} was aborted by its signal`);
  if (FlowError.isFlowError(error)) return error;
  if (!isAxiosError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return new FlowError(redactor.text(`${where} failed before an answer came: ${message}`), { cause: plainCause(error, redactor) });
  }
  const cause = plainCause(error, redactor);
  if (error.code === "ERR_CANCELED") return new FlowAbortError(`${where} was aborted by its signal`, { cause });
  const response = error.response;
  const ids = { requestId: call.requestId, idempotencyKey: call.idempotencyKey };
  if (!response) {
    const code = error.code ?? (error.cause as NodeJS.ErrnoException | undefined)?.code ?? "unknown error";
    if (REFUSED_CODES.has(code)) {
      const hint = MANAGED_HEADER.test(error.message) ? "; the HTTP client sets Connection, Keep-Alive, Transfer-Encoding, Upgrade and Expect itself" : "";
      return new FlowError(redactor.text(`${where} was refused before it was sent (${error.message}): nothing was sent${hint}`), { cause });
    }
    const mayBeDone = call.earlierAttemptSent === true || !surelyNotSent(error);
    if (code === NOT_SENT_CODE && !mayBeDone) {
      return new FlowConnectionError(redactor.text(`${where} failed before it was sent (${error.message}): nothing was sent`), { cause, outcome: "not_sent", ...ids });
    }
    if (error.code === "ETIMEDOUT" || error.code === "ECONNABORTED") {
      const outcome = mayBeDone ? `; if it reached the platform, its outcome is unknown${repeatHint(call)}` : "";
      return new FlowTimeoutError(redactor.text(`${where} timed out (${error.message}); raise timeoutMs if the call is expected to take longer${outcome}`), { cause, ...ids });
    }
    if (!mayBeDone) {
      return new FlowConnectionError(
        redactor.text(`${where} could not reach the platform (${code}): nothing was sent; check PLATFORM_API_URL / GATEWAY_URL and that the platform is running`),
        { cause, outcome: "not_sent", ...ids },
      );
    }
    const what = surelyNotSent(error)
      ? `could not reach the platform (${code}) on its last attempt, but an earlier attempt reached it`
      : `lost its connection after the request was sent (${code})`;
    return new FlowConnectionError(redactor.text(`${where} ${what}: the outcome is unknown (it may have been done)${repeatHint(call)}`), { cause, outcome: "unknown", ...ids });
  }

  const body = parseIfJson(response.data);
  const envelope = typeof body === "object" && body !== null ? body.error : undefined;
  const code = typeof envelope?.code === "string" ? envelope.code : `http_${response.status}`;
  const serverMessage =
    typeof envelope?.message === "string" ? envelope.message : typeof body === "string" && body ? body.slice(0, 200) : response.statusText || "no message";
  const requestId = header(response.headers, "x-request-id") ?? call.requestId;
  const retryAfterSeconds = retryAfterMs(header(response.headers, "retry-after"));
  const hint = call.hint ? `; ${call.hint}` : "";
  const message = redactor.text(`${serverMessage} (HTTP ${response.status} ${code} on ${where}${requestId ? `, request ${requestId}` : ""})${hint}`);
  // Input only the platform can check (rows against a dataset's schema, a vector's dimension) is
  // still bad input: the same class as a check made before the request, with the same issues.
  if (response.status === 400 && code === "validation_error") return new FlowValidationError(message, validationIssues(redactor.value(envelope?.details)), { cause, requestId });
  return FlowAPIError.from(
    message,
    {
      status: response.status,
      code,
      requestId,
      idempotencyKey: call.idempotencyKey,
      details: redactor.value(envelope?.details),
      retryAfter: retryAfterSeconds === undefined ? undefined : retryAfterSeconds / 1000,
    },
    { cause },
  );
}

/**
 * undici's refusals of a request before it writes anything: a header it manages itself, or one
 * it does not support (`Expect`). Bad input, never a connection failure.
 */
const REFUSED_CODES = new Set(["UND_ERR_INVALID_ARG", "UND_ERR_NOT_SUPPORTED"]);

/** undici's refusal of a header it manages itself (the same code also says a value has a CRLF, say). */
const MANAGED_HEADER = /\b(invalid (connection|keep-alive|transfer-encoding|upgrade) header|expect header not supported)\b/i;

/**
 * The code of a failure before the request was handed to the HTTP client (the dispatcher could
 * not be made or is not one): nothing was sent.
 */
export const NOT_SENT_CODE = "ERR_FLOW_NOT_SENT";

/**
 * Failures where surely nothing reached the platform: no connection was made (refused, no such
 * host, no route), or the request was refused before it was written. A reset, a broken pipe or a
 * hang-up may come after the request was written.
 */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_FAIL", "ENETUNREACH", "EHOSTUNREACH", "ENETDOWN", "EHOSTDOWN", "EADDRNOTAVAIL",
  NOT_SENT_CODE,
  ...REFUSED_CODES,
]);

/** True when the failed attempt surely sent nothing: no connection was made. */
export function surelyNotSent(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  const causeCode = ((error as { cause?: unknown } | undefined)?.cause as { code?: unknown } | undefined)?.code;
  return (typeof code === "string" && NOT_SENT_CODES.has(code)) || (typeof causeCode === "string" && NOT_SENT_CODES.has(causeCode));
}

/** How to repeat a call whose outcome is unknown: with its Idempotency-Key, or (a read) just again. */
function repeatHint(call: FailedCall): string {
  if (call.idempotencyKey) {
    return `; to repeat it safely, call again with options.idempotencyKey = ${JSON.stringify(call.idempotencyKey)} (error.idempotencyKey): the platform does it at most once per key${call.requestId ? ` (request ${call.requestId})` : ""}`;
  }
  return call.method === undefined || ["GET", "HEAD", "OPTIONS"].includes(call.method) ? "; a read changes nothing: ask again" : "";
}

/**
 * The FlowError a response body fails with when it breaks off after the answer started (a
 * download, a stream of events): closing and aborting win, then an idle timeout, else a broken
 * connection. `received` says how far it got, e.g. `after 512 of 1024 bytes`; `retry` what to do.
 */
export function mapStreamError(error: unknown, call: FailedCall & { received: string; retry: string }, redactor: Redactor): FlowError {
  const where = `${call.method ?? "GET"} ${call.path ?? ""} (${call.received})`;
  if (call.closed) return new FlowClosedError(`${where} was cut off because this FlowSDK instance was closed`);
  if (call.aborted) return new FlowAbortError(`${where} was aborted by its signal`);
  if (FlowError.isFlowError(error)) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const cause = plainCause(error, redactor);
  const ids = { requestId: call.requestId, idempotencyKey: call.idempotencyKey };
  if (code === "ETIMEDOUT" || code === "ECONNABORTED") {
    return new FlowTimeoutError(`${where} timed out: the connection was idle for timeoutMs (a stream left unread counts); raise timeoutMs or read it steadily`, { cause, ...ids });
  }
  return new FlowConnectionError(`${where} broke off (${typeof code === "string" ? code : "connection lost"}); ${call.retry}`, { cause, outcome: "unknown", ...ids });
}

function validationIssues(details: unknown): FlowValidationIssue[] {
  const issues = (details as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(issues)) return [];
  return issues.filter((i): i is FlowValidationIssue => typeof i?.path === "string" && typeof i?.message === "string").map(({ path, message }) => ({ path, message }));
}

function header(headers: unknown, name: string): string | undefined {
  const value = (headers as { get?: (n: string) => unknown } | undefined)?.get?.(name) ?? (headers as Record<string, unknown> | undefined)?.[name];
  return typeof value === "string" ? value : undefined;
}

function plainCause(error: unknown, redactor: Redactor): Error | undefined {
  if (!(error instanceof Error)) return undefined;
  const cause = new Error(redactor.text(error.message));
  cause.name = error.name;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") (cause as NodeJS.ErrnoException).code = code;
  return cause;
}

// Calls made with responseType "text" (gateway.request) hand over the envelope unparsed.
function parseIfJson(data: unknown): Envelope | string | undefined {
  if (typeof data !== "string") return data as Envelope | undefined;
  if (!data.trimStart().startsWith("{")) return data;
  try {
    return JSON.parse(data) as Envelope;
  } catch {
    return data;
  }
}

/** The `error.code` of an error envelope, or undefined when the body is not one. */
export function errorCode(data: unknown): string | undefined {
  const body = parseIfJson(data);
  const code = typeof body === "object" && body !== null ? body.error?.code : undefined;
  return typeof code === "string" ? code : undefined;
}

/**
 * A success status whose body is not JSON where JSON was expected: the URL points at something
 * that is not the platform (a web page, a proxy). Never treated as data, so a wrong URL cannot
 * look like an empty store.
 */
export function notJsonError(response: AxiosResponse, call: FailedCall, setting: string, redactor: Redactor): FlowError {
  const type = String(response.headers["content-type"] ?? "no content type");
  return new FlowError(
    redactor.text(`${call.method} ${call.path} answered HTTP ${response.status} with ${type} instead of JSON; check that ${setting} points at the Flow platform`),
  );
}

/**
 * The FlowError of an `error` event that ends a stream of server-sent events (docs/protocol.md,
 * "Gateway"): `{ error: { code, message, status? } }`, mapped by its status like an error answer
 * (a 5xx by default: the server failed after it had started answering).
 */
export function mapEventError(data: string, call: { method: string; path: string; requestId: string | undefined }, redactor: Redactor): FlowError {
  const body = parseIfJson(data);
  const envelope = typeof body === "object" && body !== null ? (body.error as { code?: unknown; message?: unknown; status?: unknown; details?: unknown } | undefined) : undefined;
  const status = typeof envelope?.status === "number" && Number.isInteger(envelope.status) && envelope.status >= 400 && envelope.status <= 599 ? envelope.status : 502;
  const code = typeof envelope?.code === "string" ? envelope.code : "stream_error";
  const serverMessage = typeof envelope?.message === "string" ? envelope.message : typeof body === "string" && body ? body.slice(0, 200) : "the stream failed";
  const where = `${call.method} ${call.path}`;
  const message = redactor.text(`${serverMessage} (stream ended with ${code} on ${where}${call.requestId ? `, request ${call.requestId}` : ""}; nothing was retried)`);
  return FlowAPIError.from(message, { status, code, requestId: call.requestId, details: redactor.value(envelope?.details) });
}
