// flow.jobs: background jobs: submit work to run later, follow it, and report progress from inside it.
import { inject, injectable } from "tsyringe";
import type { FlowConfig } from "../container/config.js";
import { TOKENS } from "../container/tokens.js";
import { isFinalStatus, JobIdInput, JobListInput, JobProgressInput, JobSubmitInput, validateInput } from "../dto/index.js";
import { FlowConfigError } from "../errors.js";
import type { RequestOptions } from "../http/request-options.js";
import { wireDate } from "../internal/dates.js";
import { WorkspaceClient } from "../internal/workspace-client.js";
import type { PagePromise } from "../pagination.js";

/**
 * Where a job stands: `scheduled` (its `runAt`, or its next attempt, is still ahead), `queued`
 * (due, waiting for a free slot of its type), `running`; then, final, `succeeded`, `failed` or
 * `cancelled`.
 */
export type JobStatus = "scheduled" | "queued" | "running" | "succeeded" | "failed" | "cancelled";

/** Progress a running job reported. */
export interface JobProgress {
  /** Percent done, from 0 to 100. */
  percent: number;
  /** What the job is doing now, if it said. */
  message: string | null;
}

/** Why a job (or its last attempt) failed. */
export interface JobError {
  /** What kind of failure, as for an execution (`block_error`, `timeout`, `crashed`, ...), or `cancelled`. */
  code: string;
  /** The thrown error's name, when the block threw. */
  name?: string;
  /** What went wrong. */
  message: string;
}

/** A background job. */
export interface Job<TPayload = unknown, TResult = unknown> {
  /** The job's id (`JOB_ID` inside the job). */
  id: string;
  /** The kind of work, which selects the code block that runs it, e.g. `send-report`. */
  type: string;
  /** Where the job stands. */
  status: JobStatus;
  /** The input it was submitted with (the block's `input`). */
  payload: TPayload;
  /** The block's return value once `status` is `succeeded`, else `null`. */
  result: TResult | null;
  /** Why the last attempt failed: set when the job failed, and while it waits to be retried; else `null`. */
  error: JobError | null;
  /** The latest progress reported, or `null` if none. */
  progress: JobProgress | null;
  /** Attempts started so far. */
  attempts: number;
  /** Attempts it may take before it fails. */
  maxAttempts: number;
  /** When the job (or its next attempt) is due, as an ISO 8601 timestamp. */
  runAt: string;
  /** The execution of its latest attempt (its logs: `codeBlocks.getExecution`), or `null` before the first. */
  executionId: string | null;
  /** When the job was submitted, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When its latest attempt started, or `null` until then. */
  startedAt: string | null;
  /** When it finished, or `null` until then. */
  finishedAt: string | null;
}

/** Parameters of `jobs.submit`. */
export interface JobsSubmitParams<TPayload = unknown> {
  /** The kind of work, which selects the code block that runs it (a key of the manifest's `jobs`). */
  type: string;
  /** Input for the block, any JSON value. */
  payload?: TPayload | undefined;
  /**
   * When to start, as a `Date` or an ISO 8601 timestamp with a time zone.
   * @default now
   */
  runAt?: Date | string | undefined;
  /**
   * Attempts before the job fails (1 to 100); a failed attempt is retried after a backoff that
   * doubles each time.
   * @default the job type's `maxAttempts` (3 on the local platform)
   */
  maxAttempts?: number | undefined;
}

/** Parameters of `jobs.list`. */
export interface JobsListParams {
  /** Only jobs of this type. */
  type?: string | undefined;
  /** Only jobs in this status. */
  status?: JobStatus | undefined;
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Parameters of `jobs.wait`. */
export interface JobsWaitParams {
  /**
   * How long to wait in all, in milliseconds, before rejecting with `FlowTimeoutError` (the job
   * goes on); unlike `RequestOptions.timeoutMs`, which limits each request, this bounds the whole wait.
   * @default no limit: waits until the job finishes or `signal` aborts
   */
  timeoutMs?: number | undefined;
  /** Ends the wait (not the job) with `FlowAbortError`; the same as `RequestOptions.signal`. */
  signal?: AbortSignal | undefined;
}

/** Submits and follows background jobs; inside a job, reports its progress. */
@injectable()
export class JobsNamespace {
  /** Built by the container. */
  constructor(
    @inject(WorkspaceClient) private readonly client: WorkspaceClient,
    @inject(TOKENS.Config) private readonly config: FlowConfig,
  ) {}

