// Fields flow-sdk adds to axios' request config. Declared once, here, and imported (for its types)
// by every file that reads or writes them.

/** Per-call bookkeeping of the HTTP layer, carried on the axios config across retries. */
export interface FlowCallState {
  /** Retries done so far. */
  retries: number;
  /** True once this call was retried after a 401. */
  authRetried: boolean;
  /** Generation of the token the last attempt sent, to tell whether a 401 is already out of date. */
  generation?: number;
}

declare module "axios" {
  interface AxiosRequestConfig {
    /** Bookkeeping of flow-sdk's HTTP layer; set by it, not by callers. */
    flow?: FlowCallState;
    /** Resolve a 404 whose error code is `not_found` (the resource, not the route) with `data: undefined`. */
    flowAllowNotFound?: boolean;
    /**
     * Makes the request body afresh for each attempt (a stream, say): set in place of `data`, it
     * is called once per attempt, so such a call can be retried like one with a Buffer body.
     */
    flowBody?: () => unknown;
    /**
     * The attempt's own time limit when `timeout` is longer for another reason (a long-poll the
     * platform holds): it alone bounds the wait for a token.
     */
    flowAttemptTimeoutMs?: number;
    /**
     * Says that a failed status is the callee's own answer, to hand back as the response: never
     * retried, refreshed after or mapped to an error (`services.call`: a service's answer, marked
     * `X-Flow-Service`).
     */
    flowOwnAnswer?: (response: AxiosResponse) => boolean;
    /**
     * Whether a failure the SDK would retry may be retried for this call; left out, every one may
     * (`services.call` of a POST or PATCH without a key: only when the request never reached the service).
     */
    flowMayRetry?: (error: AxiosError) => boolean;
  }
}
