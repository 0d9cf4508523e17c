import type { AxiosError } from "axios";
import { errorCode } from "./map-error.js";

/** Statuses worth another attempt. */
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 8_000;
/** Longest `Retry-After` honoured; a longer one is surfaced as the error instead. */
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Failures without an answer that are worth another attempt: the platform was unreachable for a
 * moment, the connection broke, or the attempt timed out. Not a bad URL, a body that failed to
 * stream, or a content-length overflow: those fail the same way every time.
 */
const TRANSIENT_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "ERR_NETWORK"]);

/**
 * 502s that are answers, not outages: something behind the platform (a connector's API, the
 * gateway's upstream) answered, and asking again would only repeat the call, and its side
 * effects, for the same answer. A refused credential does not heal by itself either.
 */
const FINAL_502_CODES = new Set(["connector_upstream_error", "connector_auth_failed", "upstream_auth_failed"]);

/** True when the failure is transient: a known connection failure, a timeout, or a retryable status. */
export function isRetryable(error: AxiosError): boolean {
  const status = error.response?.status;
  if (status === undefined) return TRANSIENT_CODES.has(error.code ?? "") || TRANSIENT_CODES.has((error.cause as NodeJS.ErrnoException | undefined)?.code ?? "");
  if (status === 502 && FINAL_502_CODES.has(errorCode(error.response?.data) ?? "")) return false;
  return RETRYABLE_STATUS.has(status);
}

/**
 * For a call whose repeat would do its work twice (it starts something and cannot be replayed):
 * true only when the failed attempt surely did nothing, because no connection was made, or the
 * platform refused it before any work (429, 503). Given as `flowMayRetry`.
 */
export function surelyNotDone(error: AxiosError): boolean {
  const status = error.response?.status;
  if (status !== undefined) return status === 429 || status === 503;
  return error.code === "ECONNREFUSED" || (error.cause as NodeJS.ErrnoException | undefined)?.code === "ECONNREFUSED";
}

/** `Retry-After` in milliseconds (seconds or an HTTP date), or undefined. */
export function retryAfterMs(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== "string" || !value.trim()) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Delay before retry number `attempt` (1-based): exponential backoff with full jitter, but never
 * less than what `Retry-After` asked for. Undefined when `Retry-After` asks for too long a wait.
 */
export function retryDelayMs(attempt: number, retryAfter: number | undefined, random = Math.random): number | undefined {
  if (retryAfter !== undefined && retryAfter > MAX_RETRY_AFTER_MS) return undefined;
  const backoff = random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1));
  return Math.max(backoff, retryAfter ?? 0);
}
