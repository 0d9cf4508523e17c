import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import {
  FlowAbortError,
  FlowAPIError,
  FlowConfigError,
  FlowConflictError,
  FlowConnectionError,
  FlowNotFoundError,
  FlowTimeoutError,
  FlowValidationError,
  type Execution,
  type FlowSDK,
  type Job,
  type JobsSubmitParams,
} from "../../src/index.js";
import type { ManifestObject } from "../../local/index.js";
import { ManualClock, startTestPlatform } from "../../local/testing.js";
import { caught, expectCursorRefused, flowWithToken, sharedPlatform } from "../helpers/flows.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/jobs/", import.meta.url));
const block = (name: string): string => path.join(FIXTURES, name);

// Due times and backoff timers of the queue run on this clock: a test moves it to release a
// scheduled job or a retry, instead of sleeping. Keep its total advance far below the platform's
// token lifetime (an hour, judged by this clock too).
const clock = new ManualClock();
const { platform, flow, offline } = await sharedPlatform({
  clock,
  // A block that ignores its signal is killed a second after the cancel, not five.
  cancelGraceSeconds: 1,
  manifest: {
    codeBlocks: {
      echo: block("echo.mjs"),
      flaky: block("flaky.mjs"),
      hold: block("hold.mjs"),
      stubborn: block("stubborn.mjs"),
      current: block("current.mjs"),
      progress: block("progress.mjs"),
    },
    jobs: {
      echo: { codeBlock: "echo", maxAttempts: 4, concurrency: 4 },
      flaky: { codeBlock: "flaky", backoffSeconds: 10 },
      hold: { codeBlock: "hold", concurrency: 8 },
      "hold-one": { codeBlock: "hold", concurrency: 1 },
      stubborn: { codeBlock: "stubborn" },
      current: { codeBlock: "current" },
      progress: { codeBlock: "progress" },
    },
  },
});

// Gates the `hold` block waits on: it finishes once its gate file exists.
const gates = mkdtempSync(path.join(os.tmpdir(), "flow-jobs-gates-"));
afterAll(() => rmSync(gates, { recursive: true, force: true }));
let counter = 0;
/** A name no other test uses. */
const unique = (label: string): string => `${label}-${++counter}-${Date.now().toString(36)}`;

/** A gate for a `hold` job: the payload to submit it with, and `open()` to let it finish. */
function gate(): { payload: { gate: string }; open: () => void } {
  const file = path.join(gates, unique("gate"));
  return { payload: { gate: file }, open: () => writeFileSync(file, "") };
}

/** A FlowSDK on a workspace of its own, so that its list holds only the jobs the test submitted. */
async function isolatedFlow(): Promise<FlowSDK> {
  const workspaceId = `ws_${unique("jobs").replace(/-/g, "_")}`;
  return flowWithToken(platform, await platform.mintToken({ workspaceId }), workspaceId);
}

/** Reads `read()` until `ok` holds (polling the platform; a block's process lives in real time), failing after `ms`. */
async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}; last seen: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The pid a running `hold` or `stubborn` job printed first, read from its execution's logs. */
async function pidOf(id: string, on: FlowSDK = flow): Promise<number> {
  const execution = await until(
    `job ${id} to print its pid`,
    async () => {
      const job = await on.jobs.get(id);
      return job.executionId === null ? undefined : await on.codeBlocks.getExecution(job.executionId);
    },
    (execution) => /pid \d+/.test(execution?.logs.stdout ?? ""),
  );
  return Number(/pid (\d+)/.exec(execution!.logs.stdout)![1]);
}

