// flow.codeBlocks against a local platform running the fixture blocks of
// test/fixtures/code-blocks/flow-local.json, each execution in a process of its own.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import {
  FlowAbortError,
  FlowClosedError,
  FlowConnectionError,
  FlowNotFoundError,
  FlowTimeoutError,
  FlowValidationError,
  type CodeBlock,
  type Execution,
} from "../../src/index.js";
import { caught, sharedPlatform } from "../helpers/flows.js";

const BLOCKS = fileURLToPath(new URL("../fixtures/code-blocks/", import.meta.url));
const SECRET = "sk_test_5f3a9c1e7b2d4a6f";
const { platform, flow, offline } = await sharedPlatform({ manifest: path.join(BLOCKS, "flow-local.json"), cancelGraceSeconds: 1, secrets: { API_KEY: SECRET } });

const ALL_IDS = ["bad-output", "context", "echo", "exit-1", "hang", "inner", "leak-secret", "noisy", "outer", "script-fail", "script-ok", "slow", "spin", "syntax-error", "throws", "typed"];
const EXECUTION_ID = /^exe_[0-9a-f]{24}$/;
const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

let counter = 0;
/** A value no other test uses. */
const unique = (label: string): string => `${label}-${++counter}-${Date.now().toString(36)}`;

/** The execution id a wait's error message names. */
function executionIdIn(error: unknown): string {
  const id = /exe_[0-9a-f]{24}/.exec((error as Error).message)?.[0];
  if (!id) throw new Error(`no execution id in: ${(error as Error).message}`);
  return id;
}

/** The block ids a not-found message names, sorted. */
function blocksNamedIn(error: unknown): string[] {
  const list = /the code blocks are: ([^(]+?) \(HTTP/.exec((error as Error).message)?.[1];
  if (!list) throw new Error(`no list of blocks in: ${(error as Error).message}`);
  return list.split(", ").sort();
}

/** Asserts the platform still runs a block to the end. */
async function expectStillServing(): Promise<void> {
  const execution = await flow.codeBlocks.invoke("echo", "still here");
  expect(execution).toMatchObject({ status: "succeeded", output: "still here" });
}

describe("codeBlocks.list and get", () => {
  it("list pages through the manifest's blocks by id with limit and cursor", async () => {
    const first = await flow.codeBlocks.list({ limit: 6 });
    expect(first.data.map((block) => block.id)).toEqual(ALL_IDS.slice(0, 6));
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await flow.codeBlocks.list({ limit: 6, cursor: first.nextCursor! });
    expect(second.data.map((block) => block.id)).toEqual(ALL_IDS.slice(6, 12));
    const third = await second.getNextPage();
    expect(third!.data.map((block) => block.id)).toEqual(ALL_IDS.slice(12));
    expect(third!.nextCursor).toBeNull();
  });

  it("for await over list yields every block once, by id", async () => {
    const ids: string[] = [];
    for await (const block of flow.codeBlocks.list({ limit: 5 })) ids.push(block.id);
    expect(ids).toEqual(ALL_IDS);
  });

  it("get answers a block's fields as the manifest declares them, dated by its file", async () => {
    const block: CodeBlock = await flow.codeBlocks.get("context");
    const { mtimeMs } = statSync(path.join(BLOCKS, "context.mjs"));
    expect(block).toEqual({
      id: "context",
      name: "Context",
      description: "Reports its execution id, its request and REGION",
      timeoutSeconds: 30,
      createdAt: expect.any(String),
      updatedAt: new Date(mtimeMs).toISOString(),
    });
    expect(Date.parse(block.createdAt)).toBeLessThanOrEqual(Date.parse(block.updatedAt));
  });

  it("get of a block declared by a path alone has the defaults: its id as name, no description, 300 s", async () => {
    expect(await flow.codeBlocks.get("echo")).toMatchObject({ id: "echo", name: "echo", description: null, timeoutSeconds: 300 });
  });

  it("list shows each block as get does", async () => {
    const listed = (await flow.codeBlocks.list({ limit: 1000 })).data.find((block) => block.id === "context");
    expect(listed).toEqual(await flow.codeBlocks.get("context"));
  });

  it("get of an unknown id fails with FlowNotFoundError naming the blocks there are", async () => {
    const error = await caught(() => flow.codeBlocks.get("nope"));
    expect(error).toBeInstanceOf(FlowNotFoundError);
    expect(error).toMatchObject({ status: 404, code: "not_found" });
    expect((error as Error).message).toContain('No code block "nope" in this workspace');
    expect(blocksNamedIn(error)).toEqual(ALL_IDS);
  });

  it("list with a limit out of range fails with FlowValidationError before any request", async () => {
    const error = await caught(() => offline.codeBlocks.list({ limit: 0 }));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["limit"]);
  });

  it("get of an id that cannot be a block id fails with FlowValidationError before any request", async () => {
    const error = await caught(() => offline.codeBlocks.get("../echo"));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["id"]);
  });
});

