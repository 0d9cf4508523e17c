// The agent engine alone, with a scripted model and a scripted executor: what the model is sent
// (instructions, history rebuilt from a conversation, tool results), and the tool errors no local
// model makes (arguments that are not a JSON object, a tool the agent lacks, a failing execution).
import { afterEach, describe, expect, it } from "vitest";
import { AgentEngine } from "../../local/agents/engine.js";
import type { AgentRun, AgentRunEvent } from "../../local/agents/types.js";
import { Changes } from "../../local/compute/changes.js";
import type { Caller, Executor, ExecutionRequest } from "../../local/compute/executions.js";
import { openDatabase, type LocalDb } from "../../local/db.js";
import { HttpError } from "../../local/errors.js";
import type { CallContext, Gateway } from "../../local/gateway/gateway.js";
import { emptyManifest, type AgentDef, type Manifest } from "../../local/manifest.js";
import { ConversationsStore } from "../../local/store/conversations.js";
import { systemClock } from "../../src/container/clock.js";
import type { WireChatChunk, WireChatRequest } from "../../src/dto/gateway-wire.js";
import type { Execution } from "../../src/namespaces/code-blocks.js";

const tenant = { orgId: "org_t", workspaceId: "ws_t" };
const caller: Caller = { subject: "tester", scopes: ["*"], requestId: "req_test", traceparent: null, tracestate: null, parentExecutionId: null };

/** One scripted model answer: text and/or tool calls (arguments as raw text), or an error to throw. */
type Turn = { text?: string; calls?: Array<{ id?: string; name: string; arguments: string }>; fail?: Error };

function chunk(delta: WireChatChunk["choices"][number]["delta"], finish: WireChatChunk["choices"][number]["finish_reason"] = null): WireChatChunk {
  return { id: "chatcmpl-test", object: "chat.completion.chunk", created: 0, model: "scripted", choices: [{ index: 0, delta, finish_reason: finish }] };
}

/** A gateway answering each model call with the next turn, streamed the way OpenAI streams it; it keeps every request. */
function scriptedGateway(turns: Turn[]): { gateway: Gateway; requests: WireChatRequest[] } {
  const requests: WireChatRequest[] = [];
  const gateway = {
    async *chatChunks(request: WireChatRequest, _ctx: CallContext): AsyncGenerator<WireChatChunk> {
      requests.push(structuredClone(request));
      const turn = turns.shift() ?? { text: "out of script" };
      yield chunk({ role: "assistant", content: "" });
      if (turn.fail) throw turn.fail;
      for (const word of (turn.text ?? "").split(/(?<= )/)) if (word) yield chunk({ content: word });
      for (const [index, call] of (turn.calls ?? []).entries()) {
        yield chunk({ tool_calls: [{ index, ...(call.id ? { id: call.id } : {}), type: "function", function: { name: call.name, arguments: "" } }] });
        yield chunk({ tool_calls: [{ index, function: { arguments: call.arguments } }] });
      }
      yield chunk({}, turn.calls ? "tool_calls" : "stop");
      yield { ...chunk({}), choices: [], usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 } };
    },
  };
  return { gateway: gateway as unknown as Gateway, requests };
}

/** An executor whose executions end at once: `outcome(input)` says how. */
function scriptedExecutor(outcome: (input: unknown) => Pick<Execution, "status" | "output" | "error">): { executor: Executor; inputs: unknown[] } {
  const inputs: unknown[] = [];
  let n = 0;
  const executor = {
    start(request: ExecutionRequest) {
      const input = JSON.parse(request.input) as unknown;
      inputs.push(input);
      const execution = { id: `exe_${++n}`, codeBlockId: request.block.id, status: "queued", input } as Execution;
      return { execution, done: Promise.resolve({ ...execution, ...outcome(input) }) };
    },
    async cancel() {},
  };
  return { executor: executor as unknown as Executor, inputs };
}

const manifest: Manifest = {
  ...emptyManifest(),
  codeBlocks: new Map([["add", { id: "add", file: "/dev/null/add.mjs", cwd: "/", name: "add", description: null, timeoutSeconds: 10, env: {}, inputSchema: null }]]),
};