/** Whether process `pid` still exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe("ESRCH");
    return false;
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The most of `windows` (start, end; the end excluded) that hold at one instant. */
function peakOverlap(windows: ReadonlyArray<readonly [number, number]>): number {
  // An end sorts before a start at the same instant: one job's slot passes to the next then.
  const events = windows.flatMap(([start, end]) => [[start, 1] as const, [end, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, step] of events) peak = Math.max(peak, (now += step));
  return peak;
}

describe("jobs: submit, get and wait", () => {
  it("submit answers the job as queued, with its payload, the type's maxAttempts, no attempt, no execution and no result yet", async () => {
    const payload = { to: "ops@example.com", n: [1, 2, 3] };
    const job = await flow.jobs.submit({ type: "echo", payload });
    expect(job.id).toMatch(/^job_[0-9a-f]{24}$/);
    // Due at once with a free slot, it may start right after; the answer is the job as queued.
    expect(job).toMatchObject({
      type: "echo",
      status: "queued",
      payload,
      attempts: 0,
      maxAttempts: 4,
      executionId: null,
      result: null,
      error: null,
      progress: null,
      startedAt: null,
      finishedAt: null,
    });
    expect(job.createdAt).toBe(iso(clock.now()));
    expect(job.runAt).toBe(job.createdAt);
    await flow.jobs.wait(job.id);
  });

  it("a payload property set to undefined is left out, as JSON does: the block receives the rest", async () => {
    const job = await flow.jobs.submit({ type: "echo", payload: { a: 1, b: undefined } });
    expect(job.payload).toStrictEqual({ a: 1 });
    const done = await flow.jobs.wait(job.id);
    expect(done.status).toBe("succeeded");
    expect(done.result).toStrictEqual({ echoed: { a: 1 } });
  });

  it("maxAttempts given to submit wins over the type's", async () => {
    const job = await flow.jobs.submit({ type: "echo", payload: null, maxAttempts: 7 });
    expect(job.maxAttempts).toBe(7);
    expect((await flow.jobs.wait(job.id)).maxAttempts).toBe(7);
  });

  it("a job due while every slot of its type is taken is queued, with no attempt and no execution", async () => {
    const holder = gate();
    const first = await flow.jobs.submit({ type: "hold-one", payload: holder.payload });
    try {
      await until("the holder to run", () => flow.jobs.get(first.id), (job) => job.status === "running");
      const second = await flow.jobs.submit({ type: "hold-one", payload: gate().payload, maxAttempts: 2 });
      expect(second).toMatchObject({ status: "queued", attempts: 0, maxAttempts: 2, executionId: null, startedAt: null });
      expect(await flow.jobs.get(second.id)).toEqual(second);
      await flow.jobs.cancel(second.id);
    } finally {
      holder.open();
    }
    expect((await flow.jobs.wait(first.id)).status).toBe("succeeded");
  });

  it("get answers the job as submit did while nothing about it changed", async () => {
    const job = await flow.jobs.submit({ type: "echo", payload: "x", runAt: new Date(clock.now() + 60_000) });
    expect(await flow.jobs.get(job.id)).toEqual(job);
    await flow.jobs.cancel(job.id);
  });

  it("wait resolves once the job succeeded, with the block's output as result and the execution that ran it", async () => {
    const payload = { to: "ops@example.com" };
    const job = await flow.jobs.submit({ type: "echo", payload });
    const done = await flow.jobs.wait(job.id);
    expect(done).toMatchObject({ id: job.id, status: "succeeded", result: { echoed: payload }, error: null, attempts: 1 });
    expect(done.finishedAt).not.toBeNull();
    const execution: Execution = await flow.codeBlocks.getExecution(done.executionId!);
    expect(execution).toMatchObject({ id: done.executionId, codeBlockId: "echo", jobId: job.id, status: "succeeded", input: payload, output: { echoed: payload } });
    expect(execution.logs.stdout).toBe(`echo ${JSON.stringify(payload)}\n`);
  });
});

describe("jobs: concurrency", () => {
  // Its own platform on the real clock, so that each execution's startedAt and finishedAt are
  // real instants: the overlap of a type's jobs is measured from the platform's own records.
  const LIMITS = { c1: 1, c2: 2, c3: 3 } as const;
  const COUNTS = { c1: 30, c2: 70, c3: 100 } as const; // 200 in all; each type takes about as long

  it(
    "200 jobs across three types all succeed, and no type ever runs more jobs at once than its concurrency",
    async () => {
      const busy = await startTestPlatform({
        manifest: {
          codeBlocks: { quick: block("quick.mjs") },
          jobs: Object.fromEntries(Object.entries(LIMITS).map(([type, concurrency]) => [type, { codeBlock: "quick", concurrency, maxAttempts: 1 }])),
        },
      });
      onTestFinished(() => busy.close());
      const busyFlow = busy.createFlow();
      const types = Object.keys(LIMITS) as Array<keyof typeof LIMITS>;
      // Interleaved, so that every type has work queued from the start.
      const submitted: Array<{ id: string; type: keyof typeof LIMITS; n: number }> = [];
      for (let n = 0; submitted.length < 200; n++) {
        for (const type of types) {
          if (submitted.filter((job) => job.type === type).length >= COUNTS[type]) continue;
          const job = await busyFlow.jobs.submit({ type, payload: { n, ms: 20 } });
          submitted.push({ id: job.id, type, n });
        }
      }

      const windows = new Map<string, Array<[number, number]>>(types.map((type) => [type, []]));
      for (const { id, type, n } of submitted) {
        const done = await busyFlow.jobs.wait(id, { timeoutMs: 120_000 });
        expect(done).toMatchObject({ type, status: "succeeded", result: n, attempts: 1 });
        const execution = await busyFlow.codeBlocks.getExecution(done.executionId!);
        expect(execution).toMatchObject({ jobId: id, status: "succeeded", output: n });
        windows.get(type)!.push([Date.parse(execution.startedAt!), Date.parse(execution.finishedAt!)]);
      }

      const peaks = Object.fromEntries(types.map((type) => [type, peakOverlap(windows.get(type)!)]));
      expect(peaks.c1).toBe(1);
      expect(peaks.c2).toBe(2);
      expect(peaks.c3).toBeGreaterThan(1);
      expect(peaks.c3).toBeLessThanOrEqual(3);
    },
    180_000,
  );
});

describe("jobs: retries", () => {
  it("a job that fails twice is retried after a backoff that doubles, and succeeds on its third attempt", async () => {
    const job = await flow.jobs.submit({ type: "flaky", payload: { failTimes: 2 }, maxAttempts: 3 });

    const first = await until("the first attempt to fail", () => flow.jobs.get(job.id), (j) => j.attempts === 1 && j.status === "scheduled");
    // backoffSeconds 10 × 2^0 from the failure; the manual clock has not moved since.
    expect(first.runAt).toBe(iso(clock.now() + 10_000));
    expect(first.error).toEqual({ code: "block_error", name: "RangeError", message: "the block threw RangeError: attempt 1 of 3 failed" });
    clock.advance(9_999);
    expect(await flow.jobs.get(job.id)).toMatchObject({ status: "scheduled", attempts: 1 });
    clock.advance(1);
    expect((await flow.jobs.get(job.id)).attempts).toBe(2);

    const second = await until("the second attempt to fail", () => flow.jobs.get(job.id), (j) => j.attempts === 2 && j.status === "scheduled");
    expect(second.runAt).toBe(iso(clock.now() + 20_000)); // 10 × 2^1
    expect(second.error?.message).toContain("attempt 2 of 3 failed");
    clock.advance(19_999);
    expect(await flow.jobs.get(job.id)).toMatchObject({ status: "scheduled", attempts: 2 });
    clock.advance(1);

    const done = await flow.jobs.wait(job.id);
    expect(done).toMatchObject({ status: "succeeded", attempts: 3, result: { succeededOnAttempt: 3 }, error: null });
  });

  it("a job that always fails ends failed after maxAttempts, with its last attempt's error", async () => {
    const job = await flow.jobs.submit({ type: "flaky", payload: { failTimes: 99 }, maxAttempts: 2 });
    const first = await until("the first attempt to fail", () => flow.jobs.get(job.id), (j) => j.attempts === 1 && j.status === "scheduled");
    const firstExecution = first.executionId;
    clock.advance(10_000);
    const done = await flow.jobs.wait(job.id);
    expect(done).toMatchObject({
      status: "failed",
      attempts: 2,
      result: null,
      error: { code: "block_error", name: "RangeError", message: "the block threw RangeError: attempt 2 of 2 failed" },
    });
    expect(done.finishedAt).toBe(iso(clock.now()));
    // The job names the execution of its last attempt, not of the first.
    expect(done.executionId).not.toBe(firstExecution);
    expect((await flow.codeBlocks.getExecution(done.executionId!)).error?.message).toContain("attempt 2 of 2 failed");
  });
});

describe("jobs: runAt", () => {
  it("a job whose runAt is ahead stays scheduled until the clock reaches it, then runs", async () => {
    const runAt = clock.now() + 60_000;
    const job = await flow.jobs.submit({ type: "echo", payload: "later", runAt: new Date(runAt) });
    expect(job).toMatchObject({ status: "scheduled", attempts: 0, executionId: null, runAt: iso(runAt) });
    clock.advance(59_999);
    expect(await flow.jobs.get(job.id)).toMatchObject({ status: "scheduled", attempts: 0, executionId: null });
    clock.advance(1);
    expect((await flow.jobs.get(job.id)).attempts).toBe(1);
    expect(await flow.jobs.wait(job.id)).toMatchObject({ status: "succeeded", result: { echoed: "later" } });
  });

  it("a runAt given as an ISO string with an offset is the same instant", async () => {
    const runAt = Math.floor(clock.now() / 1000) * 1000 + 3_600_000;
    const withOffset = new Date(runAt + 2 * 3_600_000).toISOString().replace("Z", "+02:00");
    const job = await flow.jobs.submit({ type: "echo", runAt: withOffset });
    expect(job).toMatchObject({ status: "scheduled", runAt: iso(runAt) });
    await flow.jobs.cancel(job.id);
  });

  it("a runAt in the past is due at once: submit answers it queued, and it runs", async () => {
    const job = await flow.jobs.submit({ type: "echo", payload: 1, runAt: new Date(clock.now() - 3_600_000) });
    expect(job).toMatchObject({ status: "queued", attempts: 0, executionId: null });
    expect(job.runAt).toBe(job.createdAt);
    expect((await flow.jobs.wait(job.id)).status).toBe("succeeded");
  });
});

describe("jobs: cancel", () => {
  it("cancel of a scheduled job cancels it at once, and it never runs", async () => {
    const job = await flow.jobs.submit({ type: "echo", runAt: new Date(clock.now() + 5_000) });
    const cancelled = await flow.jobs.cancel(job.id);
    expect(cancelled).toMatchObject({ status: "cancelled", attempts: 0, executionId: null, error: { code: "cancelled" } });
    expect(cancelled.finishedAt).toBe(iso(clock.now()));
    clock.advance(5_000);
    expect(await flow.jobs.get(job.id)).toEqual(cancelled);
  });

  it("cancel of a queued job cancels it at once, and the queue runs the next one instead", async () => {
    const holder = gate();
    const first = await flow.jobs.submit({ type: "hold-one", payload: holder.payload });
    await until("the holder to run", () => flow.jobs.get(first.id), (job) => job.status === "running");
    const skipped = gate();
    skipped.open(); // would finish at once, if it ever ran
    const queued = await flow.jobs.submit({ type: "hold-one", payload: skipped.payload });
    const next = gate();
    next.open();
    const after = await flow.jobs.submit({ type: "hold-one", payload: next.payload });
    expect(queued.status).toBe("queued");
    const cancelled = await flow.jobs.cancel(queued.id);
    expect(cancelled).toMatchObject({ status: "cancelled", attempts: 0, executionId: null });

    holder.open();
    expect((await flow.jobs.wait(after.id)).status).toBe("succeeded");
    expect(await flow.jobs.get(queued.id)).toEqual(cancelled);
  });

  it("cancel of a running job aborts its block's signal and resolves once its process is gone", async () => {
    const job = await flow.jobs.submit({ type: "hold", payload: gate().payload }); // never opened
    const pid = await pidOf(job.id);
    expect(alive(pid)).toBe(true);

    const cancelled = await flow.jobs.cancel(job.id);
    expect(alive(pid)).toBe(false);
    expect(cancelled).toMatchObject({ status: "cancelled", attempts: 1, result: null, error: { code: "cancelled" } });
    const execution = await flow.codeBlocks.getExecution(cancelled.executionId!);
    expect(execution).toMatchObject({ status: "cancelled", error: { code: "cancelled" } });
    // The block saw its signal abort with an AbortError, and ended on it.
    expect(execution.logs.stdout).toBe(`pid ${pid}\naborted AbortError\n`);
    // A cancelled attempt is not retried.
    expect(await flow.jobs.get(job.id)).toEqual(cancelled);
  });

  it("a running block that ignores its signal is killed after cancelGraceSeconds", async () => {
    const job = await flow.jobs.submit({ type: "stubborn" });
    const pid = await pidOf(job.id);
    const started = Date.now();
    const cancelled = await flow.jobs.cancel(job.id);
    const took = Date.now() - started;
    expect(alive(pid)).toBe(false);
    expect(took).toBeGreaterThanOrEqual(950); // the grace period: 1 s
    expect(took).toBeLessThan(10_000);
    expect(cancelled).toMatchObject({ status: "cancelled", error: { code: "cancelled" } });
    const execution = await flow.codeBlocks.getExecution(cancelled.executionId!);
    expect(execution.logs.stdout).toBe(`pid ${pid}\nabort ignored\n`);
  });

  it("cancel of a finished job answers it unchanged", async () => {
    const job = await flow.jobs.submit({ type: "echo", payload: "done" });
    const done = await flow.jobs.wait(job.id);
    expect(await flow.jobs.cancel(job.id)).toEqual(done);
    expect(await flow.jobs.get(job.id)).toEqual(done);
  });
});

describe("jobs: current and reportProgress", () => {
  it("current() inside a job resolves to that job, running", async () => {
    const payload = { who: "inside" };
    const job = await flow.jobs.submit({ type: "current", payload });
    const done = await flow.jobs.wait<unknown, { job: Job; jobIdEnv: string }>(job.id);
    expect(done.status).toBe("succeeded");
    expect(done.result?.jobIdEnv).toBe(job.id);
    expect(done.result?.job).toMatchObject({ id: job.id, type: "current", status: "running", payload, attempts: 1, executionId: done.executionId });
  });

  it("current() outside a job resolves to null without a request", async () => {
    expect(await flow.jobs.current()).toBeNull();
    expect(await offline.jobs.current()).toBeNull();
  });

  it("reportProgress inside a job shows in jobs.get while it runs", async () => {
    const release = unique("release");
    const job = await flow.jobs.submit({ type: "progress", payload: { release } });
    try {
      const reported = await until("the job to report progress", () => flow.jobs.get(job.id), (j) => j.progress !== null);
      expect(reported).toMatchObject({ status: "running", progress: { percent: 40, message: "resized 40 of 100 images" } });
    } finally {
      await flow.state.set(release, true);
    }
    expect(await flow.jobs.wait(job.id)).toMatchObject({ status: "succeeded", result: { released: true } });
  });

  it("reportProgress outside a job rejects with FlowConfigError", async () => {
    expect(await caught(() => flow.jobs.reportProgress(50, "halfway"))).toBeInstanceOf(FlowConfigError);
  });

  it("reportProgress for a job that is not running is a FlowConflictError", async () => {
    const job = await flow.jobs.submit({ type: "echo" });
    await flow.jobs.wait(job.id);
    const asJob = platform.createFlow({ jobId: job.id });
    const error = await caught(() => asJob.jobs.reportProgress(10));
    expect(error).toBeInstanceOf(FlowConflictError);
    expect(error).toMatchObject({ status: 409, code: "job_not_running" });
    expect((await flow.jobs.get(job.id)).progress).toBeNull();
  });

  it.each([
    ["over 100", 101],
    ["below 0", -1],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
  ])("reportProgress with a percent %s fails with FlowValidationError before any request", async (_label, percent) => {
    const offlineJob = platform.createFlow({ platformUrl: "http://127.0.0.1:9", maxRetries: 0, jobId: "job_offline" });
    const error = await caught(() => offlineJob.jobs.reportProgress(percent));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["percent"]);
    // The same instance does send a valid report.
    expect(await caught(() => offlineJob.jobs.reportProgress(50))).toBeInstanceOf(FlowConnectionError);
  });
});

