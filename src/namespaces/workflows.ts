// flow.workflows: start the workspace's workflows and follow, await or cancel their runs.
import { inject, injectable } from "tsyringe";
import { isFinalStatus, paramsObject, validateInput, WorkflowIdInput, WorkflowListInput, WorkflowListRunsInput, WorkflowRunIdInput, WorkflowStartInput } from "../dto/index.js";
import type { RequestOptions } from "../http/request-options.js";
import { WorkspaceClient } from "../internal/workspace-client.js";
import type { PagePromise } from "../pagination.js";

/** One step of a workflow: a code block run in order. */
export interface WorkflowStep {
  /** The step's id, unique in its workflow. */
  id: string;
  /** The code block it runs. */
  codeBlockId: string;
  /** Attempts before the step, and so the run, fails. */
  maxAttempts: number;
}

/** A workflow defined in the workspace. */
export interface Workflow {
  /** The workflow's id. */
  id: string;
  /** Human-readable name. */
  name: string;
  /** What the workflow does, if its author said. */
  description: string | null;
  /** Its steps, in the order they run. */
  steps: WorkflowStep[];
  /** When the workflow was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When it was last changed, as an ISO 8601 timestamp. */
  updatedAt: string;
}

/** Where a workflow run stands; the last three are final. */
export type WorkflowRunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

/** Where a step of a run stands: `pending` until it starts; `skipped` when the run ended before it. */
export type WorkflowStepStatus = "pending" | "running" | "succeeded" | "failed" | "cancelled" | "skipped";

/** Why a workflow run, or one of its steps, failed. */
export interface WorkflowRunError {
  /** `step_failed` for a run whose step failed (the step's own error says why), `cancelled`, or an execution's error code for a step. */
  code: string;
  /** The thrown error's name (`TypeError`), for a step whose block threw. */
  name?: string;
  /** What went wrong, naming the step that failed when there is one. */
  message: string;
  /** The step that failed, for a run's error. */
  stepId?: string;
}

/** A step of one run: how it went. */
export interface WorkflowRunStep<TOutput = unknown> {
  /** The step's id. */
  id: string;
  /** The code block it runs. */
  codeBlockId: string;
  /** Where it stands. */
  status: WorkflowStepStatus;
  /** Attempts started so far. */
  attempts: number;
  /** Attempts it may take. */
  maxAttempts: number;
  /** Its block's return value once it succeeded, else `null`. */
  output: TOutput | null;
  /** Why its last attempt failed, else `null`. */
  error: WorkflowRunError | null;
  /** The execution of its latest attempt (its logs: `codeBlocks.getExecution`), or `null`. */
  executionId: string | null;
  /** When its latest attempt started, or `null`. */
  startedAt: string | null;
  /** When it finished, or `null`. */
  finishedAt: string | null;
}

/** One run of a workflow. */
export interface WorkflowRun<TOutput = unknown> {
  /** The run's id. */
  id: string;
  /** The workflow that runs. */
  workflowId: string;
  /** Where the run stands. */
  status: WorkflowRunStatus;
  /** The input the run was started with. */
  input: unknown;
  /** The last step's output once `status` is `succeeded`, else `null`. */
  output: TOutput | null;
  /** Why the run failed once `status` is `failed` (naming the step) or `cancelled`, else `null`. */
  error: WorkflowRunError | null;
  /** Each step, in order, with its status, output and error. */
  steps: WorkflowRunStep[];
  /** When the run was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When its first step started, or `null` until then. */
  startedAt: string | null;
  /** When it finished, or `null` while it runs. */
  finishedAt: string | null;
}

/** What each step's code block receives as its `input`. */
export interface WorkflowStepInput<TInput = unknown> {
  /** The run's input. */
  input: TInput;
  /** The outputs of the steps before this one, by step id. */
  steps: Record<string, unknown>;
}

/** Parameters of `workflows.list`. */
export interface WorkflowsListParams {
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Parameters of `workflows.listRuns`. */
export interface WorkflowsListRunsParams {
  /** Only runs in this status. */
  status?: WorkflowRunStatus | undefined;
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Parameters of `workflows.waitForRun`. */
export interface WorkflowsWaitForRunParams {
  /**
   * How long to wait in all, in milliseconds, before rejecting with `FlowTimeoutError` (the run
   * goes on); unlike `RequestOptions.timeoutMs`, which limits each request, this bounds the whole wait.
   * @default no limit: waits until the run finishes or `signal` aborts
   */
  timeoutMs?: number | undefined;
  /** Ends the wait (not the run) with `FlowAbortError`; the same as `RequestOptions.signal`. */
  signal?: AbortSignal | undefined;
}

/** Starts workflows and follows their runs. */
@injectable()
export class WorkflowsNamespace {
  /** Built by the container. */
  constructor(@inject(WorkspaceClient) private readonly client: WorkspaceClient) {}

