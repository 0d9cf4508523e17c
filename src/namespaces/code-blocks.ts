// flow.codeBlocks: find and invoke the workspace's other code blocks, and follow their executions.
// Not available yet: the types below are the planned API; every method rejects with
// FlowNotAvailableError.
import { injectable } from "tsyringe";
import type { RequestOptions } from "../http/request-options.js";
import type { PagePromise } from "../pagination.js";
import { notAvailable, notAvailablePage } from "./not-available.js";

/** A code block deployed in the workspace. */
export interface CodeBlock {
  /** The code block's id. */
  id: string;
  /** Human-readable name. */
  name: string;
  /** What the block does, if its author said. */
  description: string | null;
  /** When the block was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When the block was last deployed, as an ISO 8601 timestamp. */
  updatedAt: string;
}

/** Where an execution stands. */
export type ExecutionStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

/** Why an execution failed. */
export interface ExecutionError {
  /** Machine-readable error code. */
  code: string;
  /** What went wrong. */
  message: string;
}

/** One run of a code block. */
export interface Execution<TOutput = unknown> {
  /** The execution's id (`EXECUTION_ID` inside the run). */
  id: string;
  /** The code block that ran. */
  codeBlockId: string;
  /** Where the execution stands. */
  status: ExecutionStatus;
  /** The input it was invoked with. */
  input: unknown;
  /** The block's result once `status` is `succeeded`, else `null`. */
  output: TOutput | null;
  /** Why it failed once `status` is `failed`, else `null`. */
  error: ExecutionError | null;
  /** When the execution was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When it finished, or `null` while it runs. */
  finishedAt: string | null;
}

/** Parameters of `codeBlocks.list`. */
export interface CodeBlocksListParams {
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Parameters of `codeBlocks.invoke`. */
export interface CodeBlocksInvokeParams {
  /**
   * Wait for the execution to finish and resolve with its output; `false` resolves as soon as it is queued.
   * @default true
   */
  wait?: boolean | undefined;
}

/** Lists and invokes other code blocks. Not available yet: every method rejects with `FlowNotAvailableError`. */
@injectable()
export class CodeBlocksNamespace {
  /** Lists the workspace's code blocks. */
  list(params?: CodeBlocksListParams, options?: RequestOptions): PagePromise<CodeBlock> {
    return notAvailablePage<CodeBlock>("codeBlocks.list");
  }

  /** Resolves to the code block `id`. */
  async get(id: string, options?: RequestOptions): Promise<CodeBlock> {
    throw notAvailable("codeBlocks.get");
  }

  /** Invokes the code block `id` with `input`; the current request context is propagated. */
  async invoke<TOutput = unknown>(
    id: string,
    input?: unknown,
    params?: CodeBlocksInvokeParams,
    options?: RequestOptions,
  ): Promise<Execution<TOutput>> {
    throw notAvailable("codeBlocks.invoke");
  }

  /** Resolves to the execution `executionId`, finished or not. */
  async getExecution<TOutput = unknown>(executionId: string, options?: RequestOptions): Promise<Execution<TOutput>> {
    throw notAvailable("codeBlocks.getExecution");
  }
}
