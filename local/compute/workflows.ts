// Workflow runs: steps run in order, each a code block execution that sees the run's input and
// the outputs of the steps before it. A run's state (each step's status, attempts and output) is
// written as it moves, so a platform killed mid-run goes on, after its restart, at the first
// unfinished step, without running a finished one again.
import { randomBytes } from "node:crypto";
import type { WorkflowListRunsInput } from "../../src/dto/index.js";
import type { Execution } from "../../src/namespaces/code-blocks.js";
import type { WorkflowRun, WorkflowRunError, WorkflowRunStatus, WorkflowRunStep, WorkflowStepStatus } from "../../src/namespaces/workflows.js";
import { tenantParams, type Tenant } from "../auth.js";
import { HttpError } from "../errors.js";
import { backoffMs, type StepDef, type WorkflowDef } from "../manifest.js";
import { DEFAULT_LIMIT, decodeCursor, encodeCursor, listKind, toPage, type Page } from "../pagination.js";
import { storedCaller, type Caller, type StoredCaller, type WorkDeps } from "./executions.js";
import { isFinalStatus } from "../../src/dto/index.js";

interface RunRow extends StoredCaller {
  seq: number;
  id: string;
  org: string;
  ws: string;
  workflow_id: string;
  status: WorkflowRunStatus;
  input: string;
  output: string | null;
  error: string | null;
  definition: string;
  cancel_requested: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

interface StepRow {
  run_id: string;
  idx: number;
  step_id: string;
  code_block_id: string;
  status: WorkflowStepStatus;
  attempts: number;
  max_attempts: number;
  output: string | null;
  error: string | null;
  execution_id: string | null;
  next_attempt_at: number | null;
  started_at: number | null;
  finished_at: number | null;
}

/** Runs workflows and keeps their state. */
export class WorkflowEngine {
  /** The advance under way of each run this platform is moving. */
  readonly #active = new Map<string, Promise<void>>();
  /** Retry timers of runs waiting for a step's next attempt. */
  readonly #timers = new Map<string, () => void>();
  #closed = false;
  private readonly runById;
  private readonly stepsOf;

  /** Creates the engine; nothing moves until {@link WorkflowEngine.start}. */
  constructor(private readonly deps: WorkDeps) {
    this.runById = deps.db.prepare("SELECT * FROM workflow_runs WHERE id = ?");
    this.stepsOf = deps.db.prepare("SELECT * FROM workflow_steps WHERE run_id = ? ORDER BY idx");
  }

  /** Starts a run of `workflow` with `input` (JSON text) and returns it, queued. */
  startRun(tenant: Tenant, caller: Caller, workflow: WorkflowDef, input: string): WorkflowRun {
    const id = `run_${randomBytes(12).toString("hex")}`;
    const now = this.deps.clock.now();
    const db = this.deps.db;
    db.transaction(() => {
      db.prepare(
        `INSERT INTO workflow_runs (id, org, ws, workflow_id, status, input, definition, subject, scopes, request_id, traceparent, tracestate, created_at, updated_at)
         VALUES (@id, @org, @ws, @workflow, 'queued', @input, @definition, @subject, @scopes, @requestId, @traceparent, @tracestate, @now, @now)`,
      ).run({
        id,
        ...tenantParams(tenant),
        workflow: workflow.id,
        input,
        definition: JSON.stringify(workflow.steps),
        subject: caller.subject,
        scopes: JSON.stringify(caller.scopes),
        requestId: caller.requestId,
        traceparent: caller.traceparent,
        tracestate: caller.tracestate,
        now,
      });
      const step = db.prepare("INSERT INTO workflow_steps (run_id, idx, step_id, code_block_id, status, max_attempts) VALUES (?, ?, ?, ?, 'pending', ?)");
      workflow.steps.forEach((s, idx) => step.run(id, idx, s.id, s.codeBlock, s.maxAttempts));
    })();
    // The answer is the run as queued: the first step starts right after.
    const run = this.get(tenant, id)!;
    this.#advance(id);
    return run;
  }

