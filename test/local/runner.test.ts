// The block runner (local/runner/) used directly, without a platform: one process per run, and
// whatever the block does, one outcome once that process is gone. The fixture blocks do not use
// ctx.flow, so no platform is needed.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { MAX_OUTPUT_BYTES, outputIssue, outputJson } from "../../local/runner/json-output.js";
import { runBlock, type RunningBlock, type RunOutcome, type RunSpec } from "../../local/runner/spawn.js";

const BLOCKS = fileURLToPath(new URL("../fixtures/code-blocks/", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const REQUEST = { id: "req_runner_test", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", tracestate: "vendor=1" };

let runs = 0;
// Files the tests hand to their blocks (gates, pid files).
const scratch = mkdtempSync(path.join(os.tmpdir(), "flow-runner-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
/** Starts the fixture `file` with `input` (as JSON text), capturing its logs. */
function start(file: string, input: unknown = null, spec: Partial<RunSpec> = {}): RunningBlock {
  return runBlock({
    file: path.join(BLOCKS, file),
    input: JSON.stringify(input),
    executionId: `exe_runner_${++runs}`,
    request: REQUEST,
    env: { ...process.env },
    cwd: BLOCKS,
    stdio: "capture",
    graceMs: 5_000,
    ...spec,
  });
}

/** Runs the fixture `file` to its end. */
function run(file: string, input: unknown = null, spec: Partial<RunSpec> = {}): Promise<RunOutcome> {
  return start(file, input, spec).outcome;
}

/** Whether `pid` is a live process: a zombie (ended, not yet reaped) counts as gone. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
  try {
    // "<pid> (<comm>) <state> ...": Z is a zombie.
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false; // gone between the two looks
  }
}

/** Polls the running block's logs until `text` shows up on stdout (a deadline, not a sleep). */
async function untilStdout(block: RunningBlock, text: string, deadlineMs = 10_000): Promise<string> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const { stdout } = block.logs();
    if (stdout.includes(text)) return stdout;
    if (Date.now() > deadline) throw new Error(`"${text}" never appeared on stdout; it has: ${JSON.stringify(stdout)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Asserts that `pid`'s process no longer exists. */
function expectGone(pid: number | undefined): void {
  expect(pid).toBeTypeOf("number");
  let code: string | undefined;
  try {
    process.kill(pid!, 0);
  } catch (error) {
    code = (error as NodeJS.ErrnoException).code;
  }
  expect(code).toBe("ESRCH");
}

describe.concurrent("runBlock: blocks that return", () => {
  it("a default export's return value is the output, as JSON text, and the process exits 0", async () => {
    const block = start("echo.mjs", { order: 7, lines: [1, "two", null] });
    const outcome = await block.outcome;
    expect(outcome).toMatchObject({ status: "succeeded", error: null, exitCode: 0, signal: null, truncated: false });
    expect(JSON.parse(outcome.output!)).toEqual({ order: 7, lines: [1, "two", null] });
    expectGone(block.pid);
  });

  it("the block's ctx carries the execution id and the request it runs in", async () => {
    // runBlock passes env as given: the executor is the one that puts EXECUTION_ID in it.
    const id = "exe_0123456789abcdef01234567";
    const outcome = await run("context.mjs", null, { executionId: id, env: { ...process.env, EXECUTION_ID: id, REGION: undefined } });
    expect(JSON.parse(outcome.output!)).toEqual({ executionId: id, envExecutionId: id, request: REQUEST, region: null });
  });

  it("a module exporting `main` instead of `default` is called through main", async () => {
    const outcome = await run("main-export.mjs", "hi");
    expect(outcome.status).toBe("succeeded");
    expect(JSON.parse(outcome.output!)).toEqual({ via: "main", input: "hi" });
  });

  it("a CommonJS block (module.exports = async () => ...) is called", async () => {
    const outcome = await run("common.cjs", [1, 2]);
    expect(outcome.status).toBe("succeeded");
    expect(JSON.parse(outcome.output!)).toEqual({ via: "cjs", input: [1, 2] });
  });

  it("a TypeScript block runs", async () => {
    const outcome = await run("typed.ts", { lines: [2, 3, 5] });
    expect(outcome).toMatchObject({ status: "succeeded", error: null });
    expect(JSON.parse(outcome.output!)).toEqual({ total: 10 });
  });
});

describe.concurrent("runBlock: how a run fails", () => {
  it("a block that throws fails with block_error, keeping the error's name and message", async () => {
    const outcome = await run("throws.mjs");
    expect(outcome).toMatchObject({ status: "failed", output: null, exitCode: 0 });
    expect(outcome.error).toEqual({ code: "block_error", name: "TypeError", message: "the block threw TypeError: the order has no lines" });
  });

  it("a module that does not parse fails with load_error naming the SyntaxError", async () => {
    const outcome = await run("syntax-error.mjs");
    expect(outcome.status).toBe("failed");
    expect(outcome.error).toMatchObject({ code: "load_error", name: "SyntaxError" });
    expect(outcome.error!.message).toMatch(/^the block's module failed to load: SyntaxError: /);
  });

  it("input that is not JSON text fails with invalid_input before the block runs", async () => {
    const outcome = await runBlock({
      file: path.join(BLOCKS, "echo.mjs"),
      input: "{oops",
      executionId: "exe_runner_bad_input",
      request: REQUEST,
      env: { ...process.env },
      cwd: BLOCKS,
      stdio: "capture",
      graceMs: 1_000,
    }).outcome;
    expect(outcome.status).toBe("failed");
    expect(outcome.error).toMatchObject({ code: "invalid_input" });
    expect(outcome.error!.message).toContain("the input is not JSON");
  });

  it("process.exit before returning is crashed, with the exit code and what it wrote", async () => {
    const outcome = await run("exit-1.mjs");
    expect(outcome).toMatchObject({ status: "failed", exitCode: 1, signal: null, stderr: "exiting early\n" });
    expect(outcome.error!.code).toBe("crashed");
    expect(outcome.error!.message).toContain("exited with code 1");
  });

  it.each([
    ["map", "output.totals is a Map"],
    ["function", "output.items[1] is a function"],
    ["nan", "output.ratio is NaN"],
    ["cycle", "output.self refers back to itself (a cycle)"],
    ["error", "output.failure is an Error"],
  ])("a return value that is not JSON (%s) fails with invalid_output naming where", async (kind, where) => {
    const outcome = await run("bad-output.mjs", { kind });
    expect(outcome).toMatchObject({ status: "failed", output: null });
    expect(outcome.error!.code).toBe("invalid_output");
    expect(outcome.error!.message).toContain(where);
  });

  it("a script (no default export) that exits 0 succeeds with output null", async () => {
    const outcome = await run("script-ok.mjs", null, { env: { ...process.env, EXECUTION_ID: "exe_script" } });
    expect(outcome).toMatchObject({ status: "succeeded", output: null, error: null, exitCode: 0, stdout: "script ran in exe_script\n" });
  });

  it("a script that exits 2 fails with exited", async () => {
    const outcome = await run("script-fail.mjs");
    expect(outcome).toMatchObject({ status: "failed", exitCode: 2, stderr: "script failing\n" });
    expect(outcome.error).toEqual({ code: "exited", message: "the script exited with code 2; see the execution's logs" });
  });

  it("a process that cannot start (its cwd does not exist) fails with spawn_failed, not crashed", async () => {
    const outcome = await run("echo.mjs", 1, { cwd: path.join(BLOCKS, "no-such-directory") });
    expect(outcome).toMatchObject({ status: "failed", output: null, stdout: "", stderr: "" });
    expect(outcome.error!.code).toBe("spawn_failed");
    expect(outcome.error!.message).toMatch(/^the block's process could not start: .*ENOENT/);
  });
});

describe.concurrent("runBlock: time limit and cancel", () => {
  it("past timeoutMs the block's signal aborts with a TimeoutError, and the run fails with timeout", async () => {
    // 3 s: time for hang.mjs to load and listen for the abort (it does not check whether its
    // signal aborted already); a time limit that passes while the block loads is tested below.
    const block = start("hang.mjs", null, { timeoutMs: 3_000 });
    const outcome = await block.outcome;
    expect(outcome).toMatchObject({ status: "failed", output: null, signal: null });
    expect(outcome.error!.code).toBe("timeout");
    expect(outcome.stdout).toBe("waiting\naborted with TimeoutError\n");
    expectGone(block.pid);
  });

  it("a time limit that passes while the module still loads aborts the block's signal with a TimeoutError once it runs, with no SIGKILL", async () => {
    // slow-load.mjs takes 200 ms to load; its 50 ms are up long before its function is called.
    const block = start("slow-load.mjs", null, { timeoutMs: 50, graceMs: 2_000 });
    const outcome = await block.outcome;
    expect(outcome.stdout).toBe("aborted with TimeoutError\n");
    expect(outcome.signal).not.toBe("SIGKILL");
    expect(outcome).toMatchObject({ status: "failed", signal: null, exitCode: 0 });
    expect(outcome.error!.code).toBe("timeout");
    expect(outcome.error!.message).not.toContain("killed");
    expectGone(block.pid);
  });

  it("a cancel while the module still loads leaves the function's signal aborted with an AbortError when it is called, with no SIGKILL", async () => {
    const gate = path.join(scratch, `load-gate-${++runs}`);
    const block = start("load-gate.mjs", null, { env: { ...process.env, LOAD_GATE: gate } });
    await untilStdout(block, "loading"); // the module's top-level code runs: it has not finished loading
    const cancelled = Date.now();
    block.cancel();
    // Only once the cancel has reached the process: opened at once, the gate could let the module
    // finish loading before the cancel arrived, and the function would rightly find its signal live.
    await untilStdout(block, "cancel received");
    writeFileSync(gate, ""); // lets the module finish loading; a process killed by the SIGTERM never sees it
    const outcome = await block.outcome;
    expect(outcome.stdout).toBe("loading\ncancel received\nalready aborted with AbortError\n");
    expect(outcome).toMatchObject({ status: "cancelled", signal: null, exitCode: 0, error: { code: "cancelled" } });
    expect(Date.now() - cancelled).toBeLessThan(4_000); // long before the 5 s grace
    expectGone(block.pid);
  });

  it("a script cancelled while it loads exits once loaded, without waiting for SIGKILL", async () => {
    const gate = path.join(scratch, `load-gate-${++runs}`);
    const block = start("load-gate-script.mjs", null, { env: { ...process.env, LOAD_GATE: gate } });
    await untilStdout(block, "loading");
    const cancelled = Date.now();
    block.cancel();
    writeFileSync(gate, "");
    const outcome = await block.outcome;
    expect(outcome).toMatchObject({ status: "cancelled", error: { code: "cancelled" } });
    expect(outcome.signal).not.toBe("SIGKILL");
    expect(Date.now() - cancelled).toBeLessThan(4_000); // long before the 5 s grace
    expectGone(block.pid);
  });

  it("a block that never yields is killed with SIGKILL once the grace period after its time limit passes", async () => {
    const started = Date.now();
    const block = start("spin.mjs", null, { timeoutMs: 2_000, graceMs: 300 });
    const outcome = await block.outcome;
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_300);
    expect(outcome).toMatchObject({ status: "failed", signal: "SIGKILL", stdout: "spinning\n" });
    expect(outcome.error!.code).toBe("timeout");
    expect(outcome.error!.message).toContain("killed");
    expectGone(block.pid);
  });

  it("cancel aborts the block's signal with an AbortError; the run is cancelled and its process gone", async () => {
    const block = start("hang.mjs");
    await untilStdout(block, "waiting");
    const cancelled = Date.now();
    block.cancel();
    const outcome = await block.outcome;
    // It ended by itself, long before the 5 s grace: no SIGKILL was needed.
    expect(Date.now() - cancelled).toBeLessThan(4_000);
    expect(outcome).toMatchObject({ status: "cancelled", output: null, signal: null, error: { code: "cancelled", message: "the execution was cancelled" } });
    expect(outcome.stdout).toBe("waiting\naborted with AbortError\n");
    expectGone(block.pid);
  });

  it("cancel sends SIGTERM, then SIGKILL once the grace period passes, to a block that ignores both", async () => {
    const block = start("ignore-sigterm.mjs", null, { graceMs: 600 });
    await untilStdout(block, "started");
    const cancelled = Date.now();
    block.cancel();
    const outcome = await block.outcome;
    expect(Date.now() - cancelled).toBeGreaterThanOrEqual(550);
    expect(outcome).toMatchObject({ status: "cancelled", signal: "SIGKILL" });
    expect(outcome.stdout).toBe("started\ngot SIGTERM\n");
    expectGone(block.pid);
  });

  it("cancel also stops the processes the block started", async () => {
    const block = start("with-grandchild.mjs", null, { graceMs: 300 });
    const stdout = await untilStdout(block, "grandchild ");
    const grandchild = Number(/grandchild (\d+)/.exec(stdout)![1]);
    expect(alive(grandchild)).toBe(true);
    block.cancel();
    expect((await block.outcome).status).toBe("cancelled");
    const deadline = Date.now() + 5_000;
    while (alive(grandchild) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(alive(grandchild)).toBe(false);
  });

  it("cancel after the run ended changes nothing", async () => {
    const block = start("echo.mjs", 1);
    const outcome = await block.outcome;
    block.cancel();
    expect(await block.outcome).toBe(outcome);
    expect(outcome.status).toBe("succeeded");
  });
});

describe.concurrent("runBlock: what the block's process leaves behind", () => {
  it("a block that returns after starting a process that holds its output pipes ends within 2 s, and that process is killed", async ({ onTestFinished }) => {
    // (The test's own onTestFinished: the global one does not know which concurrent test runs.)
    const block = start("daemon.mjs");
    const started = Date.now();
    const ended = await Promise.race([block.outcome, new Promise<undefined>((resolve) => setTimeout(resolve, 10_000, undefined))]);
    const took = Date.now() - started;
    const daemon = Number(/daemon (\d+)/.exec(block.logs().stdout)?.[1]);
    onTestFinished(() => {
      // Whatever the assertions say, the daemon does not outlive the test.
      if (daemon > 0 && alive(daemon)) process.kill(daemon, "SIGKILL");
    });
    expect(ended).toMatchObject({ status: "succeeded", exitCode: 0, stdout: `daemon ${daemon}\n` });
    expect(JSON.parse(ended!.output!)).toEqual({ daemon });
    expect(took).toBeLessThan(2_500);
    expect(daemon).toBeGreaterThan(0);
    // SIGKILL went to its process group when the outcome was decided; the kernel may take a moment to reap it.
    const deadline = Date.now() + 2_000;
    while (alive(daemon) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(alive(daemon)).toBe(false);
  });
});

describe.concurrent("runBlock: only the runner's own messages count", () => {
  it("a block that sends messages of its own over IPC (\"ready\", a result that is not JSON, an unknown type) succeeds with what it returns", async () => {
    const send = ["ready", { type: "result", output: "{not json" }, { type: "bogus" }];
    const outcome = await run("rogue-ipc.mjs", { send });
    expect(outcome).toMatchObject({ status: "succeeded", error: null, exitCode: 0 });
    expect(JSON.parse(outcome.output!)).toEqual({ ok: true });
  });
});

describe("runBlock: a block whose parent is killed", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "flow-runner-orphan-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Polls until `check` answers a value other than undefined; fails after `ms`. */
  async function until<T>(what: string, check: () => T | undefined, ms = 15_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it("the orphaned block's signal aborts with an AbortError once its IPC channel closes, and its process exits", async () => {
    const pidFile = path.join(dir, "orphaned.pid");
    // The parent: a process of its own that runs the block through runBlock, killed below.
    const parent = spawn(
      process.execPath,
      ["--import", "tsx", path.join(BLOCKS, "orphan-parent.ts"), path.join(BLOCKS, "orphaned.mjs"), JSON.stringify({ pidFile })],
      { cwd: ROOT, env: { ...process.env, TSX_TSCONFIG_PATH: path.join(ROOT, "tsconfig.json") }, stdio: "ignore" },
    );
    const parentGone = new Promise((resolve) => parent.once("exit", resolve));
    onTestFinished(() => {
      parent.kill("SIGKILL");
      // The block has a process group of its own: if it is still there, it goes too.
      if (existsSync(pidFile)) {
        try {
          process.kill(-Number(readFileSync(pidFile, "utf8")), "SIGKILL");
        } catch {
          // gone, as it should be
        }
      }
    });
    const pid = await until("the block to write its pid", () => (existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : undefined));
    expect(alive(pid)).toBe(true);
    parent.kill("SIGKILL");
    await parentGone;
    await until("the orphaned block's process to exit", () => (alive(pid) ? undefined : true));
    expect(readFileSync(`${pidFile}.aborted`, "utf8")).toBe("AbortError");
  });
});

describe.concurrent("runBlock: logs", () => {
  it("logs() shows what the block wrote so far while it runs", async () => {
    const block = start("hang.mjs");
    expect(await untilStdout(block, "waiting")).toBe("waiting\n");
    expect(block.logs().truncated).toBe(false);
    block.cancel();
    await block.outcome;
  });

  it("a stream longer than maxLogBytes keeps its tail, counts what was dropped, and sets truncated", async () => {
    // 50 lines of 100 bytes: 5000 bytes, of which the last 1000 are kept.
    const outcome = await run("noisy.mjs", { lines: 50 }, { maxLogBytes: 1_000 });
    expect(outcome.status).toBe("succeeded");
    expect(outcome.truncated).toBe(true);
    const [marker, ...kept] = outcome.stdout.split("\n");
    expect(marker).toBe("[… 4000 earlier bytes dropped]");
    expect(kept.join("\n")).toHaveLength(1_000);
    expect(kept[0]).toMatch(/^line 000040 x+$/);
    expect(kept.at(-2)).toMatch(/^line 000049 x+$/);
    expect(outcome.stderr).toBe("done writing\n");
  });

  it("what a block writes just before it returns is kept whole: 500 lines of 100 bytes, not truncated", async () => {
    // Output is lost only when the pipe has not taken it all by the time the process would exit,
    // which depends on how fast this process reads: three runs at once make that likely.
    const outcomes = await Promise.all([1, 2, 3].map(() => run("noisy.mjs", { lines: 500 })));
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: "succeeded", truncated: false, stderr: "done writing\n" });
      expect(Buffer.byteLength(outcome.stdout)).toBe(50_000);
      const lines = outcome.stdout.split("\n");
      expect(lines).toHaveLength(501);
      expect(lines[0]).toMatch(/^line 000000 x{87}$/);
      expect(lines[499]).toMatch(/^line 000499 x{87}$/);
    }
  });

  it("a secret that the tail would cut in half at its start is masked before the cut: its end does not show", async () => {
    const outcome = await run(
      "write.mjs",
      { stdout: `${"a".repeat(200)}SECRETVALUE123${"b".repeat(95)}` },
      { maxLogBytes: 100, mask: { text: (text) => text.split("SECRETVALUE123").join("[REDACTED]"), margin: 20 } },
    );
    expect(outcome).toMatchObject({ status: "succeeded", truncated: true });
    expect(outcome.stdout).not.toContain("123");
    expect(outcome.stdout).not.toContain("VALUE");
    expect(outcome.stdout.endsWith(`]${"b".repeat(95)}`)).toBe(true);
  });

  it("streams within maxLogBytes are kept whole, not truncated", async () => {
    const outcome = await run("noisy.mjs", { lines: 10 }, { maxLogBytes: 1_000 });
    expect(outcome.truncated).toBe(false);
    expect(outcome.stdout.split("\n")).toHaveLength(11);
    expect(outcome.stdout.startsWith("line 000000 ")).toBe(true);
  });
});

describe("outputIssue and outputJson: what may be an output", () => {
  const nested = (levels: number): unknown => {
    let value: unknown = "leaf";
    for (let i = 0; i < levels; i++) value = [value];
    return value;
  };

  it("a Date is allowed through its toJSON, as its ISO string", () => {
    const date = new Date("2026-01-02T03:04:05.000Z");
    expect(outputIssue({ at: date })).toBeUndefined();
    expect(outputJson({ at: date })).toBe('{"at":"2026-01-02T03:04:05.000Z"}');
  });

  it("an undefined property is dropped, as JSON does", () => {
    expect(outputIssue({ a: 1, b: undefined })).toBeUndefined();
    expect(outputJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it("undefined at the top is null", () => {
    expect(outputJson(undefined)).toBe("null");
  });

  it("undefined in an array is refused, naming its index", () => {
    expect(outputIssue({ list: [1, undefined] })).toBe("output.list[1] is undefined (return null, or leave the property out)");
    expect(() => outputJson([undefined])).toThrow("the block's return value is not JSON-serialisable: output[0] is undefined");
  });

  it("nesting 100 levels deep is allowed, 101 is refused", () => {
    expect(outputIssue(nested(100))).toBeUndefined();
    expect(outputIssue(nested(101))).toBe(`output${"[0]".repeat(101)} nests more than 100 levels deep`);
  });

  it("the same object twice is not a cycle", () => {
    const shared = { n: 1 };
    expect(outputJson({ a: shared, b: [shared] })).toBe('{"a":{"n":1},"b":[{"n":1}]}');
  });

  it.each([
    ["Infinity", { x: Infinity }, "output.x is Infinity, which JSON cannot carry"],
    ["a Set", { s: new Set([1]) }, "output.s is a Set"],
    ["a bigint", { n: 1n }, "output.n is a bigint, which JSON cannot carry"],
    ["a symbol", [Symbol("s")], "output[0] is a symbol, which JSON cannot carry"],
    ["a Promise", { p: Promise.resolve(1) }, "output.p is a Promise; await it before returning"],
    ["a key that is not an identifier", { "a b": () => 1 }, 'output["a b"] is a function'],
    ["a toJSON that throws", { v: { toJSON: () => { throw new Error("nope"); } } }, "output.v.toJSON() threw: nope"],
  ])("%s is refused, naming where", (_label, value, issue) => {
    expect(outputIssue(value)).toContain(issue);
  });

  it.each([
    ["an Error", { failure: new Error("out of stock") }, "output.failure is an Error"],
    ["an Error at the top", new TypeError("bad"), "output is an Error"],
    ["a RegExp", { pattern: /ab+c/g }, "output.pattern is a RegExp with no own properties"],
    ["a boxed number", { n: new Number(1) }, "output.n is a boxed number"],
    ["a boxed string", [new String("s")], "output[0] is a boxed string"],
    ["a boxed boolean", { b: new Boolean(false) }, "output.b is a boxed boolean"],
    ["an empty instance of a class", { value: new (class Empty {})() }, "output.value is a Empty with no own properties"],
  ])("%s is refused, naming where (JSON would turn it into {} or a primitive)", (_label, value, issue) => {
    expect(outputIssue(value)).toContain(issue);
    expect(() => outputJson(value)).toThrow(issue);
  });

  it("an object literal made in another realm is a plain object: accepted, with or without properties", () => {
    const foreign = vm.runInNewContext("({ a: 1, empty: {}, list: [{}] })") as unknown;
    expect(Object.getPrototypeOf(foreign)).not.toBe(Object.prototype);
    expect(outputIssue(foreign)).toBeUndefined();
    expect(outputJson(foreign)).toBe('{"a":1,"empty":{},"list":[{}]}');
    expect(outputIssue(vm.runInNewContext("({})"))).toBeUndefined();
  });

  it("an output over 8 MiB as JSON is refused, saying how large it is", () => {
    expect(() => outputJson("x".repeat(MAX_OUTPUT_BYTES))).toThrow(/8\.0 MiB as JSON, over the 8 MiB an output may be/);
    expect(outputJson("x".repeat(MAX_OUTPUT_BYTES - 2))).toHaveLength(MAX_OUTPUT_BYTES);
  });
});
