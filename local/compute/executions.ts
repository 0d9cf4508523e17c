// Executions: one run of one code block, in a process of its own (runner/). The executor records
// each in the database, starts it with the platform environment and a token of the caller who
// caused it, keeps its bounded logs, and writes how it ended. Jobs and workflow steps run through
// it too.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import type { Clock } from "../../src/container/clock.js";
import { CONFIG_ENV } from "../../src/container/config.js";
import type { Execution, ExecutionError, ExecutionStatus } from "../../src/namespaces/code-blocks.js";
import { tenantParams, type Tenant } from "../auth.js";
import type { LocalDb } from "../db.js";
import type { BlockDef, Manifest } from "../manifest.js";
import { EXECUTION_ARG, runBlock, type RunningBlock, type RunOutcome } from "../runner/spawn.js";
import type { TokenService } from "../tokens.js";
import type { Changes } from "./changes.js";
import { maskMargin, maskSecrets } from "./mask.js";

/** Who caused a piece of work, and the request it came in: the work acts as them and carries it on. */
export interface Caller {
  /** The token subject of the caller. */
  subject: string;
  /** The caller's scopes: the work's token gets these, never more. */
  scopes: string[];
  /** The request id, which the work's own calls carry. */
  requestId: string;
  /** The W3C trace context of the request, if any. */
  traceparent: string | null;
  /** Its `tracestate`, if any. */
  tracestate: string | null;
  /** The execution that made the request, when a block did. */
  parentExecutionId: string | null;
}

/** The columns of a stored job or workflow run that say who caused it and the request it came in. */
export interface StoredCaller {
  subject: string;
  scopes: string;
  request_id: string;
  traceparent: string | null;
  tracestate: string | null;
}

/** The caller a job or run was stored with: its attempts act as them, long after their request. */
export function storedCaller(row: StoredCaller): Caller {
  return {
    subject: row.subject,
    scopes: JSON.parse(row.scopes) as string[],
    requestId: row.request_id,
    traceparent: row.traceparent,
    tracestate: row.tracestate,
    parentExecutionId: null,
  };
}

/** What the job queue and the workflow engine need from the platform. */
export interface WorkDeps {
  /** The platform database. */
  db: LocalDb;
  /** Dates of record, due times and retry timers. */
  clock: Clock;
  /** Runs each attempt. */
  executor: Executor;
  /** Wakes long-polls on a job or run when it changes. */
  changes: Changes;
  /** The manifest now (it may be reloaded). */
  manifest: () => Manifest;
  /** Where unexpected errors go. */
  report: (error: unknown) => void;
}

/** What to execute. */
export interface ExecutionRequest {
  /** Whose data it works on. */
  tenant: Tenant;
  /** The block. */
  block: BlockDef;
  /** Its input, as JSON text. */
  input: string;
  /** Who caused it. */
  caller: Caller;
  /** Run-time limit; the block's own when unset. */
  timeoutSeconds?: number | undefined;
  /** The job it is an attempt of. */
  jobId?: string | undefined;
  /** The workflow run it is a step of, and the step. */
  workflow?: { runId: string; stepId: string } | undefined;
  /** Which attempt (of a job or step) it is. */
  attempt?: number | undefined;
}

/** What the executor needs from the platform. */
export interface ExecutorDeps {
  /** The platform database. */
  db: LocalDb;
  /** The platform's clock (dates of record). */
  clock: Clock;
  /** Signs the token each execution gets. */
  tokens: TokenService;
  /** Wakes long-polls on an execution when it changes. */
  changes: Changes;
  /** The platform's base URL, known once it listens. */
  baseUrl: () => string;
  /** The values of a tenant's secrets, masked in logs and error messages. */
  secretValues: (tenant: Tenant) => string[];
  /** After a cancel or a timeout, how long a block has to end before SIGKILL. */
  graceMs: number;
  /** The tail of each log stream kept. */
  maxLogBytes: number;
  /** Where unexpected errors go. */
  report: (error: unknown) => void;
}