describe("jobs: the bounds of wait", () => {
  it("wait with timeoutMs rejects with FlowTimeoutError, and the job goes on", async () => {
    const release = gate();
    const job = await flow.jobs.submit({ type: "hold", payload: release.payload });
    try {
      const started = Date.now();
      const error = await caught(() => flow.jobs.wait(job.id, { timeoutMs: 300 }));
      const took = Date.now() - started;
      expect(error).toBeInstanceOf(FlowTimeoutError);
      expect((error as Error).message).toContain(job.id);
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(5_000);
      expect(["queued", "running"]).toContain((await flow.jobs.get(job.id)).status);
    } finally {
      release.open();
    }
    expect((await flow.jobs.wait(job.id)).status).toBe("succeeded");
  });

  it.each([
    ["in params", (signal: AbortSignal, id: string) => flow.jobs.wait(id, { signal })],
    ["in options", (signal: AbortSignal, id: string) => flow.jobs.wait(id, {}, { signal })],
  ])("wait with a signal %s rejects with FlowAbortError at once when it aborts, and the job goes on", async (_label, wait) => {
    const release = gate();
    const job = await flow.jobs.submit({ type: "hold", payload: release.payload });
    try {
      await until("the job to run", () => flow.jobs.get(job.id), (j) => j.status === "running");
      const controller = new AbortController();
      const pending = caught(() => wait(controller.signal, job.id));
      await flow.jobs.get(job.id); // a round trip: the wait's long-poll is held by now
      const aborted = Date.now();
      controller.abort();
      expect(await pending).toBeInstanceOf(FlowAbortError);
      expect(Date.now() - aborted).toBeLessThan(1_000); // not at the end of a 20 s poll
      expect((await flow.jobs.get(job.id)).status).toBe("running");
    } finally {
      release.open();
    }
    expect((await flow.jobs.wait(job.id)).status).toBe("succeeded");
  });

  it.each([
    ["in params", (signal: AbortSignal) => offline.jobs.wait("job_x", { signal })],
    ["in options", (signal: AbortSignal) => offline.jobs.wait("job_x", {}, { signal })],
  ])("wait with a signal %s that already aborted rejects with FlowAbortError before any request", async (_label, wait) => {
    expect(await caught(() => wait(AbortSignal.abort()))).toBeInstanceOf(FlowAbortError);
  });
});

