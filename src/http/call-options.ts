import type { AxiosRequestConfig } from "axios";
import type { RequestOptions } from "./request-options.js";

/** Extra switches a namespace may set on a call. */
export interface CallSwitches {
  /** Resolve a 404 `not_found` (not a wrong route) with `data: undefined`, so `get` can answer `undefined` for a missing key. */
  allowNotFound?: boolean;
}

/** Turns the caller's {@link RequestOptions} into axios request config; the only place that does. */
export function callConfig(options: RequestOptions | undefined, switches: CallSwitches = {}): AxiosRequestConfig {
  const config: AxiosRequestConfig = {};
  if (options?.signal) config.signal = options.signal;
  if (options?.timeoutMs !== undefined) config.timeout = options.timeoutMs;
  const headers: Record<string, string> = { ...options?.headers };
  if (options?.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
  config.headers = headers;
  if (switches.allowNotFound) config.flowAllowNotFound = true;
  return config;
}
