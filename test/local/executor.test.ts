// The executor (local/compute/executions.ts) used directly on an in-memory database, without a
// platform: its token service is a stand-in whose mint resolves only when the test says, so a
// cancel can come while an execution's token is still being signed. The job queue is used directly
// too, never started (no job runs), for what it decides on submit; and one test goes through a
// real platform, for what must not bring it down.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { Changes } from "../../local/compute/changes.js";
import { Executor, type Caller } from "../../local/compute/executions.js";
import { JobQueue } from "../../local/compute/jobs.js";
import { openDatabase } from "../../local/db.js";
import { HttpError } from "../../local/errors.js";
import { loadManifest, type BlockDef } from "../../local/manifest.js";
import { ManualClock, startTestPlatform } from "../../local/testing.js";
import type { MintedToken, MintOptions, TokenService } from "../../local/tokens.js";
import { systemClock } from "../../src/container/clock.js";

const BLOCKS = fileURLToPath(new URL("../fixtures/code-blocks/", import.meta.url));
const TENANT = { orgId: "org_local", workspaceId: "ws_local" };
const CALLER: Caller = { subject: "local-user", scopes: ["*"], requestId: "req_executor_test", traceparent: null, tracestate: null, parentExecutionId: null };
const WRITE_PID: BlockDef = {
  id: "write-pid",
  file: path.join(BLOCKS, "write-pid.mjs"),
  cwd: BLOCKS,
  name: "write-pid",
  description: null,
  timeoutSeconds: 30,
  env: {},
  inputSchema: null,
};

const dir = mkdtempSync(path.join(os.tmpdir(), "flow-executor-test-"));
const db = openDatabase();
const errors: unknown[] = [];

/** Token signing held until `release()`: the stand-in records each mint and answers it only then. */
class HeldTokens {
  readonly minted: MintOptions[] = [];
  #release: (() => void) | undefined;
  readonly #released: Promise<void>;

  constructor(held: boolean) {
    this.#released = held ? new Promise((resolve) => (this.#release = resolve)) : Promise.resolve();
  }

