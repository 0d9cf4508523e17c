// flow.jobs: background jobs: submit work to run later, follow it, and report progress from inside it.
// Not available yet: the types below are the planned API; every method rejects with
// FlowNotAvailableError.
import { injectable } from "tsyringe";
import type { RequestOptions } from "../http/request-options.js";
import type { PagePromise } from "../pagination.js";
import { notAvailable, notAvailablePage } from "./not-available.js";

/** Where a job stands. */
export type JobStatus = "scheduled" | "queued" | "running" | "succeeded" | "failed" | "cancelled";

/** Progress a running job reported. */
export interface JobProgress {
  /** Percent done, from 0 to 100. */
  percent: number;
  /** What the job is doing now, if it said. */
  message: string | null;
}

/** Why a job failed. */
export interface JobError {
  /** Machine-readable error code. */
  code: string;
  /** What went wrong. */
  message: string;
}

/** A background job. */
export interface Job<TPayload = unknown, TResult = unknown> {
  /** The job's id (`JOB_ID` inside the job). */
  id: string;
  /** The kind of work, which selects the handler, e.g. `send-report`. */
  type: string;
  /** Where the job stands. */
  status: JobStatus;
  /** The input it was submitted with. */
  payload: TPayload;
  /** The job's result once `status` is `succeeded`, else `null`. */
  result: TResult | null;
  /** Why it failed once `status` is `failed`, else `null`. */
  error: JobError | null;
  /** The latest progress reported, or `null` if none. */
  progress: JobProgress | null;
  /** When the job is due to start, as an ISO 8601 timestamp. */
  runAt: string;
  /** When the job was submitted, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When it finished, or `null` until then. */
  finishedAt: string | null;
}

/** Parameters of `jobs.submit`. */
export interface JobsSubmitParams<TPayload = unknown> {
  /** The kind of work, which selects the handler, e.g. `send-report`. */
  type: string;
  /** Input for the handler, sent as JSON. */
  payload?: TPayload | undefined;
  /**
   * When to start, as a `Date` or an ISO 8601 timestamp.
   * @default now
   */
  runAt?: Date | string | undefined;
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
   * How long to wait in all, in milliseconds, before rejecting with `FlowTimeoutError`; unlike
   * `RequestOptions.timeoutMs`, which limits each request, this bounds the whole wait.
   * @default no limit: waits until the job finishes or `signal` aborts
   */
  timeoutMs?: number | undefined;
}

/** Submits and follows background jobs. Not available yet: every method rejects with `FlowNotAvailableError`. */
@injectable()
export class JobsNamespace {
  /**
   * Submits a job and resolves to it as soon as it is queued.
   * @example
   * const job = await flow.jobs.submit({ type: "send-report", payload: { to: "ops@example.com" } });
   */
  async submit<TPayload = unknown>(params: JobsSubmitParams<TPayload>, options?: RequestOptions): Promise<Job<TPayload>> {
    throw notAvailable("jobs.submit");
  }

  /** Resolves to the job `id`. */
  async get<TPayload = unknown, TResult = unknown>(id: string, options?: RequestOptions): Promise<Job<TPayload, TResult>> {
    throw notAvailable("jobs.get");
  }

  /** Lists the workspace's jobs, newest first. */
  list(params?: JobsListParams, options?: RequestOptions): PagePromise<Job> {
    return notAvailablePage<Job>("jobs.list");
  }

  /** Cancels the job `id` and resolves to it; a finished job is returned unchanged. */
  async cancel(id: string, options?: RequestOptions): Promise<Job> {
    throw notAvailable("jobs.cancel");
  }

  /** Resolves to the job `id` once it has finished, whether it succeeded or not. */
  async wait<TPayload = unknown, TResult = unknown>(
    id: string,
    params?: JobsWaitParams,
    options?: RequestOptions,
  ): Promise<Job<TPayload, TResult>> {
    throw notAvailable("jobs.wait");
  }

  /** Resolves to the job this code runs as (`JOB_ID`), or `null` when it is not running as a job. */
  async current<TPayload = unknown, TResult = unknown>(options?: RequestOptions): Promise<Job<TPayload, TResult> | null> {
    throw notAvailable("jobs.current");
  }

  /** Reports the current job's progress (`percent` from 0 to 100); rejects outside a job. */
  async reportProgress(percent: number, message?: string, options?: RequestOptions): Promise<void> {
    throw notAvailable("jobs.reportProgress");
  }
}
