// flow.agents against a real local platform: agents of the manifest whose tools are real code
// block processes (test/fixtures/agents-sdk), driven by the deterministic flow-local-chat model
// (`/call <tool> <JSON>` lines make it call tools, `/loop` makes it never stop; docs/protocol.md).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { ManifestObject } from "../../local/index.js";
import {
  FlowAbortError,
  FlowConnectionError,
  FlowError,
  FlowNotFoundError,
  FlowValidationError,
  type AgentRun,
  type AgentRunEvent,
  type AgentsRunParams,
  type AgentsStreamParams,
} from "../../src/index.js";
import { caught, sharedPlatform } from "../helpers/flows.js";
import { startCountingProxy, startEvents, startScriptedSse, write } from "../fixtures/gateway-sdk/servers.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/agents-sdk/", import.meta.url));
const fixture = (file: string): string => path.join(FIXTURES, file);

const ADD_SCHEMA = { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] };

const manifest: ManifestObject = {
  codeBlocks: {
    add: { file: fixture("add.mjs"), description: "Adds a and b", inputSchema: ADD_SCHEMA },
    upper: fixture("upper.mjs"),
    fail: fixture("fail.mjs"),
  },
  agents: {
    helper: {
      model: "flow-local-chat",
      name: "Helper",
      description: "Adds and shouts",
      instructions: "You add numbers and shout.",
      tools: ["add", { codeBlock: "upper", name: "shout", description: "Capitals" }, "fail"],
      maxSteps: 4,
    },
    looper: { model: "flow-local-chat", tools: ["add"], maxSteps: 3 },
    plain: { model: "flow-local-chat" },
  },
};

const { platform, flow, offline } = await sharedPlatform({ manifest });

// A proxy in front of the platform that counts the requests reaching it.
const proxy = await startCountingProxy(platform.url);
afterAll(() => proxy.close());
const counted = platform.createFlow({ platformUrl: proxy.url });
async function requestsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const before = proxy.requests.length;
  await fn();
  return proxy.requests.slice(before);
}

const TWO_TOOLS = '/call add {"a":2,"b":3}\n/call shout {"text":"done"}';
const TWO_TOOLS_ANSWER = 'Tool results:\n- add: {"sum":5}\n- shout: {"text":"DONE"}';