describe("jobs: list", () => {
  it("lists newest first, filtered by type and by status, scheduled apart from queued, in pages", async () => {
    const own = await isolatedFlow();
    const holder = gate();
    const succeeded = await own.jobs.submit({ type: "echo", payload: 1 });
    await own.jobs.wait(succeeded.id);
    const running = await own.jobs.submit({ type: "hold-one", payload: holder.payload });
    await until("the holder to run", () => own.jobs.get(running.id), (job) => job.status === "running");
    const queued = await own.jobs.submit({ type: "hold-one", payload: gate().payload });
    const later = new Date(clock.now() + 3_600_000);
    const scheduled1 = await own.jobs.submit({ type: "echo", payload: 2, runAt: later });
    const scheduled2 = await own.jobs.submit({ type: "echo", payload: 3, runAt: later });
    try {
      const ids = async (params: Parameters<FlowSDK["jobs"]["list"]>[0]): Promise<string[]> => (await own.jobs.list(params)).data.map((job) => job.id);
      expect(await ids({})).toEqual([scheduled2.id, scheduled1.id, queued.id, running.id, succeeded.id]);
      expect(await ids({ type: "echo" })).toEqual([scheduled2.id, scheduled1.id, succeeded.id]);
      expect(await ids({ type: "hold-one" })).toEqual([queued.id, running.id]);
      expect(await ids({ status: "scheduled" })).toEqual([scheduled2.id, scheduled1.id]);
      expect(await ids({ status: "queued" })).toEqual([queued.id]);
      expect(await ids({ status: "running" })).toEqual([running.id]);
      expect(await ids({ status: "succeeded" })).toEqual([succeeded.id]);
      expect(await ids({ status: "failed" })).toEqual([]);
      expect(await ids({ type: "echo", status: "scheduled" })).toEqual([scheduled2.id, scheduled1.id]);
      expect(await ids({ type: "hold-one", status: "scheduled" })).toEqual([]);

      const first = await own.jobs.list({ limit: 2 });
      expect(first.data.map((job) => job.id)).toEqual([scheduled2.id, scheduled1.id]);
      expect(first.data[0]).toMatchObject({ status: "scheduled", payload: 3 });
      const second = await own.jobs.list({ limit: 2, cursor: first.nextCursor! });
      expect(second.data.map((job) => job.id)).toEqual([queued.id, running.id]);
      const third = await own.jobs.list({ limit: 2, cursor: second.nextCursor! });
      expect(third.data.map((job) => job.id)).toEqual([succeeded.id]);
      expect(third.nextCursor).toBeNull();
      const all: string[] = [];
      for await (const job of own.jobs.list({ limit: 2 })) all.push(job.id);
      expect(all).toEqual([scheduled2.id, scheduled1.id, queued.id, running.id, succeeded.id]);
    } finally {
      holder.open();
      await own.jobs.cancel(queued.id);
      await own.jobs.cancel(scheduled1.id);
      await own.jobs.cancel(scheduled2.id);
    }
    await own.jobs.wait(running.id);
  });

  it.each([
    ["another type", { type: "hold" }],
    ["a type where there was none", { type: "echo" }],
    ["a status", { status: "succeeded" as const }],
  ])("a cursor given with %s is refused", async (_label, other) => {
    const own = await isolatedFlow();
    for (let i = 0; i < 3; i++) await own.jobs.submit({ type: "echo", payload: i, runAt: new Date(clock.now() + 3_600_000) });
    const first = await own.jobs.list({ limit: 2 });
    expect(first.nextCursor).not.toBeNull();
    expectCursorRefused(await caught(() => own.jobs.list({ limit: 2, cursor: first.nextCursor!, ...other })));
    for await (const job of own.jobs.list()) await own.jobs.cancel(job.id);
  });

  it("a cursor made with a type filter is refused without it", async () => {
    const own = await isolatedFlow();
    for (let i = 0; i < 3; i++) await own.jobs.submit({ type: "echo", payload: i, runAt: new Date(clock.now() + 3_600_000) });
    const first = await own.jobs.list({ limit: 2, type: "echo" });
    expectCursorRefused(await caught(() => own.jobs.list({ limit: 2, cursor: first.nextCursor! })));
    for await (const job of own.jobs.list()) await own.jobs.cancel(job.id);
  });
});

