import { randomUUID } from "node:crypto";
import axios, { AxiosHeaders, isAxiosError, type AxiosError, type AxiosInstance, type InternalAxiosRequestConfig } from "axios";
import type { FlowConfig } from "../container/config.js";
import type { Lifecycle } from "../container/lifecycle.js";
import type { RequestContextStore } from "../context/request-context.js";
import type { FlowLogger } from "../logging/logger.js";
import type { Redactor } from "../logging/redactor.js";
import type { HttpAgents } from "./agents.js";
import { contextHeaders, newRequestId, USER_AGENT } from "./headers.js";
import { errorCode, mapError } from "./map-error.js";
import { isRetryable, isSafeToRepeat, retryAfterMs, retryDelayMs, sleep } from "./retry.js";
import type { TokenManager } from "./token-manager.js";

/** Per-call bookkeeping of the HTTP layer, carried on the axios config across retries. */
export interface FlowCallState {
  /** Retries done so far. */
  retries: number;
  /** True once this call was retried after a 401. */
  authRetried: boolean;
  /** The token the last attempt sent, to tell whether a 401 is already out of date. */
  token?: string;
}

declare module "axios" {
  interface AxiosRequestConfig {
    /** Bookkeeping of flow-sdk's HTTP layer; set by it, not by callers. */
    flow?: FlowCallState;
    /** Resolve a 404 whose error code is `not_found` (the resource, not the route) with `data: undefined`. */
    flowAllowNotFound?: boolean;
  }
}

/** Everything an SDK HTTP client is made of; all of it comes from the container. */
export interface HttpClientDeps {
  /** Base URL: the platform or gateway URL. */
  baseURL: string;
  /** The resolved configuration. */
  config: FlowConfig;
  /** Source of the bearer token. */
  tokens: TokenManager;
  /** Source of the bound request context. */
  context: RequestContextStore;
  /** Open/closed state. */
  lifecycle: Lifecycle;
  /** Redacting logger. */
  logger: FlowLogger;
  /** Strips credentials from error text. */
  redactor: Redactor;
  /** This instance's socket pools. */
  agents: HttpAgents;
}

const BODY_METHODS = new Set(["POST", "PATCH"]);

/**
 * Builds an axios instance whose interceptors do, for every request: the closed check, the auth
 * header, the context headers, a request id and idempotency key per logical call; and for every
 * failure: one token refresh and retry on 401, backoff retries of transient failures, and the
 * conversion to a typed FlowError. Platform and gateway clients are both built here.
 */
export function createHttpClient(deps: HttpClientDeps): AxiosInstance {
  const { config, tokens, context, lifecycle, logger, redactor } = deps;
  const instance = axios.create({
    baseURL: deps.baseURL,
    timeout: config.timeoutMs,
    httpAgent: deps.agents.http,
    httpsAgent: deps.agents.https,
    headers: { "User-Agent": USER_AGENT, Accept: "application/json" },
    transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: true },
    maxRedirects: 0, // a redirect would carry the bearer token to wherever it points
  });

  instance.interceptors.request.use(async (request: InternalAxiosRequestConfig) => {
    lifecycle.assertOpen();
    const state = (request.flow ??= { retries: 0, authRetried: false });
    const headers = AxiosHeaders.from(request.headers);
    // Caller headers win over ours; on a retry our own from the first attempt are kept as they were.
    for (const [name, value] of Object.entries(contextHeaders(config, context.current()))) {
      if (!headers.has(name)) headers.set(name, value);
    }
    if (!headers.has("X-Request-Id")) headers.set("X-Request-Id", newRequestId());
    if (BODY_METHODS.has((request.method ?? "get").toUpperCase()) && !headers.has("Idempotency-Key")) {
      headers.set("Idempotency-Key", randomUUID());
    }
    state.token = await tokens.get();
    headers.set("Authorization", `Bearer ${state.token}`);
    request.headers = headers;
    logger.debug("request", { method: request.method, url: request.url, requestId: headers.get("X-Request-Id"), retry: state.retries });
    return request;
  });

  instance.interceptors.response.use(undefined, async (error: unknown) => {
    const request = isAxiosError(error) ? error.config : undefined;
    if (!request || !isAxiosError(error)) throw failure(error, request);
    const state = (request.flow ??= { retries: 0, authRetried: false });
    if (lifecycle.closed || request.signal?.aborted) throw failure(error, request);
    if (request.flowAllowNotFound && error.response?.status === 404 && errorCode(error.response.data) === "not_found") {
      return { ...error.response, data: undefined };
    }

    if (error.response?.status === 401 && !state.authRetried && state.token !== undefined) {
      state.authRetried = true;
      if (await refreshed(state.token)) return instance.request(request);
      throw failure(error, request, "the token was rejected and no fresher one is available: set AUTH_TOKEN_FILE or tokenProvider so the SDK can refresh it, or call refreshAuthToken()");
    }

    if (state.retries < config.maxRetries && isRetryable(error) && isSafeToRepeat(request.method, headerOf(request, "Idempotency-Key") !== undefined)) {
      const delay = retryDelayMs(state.retries + 1, retryAfterMs(error.response?.headers?.["retry-after"]));
      if (delay !== undefined) {
        state.retries += 1;
        logger.warn("retrying request", { method: request.method, url: request.url, status: error.response?.status, code: error.code, retry: state.retries, delayMs: Math.round(delay) });
        try {
          await sleep(delay, request.signal as AbortSignal | undefined);
        } catch {
          throw failure(error, request); // aborted while waiting
        }
        return instance.request(request);
      }
    }
    throw failure(error, request, state.authRetried && error.response?.status === 401 ? "the token was refreshed once and is still rejected" : undefined);
  });

  async function refreshed(rejected: string): Promise<boolean> {
    try {
      return await tokens.refreshAfterRejection(rejected);
    } catch (error) {
      logger.warn("token refresh after a 401 failed", { error: error instanceof Error ? error.message : String(error) });
      return false;
    }
  }

  function failure(error: unknown, request: InternalAxiosRequestConfig | undefined, hint?: string) {
    const mapped = mapError(
      request?.signal?.aborted && isAxiosError(error) ? Object.assign(error as AxiosError, { code: "ERR_CANCELED" }) : error,
      {
        method: (request?.method ?? "get").toUpperCase(),
        path: (request?.url ?? "").split("?")[0] ?? "",
        requestId: request ? headerOf(request, "X-Request-Id") : undefined,
        closed: lifecycle.closed,
      },
      redactor,
    );
    if (hint) mapped.message = `${mapped.message}; ${hint}`;
    logger.debug("request failed", { error: mapped.name, message: mapped.message });
    return mapped;
  }

  return instance;
}

function headerOf(request: InternalAxiosRequestConfig, name: string): string | undefined {
  const value = AxiosHeaders.from(request.headers).get(name);
  return typeof value === "string" && value ? value : undefined;
}
