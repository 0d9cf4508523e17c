// The IPC conversation between the platform (or `flow-sdk-local run`) and the process that runs one
// code block: the parent sends `start` once, and maybe `cancel`; the child answers with how the
// block ended. Shared by runner/child.ts and runner/spawn.ts.

/** The request an execution was made in, as the block reads it on `ctx.request`. */
export interface RequestInfo {
  /** The `X-Request-Id` of the call that started it. */
  id: string;
  /** Its W3C `traceparent`, or null. */
  traceparent: string | null;
  /** Its W3C `tracestate`, or null. */
  tracestate: string | null;
}

/** Parent → child: run this block. */
export interface StartMessage {
  type: "start";
  /** Absolute path of the block's module. */
  file: string;
  /** The input, as JSON text (`"null"` when none). */
  input: string;
  /** True when the child should read the input from stdin instead (`flow-sdk-local run` without `--input`). */
  inputFromStdin: boolean;
  /** `process.argv` after the file, for a script. */
  args: string[];
  /** The execution's id (also in `EXECUTION_ID`). */
  executionId: string;
  /** The request it runs in. */
  request: RequestInfo;
}

/** Parent → child: stop; the block's `ctx.signal` aborts with this reason. */
export interface CancelMessage {
  type: "cancel";
  /** Why: the run-time limit passed, or someone cancelled it. */
  reason: "timeout" | "cancelled";
}

/** Child → parent: the block's function returned this output (JSON text). */
export interface ResultMessage {
  type: "result";
  /** The output as JSON text. */
  output: string;
}

/** Child → parent: the block failed before it could return. */
export interface FailureMessage {
  type: "failure";
  /** `block_error` (it threw), `load_error` (the module did not load), `invalid_output` (the output is not JSON) or `invalid_input`. */
  code: "block_error" | "load_error" | "invalid_output" | "invalid_input";
  /** The error's name, e.g. `TypeError`. */
  name: string;
  /** The error's message. */
  message: string;
}

/** Child → parent: the module has no `default` or `main` function: it ran as a script, and its exit code decides. */
export interface ScriptMessage {
  type: "script";
}

/** What the parent sends. */
export type ParentMessage = StartMessage | CancelMessage;
/** What the child sends. */
export type ChildMessage = ResultMessage | FailureMessage | ScriptMessage;