describe.concurrent("codeBlocks.invoke and executions", () => {
  it("invoke waits by default and resolves to the finished execution with its output", async () => {
    const before = Date.now();
    const execution: Execution = await flow.codeBlocks.invoke("echo", { order: 42, lines: ["a", "b"] });
    expect(execution).toEqual({
      id: expect.stringMatching(EXECUTION_ID),
      codeBlockId: "echo",
      status: "succeeded",
      input: { order: 42, lines: ["a", "b"] },
      output: { order: 42, lines: ["a", "b"] },
      error: null,
      logs: { stdout: "", stderr: "", truncated: false },
      requestId: expect.any(String),
      parentExecutionId: null,
      jobId: null,
      workflowRunId: null,
      createdAt: expect.any(String),
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
    });
    const [created, started, finished] = [execution.createdAt, execution.startedAt!, execution.finishedAt!].map(Date.parse) as [number, number, number];
    expect(created).toBeGreaterThanOrEqual(before - 1_000);
    expect(created).toBeLessThanOrEqual(started);
    expect(started).toBeLessThanOrEqual(finished);
  });

  it.each([
    ["null", null],
    ["a string", "hello, block"],
    ["an empty string", ""],
    ["a nested object", { a: { b: [1, 2.5, true, null, { c: "d" }] } }],
  ])("input round-trips through the block: %s", async (_label, input) => {
    const execution = await flow.codeBlocks.invoke("echo", input);
    expect(execution.status).toBe("succeeded");
    expect(execution.input).toEqual(input);
    expect(execution.output).toEqual(input);
  });

  it("an input property set to undefined is left out, as JSON does: the block receives the rest", async () => {
    const execution = await flow.codeBlocks.invoke("echo", { a: 1, b: undefined });
    expect(execution.status).toBe("succeeded");
    expect(execution.input).toStrictEqual({ a: 1 });
    expect(execution.output).toStrictEqual({ a: 1 });
  });

  it("a Date in the input reaches the block as its ISO string", async () => {
    const execution = await flow.codeBlocks.invoke("echo", { at: new Date("2026-03-04T05:06:07.000Z") });
    expect(execution.output).toEqual({ at: "2026-03-04T05:06:07.000Z" });
  });

  it("an input left out reaches the block as null", async () => {
    const execution = await flow.codeBlocks.invoke("echo");
    expect(execution).toMatchObject({ status: "succeeded", input: null, output: null });
  });

  it("wait: false resolves at once to a queued or running execution, which waitForExecution then sees finish", async () => {
    const queued = await flow.codeBlocks.invoke("slow", { ms: 300 }, { wait: false });
    expect(queued.id).toMatch(EXECUTION_ID);
    expect(["queued", "running"]).toContain(queued.status);
    expect(queued).toMatchObject({ codeBlockId: "slow", output: null, error: null, finishedAt: null });
    const done = await flow.codeBlocks.waitForExecution(queued.id);
    expect(done).toMatchObject({ id: queued.id, status: "succeeded", output: "slept" });
    expect(done.finishedAt).not.toBeNull();
  });

  it("getExecution answers an execution as the wait last saw it", async () => {
    const done = await flow.codeBlocks.invoke("echo", [1]);
    expect(await flow.codeBlocks.getExecution(done.id)).toEqual(done);
  });

  it("getExecution of an unknown id fails with FlowNotFoundError", async () => {
    const error = await caught(() => flow.codeBlocks.getExecution("exe_000000000000000000000000"));
    expect(error).toBeInstanceOf(FlowNotFoundError);
    expect((error as Error).message).toContain('Execution "exe_000000000000000000000000" does not exist');
  });

  it("the block sees its execution id as ctx.executionId and EXECUTION_ID, the manifest's env, and the invoking request's id", async () => {
    const execution = await flow.codeBlocks.invoke<{ executionId: string; envExecutionId: string; request: { id: string }; region: string }>("context");
    expect(execution.status).toBe("succeeded");
    expect(execution.output).toEqual({
      executionId: execution.id,
      envExecutionId: execution.id,
      request: { id: execution.requestId, traceparent: null, tracestate: null },
      region: "eu-west",
    });
  });

  it("a TypeScript block runs on the platform", async () => {
    expect(await flow.codeBlocks.invoke("typed", { lines: [1, 2, 3] })).toMatchObject({ status: "succeeded", output: { total: 6 } });
  });
});

