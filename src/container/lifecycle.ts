import { FlowClosedError } from "../errors.js";

/** Open/closed state of one FlowSDK instance, and what `close()` must release. */
export class Lifecycle {
  #closed = false;
  readonly #hooks: Array<() => void | Promise<void>> = [];

  /** True once `close()` has started. */
  get closed(): boolean {
    return this.#closed;
  }

  /** @throws {FlowClosedError} when the instance is closed. */
  assertOpen(): void {
    if (this.#closed) throw new FlowClosedError("this FlowSDK instance is closed; create a new one with FlowSDK.create()");
  }

  /** Registers something to release on close; hooks run in reverse order of registration. */
  onClose(hook: () => void | Promise<void>): void {
    this.#hooks.push(hook);
  }

  /** Marks the instance closed and runs every hook once; later calls do nothing. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
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
