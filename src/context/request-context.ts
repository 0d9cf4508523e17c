import { AsyncLocalStorage } from "node:async_hooks";
import { FlowError } from "../errors.js";

/** The request-scoped context: who is asking, for which execution and service, with which headers. */
export interface RequestContext {
  /** Auth of the request being served (e.g. `{ subject, scopes }`). */
  readonly auth: Readonly<Record<string, unknown>>;
  /** The execution serving it (e.g. `{ id }`; `id` becomes `X-Execution-Id`). */
  readonly execution: Readonly<Record<string, unknown>>;
  /** Incoming headers, names trimmed and lower-cased, values strings. */
  readonly headers: Readonly<Record<string, string>>;
  /** The service serving it (e.g. `{ id }`; `id` becomes `X-Service-Id`). */
  readonly service: Readonly<Record<string, unknown>>;
}

/** What `bindRequestContext` and `runWithRequestContext` accept; every part is optional. */
export interface RequestContextInput {
  /** Auth of the request being served. */
  auth?: Record<string, unknown> | null | undefined;
  /** The execution serving it. */
  execution?: Record<string, unknown> | null | undefined;
  /** Incoming headers; names are trimmed and lower-cased, empty names dropped, values stringified. */
  headers?: Record<string, unknown> | null | undefined;
  /** The service serving it. */
  service?: Record<string, unknown> | null | undefined;
}

/** Returned by `bindRequestContext`; hand it to `resetRequestContext` to restore what was bound before. */
export interface RequestContextToken {
  /** Marks the token type; carries nothing readable. */
  readonly kind: "flow-request-context-token";
}

/** The context seen when nothing is bound. */
export const EMPTY_CONTEXT: RequestContext = Object.freeze({
  auth: Object.freeze({}),
  execution: Object.freeze({}),
  headers: Object.freeze({}),
  service: Object.freeze({}),
});

/** Builds a frozen context from loose input, normalising headers the way the Python SDK does. */
export function normalizeContext(input: RequestContextInput = {}): RequestContext {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.headers ?? {})) {
    const name = String(key).trim().toLowerCase();
    if (!name) continue;
    headers[name] = String(value);
  }
  return Object.freeze({
    auth: Object.freeze({ ...(input.auth ?? {}) }),
    execution: Object.freeze({ ...(input.execution ?? {}) }),
    headers: Object.freeze(headers),
    service: Object.freeze({ ...(input.service ?? {}) }),
  });
}

interface TokenState {
  store: RequestContextStore;
  previous: RequestContext | undefined;
}

const tokenStates = new WeakMap<RequestContextToken, TokenState>();

/**
 * One AsyncLocalStorage per FlowSDK instance: a context bound on one instance is invisible to
 * another, and concurrent requests each see their own.
 */
export class RequestContextStore {
  readonly #storage = new AsyncLocalStorage<RequestContext>();

  /** The context bound now, or the empty one. */
  current(): RequestContext {
    return this.#storage.getStore() ?? EMPTY_CONTEXT;
  }

  /** Binds `input` for the rest of the current async execution; returns the token to reset it. */
  bind(input: RequestContextInput): RequestContextToken {
    const token: RequestContextToken = Object.freeze({ kind: "flow-request-context-token" as const });
    tokenStates.set(token, { store: this, previous: this.#storage.getStore() });
    this.#storage.enterWith(normalizeContext(input));
    return token;
  }

  /**
   * Restores what was bound before `token`'s bind.
   *
   * @throws {FlowError} when the token came from another FlowSDK instance.
   */
  reset(token: RequestContextToken): void {
    const state = tokenStates.get(token);
    if (!state || state.store !== this) {
      throw new FlowError("resetRequestContext(): this token was not returned by this FlowSDK instance's bindRequestContext()");
    }
    // enterWith(undefined) would leave a stale store in some Node versions; bind the empty one instead.
    this.#storage.enterWith(state.previous ?? EMPTY_CONTEXT);
  }

  /** Runs `fn` with `input` bound and restores the previous context afterwards, also on error. */
  run<T>(input: RequestContextInput, fn: () => T): T {
    return this.#storage.run(normalizeContext(input), fn);
  }
}