/** Every event of a stream, in order. */
async function eventsOf(stream: AsyncIterable<AgentRunEvent>): Promise<AgentRunEvent[]> {
  const events: AgentRunEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe("agents.list and agents.get", () => {
  it("list pages the manifest's agents by id", async () => {
    const page = await flow.agents.list();
    expect(page.data.map((a) => a.id)).toEqual(["helper", "looper", "plain"]);
    const all: string[] = [];
    for await (const agent of flow.agents.list({ limit: 1 })) all.push(agent.id);
    expect(all).toEqual(["helper", "looper", "plain"]);
  });

  it("get resolves to the agent with its tools described as the model sees them", async () => {
    const agent = await flow.agents.get("helper");
    expect(agent).toMatchObject({
      id: "helper",
      name: "Helper",
      description: "Adds and shouts",
      model: "flow-local-chat",
      instructions: "You add numbers and shout.",
      maxSteps: 4,
      tools: [
        { name: "add", codeBlockId: "add", description: "Adds a and b", parameters: ADD_SCHEMA },
        { name: "shout", codeBlockId: "upper", description: "Capitals", parameters: { type: "object" } },
        { name: "fail", codeBlockId: "fail", description: "Runs the code block fail.", parameters: { type: "object" } },
      ],
    });
    expect(Number.isNaN(Date.parse(agent.createdAt))).toBe(false);
    expect(await flow.agents.get("plain")).toMatchObject({ id: "plain", name: "plain", description: null, instructions: "", tools: [], maxSteps: 8 });
  });

  it("get of an unknown agent rejects with FlowNotFoundError naming the agents there are", async () => {
    const error = await caught(() => flow.agents.get("nobody"));
    expect(error).toBeInstanceOf(FlowNotFoundError);
    expect((error as Error).message).toContain("helper");
  });
});

describe("agents.run", () => {
  it("an agent that calls two tools and answers: the run succeeds with the tool results, every step recorded", async () => {
    const run = await flow.agents.run("helper", { input: TWO_TOOLS });
    expect(run).toMatchObject({ agentId: "helper", status: "succeeded", input: TWO_TOOLS, output: TWO_TOOLS_ANSWER, error: null, conversationId: null });
    expect(run.id).toMatch(/^arun_/);
    expect(run.steps).toHaveLength(2);
    const [first, second] = run.steps;
    expect(first).toMatchObject({ index: 0, text: null, finishReason: "tool_calls" });
    expect(first!.toolCalls).toMatchObject([
      { id: "call_0_0", name: "add", arguments: { a: 2, b: 3 }, status: "succeeded", output: { sum: 5 }, error: null },
      { id: "call_0_1", name: "shout", arguments: { text: "done" }, status: "succeeded", output: { text: "DONE" }, error: null },
    ]);
    for (const call of first!.toolCalls) expect(call.executionId).toEqual(expect.any(String));
    expect(second).toMatchObject({ index: 1, text: TWO_TOOLS_ANSWER, toolCalls: [], finishReason: "stop" });
    expect(run.usage.totalTokens).toBe(run.usage.promptTokens + run.usage.completionTokens);
    expect(run.usage.completionTokens).toBeGreaterThan(0);
    // The tools ran as code block executions.
    const execution = await flow.codeBlocks.getExecution(first!.toolCalls[0]!.executionId!);
    expect(execution).toMatchObject({ codeBlockId: "add", status: "succeeded", output: { sum: 5 } });
  });

  it("a tool that fails is reported to the model as a tool error, and the run still succeeds", async () => {
    const run = await flow.agents.run("helper", { input: "/call fail {}" });
    expect(run.status).toBe("succeeded");
    const [call] = run.steps[0]!.toolCalls;
    expect(call).toMatchObject({ name: "fail", status: "failed", output: null });
    expect(call!.error?.message).toContain("the warehouse is closed");
    expect(run.output).toMatch(/^Tool results:\n- fail: \{"error":/);
  });

  it("a JSON object input is sent to the model as its JSON text", async () => {
    const run = await flow.agents.run("plain", { input: { order: 42 } });
    expect(run).toMatchObject({ status: "succeeded", input: { order: 42 }, output: 'You said: {"order":42}' });
  });

  it("wait: false resolves to the run as it started; waitForRun and getRun then see it finished", async () => {
    const started = await flow.agents.run("helper", { input: TWO_TOOLS, wait: false, metadata: { ticket: 7 } });
    expect(["queued", "running", "succeeded"]).toContain(started.status);
    expect(started.id).toMatch(/^arun_/);
    const finished = await flow.agents.waitForRun(started.id, { timeoutMs: 15_000 });
    expect(finished).toMatchObject({ id: started.id, status: "succeeded", output: TWO_TOOLS_ANSWER });
    expect(finished.finishedAt).not.toBeNull();
    expect(await flow.agents.getRun(started.id)).toEqual(finished);
  });

  it("an agent stuck calling tools stops at its step limit: the run resolves failed with step_limit", async () => {
    const run = await flow.agents.run("looper", { input: '/loop add {"a":1,"b":1}' });
    expect(run.status).toBe("failed");
    expect(run.output).toBeNull();
    expect(run.error?.code).toBe("step_limit");
    expect(run.error?.message).toContain("3");
    expect(run.steps).toHaveLength(3);
    for (const step of run.steps) expect(step.toolCalls.map((c) => c.name)).toEqual(["add"]);
    // The calls of the last model call are recorded, not run.
    expect(run.steps.map((step) => step.toolCalls[0]!.status)).toEqual(["succeeded", "succeeded", "failed"]);
    expect(run.steps[2]!.toolCalls[0]).toMatchObject({ executionId: null, error: { code: "step_limit" } });
  });

  it("getRun and waitForRun of an unknown run reject with FlowNotFoundError", async () => {
    expect(await caught(() => flow.agents.getRun("arun_000000000000000000000000"))).toBeInstanceOf(FlowNotFoundError);
    expect(await caught(() => flow.agents.waitForRun("arun_000000000000000000000000"))).toBeInstanceOf(FlowNotFoundError);
  });

  it("run of an unknown agent rejects with FlowNotFoundError", async () => {
    expect(await caught(() => flow.agents.run("nobody", { input: "hi" }))).toBeInstanceOf(FlowNotFoundError);
  });

  it("run with an unknown conversation rejects with FlowNotFoundError before the run starts", async () => {
    expect(await caught(() => flow.agents.run("plain", { input: "hi", conversationId: "conv_000000000000000000000000" }))).toBeInstanceOf(FlowNotFoundError);
  });

  it("waitForRun's signal ends the wait with FlowAbortError; the run goes on", async () => {
    const started = await flow.agents.run("looper", { input: '/loop add {"a":1,"b":1}', wait: false });
    expect(await caught(() => flow.agents.waitForRun(started.id, { signal: AbortSignal.abort() }))).toBeInstanceOf(FlowAbortError);
    expect(await caught(() => flow.agents.run("plain", { input: "hi", signal: AbortSignal.abort() }))).toBeInstanceOf(FlowAbortError);
    const finished = await flow.agents.waitForRun(started.id);
    expect(finished.status).toBe("failed");
  });
});

describe("a conversation continued across two runs", () => {
  it("the first run's exchange is appended; the second run reads it as history and appends its own", async () => {
    const conversation = await flow.conversations.create({ title: "agent thread" });
    const first = await flow.agents.run("helper", { input: '/call add {"a":4,"b":5}', conversationId: conversation.id });
    expect(first).toMatchObject({ status: "succeeded", conversationId: conversation.id, output: 'Tool results:\n- add: {"sum":9}' });
    const second = await flow.agents.run("helper", { input: "thanks", conversationId: conversation.id });
    expect(second.output).toBe("You said: thanks");
    // The second model call read the first exchange: its prompt is longer than the same input's alone.
    const alone = await flow.agents.run("helper", { input: "thanks" });
    expect(second.usage.promptTokens).toBeGreaterThan(alone.usage.promptTokens);

    const messages = [];
    for await (const message of flow.conversations.listMessages(conversation.id)) messages.push(message);
    expect(messages.map((m) => [m.role, m.content])).toEqual([
      ["user", '/call add {"a":4,"b":5}'],
      ["assistant", ""],
      ["tool", '{"sum":9}'],
      ["assistant", 'Tool results:\n- add: {"sum":9}'],
      ["user", "thanks"],
      ["assistant", "You said: thanks"],
    ]);
    expect(messages[1]!.metadata).toMatchObject({ toolCalls: [{ id: "call_0_0", name: "add" }] });
    expect(messages[2]!.metadata).toMatchObject({ toolCallId: "call_0_0", name: "add" });
    expect(messages[3]!.metadata).toMatchObject({ agentRunId: first.id });
    expect(messages[5]!.metadata).toMatchObject({ agentRunId: second.id });
  });
});

describe("agents.stream", () => {
  it("yields run.started, tool.call and tool.result per tool, the answer's deltas, then run.completed; finalRun is the finished run", async () => {
    const stream = flow.agents.stream("helper", { input: TWO_TOOLS });
    const events = await eventsOf(stream);
    const kinds = events.map((e) => e.type).filter((type, i, all) => type !== "message.delta" || all[i - 1] !== "message.delta");
    expect(kinds).toEqual(["run.started", "tool.call", "tool.result", "tool.call", "tool.result", "message.delta", "run.completed"]);
    expect(events[0]).toMatchObject({ type: "run.started", run: { agentId: "helper", status: "running" } });
    expect(events.filter((e) => e.type === "tool.call")).toEqual([
      { type: "tool.call", id: "call_0_0", name: "add", arguments: { a: 2, b: 3 } },
      { type: "tool.call", id: "call_0_1", name: "shout", arguments: { text: "done" } },
    ]);
    expect(events.filter((e) => e.type === "tool.result")).toEqual([
      { type: "tool.result", id: "call_0_0", name: "add", output: { sum: 5 }, error: null },
      { type: "tool.result", id: "call_0_1", name: "shout", output: { text: "DONE" }, error: null },
    ]);
    const deltas = events.flatMap((e) => (e.type === "message.delta" ? [e.delta] : []));
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe(TWO_TOOLS_ANSWER);
    expect(stream.text).toBe(TWO_TOOLS_ANSWER);
    const run = await stream.finalRun();
    expect(run).toMatchObject({ status: "succeeded", output: TWO_TOOLS_ANSWER });
    expect(run.id).toBe((events[0] as { run: AgentRun }).run.id);
    expect(await flow.agents.getRun(run.id)).toEqual(run);
  });

  it("finalRun without iterating reads the stream itself", async () => {
    const run = await flow.agents.stream("plain", { input: "just the end" }).finalRun();
    expect(run).toMatchObject({ status: "succeeded", output: "You said: just the end" });
  });

  it("a step-limited agent ends its stream with run.failed, and finalRun resolves to the failed run", async () => {
    const stream = flow.agents.stream("looper", { input: '/loop add {"a":1,"b":1}' });
    const events = await eventsOf(stream);
    expect(events.at(-1)).toMatchObject({ type: "run.failed", run: { status: "failed", error: { code: "step_limit" } } });
    // Three model calls; the tools of the first two ran, the last one's are not run.
    expect(events.filter((e) => e.type === "tool.call")).toHaveLength(2);
    expect(events.filter((e) => e.type === "tool.result")).toHaveLength(2);
    expect((await stream.finalRun()).error?.code).toBe("step_limit");
  });

  it("break leaves the stream without a final run, but the run goes on and getRun sees it finish", async () => {
    const stream = flow.agents.stream("helper", { input: TWO_TOOLS });
    let runId = "";
    for await (const event of stream) {
      if (event.type === "run.started") {
        runId = event.run.id;
        break;
      }
    }
    expect(await caught(() => stream.finalRun())).toBeInstanceOf(FlowError);
    expect(await flow.agents.waitForRun(runId)).toMatchObject({ status: "succeeded", output: TWO_TOOLS_ANSWER });
  });

  it("abort() rejects the next read with FlowAbortError", async () => {
    const stream = flow.agents.stream("helper", { input: TWO_TOOLS });
    const error = await caught(async () => {
      for await (const event of stream) if (event.type === "run.started") stream.abort();
    });
    expect(error).toBeInstanceOf(FlowAbortError);
  });

  it("can be read once", async () => {
    const stream = flow.agents.stream("plain", { input: "once" });
    await eventsOf(stream);
    expect(await caught(() => eventsOf(stream))).toBeInstanceOf(FlowError);
  });

  it("of an unknown agent rejects at the first read with FlowNotFoundError", async () => {
    expect(await caught(() => flow.agents.stream("nobody", { input: "hi" }).finalRun())).toBeInstanceOf(FlowNotFoundError);
  });

  it("with a conversation appends the exchange as run does", async () => {
    const conversation = await flow.conversations.create();
    const run = await flow.agents.stream("plain", { input: "streamed hello", conversationId: conversation.id }).finalRun();
    const { data } = await flow.conversations.listMessages(conversation.id);
    expect(data.map((m) => [m.role, m.content])).toEqual([
      ["user", "streamed hello"],
      ["assistant", "You said: streamed hello"],
    ]);
    expect(run.conversationId).toBe(conversation.id);
  });
});

describe("agents.stream against a scripted platform", () => {
  const runEvent = (type: string, status: string): string => `event: ${type}\ndata: ${JSON.stringify({ type, run: { id: "arun_scripted", agentId: "helper", status } })}\n\n`;

  it("asks for text/event-stream; a stream that breaks off before the run ended rejects with FlowConnectionError, not retried", async () => {
    const server = await startScriptedSse(async ({ res }) => {
      startEvents(res);
      await write(res, runEvent("run.started", "running"));
      res.end(`event: message.delta\ndata: ${JSON.stringify({ type: "message.delta", delta: "partial" })}\n\n`);
    });
    afterAll(() => server.close());
    const scripted = platform.createFlow({ platformUrl: server.url });
    const stream = scripted.agents.stream("helper", { input: "hi" });
    const seen: string[] = [];
    const error = await caught(async () => {
      for await (const event of stream) seen.push(event.type);
    });
    expect(seen).toEqual(["run.started", "message.delta"]);
    expect(error).toBeInstanceOf(FlowConnectionError);
    expect((error as Error).message).toContain("getRun");
    expect(stream.text).toBe("partial");
    expect(stream.run?.id).toBe("arun_scripted");
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0]!.headers.accept).toBe("text/event-stream");
    expect(server.calls[0]!.req.url).toBe("/v1/orgs/org_local/workspaces/ws_local/agents/helper/runs");
    expect(server.calls[0]!.body).toEqual({ input: "hi" });
  });

  it("the first event reaches the caller while the run goes on, and the stream ends at run.completed", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const server = await startScriptedSse(async ({ res }) => {
      startEvents(res);
      await write(res, runEvent("run.started", "running"));
      await released;
      // Anything after run.completed is not read.
      res.end(runEvent("run.completed", "succeeded") + `event: message.delta\ndata: {"type":"message.delta","delta":"late"}\n\n`);
    });
    afterAll(() => server.close());
    const stream = platform.createFlow({ platformUrl: server.url }).agents.stream("helper", { input: "hi" });
    const seen: string[] = [];
    for await (const event of stream) {
      seen.push(event.type);
      if (event.type === "run.started") release();
    }
    expect(seen).toEqual(["run.started", "run.completed"]);
    expect((await stream.finalRun()).status).toBe("succeeded");
  });
});

