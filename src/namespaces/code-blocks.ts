// flow.codeBlocks: find and invoke the workspace's other code blocks, and follow their executions.
import { inject, injectable } from "tsyringe";
import { CodeBlockIdInput, CodeBlockInvokeInput, CodeBlockListInput, ExecutionIdInput, invalidInput, isFinalStatus, paramsObject, validateInput } from "../dto/index.js";
import type { RequestOptions } from "../http/request-options.js";
import { WorkspaceClient, type WaitBounds, type WaitNames } from "../internal/workspace-client.js";
import type { PagePromise } from "../pagination.js";

/** A code block deployed in the workspace. */
export interface CodeBlock {
  /** The code block's id. */
  id: string;
  /** Human-readable name. */
  name: string;
  /** What the block does, if its author said. */
  description: string | null;
  /** How long one execution may run before it is stopped, in seconds. */
  timeoutSeconds: number;
  /** When the block was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When the block was last deployed (on the local platform: its file last changed), as an ISO 8601 timestamp. */
  updatedAt: string;
}

/** Where an execution stands; the last three are final. */
export type ExecutionStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

/** Why an execution failed. */
export interface ExecutionError {
  /**
   * What kind of failure: `block_error` (the block threw), `load_error` (its module did not load),
   * `invalid_output` (its return value is not JSON), `invalid_input` (`flow-sdk-local run`'s stdin was
   * not JSON), `timeout`, `crashed` (its process ended before it returned: `process.exit`, an
   * uncaught exception), `exited` (a script exited non-zero), `cancelled`, `platform_restarted`
   * or `platform_stopped` (the platform went away while it ran), `spawn_failed`.
   */
  code: string;
  /** The thrown error's name (`TypeError`), when the block threw. */
  name?: string;
  /** What went wrong. */
  message: string;
}

/** What an execution wrote to stdout and stderr: the last 64 KiB of each. */
export interface ExecutionLogs {
  /** The tail of stdout. */
  stdout: string;
  /** The tail of stderr. */
  stderr: string;
  /** True when earlier output was dropped to keep the bound. */
  truncated: boolean;
}

/** One run of a code block. */
export interface Execution<TOutput = unknown> {
  /** The execution's id (`EXECUTION_ID` and `ctx.executionId` inside the run). */
  id: string;
  /** The code block that ran. */
  codeBlockId: string;
  /** Where the execution stands. */
  status: ExecutionStatus;
  /** The input it was invoked with. */
  input: unknown;
  /** The block's return value once `status` is `succeeded` (`null` for a script), else `null`. */
  output: TOutput | null;
  /** Why it failed once `status` is `failed` or `cancelled`, else `null`. */
  error: ExecutionError | null;
  /** Its stdout and stderr so far (bounded). */
  logs: ExecutionLogs;
  /** The `X-Request-Id` of the call that started it, which the block's own calls carry too. */
  requestId: string;
  /** The execution that invoked this one, when a block invoked it. */
  parentExecutionId: string | null;
  /** The job this execution is an attempt of, if any. */
  jobId: string | null;
  /** The workflow run this execution is a step of, if any. */
  workflowRunId: string | null;
  /** When the execution was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When its process started, or `null` until then. */
  startedAt: string | null;
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
   * Wait for the execution to finish and resolve with it (its `output`, or its `error`); `false`
   * resolves as soon as it is queued, and `waitForExecution` waits later.
   * @default true
   */
  wait?: boolean | undefined;
  /**
   * With `wait`, how long to wait in all, in milliseconds, before rejecting with
   * `FlowTimeoutError` (the execution goes on). Unlike `RequestOptions.timeoutMs`, which limits
   * each request, this bounds the whole wait.
   * @default no limit: until the execution finishes or `signal` aborts
   */
  timeoutMs?: number | undefined;
  /** With `wait`, ends the wait (not the execution) with `FlowAbortError`; the same as `RequestOptions.signal`. */
  signal?: AbortSignal | undefined;
  /**
   * Stops the execution after this many seconds; it then fails with code `timeout`.
   * @default the block's `timeoutSeconds`
   */
  timeoutSeconds?: number | undefined;
}

/** Parameters of `codeBlocks.waitForExecution`. */
export interface CodeBlocksWaitParams {
  /**
   * How long to wait in all, in milliseconds, before rejecting with `FlowTimeoutError` (the
   * execution goes on).
   * @default no limit: until the execution finishes or `signal` aborts
   */
  timeoutMs?: number | undefined;
  /** Ends the wait (not the execution) with `FlowAbortError`; the same as `RequestOptions.signal`. */
  signal?: AbortSignal | undefined;
}

/** Lists and invokes the workspace's code blocks and follows their executions. */
@injectable()
export class CodeBlocksNamespace {
  /** Built by the container. */
  constructor(@inject(WorkspaceClient) private readonly client: WorkspaceClient) {}