describe("a block invoking another block through ctx.flow", () => {
  interface Seen {
    executionId: string;
    envExecutionId: string;
    request: { id: string; traceparent: string | null; tracestate: string | null };
  }
  type InnerSeen = Seen & { configTraceparent: string | null };
  const requestId = unique("req-nested");
  const key = unique("written-by-inner");
  let outer: Execution<Seen & { inner: Execution<InnerSeen> }>;
  let inner: Execution<InnerSeen>;

  beforeAll(async () => {
    outer = await flow.runWithRequestContext({ headers: { "x-request-id": requestId, traceparent: TRACEPARENT, tracestate: "flow=nested" } }, () =>
      flow.codeBlocks.invoke<Seen & { inner: Execution<InnerSeen> }>("outer", { key }),
    );
    expect(outer.status).toBe("succeeded");
    inner = outer.output!.inner;
  });

  it("each has its own execution id, seen as ctx.executionId and EXECUTION_ID", () => {
    expect(inner.id).toMatch(EXECUTION_ID);
    expect(inner.id).not.toBe(outer.id);
    expect(outer.output).toMatchObject({ executionId: outer.id, envExecutionId: outer.id });
    expect(inner.output).toMatchObject({ executionId: inner.id, envExecutionId: inner.id });
  });

  it("the inner execution's parentExecutionId is the outer one's id", async () => {
    expect(outer.parentExecutionId).toBeNull();
    expect(inner).toMatchObject({ codeBlockId: "inner", status: "succeeded", parentExecutionId: outer.id });
    expect((await flow.codeBlocks.getExecution(inner.id)).parentExecutionId).toBe(outer.id);
  });

  it("both carry the caller's request id", () => {
    expect(outer.requestId).toBe(requestId);
    expect(inner.requestId).toBe(requestId);
    expect(outer.output!.request.id).toBe(requestId);
    expect(inner.output!.request.id).toBe(requestId);
  });

  it("the inner block sees the caller's trace context in ctx.request and flow.config", () => {
    expect(outer.output!.request).toMatchObject({ traceparent: TRACEPARENT, tracestate: "flow=nested" });
    expect(inner.output!.request).toMatchObject({ traceparent: TRACEPARENT, tracestate: "flow=nested" });
    expect(inner.output!.configTraceparent).toBe(TRACEPARENT);
  });

  it("a state write made by the inner block is visible to the caller", async () => {
    expect(await flow.state.get(key)).toEqual({ writtenBy: inner.id });
  });
});