const agent: AgentDef = {
  id: "calc",
  name: "calc",
  description: null,
  model: "scripted",
  instructions: "You add.",
  tools: [{ name: "add", codeBlock: "add", description: "Adds", parameters: { type: "object" } }],
  maxSteps: 4,
};

let db: LocalDb | undefined;
afterEach(() => db?.close());

function engineWith(turns: Turn[], outcome: (input: unknown) => Pick<Execution, "status" | "output" | "error"> = (input) => ({ status: "succeeded", output: { got: input }, error: null })) {
  db = openDatabase();
  const changes = new Changes();
  const { gateway, requests } = scriptedGateway(turns);
  const { executor, inputs } = scriptedExecutor(outcome);
  const reported: unknown[] = [];
  const engine = new AgentEngine({ db, clock: systemClock, executor, gateway, changes, manifest: () => manifest, report: (error) => reported.push(error) });
  engine.start();
  /** Starts a run and resolves with it finished, and the events it sent. */
  const run = (input: string | Record<string, unknown>, conversationId?: string): Promise<{ run: AgentRun; events: AgentRunEvent[] }> =>
    new Promise((resolve) => {
      const events: AgentRunEvent[] = [];
      engine.startRun(tenant, caller, agent, input, {
        conversationId,
        listener: (event) => {
          events.push(event);
          if (event.type === "run.completed" || event.type === "run.failed") resolve({ run: event.run as AgentRun, events });
        },
      });
    });
  return { engine, run, requests, inputs, reported, conversations: new ConversationsStore(db, systemClock) };
}