describe("jobs: idempotency", () => {
  it("a submit repeated with the same idempotencyKey creates one job", async () => {
    const own = await isolatedFlow();
    const params: JobsSubmitParams = { type: "echo", payload: { order: 42 }, runAt: new Date(clock.now() + 3_600_000) };
    const key = unique("submit-once");
    const first = await own.jobs.submit(params, { idempotencyKey: key });
    const repeats = await Promise.all([own.jobs.submit(params, { idempotencyKey: key }), own.jobs.submit(params, { idempotencyKey: key })]);
    expect(repeats.map((job) => job.id)).toEqual([first.id, first.id]);
    const listed = await own.jobs.list();
    expect(listed.data.map((job) => job.id)).toEqual([first.id]);
    await own.jobs.cancel(first.id);
  });

  it("a submit with an idempotencyKey already used for another payload is refused with 422 idempotency_key_reused, and creates nothing", async () => {
    const own = await isolatedFlow();
    const key = unique("reused");
    const runAt = new Date(clock.now() + 3_600_000);
    const first = await own.jobs.submit({ type: "echo", payload: { order: 1 }, runAt }, { idempotencyKey: key });
    const error = await caught(() => own.jobs.submit({ type: "echo", payload: { order: 2 }, runAt }, { idempotencyKey: key }));
    expect(error).toBeInstanceOf(FlowAPIError);
    expect(error).toMatchObject({ status: 422, code: "idempotency_key_reused" });
    expect((await own.jobs.list()).data.map((job) => job.id)).toEqual([first.id]);
    await own.jobs.cancel(first.id);
  });

  it("submits without a key are separate jobs, even with the same parameters", async () => {
    const own = await isolatedFlow();
    const params: JobsSubmitParams = { type: "echo", payload: { order: 42 }, runAt: new Date(clock.now() + 3_600_000) };
    const a = await own.jobs.submit(params);
    const b = await own.jobs.submit(params);
    expect(a.id).not.toBe(b.id);
    expect((await own.jobs.list()).data).toHaveLength(2);
    await own.jobs.cancel(a.id);
    await own.jobs.cancel(b.id);
  });
});