  /**
   * The workspace's code blocks, by id; await for the first page or `for await` over all.
   *
   * @example for await (const block of flow.codeBlocks.list()) console.log(block.id, block.name);
   */
  list(params: CodeBlocksListParams = {}, options?: RequestOptions): PagePromise<CodeBlock> {
    return this.client.list(() => ({ path: this.client.path("code-blocks"), query: validateInput(CodeBlockListInput, params, "codeBlocks.list") }), options);
  }

  /**
   * Resolves to the code block `id`.
   *
   * @throws {FlowNotFoundError} when there is none; the message names the blocks there are.
   */
  async get(id: string, options?: RequestOptions): Promise<CodeBlock> {
    const input = validateInput(CodeBlockIdInput, { id }, "codeBlocks.get");
    return this.client.get<CodeBlock>(this.client.path("code-blocks", input.id), options);
  }

  /**
   * Runs the code block `id` with `input` (any JSON value) and, by default, waits for it: resolves
   * to the finished execution, whose `status` says how it went (`output` when it succeeded,
   * `error` when it failed). A failed execution resolves too; it is not an error of the call.
   * With `wait: false`, resolves to the queued execution at once. The current request context
   * (request id, `traceparent`) and this execution's id go with it.
   *
   * @example
   * const run = await flow.codeBlocks.invoke<{ total: number }>("sum-orders", { month: "2026-01" });
   * if (run.status === "succeeded") console.log(run.output?.total);
   * @throws {FlowNotFoundError} when there is no code block `id`.
   * @throws {FlowValidationError} when `input` is not JSON (a function, NaN, a cycle) or a parameter is invalid, before any request.
   * @throws {FlowTimeoutError} when `timeoutMs` passes first (the execution goes on; its id is in the message).
   */
  async invoke<TOutput = unknown>(id: string, input?: unknown, params: CodeBlocksInvokeParams = {}, options?: RequestOptions): Promise<Execution<TOutput>> {
    const { wait, timeoutMs, signal, ...rest } = paramsObject(params, "codeBlocks.invoke", ["id", "input"]);
    const { id: validId, ...body } = validateInput(CodeBlockInvokeInput, { ...rest, id, input }, "codeBlocks.invoke");
    if (wait !== undefined && typeof wait !== "boolean") {
      throw invalidInput("codeBlocks.invoke", [{ path: "wait", message: "wait must be true or false" }]);
    }
    const path = `${this.client.path("code-blocks", validId)}/invoke`;
    // The wait's deadline and signals bound the POST that starts the execution too.
    const start = (startOptions: RequestOptions): Promise<Execution<TOutput>> => this.client.post<Execution<TOutput>>(path, body, startOptions);
    const bounds = { timeoutMs, signal };
    if (wait === false) return this.client.startAndWait(start, () => path, () => true, bounds, options, this.#names(undefined, "codeBlocks.invoke"));
    return this.client.startAndWait(start, (queued) => this.client.path("executions", queued?.id ?? ""), isFinished, bounds, options, this.#names(undefined, "codeBlocks.invoke"));
  }

  /**
   * Resolves to the execution `executionId`, finished or not.
   *
   * @throws {FlowNotFoundError} when there is no such execution in this workspace.
   */
  async getExecution<TOutput = unknown>(executionId: string, options?: RequestOptions): Promise<Execution<TOutput>> {
    const input = validateInput(ExecutionIdInput, { executionId }, "codeBlocks.getExecution");
    return this.client.get<Execution<TOutput>>(this.client.path("executions", input.executionId), options);
  }

  /**
   * Resolves to the execution `executionId` once it has finished, whether it succeeded or not,
   * long-polling the platform; `timeoutMs` bounds the whole wait and `signal` ends it at once.
   *
   * @example const done = await flow.codeBlocks.waitForExecution(queued.id, { timeoutMs: 60_000 });
   * @throws {FlowTimeoutError} when `timeoutMs` passes first (the execution goes on).
   * @throws {FlowAbortError} when `signal` aborts.
   */
  async waitForExecution<TOutput = unknown>(executionId: string, params: CodeBlocksWaitParams = {}, options?: RequestOptions): Promise<Execution<TOutput>> {
    const input = validateInput(ExecutionIdInput, { executionId }, "codeBlocks.waitForExecution");
    return this.#waitFor<TOutput>(input.executionId, params, options);
  }

  #waitFor<TOutput>(executionId: string, bounds: WaitBounds, options: RequestOptions | undefined): Promise<Execution<TOutput>> {
    return this.client.waitFor<Execution<TOutput>>(this.client.path("executions", executionId), isFinished, bounds, options, this.#names(executionId, "codeBlocks.waitForExecution"));
  }

  #names<TOutput>(executionId: string | undefined, method: string): WaitNames<Execution<TOutput>> {
    return { method, describe: (last) => `execution ${last?.id ?? executionId ?? "(not started)"}${last ? ` (${last.status})` : ""}` };
  }
}

function isFinished(execution: Execution): boolean {
  return isFinalStatus(execution.status);
}
