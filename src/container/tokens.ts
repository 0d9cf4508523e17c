import type { InjectionToken } from "tsyringe";
import type { AxiosInstance } from "axios";
import type { FlowConfig } from "./config.js";
import type { FlowLogger } from "../logging/logger.js";
import type { RequestContextStore } from "../context/request-context.js";
import type { TokenManager, TokenProvider } from "../http/token-manager.js";
import type { Lifecycle } from "./lifecycle.js";
import type { Redactor } from "../logging/redactor.js";
import type { HttpAgents } from "../http/agents.js";
import type { Clock } from "./clock.js";

/**
 * Injection tokens: every provider of a FlowSDK container is registered under one of these (or
 * under its own class, for namespaces). Override any of them with `providers` in
 * `FlowSDK.create()` or in a plugin.
 */
export const TOKENS = {
  /** The resolved, read-only configuration ({@link FlowConfig}); holds no token. */
  Config: Symbol("flow-sdk.Config") as InjectionToken<FlowConfig>,
  /** The axios instance for `PLATFORM_API_URL`: auth, context headers, retries, error mapping. */
  PlatformHttp: Symbol("flow-sdk.PlatformHttp") as InjectionToken<AxiosInstance>,
  /** The axios instance for `GATEWAY_URL`, with the same interceptors as PlatformHttp. */
  GatewayHttp: Symbol("flow-sdk.GatewayHttp") as InjectionToken<AxiosInstance>,
  /** The AsyncLocalStorage-backed store of the request-scoped context. */
  RequestContext: Symbol("flow-sdk.RequestContext") as InjectionToken<RequestContextStore>,
  /** Where fresh tokens come from (`tokenProvider`, or `AUTH_TOKEN_FILE`), or `null`. */
  TokenProvider: Symbol("flow-sdk.TokenProvider") as InjectionToken<TokenProvider | null>,
  /** The caller's logger; silent by default. The SDK redacts before anything reaches it. */
  Logger: Symbol("flow-sdk.Logger") as InjectionToken<FlowLogger>,
  /** Holds the current token, refreshes it before expiry and once after a 401. */
  TokenManager: Symbol("flow-sdk.TokenManager") as InjectionToken<TokenManager>,
  /** Open/closed state of the instance and the hooks `close()` runs. */
  Lifecycle: Symbol("flow-sdk.Lifecycle") as InjectionToken<Lifecycle>,
  /** Knows every token and secret value seen, and strips them from text. */
  Redactor: Symbol("flow-sdk.Redactor") as InjectionToken<Redactor>,
  /** This instance's undici dispatcher (`{ dispatcher }`: a keep-alive pool per origin), destroyed by `close()`. */
  HttpAgents: Symbol("flow-sdk.HttpAgents") as InjectionToken<HttpAgents>,
  /** Where the SDK reads the time (token expiry, the secrets cache); a `ManualClock` in tests. */
  Clock: Symbol("flow-sdk.Clock") as InjectionToken<Clock>,
} as const;