interface Row {
  id: string;
  org: string;
  ws: string;
  code_block_id: string;
  status: ExecutionStatus;
  input: string;
  output: string | null;
  error: string | null;
  stdout: string;
  stderr: string;
  logs_truncated: number;
  request_id: string;
  parent_execution_id: string | null;
  job_id: string | null;
  workflow_run_id: string | null;
  pid: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

/** A started execution: as recorded now, and how it will end. */
export interface Started {
  /** The execution as just recorded (queued). */
  execution: Execution;
  /** Resolves with the finished execution, once its process is gone. */
  done: Promise<Execution>;
}

/** An execution whose process this platform runs. */
interface Running {
  /** Its process, once started. */
  block: RunningBlock | undefined;
  /** Set by a cancel that came before the process started: it then never starts. */
  cancelled: boolean;
  /** Resolves with the finished execution. */
  done: Promise<Execution>;
}

/** How long an execution's token outlives its time limit: calls in flight when it is stopped still authenticate. */
const TOKEN_MARGIN_SECONDS = 300;

const COLUMNS =
  "id, org, ws, code_block_id, status, input, output, error, stdout, stderr, logs_truncated, request_id, parent_execution_id, job_id, workflow_run_id, pid, created_at, started_at, finished_at";

/** Runs code blocks as executions and keeps their records. */
export class Executor {
  readonly #running = new Map<string, Running>();
  #closing = false;
  private readonly insert;
  private readonly select;
  private readonly markRunning;
  private readonly recordPid;
  private readonly markFinished;

  /** Creates the executor; nothing runs until {@link Executor.start}. */
  constructor(private readonly deps: ExecutorDeps) {
    const { db } = deps;
    this.insert = db.prepare(
      `INSERT INTO executions (id, org, ws, code_block_id, status, input, subject, scopes, request_id, traceparent, tracestate, parent_execution_id,
         job_id, workflow_run_id, step_id, attempt, timeout_seconds, created_at)
       VALUES (@id, @org, @ws, @block, 'queued', @input, @subject, @scopes, @requestId, @traceparent, @tracestate, @parent,
         @jobId, @runId, @stepId, @attempt, @timeout, @now)`,
    );
    this.select = db.prepare(`SELECT ${COLUMNS} FROM executions WHERE id = @id AND org = @org AND ws = @ws`);
    this.markRunning = db.prepare("UPDATE executions SET status = 'running', started_at = @now WHERE id = @id");
    this.recordPid = db.prepare("UPDATE executions SET pid = @pid WHERE id = @id");
    this.markFinished = db.prepare(
      `UPDATE executions SET status = @status, output = @output, error = @error, stdout = @stdout, stderr = @stderr,
         logs_truncated = @truncated, finished_at = @now WHERE id = @id`,
    );
  }

  /** True once the platform is stopping: outcomes from now on are the stop's doing, not the block's. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Records an execution of `request.block` (queued) and starts its process. */
  start(request: ExecutionRequest): Started {
    const id = `exe_${randomBytes(12).toString("hex")}`;
    const timeoutSeconds = request.timeoutSeconds ?? request.block.timeoutSeconds;
    const { caller } = request;
    this.insert.run({
      id,
      ...tenantParams(request.tenant),
      block: request.block.id,
      input: request.input,
      subject: caller.subject,
      scopes: JSON.stringify(caller.scopes),
      requestId: caller.requestId,
      traceparent: caller.traceparent,
      tracestate: caller.tracestate,
      parent: caller.parentExecutionId,
      jobId: request.jobId ?? null,
      runId: request.workflow?.runId ?? null,
      stepId: request.workflow?.stepId ?? null,
      attempt: request.attempt ?? null,
      timeout: timeoutSeconds,
      now: this.deps.clock.now(),
    });
    const execution = this.get(request.tenant, id)!;
    const entry: Running = { block: undefined, cancelled: false, done: Promise.resolve(execution) };
    entry.done = this.#run(id, request, timeoutSeconds, entry).finally(() => this.#running.delete(id));
    // Nobody may be waiting (an invoke without wait): a failure to record the end is reported,
    // never an unhandled rejection that would end the platform.
    entry.done.catch((error: unknown) => this.deps.report(error));
    this.#running.set(id, entry);
    return { execution, done: entry.done };
  }

