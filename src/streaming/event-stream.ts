// The shape every streamed answer of the SDK has (a chat, an agent run): an async iterable read
// once, started by its first read, closed at once by `break`, `abort()` or the caller's signal, and
// with a promise of its end (`done`) that its `final…()` helpers build on.
import { FlowAbortError, FlowError } from "../errors.js";
import { anySignal } from "../http/abort.js";
import { callConfig } from "../http/call-options.js";
import type { RequestOptions } from "../http/request-options.js";

/** Opens the stream's source with the call's options (their signal includes `abort()`'s). */
export type OpenEvents<T> = (options: RequestOptions) => AsyncGenerator<T, void, undefined>;

/**
 * An async iterable of events, read once. Nothing is sent before the first read (or a `final…()`
 * call). Leaving a `for await` loop early closes the HTTP request at once; so does `abort()`.
 */
export abstract class EventStream<T> implements AsyncIterable<T> {
  readonly #open: OpenEvents<T>;
  readonly #options: RequestOptions | undefined;
  readonly #controller = new AbortController();
  #iterator: AsyncGenerator<T, void, undefined> | undefined;
  #finished = false;
  readonly #ended: Promise<void>;
  #settle!: (error?: unknown) => void;

  /** Built by a namespace method. */
  protected constructor(open: OpenEvents<T>, options: RequestOptions | undefined) {
    this.#open = open;
    this.#options = options;
    this.#ended = new Promise<void>((resolve, reject) => {
      this.#settle = (error?: unknown) => (error === undefined ? resolve() : reject(error));
    });
    // A stream nobody awaits the end of must not turn its failure into an unhandled rejection.
    this.#ended.catch(() => undefined);
  }

  /** Seen once per event, in order, before the event reaches the reader: subclasses keep their totals here. */
  protected abstract observe(event: T): void;

  /** Reads the events; a stream can be read once. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.#read();
  }

  /** Closes the stream now: the HTTP request ends, and a read under way rejects with `FlowAbortError`. */
  abort(): void {
    this.#controller.abort(new FlowAbortError("the stream was aborted by abort()"));
  }

  /** True once the stream was read to its end. */
  get finished(): boolean {
    return this.#finished;
  }

  /**
   * Resolves once the stream has been read to its end, reading it here when nobody has begun to;
   * rejects with the error that ended it, or a `FlowError` when the reader left it early.
   */
  protected async untilEnd(): Promise<void> {
    if (!this.#iterator) {
      for await (const _ of this) {
        // read to the end; observe() keeps the totals
      }
    }
    return this.#ended;
  }

  /** The FlowAbortError of an aborted stream: abort()'s, or one saying the caller's signal ended it. */
  #abortError(signal: AbortSignal): FlowAbortError {
    if (signal.reason instanceof FlowAbortError) return signal.reason;
    return new FlowAbortError("the stream was aborted by its signal", { cause: signal.reason instanceof Error ? signal.reason : undefined });
  }

  async *#read(): AsyncGenerator<T, void, undefined> {
    if (this.#iterator) throw new FlowError("this stream is already being read (or was read): a stream can be read once; use its final…() helpers to get the result again");
    let linked: { signal: AbortSignal; dispose: () => void };
    try {
      // The options are checked here, before their signal is linked: a `signal` that is not an
      // AbortSignal (or options that are not an object) is a FlowValidationError, not a TypeError,
      // and null options are refused rather than read as none.
      callConfig(this.#options);
      linked = anySignal([this.#options?.signal, this.#controller.signal]);
    } catch (error) {
      this.#iterator = (async function* () {})();
      this.#settle(error);
      throw error;
    }
    const iterator = (this.#iterator = this.#open({ ...this.#options, signal: linked.signal }));
    let failure: unknown = new FlowError("the stream was left before its end (break or return), so it has no final result");
    try {
      for await (const event of iterator) {
        // Events already received are not handed out once the stream was aborted: abort() and the
        // signal end the stream now, not after what was buffered.
        if (linked.signal.aborted) throw this.#abortError(linked.signal);
        this.observe(event);
        yield event;
        if (linked.signal.aborted) throw this.#abortError(linked.signal);
      }
      this.#finished = true;
      failure = undefined;
    } catch (error) {
      failure = this.#controller.signal.aborted && !(this.#options?.signal?.aborted ?? false) && !(error instanceof FlowAbortError) ? new FlowAbortError("the stream was aborted by abort()", { cause: error }) : error;
      throw failure;
    } finally {
      linked.dispose();
      this.#settle(failure);
    }
  }
}
