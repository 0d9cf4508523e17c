import { AsyncLocalStorage } from "node:async_hooks";
import { inspect } from "node:util";
import { FlowError } from "../errors.js";
import { REDACTED, SENSITIVE_NAME } from "../logging/redactor.js";

/** The request-scoped context: who is asking, for which execution and service, with which headers. */
export interface RequestContext {
  /** Auth of the request being served (e.g. `{ subject, scopes }`). */
  readonly auth: Readonly<Record<string, unknown>>;
  /** The execution serving it (e.g. `{ id }`; `id` becomes `X-Execution-Id`). */
  readonly execution: Readonly<Record<string, unknown>>;
  /**
   * Incoming headers, names trimmed and lower-cased, values strings. Credentials among them
   * (`authorization`, `cookie`, `proxy-authorization`, `x-flow-local-admin`, ...) can be read by
   * name but show as `[REDACTED]` in `inspect`, `JSON.stringify` and logs, and are never sent:
   * the SDK sends its own `Authorization`.
   */
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
  /**
   * Incoming headers; names are trimmed and lower-cased, empty names dropped, values stringified
   * (`null` and `undefined` values are dropped: in JavaScript they mean "no such header").
   */
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
    if (!name || value === undefined || value === null) continue;
    headers[name] = String(value);
  }
  return Object.freeze({
    auth: Object.freeze({ ...(input.auth ?? {}) }),
    execution: Object.freeze({ ...(input.execution ?? {}) }),
    headers: Object.freeze(maskedWhenShown(headers)),
    service: Object.freeze({ ...(input.service ?? {}) }),
  });
}

/**
 * One binding made by `bind`: its context, the binding it replaced, and whether it still holds.
 * A reset marks it inactive, and whoever still sees it (a caller or sibling whose async context
 * picked it up, see {@link RequestContextStore.bind}) reads through it to what was bound before.
 */
interface Frame {
  readonly context: RequestContext;
  readonly previous: Frame | undefined;
  readonly depth: number;
  active: boolean;
}

/**
 * Gives `headers` a `toJSON` and an `inspect` form (both non-enumerable, so they are no headers)
 * that show credential headers as `[REDACTED]`: a context logged or printed whole (a handler that
 * binds `req.headers` as they came) does not show the caller's token or cookie.
 */
function maskedWhenShown(headers: Record<string, string>): Record<string, string> {
  const masked = (): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) out[name] = SENSITIVE_NAME.test(name) ? REDACTED : value;
    return out;
  };
  Object.defineProperty(headers, "toJSON", { value: masked, enumerable: false });
  Object.defineProperty(headers, inspect.custom, {
    value: (_depth: number, options: object) => inspect(masked(), options),
    enumerable: false,
  });
  return headers;
}

/** What is bound in one async execution: each instance's binding, by instance. */
type Bindings = ReadonlyMap<RequestContextStore, Frame>;

/**
 * One AsyncLocalStorage for the whole process, holding an immutable map from instance to binding.
 * An AsyncLocalStorage per instance would be simpler, but on Node 20 every storage ever used adds
 * work to every await in the process, for good: a host that creates a FlowSDK per tenant or per
 * request would slow down steadily.
 */
const storage = new AsyncLocalStorage<Bindings>();

interface TokenState {
  store: RequestContextStore;
  frame: Frame;
}

const tokenStates = new WeakMap<RequestContextToken, TokenState>();

/**
 * Contexts bound for as long as something lasts (`service.bind(req)`: the request): once `alive`
 * says no, they read as what was bound before them (usually nothing), so a binding left on a
 * keep-alive connection's async context never reaches the next request on that connection.
 */
const liveness = new WeakMap<RequestContext, () => boolean>();

/**
 * Binds never reset (a loop that binds at the top of each pass) would chain without end; past this
 * depth a new binding forgets what it replaced, and its reset restores the empty context.
 */
const MAX_DEPTH = 1_000;

/** The frame that holds now: `frame` itself, or the first one before it that is still active and alive. */
function holding(frame: Frame | undefined): Frame | undefined {
  let current = frame;
  while (current !== undefined && (!current.active || liveness.get(current.context)?.() === false)) current = current.previous;
  return current;
}

/** The request context of one FlowSDK instance: invisible to other instances, separate per async execution. */
export class RequestContextStore {
  #closed = false;

  /** The context bound now, or the empty one. */
  current(): RequestContext {
    return holding(storage.getStore()?.get(this))?.context ?? EMPTY_CONTEXT;
  }

  /**
   * Marks the instance closed: later binds of any instance stop carrying its context along, so a
   * long-lived async context does not keep closed instances (and their auth headers) alive.
   */
  close(): void {
    this.#closed = true;
  }

  /**
   * Binds `input` for the rest of the current async execution; returns the token to reset it.
   * With `alive`, the binding reads as what was bound before it once `alive()` is false.
   *
   * `AsyncLocalStorage.enterWith` is not scoped to the async function that calls it: a bind before
   * a task's first await changes its caller's context (and the next sibling's), and on Node 20 a
   * caller awaiting `Promise.all` may resume in the context of the task that finished last. So a
   * reset does not only restore the context of the code that calls it: it marks the binding
   * inactive, and every async context that picked it up reads through it to what it replaced.
   */
  bind(input: RequestContextInput, alive?: () => boolean): RequestContextToken {
    const token: RequestContextToken = Object.freeze({ kind: "flow-request-context-token" as const });
    const context = normalizeContext(input);
    if (alive) liveness.set(context, alive);
    const before = holding(storage.getStore()?.get(this));
    const chained = before !== undefined && before.depth < MAX_DEPTH;
    const frame: Frame = { context, previous: chained ? before : undefined, depth: chained ? before.depth + 1 : 0, active: true };
    tokenStates.set(token, { store: this, frame });
    storage.enterWith(this.#with(frame));
    return token;
  }

  /**
   * Restores this instance's context to what it was before `token`'s bind, here and wherever
   * that binding was picked up.
   *
   * @throws {FlowError} when the token came from another FlowSDK instance.
   */
  reset(token: RequestContextToken): void {
    const state = tokenStates.get(token);
    if (!state || state.store !== this) {
      throw new FlowError("resetRequestContext(): this token was not returned by this FlowSDK instance's bindRequestContext(), or was used already");
    }
    tokenStates.delete(token); // like Python's ContextVar tokens: one use
    state.frame.active = false;
    storage.enterWith(this.#with(state.frame.previous));
  }

  /** Runs `fn` with `input` bound and restores the previous context afterwards, also on error. */
  run<T>(input: RequestContextInput, fn: () => T): T {
    const frame: Frame = { context: normalizeContext(input), previous: undefined, depth: 0, active: true };
    return storage.run(this.#with(frame), fn);
  }

  /** The current bindings with this instance's binding replaced (or removed). */
  #with(frame: Frame | undefined): Bindings {
    const next = new Map<RequestContextStore, Frame>();
    for (const [store, bound] of storage.getStore() ?? []) if (!store.#closed && store !== this) next.set(store, bound);
    if (frame !== undefined) next.set(this, frame);
    return next;
  }
}
