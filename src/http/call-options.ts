import type { AxiosRequestConfig } from "axios";
import { RequestOptionsInput } from "../dto/request-options.js";
import { validateInput } from "../dto/validate.js";
import type {} from "./axios-config.js";
import type { RequestOptions } from "./request-options.js";

/** Extra switches a namespace may set on a call. */
export interface CallSwitches {
  /** Resolve a 404 `not_found` (not a wrong route) with `data: undefined`, so `get` can answer `undefined` for a missing key. */
  allowNotFound?: boolean;
}

/**
 * Turns the caller's {@link RequestOptions} into axios request config, checking them first; the
 * only place that does.
 *
 * @throws {FlowValidationError} for an invalid option (say `timeoutMs: 0`), before any request.
 */
export function callConfig(options: RequestOptions | undefined, switches: CallSwitches = {}): AxiosRequestConfig {
  const config: AxiosRequestConfig = {};
  if (options !== undefined) {
    validateInput(RequestOptionsInput, options, "request options");
    if (options.signal) config.signal = options.signal;
    if (options.timeoutMs !== undefined) config.timeout = options.timeoutMs;
    const headers: Record<string, string> = { ...options.headers };
    if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
    config.headers = headers;
  }
  if (switches.allowNotFound) config.flowAllowNotFound = true;
  return config;
}