describe.concurrent("a failing execution fails only itself", () => {
  it("a block that throws fails with block_error, keeping the error's name and message", async () => {
    const execution = await flow.codeBlocks.invoke("throws");
    expect(execution).toMatchObject({ status: "failed", output: null });
    expect(execution.error).toEqual({ code: "block_error", name: "TypeError", message: "the block threw TypeError: the order has no lines" });
    expect(execution.finishedAt).not.toBeNull();
  });

  it("a block past its timeoutSeconds fails with timeout, after its ctx.signal aborted with a TimeoutError", async () => {
    // 3 s, not 1: time for hang.mjs to load and listen for the abort (it does not check whether
    // its signal aborted already, as a time limit that passes while it loads would leave it).
    const execution = await flow.codeBlocks.invoke("hang", null, { timeoutSeconds: 3 });
    expect(execution).toMatchObject({ status: "failed", output: null });
    expect(execution.error!.code).toBe("timeout");
    expect(execution.error!.message).toContain("3 s time limit");
    expect(execution.logs.stdout).toBe("waiting\naborted with TimeoutError\n");
  });

  it("an infinite synchronous loop is killed after the grace period, and other blocks run meanwhile", async () => {
    const spinning = await flow.codeBlocks.invoke("spin", null, { wait: false, timeoutSeconds: 2 });
    await expectStillServing();
    const execution = await flow.codeBlocks.waitForExecution(spinning.id, { timeoutMs: 20_000 });
    expect(execution).toMatchObject({ status: "failed", logs: { stdout: "spinning\n" } });
    expect(execution.error!.code).toBe("timeout");
    expect(execution.error!.message).toContain("killed");
  });

  it("process.exit(1) inside the block fails with crashed, keeping what it wrote", async () => {
    const execution = await flow.codeBlocks.invoke("exit-1");
    expect(execution).toMatchObject({ status: "failed", logs: { stderr: "exiting early\n" } });
    expect(execution.error!.code).toBe("crashed");
    expect(execution.error!.message).toContain("exited with code 1");
  });

  it.each([
    ["map", "output.totals is a Map"],
    ["function", "output.items[1] is a function"],
    ["nan", "output.ratio is NaN"],
    ["cycle", "output.self refers back to itself (a cycle)"],
  ])("a return value that is not JSON (%s) fails with invalid_output naming where", async (kind, where) => {
    const execution = await flow.codeBlocks.invoke("bad-output", { kind });
    expect(execution).toMatchObject({ status: "failed", output: null });
    expect(execution.error!.code).toBe("invalid_output");
    expect(execution.error!.message).toContain(where);
  });

  it("a module that does not load fails with load_error", async () => {
    const execution = await flow.codeBlocks.invoke("syntax-error");
    expect(execution.status).toBe("failed");
    expect(execution.error).toMatchObject({ code: "load_error", name: "SyntaxError" });
  });

  it("a script that exits 0 succeeds with output null", async () => {
    const execution = await flow.codeBlocks.invoke("script-ok", { ignored: true });
    expect(execution).toMatchObject({ status: "succeeded", output: null, error: null });
    expect(execution.logs.stdout).toBe(`script ran in ${execution.id}\n`);
  });

  it("a script that exits 2 fails with exited", async () => {
    const execution = await flow.codeBlocks.invoke("script-fail");
    expect(execution).toMatchObject({ status: "failed", logs: { stderr: "script failing\n" } });
    expect(execution.error).toEqual({ code: "exited", message: "the script exited with code 2; see the execution's logs" });
  });

});

describe("after the failures", () => {
  it("the platform still runs blocks", async () => {
    await expectStillServing();
  });
});

describe.concurrent("execution logs", () => {
  it("stdout and stderr are kept on the execution", async () => {
    const execution = await flow.codeBlocks.invoke("noisy", { lines: 3 });
    expect(execution.output).toBe(3);
    expect(execution.logs).toEqual({
      stdout: [0, 1, 2].map((i) => `line 00000${i} ${"x".repeat(87)}\n`).join(""),
      stderr: "done writing\n",
      truncated: false,
    });
  });

  it("a block writing more than 64 KiB keeps the last 64 KiB, counting what was dropped, with truncated: true", async () => {
    // 1000 lines of 100 bytes: 100,000 bytes, of which the last 65,536 are kept.
    const execution = await flow.codeBlocks.invoke("noisy", { lines: 1000 });
    expect(execution.status).toBe("succeeded");
    expect(execution.logs.truncated).toBe(true);
    const marker = `[… ${100_000 - 65_536} earlier bytes dropped]\n`;
    expect(execution.logs.stdout.startsWith(marker)).toBe(true);
    const kept = execution.logs.stdout.slice(marker.length);
    expect(Buffer.byteLength(kept)).toBe(65_536);
    expect(kept.endsWith(`line 000999 ${"x".repeat(87)}\n`)).toBe(true);
    expect(execution.logs.stderr).toBe("done writing\n");
  });

  it("a secret value the block prints, and its own token, appear as [REDACTED] in its logs", async () => {
    const execution = await flow.codeBlocks.invoke("leak-secret", { name: "API_KEY" });
    expect(execution.output).toEqual({ length: SECRET.length });
    expect(execution.logs.stdout).toBe("the key is [REDACTED]\nmy token is [REDACTED]\n");
    expect(execution.logs.stderr).toBe("stderr also has [REDACTED]\n");
    expect(JSON.stringify(execution)).not.toContain(SECRET);
  });

  it("a secret value in a thrown error's message appears as [REDACTED]", async () => {
    const execution = await flow.codeBlocks.invoke("leak-secret", { name: "API_KEY", fail: true });
    expect(execution.error).toEqual({ code: "block_error", name: "Error", message: "the block threw Error: rejected key [REDACTED]" });
  });
});