describe("jobs: a manifest reloaded without their type", () => {
  it("a type dropped by a reload keeps its due jobs queued, and they run once a reload brings it back", async () => {
    const own = new ManualClock();
    const codeBlocks = { echo: block("echo.mjs") };
    const manifest: ManifestObject = { codeBlocks, jobs: { echo: { codeBlock: "echo" }, other: { codeBlock: "echo" } } };
    const reloading = await startTestPlatform({ clock: own, manifest });
    onTestFinished(() => reloading.close());
    const on = reloading.createFlow();
    const job = await on.jobs.submit({ type: "echo", payload: "back", runAt: new Date(own.now() + 60_000) });
    reloading.reloadManifest({ codeBlocks, jobs: { other: { codeBlock: "echo" } } });
    own.advance(60_000); // due now, while its type is missing
    expect(await on.jobs.get(job.id)).toMatchObject({ status: "queued", attempts: 0, error: null, executionId: null, finishedAt: null });
    reloading.reloadManifest(manifest);
    expect(await on.jobs.wait(job.id, { timeoutMs: 20_000 })).toMatchObject({ status: "succeeded", attempts: 1, result: { echoed: "back" } });
  });
});

describe("jobs: a clean stop", () => {
  // close() cancels the block; the result it returns after that stop is kept (outputAfterStop),
  // so the job is not left running to be run again at the next start.
  it("an attempt that ends while the platform stops is recorded: after a restart on the data dir the job has succeeded and does not run again", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "flow-jobs-stop-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const dataDir = path.join(dir, "data");
    const log = path.join(dir, "starts.log");
    const manifest: ManifestObject = { codeBlocks: { "until-abort": block("until-abort.mjs") }, jobs: { "until-abort": { codeBlock: "until-abort" } } };
    const first = await startTestPlatform({ dataDir, manifest });
    onTestFinished(() => first.close());
    const job = await first.createFlow().jobs.submit({ type: "until-abort", payload: { log } });
    await until("the job's block to start", async () => (existsSync(log) ? readFileSync(log, "utf8") : ""), (text) => text !== "");
    expect((await first.createFlow().jobs.get(job.id)).status).toBe("running");
    await first.close(); // the block's signal aborts, and it returns

    const second = await startTestPlatform({ dataDir, manifest });
    onTestFinished(() => second.close());
    expect(await second.createFlow().jobs.get(job.id)).toMatchObject({ status: "succeeded", attempts: 1, result: { stoppedBy: "AbortError" }, error: null });
    expect(readFileSync(log, "utf8").split("\n").filter(Boolean)).toHaveLength(1);
  });
});

