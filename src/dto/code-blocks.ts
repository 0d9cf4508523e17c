// Inputs of the codeBlocks namespace (code blocks and their executions), validated by the SDK
// before any request and by the local platform.
import { IsInt, IsOptional, Max, Min } from "./class-validator.js";
import { JsonPayload, PageQuery, PlatformId, ResourceId } from "./common.js";

/** Longest run time an execution may be given: one day. */
export const MAX_EXECUTION_TIMEOUT_SECONDS = 86_400;

/** Decorators for an optional run-time limit in whole seconds, 1 to one day. */
export function TimeoutSeconds(): PropertyDecorator {
  return (target, property) => {
    IsOptional()(target, property);
    IsInt({ message: "timeoutSeconds must be a whole number of seconds" })(target, property);
    Min(1, { message: "timeoutSeconds must be at least 1" })(target, property);
    Max(MAX_EXECUTION_TIMEOUT_SECONDS, { message: `timeoutSeconds must be at most ${MAX_EXECUTION_TIMEOUT_SECONDS} (one day)` })(target, property);
  };
}

/** Input of `codeBlocks.get`. */
export class CodeBlockIdInput {
  /** The code block's id (its key in the manifest). */
  @ResourceId("id")
  id!: string;
}

/** Input of `codeBlocks.list`. */
export class CodeBlockListInput extends PageQuery {}

/** Input of `codeBlocks.invoke` (the id from the path, the rest from the body). */
export class CodeBlockInvokeInput {
  /** The code block's id. */
  @ResourceId("id")
  id!: string;

  /** What the block's function receives as `input`: any JSON value (absent: `null`). */
  @JsonPayload("input")
  input?: unknown;

  /** Stops the execution after this many seconds. @default the block's `timeoutSeconds` in the manifest */
  @TimeoutSeconds()
  timeoutSeconds?: number;
}

/** Input of `codeBlocks.getExecution` and `codeBlocks.waitForExecution`. */
export class ExecutionIdInput {
  /** The execution's id. */
  @PlatformId("executionId")
  executionId!: string;
}