describe.concurrent("the wait", () => {
  /** A signal that aborts `ms` from now; `abortedAt` says when it did. */
  function abortSoon(ms: number): { signal: AbortSignal; abortedAt: () => number } {
    const controller = new AbortController();
    let at = 0;
    setTimeout(() => {
      at = Date.now();
      controller.abort();
    }, ms);
    return { signal: controller.signal, abortedAt: () => at };
  }

  it("invoke with timeoutMs rejects with FlowTimeoutError while the execution goes on and later succeeds", async () => {
    const error = await caught(() => flow.codeBlocks.invoke("slow", { ms: 1_500 }, { timeoutMs: 300 }));
    expect(error).toBeInstanceOf(FlowTimeoutError);
    expect((error as Error).message).toContain("did not finish within timeoutMs 300");
    const id = executionIdIn(error);
    expect((await flow.codeBlocks.getExecution(id)).finishedAt).toBeNull();
    expect(await flow.codeBlocks.waitForExecution(id)).toMatchObject({ status: "succeeded", output: "slept" });
  });

  it("an AbortSignal in params.signal ends invoke's wait at once with FlowAbortError; the execution goes on", async () => {
    const { signal, abortedAt } = abortSoon(300);
    const error = await caught(() => flow.codeBlocks.invoke("slow", { ms: 1_500 }, { signal }));
    expect(Date.now() - abortedAt()).toBeLessThan(500);
    expect(error).toBeInstanceOf(FlowAbortError);
    const id = executionIdIn(error);
    expect((await flow.codeBlocks.getExecution(id)).finishedAt).toBeNull();
    expect(await flow.codeBlocks.waitForExecution(id)).toMatchObject({ status: "succeeded", output: "slept" });
  });

  it("an AbortSignal in options.signal ends invoke's wait at once with FlowAbortError; the execution goes on", async () => {
    const { signal, abortedAt } = abortSoon(300);
    const error = await caught(() => flow.codeBlocks.invoke("slow", { ms: 1_500 }, {}, { signal }));
    expect(Date.now() - abortedAt()).toBeLessThan(500);
    expect(error).toBeInstanceOf(FlowAbortError);
    // The id in the message shows the abort ended the wait, not the request that created it.
    const id = executionIdIn(error);
    expect((await flow.codeBlocks.getExecution(id)).finishedAt).toBeNull();
    expect(await flow.codeBlocks.waitForExecution(id)).toMatchObject({ status: "succeeded", output: "slept" });
  });

  it("an already-aborted params.signal rejects invoke with FlowAbortError before the execution is created", async () => {
    // offline: a POST that went out would be a FlowConnectionError
    const error = await caught(() => offline.codeBlocks.invoke("echo", "x", { signal: AbortSignal.abort() }));
    expect(error).toBeInstanceOf(FlowAbortError);
    expect((error as Error).message).toMatch(/^execution \(not started\): the wait was aborted by its signal/);
  });

  it("close() ends a wait at once with FlowClosedError; the execution goes on", async () => {
    const closing = platform.createFlow();
    const queued = await closing.codeBlocks.invoke("slow", { ms: 1_500 }, { wait: false });
    const waiting = caught(() => closing.codeBlocks.waitForExecution(queued.id));
    await new Promise((resolve) => setImmediate(resolve)); // the first poll is out
    const started = Date.now();
    await closing.close();
    const error = await waiting;
    expect(error).toBeInstanceOf(FlowClosedError);
    expect((error as Error).message).toContain(`execution ${queued.id}: the wait was cut off because this FlowSDK instance was closed`);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await flow.codeBlocks.waitForExecution(queued.id)).toMatchObject({ status: "succeeded" });
  });

  it("a wait's timeoutMs above what a timer can count is refused before any request", async () => {
    for (const timeoutMs of [2 ** 31, Number.MAX_SAFE_INTEGER]) {
      const error = await caught(() => offline.codeBlocks.waitForExecution("exe_1", { timeoutMs }));
      expect(error).toBeInstanceOf(FlowValidationError);
      expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["timeoutMs"]);
      expect(await caught(() => offline.codeBlocks.invoke("echo", 1, { timeoutMs }))).toBeInstanceOf(FlowValidationError);
    }
  });

  it("invoke's timeoutMs bounds the request that starts the execution too", async () => {
    // A platform that never answers the POST: the whole call still ends at timeoutMs.
    const server = http.createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const silent = platform.createFlow({ platformUrl: `http://127.0.0.1:${port}`, maxRetries: 0 });
      const started = Date.now();
      const error = await caught(() => silent.codeBlocks.invoke("echo", "x", { timeoutMs: 300 }));
      expect(error).toBeInstanceOf(FlowTimeoutError);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("waitForExecution with timeoutMs rejects with FlowTimeoutError, and a later wait sees the end", async () => {
    const queued = await flow.codeBlocks.invoke("slow", { ms: 1_000 }, { wait: false });
    const error = await caught(() => flow.codeBlocks.waitForExecution(queued.id, { timeoutMs: 200 }));
    expect(error).toBeInstanceOf(FlowTimeoutError);
    expect((error as Error).message).toContain(`execution ${queued.id}`);
    expect((await flow.codeBlocks.getExecution(queued.id)).finishedAt).toBeNull();
    expect(await flow.codeBlocks.waitForExecution(queued.id)).toMatchObject({ status: "succeeded", output: "slept" });
  });

  it.each(["params", "options"] as const)("an AbortSignal in %s.signal ends waitForExecution at once with FlowAbortError", async (place) => {
    const queued = await flow.codeBlocks.invoke("slow", { ms: 1_500 }, { wait: false });
    const { signal, abortedAt } = abortSoon(200);
    const error = await caught(() => (place === "params" ? flow.codeBlocks.waitForExecution(queued.id, { signal }) : flow.codeBlocks.waitForExecution(queued.id, {}, { signal })));
    expect(Date.now() - abortedAt()).toBeLessThan(500);
    expect(error).toBeInstanceOf(FlowAbortError);
    expect((await flow.codeBlocks.getExecution(queued.id)).finishedAt).toBeNull();
    expect(await flow.codeBlocks.waitForExecution(queued.id)).toMatchObject({ status: "succeeded" });
  });
});

