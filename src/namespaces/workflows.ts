// flow.workflows: start the workspace's workflows and follow, await or cancel their runs.
// Not available yet: the types below are the planned API; every method rejects with
// FlowNotAvailableError.
import { injectable } from "tsyringe";
import type { RequestOptions } from "../http/request-options.js";
import type { PagePromise } from "../pagination.js";
import { notAvailable, notAvailablePage } from "./not-available.js";

/** A workflow defined in the workspace. */
export interface Workflow {
  /** The workflow's id. */
  id: string;
  /** Human-readable name. */
  name: string;
  /** What the workflow does, if its author said. */
  description: string | null;
  /** When the workflow was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When it was last changed, as an ISO 8601 timestamp. */
  updatedAt: string;
}

/** Where a workflow run stands. */
export type WorkflowRunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

/** Why a workflow run failed. */
export interface WorkflowRunError {
  /** Machine-readable error code. */
  code: string;
  /** What went wrong, naming the step that failed when there is one. */
  message: string;
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
  /** The workflow's result once `status` is `succeeded`, else `null`. */
  output: TOutput | null;
  /** Why the run failed once `status` is `failed`, else `null`. */
  error: WorkflowRunError | null;
  /** When the run was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When it finished, or `null` while it runs. */
  finishedAt: string | null;
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
   * How long to wait in all, in milliseconds, before rejecting with `FlowTimeoutError`; unlike
   * `RequestOptions.timeoutMs`, which limits each request, this bounds the whole wait.
   * @default no limit: waits until the run finishes or `signal` aborts
   */
  timeoutMs?: number | undefined;
}

/** Starts workflows and follows their runs. Not available yet: every method rejects with `FlowNotAvailableError`. */
@injectable()
export class WorkflowsNamespace {
  /** Lists the workspace's workflows. */
  list(params?: WorkflowsListParams, options?: RequestOptions): PagePromise<Workflow> {
    return notAvailablePage<Workflow>("workflows.list");
  }

  /** Resolves to the workflow `id`. */
  async get(id: string, options?: RequestOptions): Promise<Workflow> {
    throw notAvailable("workflows.get");
  }

  /** Starts a run of the workflow `id` with `input` and resolves to it as soon as it is queued. */
  async start<TOutput = unknown>(id: string, input?: unknown, options?: RequestOptions): Promise<WorkflowRun<TOutput>> {
    throw notAvailable("workflows.start");
  }

  /** Lists the runs of the workflow `id`, newest first. */
  listRuns(id: string, params?: WorkflowsListRunsParams, options?: RequestOptions): PagePromise<WorkflowRun> {
    return notAvailablePage<WorkflowRun>("workflows.listRuns");
  }

  /** Resolves to the run `runId`, finished or not. */
  async getRun<TOutput = unknown>(runId: string, options?: RequestOptions): Promise<WorkflowRun<TOutput>> {
    throw notAvailable("workflows.getRun");
  }

  /** Resolves to the run `runId` once it has finished, whether it succeeded or not. */
  async waitForRun<TOutput = unknown>(
    runId: string,
    params?: WorkflowsWaitForRunParams,
    options?: RequestOptions,
  ): Promise<WorkflowRun<TOutput>> {
    throw notAvailable("workflows.waitForRun");
  }

  /** Asks the run `runId` to stop and resolves to it; a finished run is returned unchanged. */
  async cancelRun(runId: string, options?: RequestOptions): Promise<WorkflowRun> {
    throw notAvailable("workflows.cancelRun");
  }
}