describe("the agent engine", () => {
  it("reports arguments that are not a JSON object and a tool the agent lacks to the model as tool errors, runs the good call, and answers", async () => {
    const { run, requests, inputs } = engineWith([
      {
        calls: [
          { id: "c1", name: "add", arguments: "[1, 2]" },
          { id: "c2", name: "subtract", arguments: "{}" },
          { id: "c3", name: "add", arguments: '{"a": 1' },
          { name: "add", arguments: "" },
        ],
      },
      { text: "Done." },
    ]);
    const { run: finished } = await run("go");
    expect(finished).toMatchObject({ status: "succeeded", output: "Done.", usage: { promptTokens: 20, completionTokens: 4, totalTokens: 24 } });
    const calls = finished.steps[0]!.toolCalls;
    expect(calls.map((c) => [c.id, c.status, c.error?.code ?? null])).toEqual([
      ["c1", "failed", "invalid_arguments"],
      ["c2", "failed", "unknown_tool"],
      ["c3", "failed", "invalid_arguments"],
      ["call_0_3", "succeeded", null],
    ]);
    expect(calls[0]!.arguments).toEqual({});
    expect(calls[1]!.error!.message).toContain("the tools are: add");
    expect(inputs).toEqual([{}]); // empty arguments read as {}; only that call ran
    const second = requests[1]!.messages;
    expect(second.slice(0, 2)).toEqual([
      { role: "system", content: "You add." },
      { role: "user", content: "go" },
    ]);
    expect(second[2]).toMatchObject({ role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "add", arguments: "[1, 2]" } }, {}, {}, { id: "call_0_3" }] });
    expect(second.slice(3).map((m) => [m.role, m.tool_call_id, JSON.parse(m.content as string)])).toEqual([
      ["tool", "c1", { error: { code: "invalid_arguments", message: expect.stringContaining("must be a JSON object") } }],
      ["tool", "c2", { error: { code: "unknown_tool", message: expect.any(String) } }],
      ["tool", "c3", { error: { code: "invalid_arguments", message: expect.any(String) } }],
      ["tool", "call_0_3", { got: {} }],
    ]);
    expect(requests[0]!.tools).toEqual([{ type: "function", function: { name: "add", description: "Adds", parameters: { type: "object" } } }]);
    expect(requests[0]).toMatchObject({ model: "scripted", stream: true, stream_options: { include_usage: true } });
  });

  it("tells the model a failed execution's code and message", async () => {
    const { run, requests } = engineWith([{ calls: [{ id: "c1", name: "add", arguments: "{}" }] }, { text: "Sorry." }], () => ({
      status: "failed",
      output: null,
      error: { code: "timeout", message: "the block ran past its 10 s" },
    }));
    const { run: finished, events } = await run("go");
    expect(finished.status).toBe("succeeded");
    expect(requests[1]!.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "c1", content: '{"error":{"code":"timeout","message":"the block ran past its 10 s"}}' });
    expect(events.find((e) => e.type === "tool.result")).toEqual({ type: "tool.result", id: "c1", name: "add", output: null, error: { code: "timeout", message: "the block ran past its 10 s" } });
  });

  it("fails with model_error when the model call fails, with the gateway's message", async () => {
    const { run } = engineWith([{ fail: new HttpError(502, "upstream_failed", "The model upstream at https://example.test failed mid-stream: overloaded") }]);
    const { run: finished } = await run("go");
    expect(finished).toMatchObject({ status: "failed", error: { code: "model_error", message: "the model scripted failed: The model upstream at https://example.test failed mid-stream: overloaded" } });
  });

  it("says nothing of an unexpected model failure beyond its kind, and reports it", async () => {
    const { run, reported } = engineWith([{ fail: new TypeError("secret-ish internals") }]);
    const { run: finished } = await run("go");
    expect(finished.error!.message).not.toContain("secret-ish");
    expect(reported).toHaveLength(1);
  });

  it("sends a conversation's history, tool turns rebuilt from their metadata, and appends the new exchange", async () => {
    const { run, requests, conversations } = engineWith([{ calls: [{ id: "k1", name: "add", arguments: '{"a":1}' }] }, { text: "Two." }, { text: "Again two." }]);
    const conversation = conversations.create(tenant, {});
    const first = await run({ ask: "one plus one" }, conversation.id);
    expect(first.run.status).toBe("succeeded");
    // A message the caller added by hand: a tool message with no call id cannot be sent, and is left out.
    conversations.addMessage(tenant, { conversationId: conversation.id, role: "tool", content: "orphan", metadata: {} });
    const second = await run("and again?", conversation.id);
    expect(second.run.status).toBe("succeeded");
    expect(requests[2]!.messages).toEqual([
      { role: "system", content: "You add." },
      { role: "user", content: '{"ask":"one plus one"}' },
      { role: "assistant", content: null, tool_calls: [{ id: "k1", type: "function", function: { name: "add", arguments: '{"a":1}' } }] },
      { role: "tool", content: '{"got":{"a":1}}', tool_call_id: "k1" },
      { role: "assistant", content: "Two." },
      { role: "user", content: "and again?" },
    ]);
    const messages = conversations.listMessages(tenant, { conversationId: conversation.id }).data;
    expect(messages.map((m) => [m.seq, m.role, m.content])).toEqual([
      [1, "user", '{"ask":"one plus one"}'],
      [2, "assistant", ""],
      [3, "tool", '{"got":{"a":1}}'],
      [4, "assistant", "Two."],
      [5, "tool", "orphan"],
      [6, "user", "and again?"],
      [7, "assistant", "Again two."],
    ]);
    expect(messages[6]!.metadata).toEqual({ agentRunId: second.run.id });
  });

  it("refuses a conversation that does not exist before writing anything", () => {
    const { engine } = engineWith([]);
    expect(() => engine.startRun(tenant, caller, agent, "hi", { conversationId: "conv_missing" })).toThrow(expect.objectContaining({ status: 404, code: "not_found" }));
    expect(db!.prepare("SELECT COUNT(*) FROM agent_runs").pluck().get()).toBe(0);
  });

  it("goes on when a listener throws, and when the conversation is deleted mid-run", async () => {
    const { engine, conversations, reported } = engineWith([{ calls: [{ id: "c1", name: "add", arguments: "{}" }] }, { text: "ok" }]);
    const conversation = conversations.create(tenant, {});
    const finished = await new Promise<AgentRun>((resolve) => {
      const started = engine.startRun(tenant, caller, agent, "go", {
        conversationId: conversation.id,
        listener: (event) => {
          if (event.type === "tool.call") conversations.delete(tenant, conversation.id);
          if (event.type === "run.completed" || event.type === "run.failed") resolve(event.run as AgentRun);
          throw new Error("a stream that went away");
        },
      });
      expect(started.status).toBe("running");
    });
    expect(finished).toMatchObject({ status: "succeeded", output: "ok" });
    expect(reported.length).toBeGreaterThan(0);
  });
});
