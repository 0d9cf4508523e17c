import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { ManualClock, startTestPlatform, type TestPlatform } from "../../local/testing.js";
import type { ManifestObject } from "../../local/index.js";
import { FlowAbortError, FlowNotFoundError, FlowTimeoutError, FlowValidationError, type FlowSDK, type WorkflowRun } from "../../src/index.js";
import { caught, sharedPlatform } from "../helpers/flows.js";

// Workflows on a real platform in this process; each step is a real block process (.mjs fixtures,
// which record what they did in files of a temporary directory the test reads).

const FIXTURES = fileURLToPath(new URL("../fixtures/workflows/", import.meta.url));
const ECHO = path.join(FIXTURES, "echo.mjs");
const FLAKY = path.join(FIXTURES, "flaky.mjs");
const HOLD = path.join(FIXTURES, "hold.mjs");

const manifest: ManifestObject = {
  codeBlocks: { echo: ECHO, flaky: FLAKY, hold: HOLD },
  workflows: {
    pipeline: {
      name: "Echo three times",
      description: "Each step returns what it received",
      steps: [
        { id: "a", codeBlock: "echo" },
        { id: "b", codeBlock: "echo", maxAttempts: 1 },
        { id: "c", codeBlock: "echo", maxAttempts: 5 },
      ],
    },
    charge: {
      steps: [
        { id: "prepare", codeBlock: "echo" },
        { id: "charge", codeBlock: "flaky", maxAttempts: 3, backoffSeconds: 0 },
        { id: "notify", codeBlock: "echo" },
      ],
    },
    holding: {
      steps: [
        { id: "first", codeBlock: "echo" },
        { id: "hold", codeBlock: "hold" },
        { id: "after", codeBlock: "echo" },
      ],
    },
    single: { steps: [{ id: "only", codeBlock: "echo" }] },
    waiting: { steps: [{ id: "hold", codeBlock: "hold" }] },
    listing: { steps: [{ id: "only", codeBlock: "flaky", maxAttempts: 1 }] },
  },
};

const { flow, offline } = await sharedPlatform({ manifest });