describe("bad input creates nothing", () => {
  it("invoking an unknown block fails with FlowNotFoundError naming the blocks there are", async () => {
    const error = await caught(() => flow.codeBlocks.invoke("missing-block", {}));
    expect(error).toBeInstanceOf(FlowNotFoundError);
    expect(blocksNamedIn(error)).toEqual(ALL_IDS);
  });

  const cycle: Record<string, unknown> = {};
  cycle["self"] = cycle;
  it.each([
    ["a function", { run: () => 1 }],
    ["NaN", { ratio: NaN }],
    ["a cycle", cycle],
    ["a BigInt", { n: 10n }],
    ["undefined in an array", [1, undefined]],
  ])("input that is not JSON (%s) fails with FlowValidationError before any request", async (_label, input) => {
    const error = await caught(() => offline.codeBlocks.invoke("echo", input));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["input"]);
  });

  it.each([0, -1, 1.5, 86_401, "10"])("timeoutSeconds %j fails with FlowValidationError before any request", async (timeoutSeconds) => {
    const error = await caught(() => offline.codeBlocks.invoke("echo", null, { timeoutSeconds: timeoutSeconds as number }));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["timeoutSeconds"]);
  });

  it("a block id that cannot be one fails with FlowValidationError before any request", async () => {
    const error = await caught(() => offline.codeBlocks.invoke("-echo", null));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["id"]);
  });

  it("an execution id that cannot be one fails with FlowValidationError before any request", async () => {
    for (const call of [() => offline.codeBlocks.getExecution(".."), () => offline.codeBlocks.waitForExecution("")]) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(FlowValidationError);
      expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["executionId"]);
    }
  });

  it.each([
    ["a timeoutMs that is not a whole number", { timeoutMs: 1.5 }, "timeoutMs"],
    ["a signal that is not an AbortSignal", { signal: { aborted: false } as unknown as AbortSignal }, "signal"],
    ["a wait that is not true or false", { wait: "yes" as unknown as boolean }, "wait"],
  ])("invoke with %s fails with FlowValidationError before any request, so no execution starts", async (_label, params, where) => {
    const error = await caught(() => offline.codeBlocks.invoke("echo", null, params));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual([where]);
  });

  it("the offline instance used above really fails once invoke sends its request", async () => {
    expect(await caught(() => offline.codeBlocks.invoke("echo", null, { wait: true, timeoutMs: 1_000 }))).toBeInstanceOf(FlowConnectionError);
  });

  it("waitForExecution with a bad timeoutMs fails with FlowValidationError before any request", async () => {
    const error = await caught(() => offline.codeBlocks.waitForExecution("exe_000000000000000000000000", { timeoutMs: 0 }));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["timeoutMs"]);
  });
});