  /** The workspace's workflows, by id; await for the first page or `for await` over all. */
  list(params: WorkflowsListParams = {}, options?: RequestOptions): PagePromise<Workflow> {
    return this.client.list(() => ({ path: this.client.path("workflows"), query: validateInput(WorkflowListInput, params, "workflows.list") }), options);
  }

  /**
   * Resolves to the workflow `id`, with its steps.
   *
   * @throws {FlowNotFoundError} when there is none; the message names the workflows there are.
   */
  async get(id: string, options?: RequestOptions): Promise<Workflow> {
    const input = validateInput(WorkflowIdInput, { id }, "workflows.get");
    return this.client.get<Workflow>(this.client.path("workflows", input.id), options);
  }

  /**
   * Starts a run of the workflow `id` with `input` (any JSON value) and resolves to it as soon as
   * it is queued. Steps run in order; each step's block receives `{ input, steps }` (the run's
   * input and the outputs of the steps before it, by step id), and the run's output is the last
   * step's. The run's state is durable: after a platform restart it goes on at the first
   * unfinished step.
   *
   * @example
   * const run = await flow.workflows.start("onboard-customer", { email: "ada@example.com" });
   * const done = await flow.workflows.waitForRun(run.id, { timeoutMs: 120_000 });
   * @throws {FlowNotFoundError} when there is no workflow `id`.
   * @throws {FlowValidationError} when `input` is not JSON, before any request.
   */
  async start<TOutput = unknown>(id: string, input?: unknown, options?: RequestOptions): Promise<WorkflowRun<TOutput>> {
    const { id: validId, ...body } = validateInput(WorkflowStartInput, { id, input }, "workflows.start");
    return this.client.post<WorkflowRun<TOutput>>(`${this.client.path("workflows", validId)}/runs`, body, options);
  }

  /** The runs of the workflow `id`, newest first; await for the first page or `for await` over all. */
  listRuns(id: string, params: WorkflowsListRunsParams = {}, options?: RequestOptions): PagePromise<WorkflowRun> {
    return this.client.list(() => {
      const { id: validId, ...query } = validateInput(WorkflowListRunsInput, { ...paramsObject(params, "workflows.listRuns", ["id"]), id }, "workflows.listRuns");
      return { path: `${this.client.path("workflows", validId)}/runs`, query };
    }, options);
  }

  /**
   * Resolves to the run `runId`, finished or not, with each step's status, output and error.
   *
   * @throws {FlowNotFoundError} when there is no such run in this workspace.
   */
  async getRun<TOutput = unknown>(runId: string, options?: RequestOptions): Promise<WorkflowRun<TOutput>> {
    const input = validateInput(WorkflowRunIdInput, { runId }, "workflows.getRun");
    return this.client.get<WorkflowRun<TOutput>>(this.client.path("workflow-runs", input.runId), options);
  }

  /**
   * Resolves to the run `runId` once it has finished, whether it succeeded or not, long-polling
   * the platform; `timeoutMs` bounds the whole wait and `signal` ends it at once.
   *
   * @throws {FlowTimeoutError} when `timeoutMs` passes first (the run goes on).
   * @throws {FlowAbortError} when `signal` aborts.
   */
  async waitForRun<TOutput = unknown>(runId: string, params: WorkflowsWaitForRunParams = {}, options?: RequestOptions): Promise<WorkflowRun<TOutput>> {
    const input = validateInput(WorkflowRunIdInput, { runId }, "workflows.waitForRun");
    return this.client.waitFor<WorkflowRun<TOutput>>(
      this.client.path("workflow-runs", input.runId),
      (run) => isFinalStatus(run.status),
      params,
      options,
      { method: "workflows.waitForRun", describe: (last) => `workflow run ${input.runId}${last ? ` (${last.status})` : ""}` },
    );
  }

  /**
   * Stops the run `runId` and resolves to it: no further step starts, and a step running has its
   * block's `signal` aborted and its process stopped (SIGTERM, then SIGKILL after a grace period);
   * this resolves once it is gone. A finished run is returned unchanged.
   *
   * @throws {FlowNotFoundError} when there is no such run.
   */
  async cancelRun(runId: string, options?: RequestOptions): Promise<WorkflowRun> {
    const input = validateInput(WorkflowRunIdInput, { runId }, "workflows.cancelRun");
    return this.client.post<WorkflowRun>(`${this.client.path("workflow-runs", input.runId)}/cancel`, {}, options);
  }
}
