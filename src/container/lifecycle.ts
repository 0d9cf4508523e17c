import { setMaxListeners } from "node:events";
import { FlowClosedError } from "../errors.js";

/** Open/closed state of one FlowSDK instance, and what `close()` must release. */
export class Lifecycle {
  readonly #controller = new AbortController();

  /** Every call waiting on a retry or a token refresh listens to the signal: no listener cap. */
  constructor() {
    setMaxListeners(0, this.#controller.signal);
  }

  readonly #hooks: Array<() => void | Promise<void>> = [];
  #closing: Promise<void> | undefined;

  /** True once `close()` has started. */
  get closed(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Aborted when `close()` starts: waits (retry backoff, token refresh) listen to it to end at once. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** @throws {FlowClosedError} when the instance is closed. */
  assertOpen(): void {
    if (this.closed) throw closedError();
  }

  /** Registers something to release on close; hooks run in reverse order of registration. */
  onClose(hook: () => void | Promise<void>): void {
    this.#hooks.push(hook);
  }

  /** Marks the instance closed and runs every hook once; every call resolves when all are done. */
  close(): Promise<void> {
    this.#closing ??= this.#release();
    return this.#closing;
  }

  async #release(): Promise<void> {
    this.#controller.abort(closedError());
    const errors: unknown[] = [];
    for (const hook of this.#hooks.reverse()) {
      try {
        await hook();
      } catch (error) {
        errors.push(error);
      }
    }
    this.#hooks.length = 0;
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, "several resources failed to close");
  }
}

function closedError(): FlowClosedError {
  return new FlowClosedError("this FlowSDK instance is closed; create a new one with FlowSDK.create()");
}
