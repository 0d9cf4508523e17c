import type { AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from "axios";
import type { FlowConfig } from "../container/config.js";
import { FlowError, FlowTimeoutError } from "../errors.js";
import type { Lifecycle } from "../container/lifecycle.js";
import type { RequestContext, RequestContextStore } from "../context/request-context.js";
import { silentLogger, type FlowLogger } from "../logging/logger.js";
import type { Redactor } from "../logging/redactor.js";
import { sleep, untilAborted } from "./abort.js";
import type { FlowCallState } from "./axios-config.js";
import type { HttpAgents } from "./agents.js";
import { isAxiosError, loadAxios } from "./axios.js";
import { contextHeaders, newRequestId, randomUUID, USER_AGENT } from "./headers.js";
import { errorCode, mapError, notJsonError, surelyNotSent, type FailedCall } from "./map-error.js";
import { isOneShotBody, isJsonType, parseJsonBody, readErrorBody } from "./response-body.js";
import { isRetryable, retryAfterMs, retryDelayMs } from "./retry.js";
import type { TokenManager } from "./token-manager.js";
import { undiciAdapter } from "./undici-adapter.js";

/** Everything an SDK HTTP client is made of; all of it comes from the container. */
export interface HttpClientDeps {
  /** Base URL: the platform or gateway URL. */
  baseURL: string;
  /** The setting that holds `baseURL`, named in errors about it. */
  baseURLSetting: string;
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
  /** This instance's connection pools (its undici dispatcher). */
  agents: HttpAgents;
}

/** Methods that change something: each carries an Idempotency-Key, so that each may be retried. */
const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Builds an axios instance whose interceptors do, for every request: the closed check, the auth
 * header, the context headers, a request id and idempotency key per logical call; for every
 * answer: the check that a JSON call got JSON; and for every failure: one token refresh and retry
 * on 401, backoff retries of transient failures, and the conversion to a typed FlowError.
 * Platform and gateway clients are both built here.
 */
export function createHttpClient(deps: HttpClientDeps): AxiosInstance {
  const { config, tokens, context, lifecycle, logger, redactor } = deps;
  const instance = loadAxios().create({
    baseURL: deps.baseURL,
    timeout: config.timeoutMs,
    adapter: undiciAdapter(deps.agents),
    headers: { "User-Agent": USER_AGENT, Accept: "application/json" },
    transitional: { clarifyTimeoutError: true },
    transformResponse: [parseJsonBody],
    maxRedirects: 0, // a redirect would carry the bearer token to wherever it points
  });

  // Per call, nothing is built that is not sent: the context headers are worked out once per
  // bound context (contexts are frozen, the configuration fixed), and a silent logger is not
  // handed a fresh object per request.
  const logging = logger !== silentLogger;
  let lastContext: RequestContext | undefined;
  let lastHeaders: Array<[string, string]> = [];
  const boundHeaders = (current: RequestContext): Array<[string, string]> => {
    if (current !== lastContext) {
      lastHeaders = Object.entries(contextHeaders(config, current));
      lastContext = current;
    }
    return lastHeaders;
  };

  instance.interceptors.request.use(async (request: InternalAxiosRequestConfig) => {
    try {
      lifecycle.assertOpen();
      const state = callState(request);
      const headers = request.headers;
      // Caller headers win over ours; on a retry our own from the first attempt are kept as they were.
      for (const [name, value] of boundHeaders(context.current())) {
        if (!headers.has(name)) headers.set(name, value);
      }
      if (!headers.has("X-Request-Id")) headers.set("X-Request-Id", newRequestId());
      if (MUTATING.has(methodOf(request)) && !headers.has("Idempotency-Key")) headers.set("Idempotency-Key", randomUUID());
      const current = tokens.fresh() ?? (await withinCallLimits(tokens.get(), request));
      state.generation = current.generation;
      headers.set("Authorization", `Bearer ${current.token}`);
      // Last, so a body made for this attempt (an open file, say) is not left unread by a failure above.
      if (request.flowBody) request.data = request.flowBody();
      if (logging) logger.debug("request", { method: request.method, url: request.url, requestId: headers.get("X-Request-Id"), retry: state.retries });
      return request;
    } catch (error) {
      throw mapError(error, describe(request), redactor);
    }
  });

  instance.interceptors.response.use(
    (response: AxiosResponse) => {
      if (expectsJson(response) && !isJsonType(response.headers["content-type"])) {
        throw notJsonError(response, describe(response.config), deps.baseURLSetting, redactor);
      }
      return response;
    },
    async (error: unknown) => {
      const request = isAxiosError(error) ? error.config : undefined;
      if (!request || !isAxiosError(error)) throw mapError(error, describe(request), redactor);
      if (error.response && request.flowOwnAnswer?.(error.response)) return error.response;
      await readErrorBody(error.response); // streamed or binary error bodies: read the envelope, free the socket
      if (request.flowBody) destroyBody(request.data); // this attempt's own body: a retry makes a new one
      const state = callState(request);
      const status = error.response?.status;
      if (!surelyNotSent(error)) state.maybeSent = true; // an answer, a reset, a timeout: the platform may have it
      if (lifecycle.closed || request.signal?.aborted) throw mapError(error, describe(request), redactor);
      if (request.flowAllowNotFound && status === 404 && errorCode(error.response?.data) === "not_found") {
        return { ...error.response, data: undefined };
      }

      // A streamed body was consumed by the first attempt: sending it again would send nothing.
      // A body factory makes a fresh one for each attempt.
      const repeatable = request.flowBody !== undefined || !isOneShotBody(request.data);
      if (status === 401 && !state.authRetried && state.generation !== undefined && repeatable) {
        state.authRetried = true;
        const outcome = await refreshAfter401(state.generation, request);
        if (outcome === "refreshed") return instance.request(request);
        throw mapError(error, describe(request, outcome), redactor);
      }

      if (state.retries < config.maxRetries && repeatable && isRetryable(error) && (request.flowMayRetry?.(error) ?? true)) {
        const delay = retryDelayMs(state.retries + 1, retryAfterMs(error.response?.headers?.["retry-after"]));
        if (delay !== undefined) {
          state.retries += 1;
          logger.warn("retrying request", { method: request.method, url: request.url, status, code: error.code, retry: state.retries, delayMs: Math.round(delay) });
          try {
            await sleep(delay, [request.signal as AbortSignal | undefined, lifecycle.signal]);
          } catch {
            throw mapError(error, describe(request), redactor); // aborted or closed while waiting
          }
          return instance.request(request);
        }
      }
      throw mapError(error, describe(request, state.authRetried && status === 401 ? "the token was refreshed once and is still rejected" : undefined), redactor);
    },
  );

  /**
   * Refreshes after a 401 (a token set by refreshAuthToken meanwhile counts); resolves to
   * "refreshed", or to the hint that says why not. Bounded like the call itself.
   */
  async function refreshAfter401(generation: number, request: InternalAxiosRequestConfig): Promise<"refreshed" | string> {
    try {
      if (await withinCallLimits(tokens.refreshAfterRejection(generation), request)) return "refreshed";
    } catch (refreshError) {
      if (FlowError.isFlowError(refreshError) && (refreshError.name === "FlowTimeoutError" || refreshError.name === "FlowAbortError" || refreshError.name === "FlowClosedError")) {
        throw refreshError;
      }
      const reason = refreshError instanceof Error ? refreshError.message : String(refreshError);
      logger.warn("token refresh after a 401 failed", { error: reason });
      return `the token was rejected and refreshing it failed: ${reason}`;
    }
    return tokens.canRefresh
      ? "the token was rejected and the token source (tokenProvider or AUTH_TOKEN_FILE) gave the same token again"
      : "the token was rejected and there is no way to refresh it: set AUTH_TOKEN_FILE or tokenProvider, or call refreshAuthToken()";
  }

  /** Waits for a token without outlasting the call: its signal, its timeout, or close() end the wait. */
  async function withinCallLimits<T>(pending: Promise<T>, request: InternalAxiosRequestConfig): Promise<T> {
    const deadline = AbortSignal.timeout(request.flowAttemptTimeoutMs ?? (request.timeout || config.timeoutMs));
    try {
      return await untilAborted(pending, [request.signal as AbortSignal | undefined, lifecycle.signal, deadline]);
    } catch (error) {
      if (deadline.aborted && !lifecycle.closed && !request.signal?.aborted) {
        const { method, path } = describe(request);
        throw new FlowTimeoutError(`${method} ${path}: getting an auth token (tokenProvider or AUTH_TOKEN_FILE) took longer than timeoutMs`);
      }
      if (lifecycle.closed || request.signal?.aborted) throw mapError(error, describe(request), redactor);
      throw error; // the token source's own failure, for the caller to word
    }
  }

  function describe(request: InternalAxiosRequestConfig | undefined, hint?: string): FailedCall {
    return {
      method: request ? methodOf(request) : undefined,
      path: request?.url?.split("?")[0],
      requestId: headerOf(request, "X-Request-Id"),
      idempotencyKey: headerOf(request, "Idempotency-Key"),
      earlierAttemptSent: request?.flow !== undefined && (request.flow as CallState).maybeSent === true,
      closed: lifecycle.closed,
      aborted: request?.signal?.aborted === true,
      hint,
    };
  }

  return instance;
}

function destroyBody(data: unknown): void {
  if (isOneShotBody(data)) (data as { destroy?: () => void }).destroy?.();
}

/**
 * The call's state, and whether an attempt of it may have reached the platform: a later "could not
 * reach" then does not mean nothing was done. A plain field: axios copies the state into the config
 * of each retry, so it cannot be keyed by identity.
 */
type CallState = FlowCallState & { maybeSent?: boolean };

function callState(request: InternalAxiosRequestConfig): CallState {
  return (request.flow ??= { retries: 0, authRetried: false });
}

function methodOf(request: InternalAxiosRequestConfig): string {
  return (request.method ?? "get").toUpperCase();
}

function headerOf(request: InternalAxiosRequestConfig | undefined, name: string): string | undefined {
  const value = request?.headers?.get(name);
  return typeof value === "string" && value ? value : undefined;
}

/** A 2xx answer with a body to a call made for JSON (axios' default). */
function expectsJson(response: AxiosResponse): boolean {
  const type = response.config.responseType;
  return (type === undefined || type === "json") && response.status >= 200 && response.status < 300 && response.data !== undefined;
}