  async #run(id: string, request: ExecutionRequest, timeoutSeconds: number, entry: Running): Promise<Execution> {
    const { tenant, caller } = request;
    let token = "";
    // The workspace's secret values and the execution's token: masked in its logs and errors.
    let secrets: string[] = [];
    let outcome: RunOutcome;
    try {
      if (this.#closing) throw new Error("the platform is stopping");
      ({ token } = await this.deps.tokens.mint({
        orgId: tenant.orgId,
        workspaceId: tenant.workspaceId,
        subject: caller.subject,
        scopes: caller.scopes,
        ttlSeconds: timeoutSeconds + TOKEN_MARGIN_SECONDS,
      }));
      if (this.#closing) throw new Error("the platform is stopping");
      if (entry.cancelled) throw new CancelledBeforeStart();
      // Recorded as running before the process starts: a write that fails then leaves no process behind.
      this.markRunning.run({ id, now: this.deps.clock.now() });
      // The block's logs may quote a secret value of the workspace or its own token: the tail is
      // masked before it is cut, and kept masked.
      secrets = [...this.deps.secretValues(tenant), token];
      const block = runBlock({
        file: request.block.file,
        input: request.input,
        executionId: id,
        request: { id: caller.requestId, traceparent: caller.traceparent, tracestate: caller.tracestate },
        env: this.#env(id, request, token),
        cwd: request.block.cwd,
        stdio: "capture",
        timeoutMs: timeoutSeconds * 1000,
        graceMs: this.deps.graceMs,
        maxLogBytes: this.deps.maxLogBytes,
        mask: { text: (text) => maskSecrets(text, secrets), margin: maskMargin(secrets) },
      });
      entry.block = block;
      try {
        this.recordPid.run({ id, pid: block.pid ?? null });
      } catch (error) {
        this.deps.report(error); // the pid only helps to find the process after a kill -9
      }
      this.deps.changes.notify(id);
      outcome = await block.outcome;
    } catch (error) {
      const none = { output: null, stdout: "", stderr: "", truncated: false, exitCode: null, signal: null };
      outcome =
        error instanceof CancelledBeforeStart
          ? { ...none, status: "cancelled", error: { code: "cancelled", message: "the execution was cancelled before it started" } }
          : { ...none, status: "failed", error: { code: "spawn_failed", message: `the execution could not start: ${(error as Error).message}` } };
    }
    // The platform's own stop: a block that returned once told to stop has done its work, and it
    // is recorded (its job or step does not run again); anything else is `platform_stopped`.
    if (this.#closing && outcome.status !== "succeeded") {
      outcome =
        outcome.outputAfterStop !== undefined
          ? { ...outcome, status: "succeeded", output: outcome.outputAfterStop, error: null }
          : { ...outcome, status: "failed", error: { code: "platform_stopped", message: "the platform stopped while this execution ran" } };
    }
    // An error's message and name may quote a secret value or the token too (read here when the
    // execution never got as far as its process).
    if (secrets.length === 0) secrets = [...this.deps.secretValues(tenant), token];
    const error: ExecutionError | null = outcome.error && {
      ...outcome.error,
      ...(outcome.error.name === undefined ? {} : { name: maskSecrets(outcome.error.name, secrets) }),
      message: maskSecrets(outcome.error.message, secrets),
    };
    this.markFinished.run({
      id,
      status: outcome.status,
      output: outcome.output,
      error: error && JSON.stringify(error),
      stdout: outcome.stdout,
      stderr: outcome.stderr,
      truncated: outcome.truncated ? 1 : 0,
      now: this.deps.clock.now(),
    });
    this.deps.changes.notify(id);
    return this.get(tenant, id)!;
  }

  #env(id: string, request: ExecutionRequest, token: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    // The platform's own process may run with a FlowSDK environment of its own: none of it leaks in.
    for (const name of Object.values(CONFIG_ENV)) delete env[name];
    const url = this.deps.baseUrl();
    const { caller } = request;
    Object.assign(env, request.block.env, {
      PLATFORM_API_URL: url,
      GATEWAY_URL: url,
      ORG_ID: request.tenant.orgId,
      WORKSPACE_ID: request.tenant.workspaceId,
      AUTH_TOKEN: token,
      EXECUTION_ID: id,
      REQUEST_ID: caller.requestId,
    });
    if (caller.traceparent) env.TRACEPARENT = caller.traceparent;
    if (caller.traceparent && caller.tracestate) env.TRACESTATE = caller.tracestate;
    if (request.jobId) env.JOB_ID = request.jobId;
    return env;
  }

