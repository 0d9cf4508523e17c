// The job queue: durable in the platform database, at-least-once. A job is claimed in a
// transaction (queued → running) before its block starts; a job left running by a platform that
// died is queued again at the next start. Attempts back off exponentially; each type runs at most
// `concurrency` jobs at once.
import { createHash, randomBytes } from "node:crypto";
import type { JobListInput, JobSubmitInput } from "../../src/dto/index.js";
import type { Execution } from "../../src/namespaces/code-blocks.js";
import type { Job, JobError, JobStatus } from "../../src/namespaces/jobs.js";
import { tenantParams, type Tenant } from "../auth.js";
import { HttpError } from "../errors.js";
import { IDEMPOTENCY_TTL_MS } from "../store/idempotency.js";
import { backoffMs } from "../manifest.js";
import { DEFAULT_LIMIT, decodeCursor, encodeCursor, listKind, toPage, type Page } from "../pagination.js";
import { storedCaller, type Caller, type StoredCaller, type WorkDeps } from "./executions.js";
import { isFinalStatus } from "../../src/dto/index.js";

interface Row extends StoredCaller {
  seq: number;
  id: string;
  org: string;
  ws: string;
  type: string;
  status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  payload: string;
  result: string | null;
  error: string | null;
  progress_percent: number | null;
  progress_message: string | null;
  attempts: number;
  max_attempts: number;
  run_at: number;
  cancel_requested: number;
  execution_id: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

const CANCELLED = JSON.stringify({ code: "cancelled", message: "the job was cancelled" } satisfies JobError);

/** The platform's job queue. */
export class JobQueue {
  /** Jobs of each type running now. */
  readonly #running = new Map<string, number>();
  /** The attempt under way of each running job, settled once its outcome is written. */
  readonly #attempts = new Map<string, Promise<void>>();
  #cancelTimer: (() => void) | undefined;
  #started = false;
  #closed = false;
  readonly #sql;

  /** Creates the queue; nothing runs until {@link JobQueue.start}. */
  constructor(private readonly deps: WorkDeps) {
    const db = deps.db;
    this.#sql = {
      byId: db.prepare("SELECT * FROM jobs WHERE id = @id AND org = @org AND ws = @ws"),
      byKey: db.prepare("SELECT * FROM jobs WHERE org = @org AND ws = @ws AND subject = @subject AND idempotency_key = @key"),
      releaseKey: db.prepare("UPDATE jobs SET idempotency_key = NULL, idempotency_fingerprint = NULL WHERE id = @id"),
      insert: db.prepare(
        `INSERT INTO jobs (id, org, ws, type, status, payload, max_attempts, run_at, subject, scopes, request_id, traceparent, tracestate,
           idempotency_key, idempotency_fingerprint, created_at, updated_at)
         VALUES (@id, @org, @ws, @type, 'queued', @payload, @maxAttempts, @runAt, @subject, @scopes, @requestId, @traceparent, @tracestate,
           @key, @fingerprint, @now, @now)`,
      ),
      cancelQueued: db.prepare("UPDATE jobs SET status = 'cancelled', error = @error, finished_at = @now, updated_at = @now WHERE id = @id AND status = 'queued'"),
      requestCancel: db.prepare("UPDATE jobs SET cancel_requested = 1, updated_at = @now WHERE id = @id"),
      cancelRequested: db.prepare("SELECT cancel_requested FROM jobs WHERE id = ?").pluck(),
      progress: db.prepare("UPDATE jobs SET progress_percent = @percent, progress_message = @message, updated_at = @now WHERE id = @id AND status = 'running'"),
      due: db.prepare("SELECT * FROM jobs WHERE status = 'queued' AND type = @type AND run_at <= @now ORDER BY run_at, seq LIMIT @free"),
      claim: db.prepare("UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = @now, updated_at = @now WHERE id = @id AND status = 'queued'"),
      nextDue: db.prepare("SELECT MIN(run_at) AS at FROM jobs WHERE status = 'queued' AND run_at > @now"),
      started: db.prepare("UPDATE jobs SET execution_id = @execution, progress_percent = NULL, progress_message = NULL WHERE id = @id"),
      retry: db.prepare("UPDATE jobs SET status = 'queued', error = @error, run_at = @runAt, updated_at = @now WHERE id = @id"),
      finish: db.prepare("UPDATE jobs SET status = @status, result = @result, error = @error, finished_at = @now, updated_at = @now WHERE id = @id"),
    };
  }