  /**
   * Submits a job and resolves to it as soon as it is queued (`queued`, or `scheduled` for a
   * later `runAt`); it may start right after. Delivery is at least once: a job
   * may run again after a crash, so make its work safe to repeat. A retried submit (same
   * `idempotencyKey`, which the SDK sets per call) creates one job.
   *
   * @example
   * const job = await flow.jobs.submit({ type: "send-report", payload: { to: "ops@example.com" } });
   * @throws {FlowValidationError} for an unknown `type` (the message names the types there are),
   * a payload that is not JSON or a bad `runAt`, before the job exists.
   */
  async submit<TPayload = unknown>(params: JobsSubmitParams<TPayload>, options?: RequestOptions): Promise<Job<TPayload>> {
    const input = validateInput(JobSubmitInput, params?.runAt === undefined ? params : { ...params, runAt: wireDate(params.runAt) }, "jobs.submit");
    return this.client.post<Job<TPayload>>(this.client.path("jobs"), { ...input }, options);
  }

  /**
   * Resolves to the job `id`.
   *
   * @throws {FlowNotFoundError} when there is no such job in this workspace.
   */
  async get<TPayload = unknown, TResult = unknown>(id: string, options?: RequestOptions): Promise<Job<TPayload, TResult>> {
    const input = validateInput(JobIdInput, { id }, "jobs.get");
    return this.client.get<Job<TPayload, TResult>>(this.client.path("jobs", input.id), options);
  }

  /**
   * The workspace's jobs, newest first, by `type` and `status`; await for the first page or `for await` over all.
   *
   * @example for await (const job of flow.jobs.list({ status: "failed" })) console.log(job.id, job.error?.message);
   */
  list(params: JobsListParams = {}, options?: RequestOptions): PagePromise<Job> {
    return this.client.list(() => ({ path: this.client.path("jobs"), query: validateInput(JobListInput, params, "jobs.list") }), options);
  }

  /**
   * Cancels the job `id` and resolves to it: a job not started yet is `cancelled` at once; a
   * running one has its block's `signal` aborted and its process sent SIGTERM, then SIGKILL after
   * a grace period, and this resolves once the process is gone. A finished job is returned unchanged.
   *
   * @throws {FlowNotFoundError} when there is no such job.
   */
  async cancel(id: string, options?: RequestOptions): Promise<Job> {
    const input = validateInput(JobIdInput, { id }, "jobs.cancel");
    return this.client.post<Job>(`${this.client.path("jobs", input.id)}/cancel`, {}, options);
  }

  /**
   * Resolves to the job `id` once it has finished, whether it succeeded, failed or was cancelled,
   * long-polling the platform; `timeoutMs` bounds the whole wait and `signal` ends it at once.
   *
   * @example const done = await flow.jobs.wait(job.id, { timeoutMs: 60_000 });
   * @throws {FlowTimeoutError} when `timeoutMs` passes first (the job goes on).
   * @throws {FlowAbortError} when `signal` aborts.
   */
  async wait<TPayload = unknown, TResult = unknown>(id: string, params: JobsWaitParams = {}, options?: RequestOptions): Promise<Job<TPayload, TResult>> {
    const input = validateInput(JobIdInput, { id }, "jobs.wait");
    return this.client.waitFor<Job<TPayload, TResult>>(
      this.client.path("jobs", input.id),
      (job) => isFinalStatus(job.status),
      params,
      options,
      { method: "jobs.wait", describe: (last) => `job ${input.id}${last ? ` (${last.status})` : ""}` },
    );
  }

  /** Resolves to the job this code runs as (`JOB_ID`), or `null` when it is not running as a job. */
  async current<TPayload = unknown, TResult = unknown>(options?: RequestOptions): Promise<Job<TPayload, TResult> | null> {
    if (this.config.jobId === undefined) return null;
    return this.get<TPayload, TResult>(this.config.jobId, options);
  }

  /**
   * Reports the progress of the job this code runs as (`JOB_ID`): `percent` from 0 to 100 and
   * what it is doing; `jobs.get` shows it while the job runs.
   *
   * @example await flow.jobs.reportProgress(40, "resized 40 of 100 images");
   * @throws {FlowConfigError} outside a job (no `JOB_ID`).
   * @throws {FlowConflictError} when the job is not running (it finished, or was cancelled).
   */
  async reportProgress(percent: number, message?: string, options?: RequestOptions): Promise<void> {
    const jobId = this.config.jobId;
    const input = validateInput(JobProgressInput, { id: jobId ?? "-", percent, ...(message === undefined ? {} : { message }) }, "jobs.reportProgress");
    if (jobId === undefined) throw new FlowConfigError("jobs.reportProgress needs JOB_ID (option jobId): it reports the progress of the job this code runs as, and this process is not running a job");
    const { id: _id, ...body } = input;
    await this.client.post<Job>(`${this.client.path("jobs", jobId)}/progress`, body, options);
  }
}