  /** The execution `id` of `tenant`, or undefined. */
  get(tenant: Tenant, id: string): Execution | undefined {
    const row = this.select.get({ id, ...tenantParams(tenant) }) as Row | undefined;
    if (!row) return undefined;
    const live = this.#running.get(id)?.block;
    // A running execution shows its logs so far (masked like those kept at the end).
    return toExecution(row, row.status === "running" && live ? live.logs() : { stdout: row.stdout, stderr: row.stderr, truncated: row.logs_truncated === 1 });
  }

  /** Stops the execution `id` (its signal aborts, SIGTERM, SIGKILL after the grace period); resolves once its process is gone. */
  async cancel(id: string): Promise<void> {
    const entry = this.#running.get(id);
    if (!entry) return;
    entry.cancelled = true; // its process may not have started yet (its token is being signed)
    entry.block?.cancel();
    await entry.done;
  }

  /**
   * After a restart: executions the last platform left queued or running are failed
   * (`platform_restarted`), and their processes, if they still run, are killed. Jobs and workflow
   * steps they belonged to are run again by their own recovery.
   */
  recover(): void {
    const rows = this.deps.db.prepare("SELECT id, pid FROM executions WHERE status IN ('queued', 'running')").all() as Array<{ id: string; pid: number | null }>;
    const fail = this.deps.db.prepare("UPDATE executions SET status = 'failed', error = @error, finished_at = @now WHERE id = @id");
    const error = JSON.stringify({ code: "platform_restarted", message: "the platform stopped while this execution ran; run it again" });
    for (const row of rows) {
      if (row.pid !== null) killLeftover(row.pid, row.id);
      fail.run({ id: row.id, error, now: this.deps.clock.now() });
    }
  }

  /** Stops every execution (as a cancel does) and resolves once their processes are gone. */
  async close(): Promise<void> {
    this.#closing = true;
    const entries = [...this.#running.values()];
    for (const entry of entries) entry.block?.cancel();
    await Promise.allSettled(entries.map((entry) => entry.done));
  }
}

/** Thrown inside #run when a cancel came before the process started. */
class CancelledBeforeStart extends Error {}

/** Kills a block's process left running by a platform that was killed, if that pid is still one of ours for this execution. */
function killLeftover(pid: number, executionId: string): void {
  let command = "";
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    try {
      command = execFileSync("ps", ["-o", "args=", "-p", String(pid)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    } catch {
      return; // no such process
    }
  }
  if (!command.includes(`${EXECUTION_ARG}${executionId}`)) return; // the pid went to another process
  try {
    process.kill(-pid, "SIGKILL"); // its process group: the block and what it started
  } catch {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
}

function toExecution(row: Row, logs: { stdout: string; stderr: string; truncated: boolean }): Execution {
  return {
    id: row.id,
    codeBlockId: row.code_block_id,
    status: row.status,
    input: JSON.parse(row.input) as unknown,
    output: row.output === null ? null : (JSON.parse(row.output) as unknown),
    error: row.error === null ? null : (JSON.parse(row.error) as ExecutionError),
    logs,
    requestId: row.request_id,
    parentExecutionId: row.parent_execution_id,
    jobId: row.job_id,
    workflowRunId: row.workflow_run_id,
    createdAt: iso(row.created_at),
    startedAt: row.started_at === null ? null : iso(row.started_at),
    finishedAt: row.finished_at === null ? null : iso(row.finished_at),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