describe("bad input to agents, refused before any request", () => {
  const badRuns: Array<[string, string, unknown]> = [
    ["an empty input", "helper", { input: "" }],
    ["no input", "helper", {}],
    ["an input that is an array", "helper", { input: ["a"] }],
    ["an input that is a number", "helper", { input: 5 }],
    ["an unknown key", "helper", { input: "hi", conversation: "conv_1" }],
    ["a conversationId that is a number", "helper", { input: "hi", conversationId: 1 }],
    ["metadata that is not an object", "helper", { input: "hi", metadata: "x" }],
    ["an agent id with a slash", "a/b", { input: "hi" }],
    ["an agent id that is empty", "", { input: "hi" }],
    ["params that are not an object", "helper", "hi"],
  ];

  it.each(badRuns)("run with %s rejects with FlowValidationError", async (_label, id, params) => {
    const sent = await requestsDuring(async () => {
      expect(await caught(() => counted.agents.run(id, params as AgentsRunParams))).toBeInstanceOf(FlowValidationError);
    });
    expect(sent).toEqual([]);
  });

  it.each(badRuns)("stream with %s rejects at the first read with FlowValidationError", async (_label, id, params) => {
    const sent = await requestsDuring(async () => {
      const stream = counted.agents.stream(id, params as AgentsStreamParams);
      expect(await caught(() => stream[Symbol.asyncIterator]().next())).toBeInstanceOf(FlowValidationError);
    });
    expect(sent).toEqual([]);
  });

  it("run with bad wait bounds rejects with FlowValidationError", async () => {
    const sent = await requestsDuring(async () => {
      for (const params of [{ input: "hi", wait: "no" }, { input: "hi", timeoutMs: 0 }, { input: "hi", signal: {} }]) {
        expect(await caught(() => counted.agents.run("helper", params as never))).toBeInstanceOf(FlowValidationError);
      }
    });
    expect(sent).toEqual([]);
  });

  it("get, getRun, waitForRun and list with bad arguments reject with FlowValidationError", async () => {
    const sent = await requestsDuring(async () => {
      expect(await caught(() => counted.agents.get(42 as never))).toBeInstanceOf(FlowValidationError);
      expect(await caught(() => counted.agents.getRun(""))).toBeInstanceOf(FlowValidationError);
      expect(await caught(() => counted.agents.waitForRun("arun_1", { timeoutMS: 5 } as never))).toBeInstanceOf(FlowValidationError);
      expect(await caught(() => counted.agents.list({ limit: 0 }))).toBeInstanceOf(FlowValidationError);
    });
    expect(sent).toEqual([]);
  });

  it("offline, good input does fail once a request is sent", async () => {
    expect(await caught(() => offline.agents.get("helper"))).toMatchObject({ name: "FlowConnectionError" });
  });
});