const dir = mkdtempSync(path.join(os.tmpdir(), "flow-workflows-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
/** A path in the temporary directory that no other test uses. */
const scratch = (label: string): string => path.join(dir, `${label}-${++counter}`);

/** How many times the flaky block ran with this tally file. */
function runsOf(tally: string): number {
  return existsSync(tally) ? readFileSync(tally, "utf8").split("\n").filter(Boolean).length : 0;
}

/** The pid the hold block wrote to `pidFile`, once it has started. */
async function pidOf(pidFile: string): Promise<number> {
  const deadline = Date.now() + 15_000;
  while (!existsSync(pidFile)) {
    if (Date.now() > deadline) throw new Error(`the hold block wrote no pid to ${pidFile} within 15 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Number(readFileSync(pidFile, "utf8"));
}

/** Polls the run until `done` says so (for states no long-poll waits for: a step that failed and waits for its retry). */
async function runUntil(f: FlowSDK, runId: string, done: (run: WorkflowRun) => boolean): Promise<WorkflowRun> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const run = await f.workflows.getRun(runId);
    if (done(run)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} did not reach the expected state within 15 s: ${JSON.stringify(run)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The workflows a not-found message says there are ("the workflows are: a, b, c"), sorted. */
function namedWorkflows(error: unknown): string[] {
  const listed = /the workflows are: ([\w., -]+?)(?: \(HTTP|$)/.exec((error as Error).message)?.[1];
  return (listed ?? "").split(", ").sort();
}

/** Each of `times` is no later than the next one. */
function expectInOrder(times: Array<string | null>): void {
  const ms = times.map((time) => {
    expect(time).toEqual(expect.any(String));
    return Date.parse(time ?? "");
  });
  for (let i = 1; i < ms.length; i++) expect(ms[i]).toBeGreaterThanOrEqual(ms[i - 1]!);
}

describe("workflows: list and get", () => {
  it("list answers the manifest's workflows by id, each with its steps' blocks and attempts", async () => {
    const page = await flow.workflows.list();
    expect(page.data.map((workflow) => workflow.id)).toEqual(["charge", "holding", "listing", "pipeline", "single", "waiting"]);
    expect(page.nextCursor).toBeNull();
    expect(page.data.find((workflow) => workflow.id === "pipeline")).toEqual({
      id: "pipeline",
      name: "Echo three times",
      description: "Each step returns what it received",
      steps: [
        { id: "a", codeBlockId: "echo", maxAttempts: 3 },
        { id: "b", codeBlockId: "echo", maxAttempts: 1 },
        { id: "c", codeBlockId: "echo", maxAttempts: 5 },
      ],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
  });

  it("list pages with limit and the next page's cursor", async () => {
    const first = await flow.workflows.list({ limit: 2 });
    expect(first.data.map((workflow) => workflow.id)).toEqual(["charge", "holding"]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const ids: string[] = [];
    for await (const workflow of flow.workflows.list({ limit: 2 })) ids.push(workflow.id);
    expect(ids).toEqual(["charge", "holding", "listing", "pipeline", "single", "waiting"]);
  });

  it("get answers one workflow; its name defaults to its id and its description to null", async () => {
    const workflow = await flow.workflows.get("charge");
    expect(workflow).toEqual({
      id: "charge",
      name: "charge",
      description: null,
      steps: [
        { id: "prepare", codeBlockId: "echo", maxAttempts: 3 },
        { id: "charge", codeBlockId: "flaky", maxAttempts: 3 },
        { id: "notify", codeBlockId: "echo", maxAttempts: 3 },
      ],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(Number.isNaN(Date.parse(workflow.createdAt))).toBe(false);
  });

  it("get of an unknown workflow fails with FlowNotFoundError naming the workflows there are", async () => {
    const error = await caught(() => flow.workflows.get("onboard"));
    expect(error).toBeInstanceOf(FlowNotFoundError);
    expect((error as FlowNotFoundError).message).toContain('"onboard"');
    expect(namedWorkflows(error)).toEqual(["charge", "holding", "listing", "pipeline", "single", "waiting"]);
  });
});

describe("workflows: a run that succeeds", () => {
  it("start resolves to the new run as queued, with its input and every step pending", async () => {
    const input = { customer: "ada" };
    const run = await flow.workflows.start("pipeline", input);
    expect(run).toMatchObject({ workflowId: "pipeline", status: "queued", input, output: null, error: null, startedAt: null, finishedAt: null });
    expect(run.id).toMatch(/^run_[0-9a-f]{24}$/);
    expect(run.steps.map(({ id, codeBlockId, status, attempts, maxAttempts, executionId, startedAt }) => [id, codeBlockId, status, attempts, maxAttempts, executionId, startedAt])).toEqual([
      ["a", "echo", "pending", 0, 3, null, null],
      ["b", "echo", "pending", 0, 1, null, null],
      ["c", "echo", "pending", 0, 5, null, null],
    ]);
    await flow.workflows.waitForRun(run.id, { timeoutMs: 20_000 });
  });

  it("each step receives the run's input and the outputs of the steps before it, and the run's output is the last step's", async () => {
    const input = { customer: "ada", items: [1, { sku: "x" }], note: null };
    const started = await flow.workflows.start("pipeline", input);
    const run = await flow.workflows.waitForRun(started.id, { timeoutMs: 20_000 });
    // Each echo step returns exactly what it received.
    const a = { input, steps: {} };
    const b = { input, steps: { a } };
    const c = { input, steps: { a, b } };
    expect(run.status).toBe("succeeded");
    expect(run.steps.map((step) => step.output)).toEqual([a, b, c]);
    expect(run.output).toEqual(c);
    expect(run.error).toBeNull();
  });

  it("an input property set to undefined is left out, as JSON does: the steps receive the rest", async () => {
    const started = await flow.workflows.start("single", { a: 1, b: undefined });
    const run = await flow.workflows.waitForRun(started.id, { timeoutMs: 20_000 });
    expect(run.status).toBe("succeeded");
    expect(run.input).toStrictEqual({ a: 1 });
    expect(run.output).toStrictEqual({ input: { a: 1 }, steps: {} });
  });

  it("a run started without input gives its steps input null", async () => {
    const started = await flow.workflows.start("single");
    const run = await flow.workflows.waitForRun(started.id, { timeoutMs: 20_000 });
    expect(run.input).toBeNull();
    expect(run.output).toEqual({ input: null, steps: {} });
  });

  it("getRun shows each step's status, attempts, output, execution and times, in the order they ran", async () => {
    const started = await flow.workflows.start("pipeline", 7);
    await flow.workflows.waitForRun(started.id, { timeoutMs: 20_000 });
    const run = await flow.workflows.getRun(started.id);
    expect(run).toMatchObject({ id: started.id, workflowId: "pipeline", status: "succeeded", input: 7, createdAt: started.createdAt });
    expect(run.steps.map(({ id, codeBlockId, status, attempts, maxAttempts, error }) => ({ id, codeBlockId, status, attempts, maxAttempts, error }))).toEqual([
      { id: "a", codeBlockId: "echo", status: "succeeded", attempts: 1, maxAttempts: 3, error: null },
      { id: "b", codeBlockId: "echo", status: "succeeded", attempts: 1, maxAttempts: 1, error: null },
      { id: "c", codeBlockId: "echo", status: "succeeded", attempts: 1, maxAttempts: 5, error: null },
    ]);
    expectInOrder([run.createdAt, run.startedAt, ...run.steps.flatMap((step) => [step.startedAt, step.finishedAt]), run.finishedAt]);
    // Each step's execution is its own, of its block, in this run, with the step's output.
    const executionIds = run.steps.map((step) => step.executionId);
    expect(new Set(executionIds).size).toBe(3);
    for (const step of run.steps) {
      const execution = await flow.codeBlocks.getExecution(step.executionId ?? "");
      expect(execution).toMatchObject({ codeBlockId: "echo", status: "succeeded", workflowRunId: run.id, output: step.output });
    }
  });
});

describe("workflows: failing steps", () => {
  it("a step that keeps failing is tried maxAttempts times, then the run fails naming the step and the block's error", async () => {
    const tally = scratch("tally");
    const input = { tally, failTimes: 99, reason: "card declined" };
    const started = await flow.workflows.start("charge", input);
    const run = await flow.workflows.waitForRun(started.id, { timeoutMs: 20_000 });
    expect(run.status).toBe("failed");
    expect(run.output).toBeNull();
    expect(run.error).toEqual({ code: "step_failed", stepId: "charge", message: expect.any(String) });
    expect(run.error?.message).toContain('step "charge"');
    expect(run.error?.message).toContain("card declined (run 3)");
    expect(runsOf(tally)).toBe(3);
    const [prepare, charge, notify] = run.steps;
    // The step before keeps its output; the failed one has the last attempt's error; the one after never ran.
    expect(prepare).toMatchObject({ status: "succeeded", attempts: 1, output: { input, steps: {} }, error: null });
    expect(charge).toMatchObject({
      status: "failed",
      attempts: 3,
      maxAttempts: 3,
      output: null,
      error: { code: "block_error", message: "the block threw RangeError: card declined (run 3)" },
    });
    expect(notify).toMatchObject({ status: "skipped", attempts: 0, output: null, error: null, executionId: null, startedAt: null });
  });

  it("a step that fails once and then succeeds lets the run succeed, with 2 attempts on that step", async () => {
    const tally = scratch("tally");
    const input = { tally, failTimes: 1, reason: "gateway busy" };
    const started = await flow.workflows.start("charge", input);
    const run = await flow.workflows.waitForRun(started.id, { timeoutMs: 20_000 });
    expect(run.status).toBe("succeeded");
    expect(runsOf(tally)).toBe(2);
    expect(run.steps.map((step) => [step.id, step.status, step.attempts])).toEqual([
      ["prepare", "succeeded", 1],
      ["charge", "succeeded", 2],
      ["notify", "succeeded", 1],
    ]);
    expect(run.steps[1]).toMatchObject({ output: { attempt: 2 }, error: null });
    expect(run.output).toEqual({ input, steps: { prepare: { input, steps: {} }, charge: { attempt: 2 } } });
  });

  describe("with a manual clock", () => {
    let platform: TestPlatform | undefined;
    afterAll(() => platform?.close());

    it("a failed step waits backoffSeconds before its next attempt", async () => {
      const clock = new ManualClock();
      platform = await startTestPlatform({
        clock,
        manifest: { codeBlocks: { flaky: FLAKY }, workflows: { slow: { steps: [{ id: "charge", codeBlock: "flaky", maxAttempts: 2, backoffSeconds: 30 }] } } },
      });
      const clocked = platform.createFlow();
      const tally = scratch("tally");
      const started = await clocked.workflows.start("slow", { tally, failTimes: 1, reason: "try later" });
      const waiting = await runUntil(clocked, started.id, (run) => run.steps[0]?.error !== null);
      expect(waiting.status).toBe("running");
      expect(waiting.steps[0]).toMatchObject({ status: "pending", attempts: 1, error: { code: "block_error", message: "the block threw RangeError: try later (run 1)" } });
      clock.advance(29_999);
      expect((await clocked.workflows.getRun(started.id)).steps[0]).toMatchObject({ status: "pending", attempts: 1 });
      expect(runsOf(tally)).toBe(1);
      clock.advance(1);
      const run = await clocked.workflows.waitForRun(started.id, { timeoutMs: 20_000 });
      expect(run.status).toBe("succeeded");
      expect(run.steps[0]).toMatchObject({ status: "succeeded", attempts: 2, output: { attempt: 2 }, error: null });
      expect(runsOf(tally)).toBe(2);
    });

    it("cancelRun while a step waits for its retry cancels that step (it had started) and skips the steps after it", async () => {
      const clock = new ManualClock();
      const own = await startTestPlatform({
        clock,
        manifest: {
          codeBlocks: { flaky: FLAKY, echo: ECHO },
          workflows: {
            retrying: {
              steps: [
                { id: "charge", codeBlock: "flaky", maxAttempts: 2, backoffSeconds: 30 },
                { id: "notify", codeBlock: "echo" },
                { id: "archive", codeBlock: "echo" },
              ],
            },
          },
        },
      });
      onTestFinished(() => own.close());
      const clocked = own.createFlow();
      const tally = scratch("tally");
      const started = await clocked.workflows.start("retrying", { tally, failTimes: 1, reason: "try later" });
      await runUntil(clocked, started.id, (run) => run.steps[0]?.error !== null);
      const cancelled = await clocked.workflows.cancelRun(started.id);
      expect(cancelled).toMatchObject({ status: "cancelled", error: { code: "cancelled" } });
      expect(cancelled.steps.map((step) => [step.id, step.status, step.attempts])).toEqual([
        ["charge", "cancelled", 1],
        ["notify", "skipped", 0],
        ["archive", "skipped", 0],
      ]);
      // Its retry never comes.
      clock.advance(30_000);
      expect(await clocked.workflows.getRun(started.id)).toEqual(cancelled);
      expect(runsOf(tally)).toBe(1);
    });
  });
});

describe("workflows: cancelling a run", () => {
  it("cancelRun while a step runs stops its process and cancels the run; the steps after it are skipped", async () => {
    const pidFile = scratch("pid");
    const started = await flow.workflows.start("holding", { pidFile });
    const pid = await pidOf(pidFile);
    const cancelled = await flow.workflows.cancelRun(started.id);
    // Resolved only once the step's process is gone.
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));
    expect(readFileSync(`${pidFile}.aborted`, "utf8")).toBe("AbortError");
    expect(cancelled).toMatchObject({ id: started.id, status: "cancelled", output: null, error: { code: "cancelled" } });
    expect(cancelled.finishedAt).toEqual(expect.any(String));
    expect(cancelled.steps.slice(0, 2).map((step) => [step.id, step.status])).toEqual([
      ["first", "succeeded"],
      ["hold", "cancelled"],
    ]);
    expect(cancelled.steps[2]).toMatchObject({ id: "after", status: "skipped", attempts: 0, output: null, executionId: null, startedAt: null });
    expect(cancelled.steps[0]?.output).toEqual({ input: { pidFile }, steps: {} });
    expect(await flow.workflows.getRun(started.id)).toEqual(cancelled);
  });

  it("cancelRun of a finished run returns it unchanged", async () => {
    const started = await flow.workflows.start("single", "done");
    const finished = await flow.workflows.waitForRun(started.id, { timeoutMs: 20_000 });
    expect(await flow.workflows.cancelRun(started.id)).toEqual(finished);
    expect(await flow.workflows.getRun(started.id)).toEqual(finished);
  });
});

describe("workflows: waiting for a run", () => {
  it("waitForRun rejects with FlowTimeoutError once timeoutMs passes, and the run goes on", async () => {
    const pidFile = scratch("pid");
    const started = await flow.workflows.start("waiting", { pidFile });
    await pidOf(pidFile);
    try {
      const error = await caught(() => flow.workflows.waitForRun(started.id, { timeoutMs: 300 }));
      expect(error).toBeInstanceOf(FlowTimeoutError);
      expect((error as FlowTimeoutError).message).toContain(started.id);
      const run = await flow.workflows.getRun(started.id);
      expect(run.status).toBe("running");
      expect(run.steps[0]?.status).toBe("running");
    } finally {
      await flow.workflows.cancelRun(started.id);
    }
  });

  it("waitForRun rejects with FlowAbortError as soon as its signal aborts, and the run goes on", async () => {
    const pidFile = scratch("pid");
    const started = await flow.workflows.start("waiting", { pidFile });
    await pidOf(pidFile);
    try {
      const controller = new AbortController();
      const waiting = caught(() => flow.workflows.waitForRun(started.id, { signal: controller.signal }));
      // Once the long-poll is under way (it would hold the answer for up to 20 s).
      setTimeout(() => controller.abort(), 100);
      const began = Date.now();
      expect(await waiting).toBeInstanceOf(FlowAbortError);
      expect(Date.now() - began).toBeLessThan(5_000);
      expect((await flow.workflows.getRun(started.id)).status).toBe("running");
    } finally {
      await flow.workflows.cancelRun(started.id);
    }
  });
});

describe("workflows: listing runs", () => {
  // The "listing" workflow is run by these tests only: its one step fails when failTimes says so.
  const ids: Record<"failed" | "first" | "last", string> = { failed: "", first: "", last: "" };
  const runListing = async (failTimes: number): Promise<string> => {
    const started = await flow.workflows.start("listing", { tally: scratch("tally"), failTimes, reason: "no" });
    await flow.workflows.waitForRun(started.id, { timeoutMs: 20_000 });
    return started.id;
  };

  it("listRuns answers a workflow's runs newest first", async () => {
    ids.first = await runListing(0);
    ids.failed = await runListing(1);
    ids.last = await runListing(0);
    const page = await flow.workflows.listRuns("listing");
    expect(page.data.map((run) => run.id)).toEqual([ids.last, ids.failed, ids.first]);
    expect(page.data.map((run) => run.status)).toEqual(["succeeded", "failed", "succeeded"]);
    expect(page.nextCursor).toBeNull();
  });

  it("listRuns filtered by status answers only the runs in that status", async () => {
    expect((await flow.workflows.listRuns("listing", { status: "succeeded" })).data.map((run) => run.id)).toEqual([ids.last, ids.first]);
    expect((await flow.workflows.listRuns("listing", { status: "failed" })).data.map((run) => run.id)).toEqual([ids.failed]);
    expect((await flow.workflows.listRuns("listing", { status: "running" })).data).toEqual([]);
  });

  it("listRuns pages with limit, and for await goes through every page", async () => {
    const first = await flow.workflows.listRuns("listing", { limit: 2 });
    expect(first.data.map((run) => run.id)).toEqual([ids.last, ids.failed]);
    const second = await first.getNextPage();
    expect(second?.data.map((run) => run.id)).toEqual([ids.first]);
    expect(second?.nextCursor).toBeNull();
    const all: string[] = [];
    for await (const run of flow.workflows.listRuns("listing", { limit: 1 })) all.push(run.id);
    expect(all).toEqual([ids.last, ids.failed, ids.first]);
  });

  it("listRuns of another workflow does not answer these runs", async () => {
    const others = await flow.workflows.listRuns("waiting", { limit: 1000 });
    expect(others.data.map((run) => run.workflowId)).not.toContain("listing");
    expect(others.data.every((run) => run.workflowId === "waiting")).toBe(true);
  });
});

describe("workflows: bad input", () => {
  it("start of an unknown workflow fails with FlowNotFoundError naming the workflows there are, and starts no run", async () => {
    const error = await caught(() => flow.workflows.start("onboard", { a: 1 }));
    expect(error).toBeInstanceOf(FlowNotFoundError);
    expect(namedWorkflows(error)).toEqual(["charge", "holding", "listing", "pipeline", "single", "waiting"]);
    expect((await flow.workflows.listRuns("onboard")).data).toEqual([]);
  });

  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  it.each([
    ["a function", { f: () => 1 }],
    ["a bigint", { n: 1n }],
    ["NaN", [Number.NaN]],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["a cycle", cycle],
    ["a class instance", new Map([["k", "v"]])],
  ])("start with input holding %s fails with FlowValidationError on input, before any request", async (_label, input) => {
    const error = await caught(() => offline.workflows.start("pipeline", input));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["input"]);
  });

  it("a workflow id that is not an id fails with FlowValidationError before any request", async () => {
    for (const call of [() => offline.workflows.get("no such/id"), () => offline.workflows.start(""), () => offline.workflows.listRuns("../x")]) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(FlowValidationError);
      expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["id"]);
    }
  });

  it("a run id that cannot be one fails with FlowValidationError before any request", async () => {
    for (const call of [() => offline.workflows.getRun(""), () => offline.workflows.waitForRun(".."), () => offline.workflows.cancelRun("")]) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(FlowValidationError);
      expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["runId"]);
    }
  });

  it("getRun, waitForRun and cancelRun of an unknown run fail with FlowNotFoundError", async () => {
    const runId = "run_000000000000000000000000";
    for (const call of [() => flow.workflows.getRun(runId), () => flow.workflows.waitForRun(runId, { timeoutMs: 5_000 }), () => flow.workflows.cancelRun(runId)]) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(FlowNotFoundError);
      expect((error as FlowNotFoundError).message).toContain(runId);
    }
  });

  it("listRuns with a status that is not one fails with FlowValidationError before any request", async () => {
    const error = await caught(() => offline.workflows.listRuns("pipeline", { status: "done" as "succeeded" }));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["status"]);
  });
});
