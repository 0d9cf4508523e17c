// The code block contract, as types: what an execution calls and with what. A block is a module
// whose `default` (or `main`) export is a CodeBlockFunction; see docs/protocol.md, "The block contract".
import type { FlowSDK } from "./flow-sdk.js";

/** The request an execution was made in. */
export interface CodeBlockRequest {
  /** The `X-Request-Id` of the call that started it; the block's own calls carry it too. */
  readonly id: string;
  /** Its W3C `traceparent`, or `null`; the block's own calls carry it too. */
  readonly traceparent: string | null;
  /** Its W3C `tracestate`, or `null`. */
  readonly tracestate: string | null;
}

/** What a code block's function receives as its second argument. */
export interface CodeBlockContext {
  /** A FlowSDK for this execution (its token, ids and request context), created on first use and closed when the function returns. */
  readonly flow: FlowSDK;
  /** This execution's id (`EXECUTION_ID`). */
  readonly executionId: string;
  /**
   * Aborts when the execution is cancelled (reason: an `AbortError`) or runs out of time (a
   * `TimeoutError`); stop soon after. It may be aborted already when the function is called (a
   * stop during the module's load): check `signal.aborted` or call `signal.throwIfAborted()`.
   */
  readonly signal: AbortSignal;
  /** The request the execution was made in. */
  readonly request: CodeBlockRequest;
}

/** A code block's function: takes the input (JSON) and returns the output (JSON-serialisable), or a promise of it. */
export type CodeBlockFunction<TInput = unknown, TOutput = unknown> = (input: TInput, ctx: CodeBlockContext) => TOutput | Promise<TOutput>;

/**
 * Types a code block's function, and returns it unchanged: `export default defineCodeBlock(...)`.
 *
 * @example
 * export default defineCodeBlock(async (input: { name: string }, { flow }) => {
 *   return { greeting: `hello ${input.name}`, visits: await flow.state.increment("visits") };
 * });
 */
export function defineCodeBlock<TInput = unknown, TOutput = unknown>(fn: CodeBlockFunction<TInput, TOutput>): CodeBlockFunction<TInput, TOutput> {
  return fn;
}