  /**
   * Queues a job. A submit with an `Idempotency-Key` that this caller already used returns that
   * job: the queue itself never holds two jobs for one key.
   * @throws {HttpError} 400 `validation_error` on `type` when the manifest declares no such job type.
   */
  submit(tenant: Tenant, caller: Caller, input: JobSubmitInput, idempotencyKey: string | undefined): Job {
    const def = this.deps.manifest().jobs.get(input.type);
    if (!def) {
      const known = [...this.deps.manifest().jobs.keys()];
      const message = `no job type ${JSON.stringify(input.type)} in the manifest (flow-local.json "jobs"); ${known.length > 0 ? `the types are: ${known.join(", ")}` : "it declares none"}`;
      throw new HttpError(400, "validation_error", `Job not submitted: ${message}`, { issues: [{ path: "type", message }] });
    }
    const key = { ...tenantParams(tenant), subject: caller.subject };
    const now = this.deps.clock.now();
    // The key is kept with the job as well as in the idempotency store, so a retried submit whose
    // stored answer was lost still finds its job; like the store, for 24 hours and for the same
    // submit only.
    const fingerprint = idempotencyKey === undefined ? null : createHash("sha256").update(JSON.stringify(input)).digest("hex");
    if (idempotencyKey !== undefined) {
      const existing = this.#sql.byKey.get({ ...key, key: idempotencyKey }) as (Row & { idempotency_fingerprint: string | null }) | undefined;
      if (existing && existing.created_at > now - IDEMPOTENCY_TTL_MS) {
        if (existing.idempotency_fingerprint !== fingerprint) {
          throw new HttpError(422, "idempotency_key_reused", "This Idempotency-Key was first used to submit another job; use a new key for a new call");
        }
        return this.#toJob(existing);
      }
      if (existing) this.#sql.releaseKey.run({ id: existing.id });
    }
    const id = `job_${randomBytes(12).toString("hex")}`;
    this.#sql.insert.run({
      id,
      ...key,
      type: input.type,
      payload: JSON.stringify(input.payload ?? null),
      maxAttempts: input.maxAttempts ?? def.maxAttempts,
      runAt: input.runAt === undefined ? now : Math.max(now, Date.parse(input.runAt)),
      scopes: JSON.stringify(caller.scopes),
      requestId: caller.requestId,
      traceparent: caller.traceparent,
      tracestate: caller.tracestate,
      key: idempotencyKey ?? null,
      fingerprint,
      now,
    });
    // The answer is the job as queued (or scheduled): it may start right after.
    const job = this.get(tenant, id)!;
    this.#pump();
    return job;
  }

  /** The job `id` of `tenant`, or undefined. */
  get(tenant: Tenant, id: string): Job | undefined {
    const row = this.#sql.byId.get({ id, ...tenantParams(tenant) }) as Row | undefined;
    return row && this.#toJob(row);
  }

  /** A page of the tenant's jobs, newest first, by type and status. */
  list(tenant: Tenant, input: JobListInput): Page<Job> {
    const limit = input.limit ?? DEFAULT_LIMIT;
    const kind = listKind("jobs", input.type ?? null, input.status ?? null);
    const before = input.cursor === undefined ? null : decodeCursor(kind, input.cursor, "number");
    const now = this.deps.clock.now();
    // "scheduled" and "queued" are one stored status, told apart by whether run_at has come.
    const status = input.status === "scheduled" || input.status === "queued" ? "queued" : (input.status ?? null);
    const due = input.status === "scheduled" ? "AND run_at > @now" : input.status === "queued" ? "AND run_at <= @now" : "";
    const rows = this.deps.db
      .prepare(
        `SELECT * FROM jobs WHERE org = @org AND ws = @ws AND (@type IS NULL OR type = @type) AND (@status IS NULL OR status = @status) ${due}
         AND (@before IS NULL OR seq < @before) ORDER BY seq DESC LIMIT @take`,
      )
      .all({ ...tenantParams(tenant), type: input.type ?? null, status, now, before, take: limit + 1 }) as Row[];
    return toPage(rows, limit, (row) => this.#toJob(row), (row) => encodeCursor(kind, row.seq));
  }

  /**
   * Cancels the job `id`: one not started yet at once; a running one by stopping its process (its
   * signal, SIGTERM, SIGKILL after the grace period), resolving once it is gone. A finished job is
   * returned unchanged.
   * @throws {HttpError} 404 `not_found`.
   */
  async cancel(tenant: Tenant, id: string): Promise<Job> {
    const row = this.#row(tenant, id);
    if (isFinalStatus(row.status)) return this.#toJob(row);
    const now = this.deps.clock.now();
    if (this.#sql.cancelQueued.run({ id, error: CANCELLED, now }).changes === 0) {
      this.#sql.requestCancel.run({ id, now });
      const execution = this.#row(tenant, id).execution_id;
      if (execution) await this.deps.executor.cancel(execution);
      await this.#attempts.get(id);
    }
    this.deps.changes.notify(id);
    return this.get(tenant, id)!;
  }

  /**
   * Records the progress the running job `id` reports.
   * @throws {HttpError} 404 `not_found`; 409 `job_not_running` when it is not running.
   */
  progress(tenant: Tenant, id: string, percent: number, message: string | undefined): Job {
    const row = this.#row(tenant, id);
    const changed = this.#sql.progress.run({ id, percent, message: message ?? null, now: this.deps.clock.now() });
    if (changed.changes === 0) {
      throw new HttpError(409, "job_not_running", `Job ${id} is ${this.#toJob(row).status}, not running; progress is reported while a job runs`);
    }
    this.deps.changes.notify(id);
    return this.get(tenant, id)!;
  }

  /**
   * Starts the queue: jobs a previous platform left running are queued again (that attempt does
   * not count: it never ended), then due jobs start.
   */
  start(): void {
    const now = this.deps.clock.now();
    const db = this.deps.db;
    db.transaction(() => {
      db.prepare("UPDATE jobs SET status = 'cancelled', error = @error, finished_at = @now, updated_at = @now WHERE status = 'running' AND cancel_requested = 1").run({ error: CANCELLED, now });
      db.prepare("UPDATE jobs SET status = 'queued', attempts = MAX(attempts - 1, 0), run_at = @now, updated_at = @now WHERE status = 'running'").run({ now });
    })();
    this.#started = true;
    this.#pump();
  }

  /** Looks for work again: the manifest changed (new types, other limits). */
  wake(): void {
    this.#pump();
  }

  /** Stops starting jobs; the executor stops those running (they are queued again at the next start). */
  close(): void {
    this.#closed = true;
    this.#cancelTimer?.();
  }

  #row(tenant: Tenant, id: string): Row {
    const row = this.#sql.byId.get({ id, ...tenantParams(tenant) }) as Row | undefined;
    if (!row) throw new HttpError(404, "not_found", `Job ${JSON.stringify(id)} does not exist in this workspace`);
    return row;
  }

  /** Starts every due job that has a free slot of its type, then sets a timer for the next one due. */
  #pump(): void {
    if (!this.#started || this.#closed) return;
    try {
      const now = this.deps.clock.now();
      // A type the manifest does not declare (say, while it is being edited) is not run: its jobs
      // wait, queued, until it is back.
      for (const def of this.deps.manifest().jobs.values()) {
        const free = def.concurrency - (this.#running.get(def.type) ?? 0);
        if (free <= 0) continue;
        for (const row of this.#sql.due.all({ type: def.type, now, free }) as Row[]) {
          if (this.#sql.claim.run({ id: row.id, now }).changes === 0) continue;
          this.#running.set(def.type, (this.#running.get(def.type) ?? 0) + 1);
          const attempt = this.#attempt({ ...row, attempts: row.attempts + 1, status: "running" }).finally(() => {
            this.#running.set(def.type, (this.#running.get(def.type) ?? 1) - 1);
            this.#attempts.delete(row.id);
            this.#pump();
          });
          this.#attempts.set(row.id, attempt);
        }
      }

      this.#cancelTimer?.();
      this.#cancelTimer = undefined;
      const next = this.#sql.nextDue.get({ now }) as { at: number | null };
      if (next.at !== null) this.#cancelTimer = this.deps.clock.setTimer(next.at - now, () => this.#pump());
    } catch (error) {
      this.deps.report(error);
    }
  }

  /** Runs one attempt of `row` and records how it ended. */
  async #attempt(row: Row): Promise<void> {
    const manifest = this.deps.manifest();
    const def = manifest.jobs.get(row.type);
    const block = def && manifest.codeBlocks.get(def.codeBlock);
    if (!def || !block) {
      this.#finish(row.id, "failed", null, { code: "unknown_type", message: `job type ${JSON.stringify(row.type)} or its code block is no longer in the manifest` });
      return;
    }
    const tenant = { orgId: row.org, workspaceId: row.ws };
    const caller = storedCaller(row);
    let finished: Execution;
    try {
      const { execution, done } = this.deps.executor.start({ tenant, block, input: row.payload, caller, timeoutSeconds: def.timeoutSeconds, jobId: row.id, attempt: row.attempts });
      this.#sql.started.run({ id: row.id, execution: execution.id });
      this.deps.changes.notify(row.id);
      finished = await done;
    } catch (error) {
      this.deps.report(error);
      return;
    }
    // Stopped by the platform's own stop: the job stays running, to be queued again at the next
    // start. An attempt that ended on its own meanwhile is recorded like any other.
    if (finished.error?.code === "platform_stopped") return;
    const cancelRequested = (this.#sql.cancelRequested.get(row.id) as number) === 1;
    if (finished.status === "succeeded") this.#finish(row.id, "succeeded", JSON.stringify(finished.output), null);
    else if (cancelRequested || finished.status === "cancelled") this.#finish(row.id, "cancelled", null, { code: "cancelled", message: "the job was cancelled" });
    else if (row.attempts < row.max_attempts) {
      const delay = backoffMs(def.backoffSeconds, row.attempts);
      const now = this.deps.clock.now();
      this.#sql.retry.run({ id: row.id, error: JSON.stringify(finished.error), runAt: now + delay, now });
      this.deps.changes.notify(row.id);
    } else this.#finish(row.id, "failed", null, finished.error);
  }

  #finish(id: string, status: "succeeded" | "failed" | "cancelled", result: string | null, error: JobError | null): void {
    const now = this.deps.clock.now();
    this.#sql.finish.run({ id, status, result, error: error && JSON.stringify(error), now });
    this.deps.changes.notify(id);
  }

  #toJob(row: Row): Job {
    const status: JobStatus = row.status === "queued" && row.run_at > this.deps.clock.now() ? "scheduled" : row.status;
    return {
      id: row.id,
      type: row.type,
      status,
      payload: JSON.parse(row.payload) as unknown,
      result: row.result === null ? null : (JSON.parse(row.result) as unknown),
      error: row.error === null ? null : (JSON.parse(row.error) as JobError),
      progress: row.progress_percent === null ? null : { percent: row.progress_percent, message: row.progress_message },
      attempts: row.attempts,
      maxAttempts: row.max_attempts,
      runAt: new Date(row.run_at).toISOString(),
      executionId: row.execution_id,
      createdAt: new Date(row.created_at).toISOString(),
      startedAt: row.started_at === null ? null : new Date(row.started_at).toISOString(),
      finishedAt: row.finished_at === null ? null : new Date(row.finished_at).toISOString(),
    };
  }
}