  /** The run `id` of `tenant`, or undefined. */
  get(tenant: Tenant, id: string): WorkflowRun | undefined {
    const row = this.runById.get(id) as RunRow | undefined;
    if (!row || row.org !== tenant.orgId || row.ws !== tenant.workspaceId) return undefined;
    return this.#toRun(row);
  }

  /** A page of the runs of `input.id`, newest first. */
  listRuns(tenant: Tenant, input: WorkflowListRunsInput): Page<WorkflowRun> {
    const limit = input.limit ?? DEFAULT_LIMIT;
    const kind = listKind("workflow-runs", input.id, input.status ?? null);
    const before = input.cursor === undefined ? null : decodeCursor(kind, input.cursor, "number");
    const rows = this.deps.db
      .prepare(
        `SELECT * FROM workflow_runs WHERE org = @org AND ws = @ws AND workflow_id = @workflow AND (@status IS NULL OR status = @status)
         AND (@before IS NULL OR seq < @before) ORDER BY seq DESC LIMIT @take`,
      )
      .all({ ...tenantParams(tenant), workflow: input.id, status: input.status ?? null, before, take: limit + 1 }) as RunRow[];
    return toPage(rows, limit, (row) => this.#toRun(row), (row) => encodeCursor(kind, row.seq));
  }

  /**
   * Cancels the run `id`: no further step starts, and a step running is stopped; resolves once
   * it is gone. A finished run is returned unchanged.
   * @throws {HttpError} 404 `not_found`.
   */
  async cancel(tenant: Tenant, id: string): Promise<WorkflowRun> {
    const row = this.runById.get(id) as RunRow | undefined;
    if (!row || row.org !== tenant.orgId || row.ws !== tenant.workspaceId) throw notFound(id);
    if (isFinalStatus(row.status)) return this.#toRun(row);
    this.deps.db.prepare("UPDATE workflow_runs SET cancel_requested = 1, updated_at = ? WHERE id = ?").run(this.deps.clock.now(), id);
    const running = (this.stepsOf.all(id) as StepRow[]).find((step) => step.status === "running");
    if (running?.execution_id) await this.deps.executor.cancel(running.execution_id);
    await this.#active.get(id);
    // Not being moved (waiting for a retry, or not started): it ends here.
    const now = this.runById.get(id) as RunRow;
    if (!isFinalStatus(now.status)) this.#end(id, "cancelled", null, { code: "cancelled", message: "the run was cancelled" }, "cancelled");
    return this.get(tenant, id)!;
  }

  /**
   * Starts the engine: runs a previous platform left unfinished go on. A step it left running is
   * run again (that attempt does not count: it never ended); finished steps are not.
   */
  start(): void {
    const db = this.deps.db;
    // A run cancelled while a step ran, and then killed, ends as cancel would have ended it: the
    // step that ran cancelled, the rest skipped.
    const cancelled = db.prepare("SELECT id FROM workflow_runs WHERE status IN ('queued', 'running') AND cancel_requested = 1").pluck().all() as string[];
    for (const id of cancelled) {
      db.prepare("UPDATE workflow_steps SET status = 'cancelled', finished_at = @now WHERE run_id = @id AND status = 'running'").run({ id, now: this.deps.clock.now() });
      this.#end(id, "cancelled", null, { code: "cancelled", message: "the run was cancelled" }, "cancelled");
    }
    const unfinished = db.prepare("SELECT id FROM workflow_runs WHERE status IN ('queued', 'running')").pluck().all() as string[];
    db.prepare(
      `UPDATE workflow_steps SET status = 'pending', attempts = MAX(attempts - 1, 0), started_at = NULL
       WHERE status = 'running' AND run_id IN (SELECT id FROM workflow_runs WHERE status IN ('queued', 'running'))`,
    ).run();
    for (const id of unfinished) this.#advance(id);
  }

  /** Stops moving runs; the executor stops running steps (they run again at the next start). */
  close(): void {
    this.#closed = true;
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
  }

  /** Moves the run `id` on, unless that is under way already. */
  #advance(id: string): void {
    if (this.#closed || this.#active.has(id)) return;
    const moving = this.#move(id)
      .catch((error: unknown) => this.deps.report(error))
      .finally(() => this.#active.delete(id));
    this.#active.set(id, moving);
  }

  /** Runs the run's steps in order until it ends, or must wait for a retry. */
  async #move(id: string): Promise<void> {
    for (;;) {
      if (this.#closed) return;
      const run = this.runById.get(id) as RunRow;
      if (isFinalStatus(run.status)) return;
      if (run.cancel_requested === 1) return this.#end(id, "cancelled", null, { code: "cancelled", message: "the run was cancelled" }, "cancelled");
      const steps = this.stepsOf.all(id) as StepRow[];
      const step = steps.find((s) => s.status !== "succeeded");
      if (!step) return this.#end(id, "succeeded", steps[steps.length - 1]?.output ?? "null", null, "skipped");
      const now = this.deps.clock.now();
      if (step.next_attempt_at !== null && step.next_attempt_at > now) {
        this.#timers.set(id, this.deps.clock.setTimer(step.next_attempt_at - now, () => {
          this.#timers.delete(id);
          this.#advance(id);
        }));
        return;
      }
      const def = (JSON.parse(run.definition) as StepDef[])[step.idx];
      const block = this.deps.manifest().codeBlocks.get(step.code_block_id);
      const attempt = step.attempts + 1;
      const db = this.deps.db;
      db.prepare("UPDATE workflow_runs SET status = 'running', started_at = COALESCE(started_at, @now), updated_at = @now WHERE id = @id").run({ id, now });
      db.prepare("UPDATE workflow_steps SET status = 'running', attempts = @attempt, started_at = @now, next_attempt_at = NULL WHERE run_id = @id AND idx = @idx").run({ id, idx: step.idx, attempt, now });
      if (!block) {
        const error = { code: "unknown_block", message: `code block ${JSON.stringify(step.code_block_id)} is no longer in the manifest` };
        this.#stepEnded(step, "failed", null, error);
        return this.#fail(id, step, attempt, error);
      }
      const input = JSON.stringify({ input: JSON.parse(run.input) as unknown, steps: Object.fromEntries(steps.filter((s) => s.status === "succeeded").map((s) => [s.step_id, JSON.parse(s.output ?? "null") as unknown])) });
      const caller = storedCaller(run);
      const { execution, done } = this.deps.executor.start({
        tenant: { orgId: run.org, workspaceId: run.ws },
        block,
        input,
        caller,
        timeoutSeconds: def?.timeoutSeconds,
        workflow: { runId: id, stepId: step.step_id },
        attempt,
      });
      db.prepare("UPDATE workflow_steps SET execution_id = ? WHERE run_id = ? AND idx = ?").run(execution.id, id, step.idx);
      this.deps.changes.notify(id);
      const finished: Execution = await done;
      // Stopped by the platform's own stop: the step stays running, to run again at the next start.
      // A step that ended on its own meanwhile is recorded like any other.
      if (finished.error?.code === "platform_stopped") return;
      if (finished.status === "succeeded") {
        this.#stepEnded(step, "succeeded", JSON.stringify(finished.output), null);
        continue;
      }
      const cancelled = finished.status === "cancelled" || (this.runById.get(id) as RunRow).cancel_requested === 1;
      if (cancelled) {
        this.#stepEnded(step, "cancelled", null, { code: "cancelled", message: "the run was cancelled while this step ran" });
        return this.#end(id, "cancelled", null, { code: "cancelled", message: "the run was cancelled" }, "cancelled");
      }
      const error = finished.error ?? { code: "failed", message: "the step failed" };
      if (attempt < step.max_attempts) {
        const delay = backoffMs(def?.backoffSeconds ?? 1, attempt);
        db.prepare("UPDATE workflow_steps SET status = 'pending', error = @error, next_attempt_at = @at WHERE run_id = @id AND idx = @idx").run({
          id,
          idx: step.idx,
          error: JSON.stringify(error),
          at: this.deps.clock.now() + delay,
        });
        this.deps.changes.notify(id);
        continue;
      }
      // One transaction: a kill between the two would run the failed step once more after a restart.
      return this.deps.db.transaction(() => {
        this.#stepEnded(step, "failed", null, error);
        this.#fail(id, step, attempt, error);
      })();
    }
  }