  async mint(options: MintOptions = {}): Promise<MintedToken> {
    this.minted.push(options);
    await this.#released;
    return { token: "tok_executor_test", expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
  }

  release(): void {
    this.#release?.();
  }
}

const executors: Executor[] = [];
function executorWith(tokens: HeldTokens): Executor {
  const executor = new Executor({
    db,
    clock: systemClock,
    tokens: tokens as unknown as TokenService,
    changes: new Changes(),
    baseUrl: () => "http://127.0.0.1:9",
    secretValues: () => [],
    graceMs: 1_000,
    maxLogBytes: 64 * 1024,
    report: (error) => errors.push(error),
  });
  executors.push(executor);
  return executor;
}

afterAll(async () => {
  await Promise.all(executors.map((executor) => executor.close()));
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
/** A pid file path no other test uses. */
const pidFile = (): string => path.join(dir, `pid-${++counter}`);

describe("Executor", () => {
  it("an execution runs its block in a process of its own and ends succeeded with the block's output", async () => {
    const tokens = new HeldTokens(false);
    const executor = executorWith(tokens);
    const file = pidFile();
    const { execution, done } = executor.start({ tenant: TENANT, block: WRITE_PID, input: JSON.stringify({ pidFile: file }), caller: CALLER });
    expect(execution).toMatchObject({ codeBlockId: "write-pid", status: "queued", input: { pidFile: file }, startedAt: null });
    const finished = await done;
    const pid = Number(readFileSync(file, "utf8"));
    expect(pid).not.toBe(process.pid);
    expect(finished).toMatchObject({ id: execution.id, status: "succeeded", output: pid, error: null, requestId: "req_executor_test" });
    expect(finished.startedAt).toEqual(expect.any(String));
    expect(executor.get(TENANT, execution.id)).toEqual(finished);
    // Its token was signed for the caller, for the block's time limit and a margin.
    expect(tokens.minted).toEqual([expect.objectContaining({ subject: "local-user", scopes: ["*"], orgId: "org_local", workspaceId: "ws_local" })]);
    expect(errors).toEqual([]);
  });

  it("a cancel while the execution's token is being signed ends it cancelled, and its process never starts", async () => {
    const tokens = new HeldTokens(true);
    const executor = executorWith(tokens);
    const file = pidFile();
    const { execution, done } = executor.start({ tenant: TENANT, block: WRITE_PID, input: JSON.stringify({ pidFile: file }), caller: CALLER });
    expect(tokens.minted).toHaveLength(1); // signing is under way, held
    const cancelling = executor.cancel(execution.id);
    tokens.release();
    const finished = await done;
    expect(finished).toMatchObject({ id: execution.id, status: "cancelled", output: null, error: { code: "cancelled" }, startedAt: null });
    await expect(cancelling).resolves.toBeUndefined();
    expect(existsSync(file)).toBe(false);
    expect(executor.get(TENANT, execution.id)).toEqual(finished);
    expect(errors).toEqual([]);
  });
});

describe("Executor through a platform: a block's own IPC messages", () => {
  it("a block that sends a result that is not JSON over IPC itself does not bring the platform down: it succeeds, and the next invoke works", async () => {
    const platform = await startTestPlatform({
      manifest: { codeBlocks: { rogue: path.join(BLOCKS, "rogue-ipc.mjs"), echo: path.join(BLOCKS, "echo.mjs") } },
    });
    onTestFinished(() => platform.close());
    const flow = platform.createFlow();
    // Not waited for: nobody reads this execution when it ends.
    const queued = await flow.codeBlocks.invoke("rogue", { send: [{ type: "result", output: "{not json" }] }, { wait: false });
    const rogue = await flow.codeBlocks.waitForExecution(queued.id, { timeoutMs: 20_000 });
    expect(rogue).toMatchObject({ status: "succeeded", output: { ok: true }, error: null });
    const echoed = await flow.codeBlocks.invoke("echo", { again: 1 }, { timeoutMs: 20_000 });
    expect(echoed).toMatchObject({ status: "succeeded", output: { again: 1 } });
  });
});

describe("JobQueue: the idempotency key kept with a job", () => {
  const DAY_MS = 24 * 3600 * 1000;
  const manifest = loadManifest({ codeBlocks: { echo: path.join(BLOCKS, "echo.mjs") }, jobs: { echo: { codeBlock: "echo" } } });

  /** A queue on a database of its own and a manual clock, never started: submits are recorded, nothing runs. */
  function queue(): { jobs: JobQueue; clock: ManualClock; count: () => number } {
    const own = openDatabase();
    const clock = new ManualClock();
    const executor = new Executor({
      db: own,
      clock,
      tokens: new HeldTokens(false) as unknown as TokenService,
      changes: new Changes(),
      baseUrl: () => "http://127.0.0.1:9",
      secretValues: () => [],
      graceMs: 1_000,
      maxLogBytes: 64 * 1024,
      report: (error) => errors.push(error),
    });
    const jobs = new JobQueue({ db: own, clock, executor, changes: new Changes(), manifest: () => manifest, report: (error) => errors.push(error) });
    onTestFinished(async () => {
      jobs.close();
      await executor.close();
      own.close();
    });
    return { jobs, clock, count: () => own.prepare("SELECT COUNT(*) FROM jobs").pluck().get() as number };
  }

  it("a submit with a key the caller used for another submit within 24 hours is refused with 422 idempotency_key_reused, and creates nothing", () => {
    const { jobs, clock, count } = queue();
    jobs.submit(TENANT, CALLER, { type: "echo", payload: { order: 1 } }, "key-reused");
    clock.advance(DAY_MS - 1);
    let error: unknown;
    try {
      jobs.submit(TENANT, CALLER, { type: "echo", payload: { order: 2 } }, "key-reused");
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 422, code: "idempotency_key_reused" });
    expect(count()).toBe(1);
  });

  it("a key last used over 24 hours ago is free again: a submit with it creates a new job", () => {
    const { jobs, clock, count } = queue();
    const first = jobs.submit(TENANT, CALLER, { type: "echo", payload: { order: 1 } }, "key-expires");
    clock.advance(DAY_MS + 1);
    const second = jobs.submit(TENANT, CALLER, { type: "echo", payload: { order: 1 } }, "key-expires");
    expect(second.id).not.toBe(first.id);
    expect(count()).toBe(2);
  });
});