describe("jobs: bad input creates nothing", () => {
  it("an unknown type fails with FlowValidationError naming the types there are, and no job exists", async () => {
    const own = await isolatedFlow();
    const error = await caught(() => own.jobs.submit({ type: "no-such-type", payload: 1 }));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["type"]);
    expect((error as Error).message).toContain("no-such-type");
    expect((error as Error).message).toContain("echo, flaky, hold, hold-one, stubborn, current, progress");
    expect((await own.jobs.list()).data).toEqual([]);
  });

  const cycle: Record<string, unknown> = { a: 1 };
  cycle["self"] = cycle;
  it.each([
    ["a function", () => undefined],
    ["NaN", Number.NaN],
    ["Infinity", { n: Number.POSITIVE_INFINITY }],
    ["a cycle", cycle],
    ["a BigInt", { n: 10n }],
    ["a Map", new Map([["a", 1]])],
    ["undefined in an array", [1, undefined]],
  ])("a payload with %s fails with FlowValidationError before any request", async (_label, payload) => {
    const error = await caught(() => offline.jobs.submit({ type: "echo", payload }));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["payload"]);
  });

  it.each([
    ["words", "tomorrow"],
    ["a date-time without a zone", "2026-01-31T09:00:00"],
    ["a date without a time", "2026-01-31"],
    ["a day that does not exist", "2026-02-30T09:00:00Z"],
    ["an invalid Date", new Date(Number.NaN)],
    ["a number", 1_700_000_000_000],
  ])("a runAt that is %s fails with FlowValidationError before any request", async (_label, runAt) => {
    const error = await caught(() => offline.jobs.submit({ type: "echo", runAt: runAt as Date }));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["runAt"]);
  });

  it.each([
    ["0", 0],
    ["101", 101],
    ["2.5", 2.5],
    ["-1", -1],
    ["a string", "3"],
    ["NaN", Number.NaN],
  ])("a maxAttempts of %s fails with FlowValidationError before any request", async (_label, maxAttempts) => {
    const error = await caught(() => offline.jobs.submit({ type: "echo", maxAttempts: maxAttempts as number }));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["maxAttempts"]);
  });

  it.each([
    ["empty", ""],
    ["with a space", "bad type"],
    ["not a string", 42],
  ])("a type that is %s fails with FlowValidationError before any request", async (_label, type) => {
    const error = await caught(() => offline.jobs.submit({ type: type as string }));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["type"]);
  });

  it("the offline instance used above really fails once a request is sent", async () => {
    expect(await caught(() => offline.jobs.submit({ type: "echo", payload: 1 }))).toBeInstanceOf(FlowConnectionError);
  });

  it.each([
    ["get", (id: string) => flow.jobs.get(id)],
    ["cancel", (id: string) => flow.jobs.cancel(id)],
    ["wait", (id: string) => flow.jobs.wait(id)],
  ])("%s of an unknown job id fails with FlowNotFoundError", async (_label, call) => {
    const error = await caught(() => call("job_000000000000000000000000"));
    expect(error).toBeInstanceOf(FlowNotFoundError);
    expect(error).toMatchObject({ status: 404, code: "not_found" });
    expect((error as Error).message).toContain("job_000000000000000000000000");
  });

  it.each([
    ["get", (id: string) => offline.jobs.get(id)],
    ["cancel", (id: string) => offline.jobs.cancel(id)],
    ["wait", (id: string) => offline.jobs.wait(id)],
  ])("%s of an id URLs cannot carry fails with FlowValidationError before any request", async (_label, call) => {
    for (const id of ["", "..", "a\nb"]) expect(await caught(() => call(id))).toBeInstanceOf(FlowValidationError);
  });

  it("a job of another workspace is not found", async () => {
    const job = await flow.jobs.submit({ type: "echo", runAt: new Date(clock.now() + 3_600_000) });
    const other = await isolatedFlow();
    expect(await caught(() => other.jobs.get(job.id))).toBeInstanceOf(FlowNotFoundError);
    expect(await caught(() => other.jobs.cancel(job.id))).toBeInstanceOf(FlowNotFoundError);
    expect((await flow.jobs.get(job.id)).status).toBe("scheduled");
    await flow.jobs.cancel(job.id);
  });
});