  #stepEnded(step: StepRow, status: WorkflowStepStatus, output: string | null, error: WorkflowRunError | null): void {
    this.deps.db
      .prepare("UPDATE workflow_steps SET status = @status, output = @output, error = @error, finished_at = @now WHERE run_id = @id AND idx = @idx")
      .run({ id: step.run_id, idx: step.idx, status, output, error: error && JSON.stringify(error), now: this.deps.clock.now() });
    this.deps.changes.notify(step.run_id);
  }

  #fail(id: string, step: StepRow, attempts: number, error: WorkflowRunError): void {
    const tries = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
    this.#end(
      id,
      "failed",
      null,
      { code: "step_failed", stepId: step.step_id, message: `step "${step.step_id}" (code block ${step.code_block_id}) failed after ${tries}: ${error.message}` },
      "skipped",
    );
  }

  /** Ends the run; steps that started and never finished are marked `rest`, those that never started `skipped`. */
  #end(id: string, status: WorkflowRunStatus, output: string | null, error: WorkflowRunError | null, rest: WorkflowStepStatus): void {
    const now = this.deps.clock.now();
    const db = this.deps.db;
    db.transaction(() => {
      db.prepare("UPDATE workflow_runs SET status = @status, output = @output, error = @error, finished_at = @now, updated_at = @now WHERE id = @id").run({
        id,
        status,
        output,
        error: error && JSON.stringify(error),
        now,
      });
      // A step that never started is skipped; one that did (waiting for a retry, say) ends as `rest`.
      db.prepare(
        "UPDATE workflow_steps SET status = CASE WHEN attempts > 0 THEN @rest ELSE 'skipped' END, next_attempt_at = NULL WHERE run_id = @id AND status IN ('pending', 'running')",
      ).run({ id, rest });
    })();
    this.#timers.get(id)?.();
    this.#timers.delete(id);
    this.deps.changes.notify(id);
  }

  #toRun(row: RunRow): WorkflowRun {
    const steps = (this.stepsOf.all(row.id) as StepRow[]).map(
      (s): WorkflowRunStep => ({
        id: s.step_id,
        codeBlockId: s.code_block_id,
        status: s.status,
        attempts: s.attempts,
        maxAttempts: s.max_attempts,
        output: s.output === null ? null : (JSON.parse(s.output) as unknown),
        error: s.error === null ? null : (JSON.parse(s.error) as WorkflowRunError),
        executionId: s.execution_id,
        startedAt: s.started_at === null ? null : new Date(s.started_at).toISOString(),
        finishedAt: s.finished_at === null ? null : new Date(s.finished_at).toISOString(),
      }),
    );
    return {
      id: row.id,
      workflowId: row.workflow_id,
      status: row.status,
      input: JSON.parse(row.input) as unknown,
      output: row.output === null ? null : (JSON.parse(row.output) as unknown),
      error: row.error === null ? null : (JSON.parse(row.error) as WorkflowRunError),
      steps,
      createdAt: new Date(row.created_at).toISOString(),
      startedAt: row.started_at === null ? null : new Date(row.started_at).toISOString(),
      finishedAt: row.finished_at === null ? null : new Date(row.finished_at).toISOString(),
    };
  }
}

function notFound(id: string): HttpError {
  return new HttpError(404, "not_found", `Workflow run ${JSON.stringify(id)} does not exist in this workspace`);
}
