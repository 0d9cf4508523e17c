// Agents on a real local platform, spoken raw over fetch: the routes of docs/protocol.md
// ("Agents and runs"), the loop with the local model flow-local-chat (`/call` and `/loop` lines
// make it call tools), tools run as real code block processes, conversations, the event stream.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { openDatabase } from "../../local/db.js";
import { startLocalPlatform, type LocalPlatform, type ManifestObject } from "../../local/index.js";
import type { AgentRun, AgentRunEvent } from "../../local/agents/types.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/agents/", import.meta.url));
const fixture = (file: string): string => path.join(FIXTURES, file);

const manifest: ManifestObject = {
  codeBlocks: {
    add: {
      file: fixture("add.mjs"),
      description: "Adds two numbers",
      inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
    },
    upper: fixture("upper.mjs"),
    fail: fixture("fail.mjs"),
    hold: fixture("hold.mjs"),
  },
  agents: {
    helper: { model: "flow-local-chat", name: "Helper", instructions: "You help with sums and shouting.", tools: ["add", { codeBlock: "upper", name: "shout", description: "Capitals" }, "fail"] },
    looper: { model: "flow-local-chat", tools: ["add"], maxSteps: 3 },
    holder: { model: "flow-local-chat", tools: ["hold"] },
    plain: { model: "flow-local-chat" },
  },
};

const W = "/v1/orgs/org_local/workspaces/ws_local";

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

/** A request to `platform` with its default token (or `token`), JSON in and out. */
async function call(platform: LocalPlatform, route: string, init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${init.token ?? platform.env.AUTH_TOKEN}`, ...init.headers };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(new URL(route, platform.url), { method: init.method ?? "GET", headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) };
}

/** Starts a run (JSON answer) and waits for it to finish. */
async function runToEnd(platform: LocalPlatform, agent: string, body: Record<string, unknown>): Promise<AgentRun> {
  const started = await call(platform, `${W}/agents/${agent}/runs`, { method: "POST", body });
  expect(started.status).toBe(201);
  return waitFor(platform, (started.body as AgentRun).id);
}

/** The run once finished (long-poll). */
async function waitFor(platform: LocalPlatform, runId: string): Promise<AgentRun> {
  for (;;) {
    const answer = await call(platform, `${W}/agent-runs/${runId}?wait=30`);
    expect(answer.status).toBe(200);
    const run = answer.body as AgentRun;
    if (run.status === "succeeded" || run.status === "failed") return run;
  }
}

/** Reads server-sent events from a streamed POST, calling `each` on every event as it arrives; resolves with all of them when the stream ends. */
async function readEvents(response: Response, each: (event: AgentRunEvent) => void = () => {}): Promise<Array<{ name: string; data: AgentRunEvent }>> {
  const events: Array<{ name: string; data: AgentRunEvent }> = [];
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!/^data: /m.test(frame)) continue; // a comment (keep-alive)
      const name = /^event: (.*)$/m.exec(frame)?.[1] ?? "";
      const data = JSON.parse(/^data: (.*)$/m.exec(frame)?.[1] ?? "null") as AgentRunEvent;
      events.push({ name, data });
      each(data);
    }
  }
  return events;
}

/** A streamed POST of a run. */
function stream(platform: LocalPlatform, agent: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(new URL(`${W}/agents/${agent}/runs`, platform.url), {
    method: "POST",
    headers: { authorization: `Bearer ${platform.env.AUTH_TOKEN}`, "content-type": "application/json", accept: "text/event-stream", ...headers },
    body: JSON.stringify(body),
  });
}

describe("agents on a shared platform", async () => {
  const platform = await startLocalPlatform({ manifest });
  afterAll(() => platform.close());

  it("lists the manifest's agents by id, with their tools as the model sees them", async () => {
    const page = await call(platform, `${W}/agents?limit=2`);
    expect(page.status).toBe(200);
    expect(page.body.data.map((a: { id: string }) => a.id)).toEqual(["helper", "holder"]);
    const next = await call(platform, `${W}/agents?limit=2&cursor=${page.body.nextCursor}`);
    expect(next.body).toMatchObject({ data: [{ id: "looper" }, { id: "plain" }], nextCursor: null });
    const helper = await call(platform, `${W}/agents/helper`);
    expect(helper.body).toMatchObject({
      id: "helper",
      name: "Helper",
      description: null,
      model: "flow-local-chat",
      instructions: "You help with sums and shouting.",
      maxSteps: 8,
      tools: [
        { name: "add", codeBlockId: "add", description: "Adds two numbers", parameters: { type: "object", required: ["a", "b"] } },
        { name: "shout", codeBlockId: "upper", description: "Capitals", parameters: { type: "object" } },
        { name: "fail", codeBlockId: "fail", description: "Runs the code block fail.", parameters: { type: "object" } },
      ],
    });
  });

  it("answers 404 naming the agents for an unknown agent, on GET and on a run", async () => {
    for (const answer of [await call(platform, `${W}/agents/nobody`), await call(platform, `${W}/agents/nobody/runs`, { method: "POST", body: { input: "hi" } })]) {
      expect(answer.status).toBe(404);
      expect(answer.body.error.code).toBe("not_found");
      expect(answer.body.error.message).toContain("helper, looper, holder, plain");
    }
    expect((await call(platform, `${W}/agent-runs/arun_000000000000000000000000`)).status).toBe(404);
  });

  it("refuses a bad body with 400 validation_error naming each field", async () => {
    const bad = await call(platform, `${W}/agents/helper/runs`, { method: "POST", body: { input: 42, conversationId: "", metadata: [1], extra: true } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("validation_error");
    expect(bad.body.error.details.issues.map((i: { path: string }) => i.path).sort()).toEqual(["conversationId", "extra", "input", "metadata"]);
    const none = await call(platform, `${W}/agents/helper/runs`, { method: "POST", body: {} });
    expect(none.status).toBe(400);
    expect(none.body.error.details.issues).toEqual([{ path: "input", message: expect.stringContaining("input must be a text") }]);
    const list = await call(platform, `${W}/agents/helper/runs`, { method: "POST", body: { input: ["a"] } });
    expect(list.status).toBe(400);
    const wait = await call(platform, `${W}/agent-runs/arun_x?wait=61`);
    expect(wait.status).toBe(400);
  });

  it("runs two tools and answers with their results, recording each step and tool call", async () => {
    const input = 'Please add and shout.\n/call add {"a": 2, "b": 3}\n/call shout {"text": "hi"}';
    const started = await call(platform, `${W}/agents/helper/runs`, { method: "POST", body: { input, metadata: { ticket: 7 } } });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ agentId: "helper", status: "running", input, output: null, error: null, conversationId: null, metadata: { ticket: 7 } });
    expect(started.body.id).toMatch(/^arun_[0-9a-f]{24}$/);
    expect(started.body.requestId).toBe(started.headers.get("x-request-id"));
    const run = await waitFor(platform, started.body.id);
    expect(run.status).toBe("succeeded");
    expect(run.output).toContain("Tool results:");
    expect(run.output).toContain('add: {"sum":5}');
    expect(run.output).toContain('shout: {"text":"HI"}');
    expect(run.steps).toHaveLength(2);
    const [first, second] = run.steps;
    expect(first).toMatchObject({ index: 0, finishReason: "tool_calls", text: null });
    expect(first!.toolCalls).toMatchObject([
      { name: "add", arguments: { a: 2, b: 3 }, status: "succeeded", output: { sum: 5 }, error: null, executionId: expect.stringMatching(/^exe_/) },
      { name: "shout", arguments: { text: "hi" }, status: "succeeded", output: { text: "HI" }, error: null },
    ]);
    expect(second).toMatchObject({ index: 1, finishReason: "stop", text: run.output, toolCalls: [] });
    expect(run.usage.promptTokens).toBeGreaterThan(0);
    expect(run.usage.totalTokens).toBe(run.usage.promptTokens + run.usage.completionTokens);
    // Each tool ran as an execution of its block, as the caller, in the caller's request.
    const execution = await call(platform, `${W}/executions/${first!.toolCalls[0]!.executionId}`);
    expect(execution.body).toMatchObject({ codeBlockId: "add", status: "succeeded", input: { a: 2, b: 3 }, requestId: run.requestId });
  });

  it("reports a failing tool to the model as a tool error, and the run still succeeds", async () => {
    const run = await runToEnd(platform, "helper", { input: "/call fail {}" });
    expect(run.status).toBe("succeeded");
    expect(run.steps[0]!.toolCalls[0]).toMatchObject({ name: "fail", status: "failed", output: null, error: { code: "block_error", message: expect.stringContaining("the weather service is down") } });
    expect(run.output).toContain('fail: {"error":{"code":"block_error","message":');
  });

  it("fails a run that keeps calling tools with step_limit after maxSteps model calls, without running the last call's tools", async () => {
    const run = await runToEnd(platform, "looper", { input: '/loop add {"a": 1, "b": 1}' });
    expect(run).toMatchObject({ status: "failed", output: null, error: { code: "step_limit", message: expect.stringContaining("3 model calls") } });
    expect(run.steps).toHaveLength(3);
    expect(run.steps.map((s) => s.toolCalls[0]!.status)).toEqual(["succeeded", "succeeded", "failed"]);
    expect(run.steps[2]!.toolCalls[0]).toMatchObject({ executionId: null, error: { code: "step_limit" } });
  });

  it("fails with model_error when the model refuses the call (a tool the agent lacks)", async () => {
    const run = await runToEnd(platform, "plain", { input: "/call add {}" });
    expect(run.status).toBe("failed");
    expect(run.error!.code).toBe("model_error");
    expect(run.steps).toHaveLength(1);
  });

  it("takes a JSON object as input, sent to the model as its JSON text", async () => {
    const run = await runToEnd(platform, "plain", { input: { question: "why?" } });
    expect(run).toMatchObject({ status: "succeeded", input: { question: "why?" }, output: 'You said: {"question":"why?"}' });
  });

  it("continues a conversation across two runs: the first exchange is appended and read back as history", async () => {
    const conversation = await call(platform, `${W}/conversations`, { method: "POST", body: { title: "sums" } });
    const conversationId = conversation.body.id as string;
    const first = await runToEnd(platform, "helper", { input: '/call add {"a": 20, "b": 22}', conversationId });
    expect(first.status).toBe("succeeded");
    const messages = (await call(platform, `${W}/conversations/${conversationId}/messages`)).body.data;
    const callId = first.steps[0]!.toolCalls[0]!.id;
    expect(messages).toMatchObject([
      { seq: 1, role: "user", content: '/call add {"a": 20, "b": 22}' },
      { seq: 2, role: "assistant", content: "", metadata: { toolCalls: [{ id: callId, name: "add", arguments: expect.any(String) }] } },
      { seq: 3, role: "tool", content: '{"sum":42}', metadata: { toolCallId: callId, name: "add" } },
      { seq: 4, role: "assistant", content: first.output, metadata: { agentRunId: first.id } },
    ]);

    // The same question with and without the conversation: the model read the first exchange too.
    const alone = await runToEnd(platform, "helper", { input: "And now?" });
    const second = await runToEnd(platform, "helper", { input: "And now?", conversationId });
    expect(second).toMatchObject({ status: "succeeded", output: "You said: And now?", conversationId });
    const historyTokens = [messages[0].content, messages[2].content, messages[3].content].join(" ").split(/\s+/).filter(Boolean).length;
    expect(second.usage.promptTokens - alone.usage.promptTokens).toBeGreaterThanOrEqual(historyTokens);
    const after = (await call(platform, `${W}/conversations/${conversationId}/messages?order=desc&limit=2`)).body.data;
    expect(after).toMatchObject([
      { seq: 6, role: "assistant", content: "You said: And now?", metadata: { agentRunId: second.id } },
      { seq: 5, role: "user", content: "And now?" },
    ]);
  });

  it("answers 404 for a conversation that does not exist, before any run starts", async () => {
    const answer = await call(platform, `${W}/agents/helper/runs`, { method: "POST", body: { input: "hi", conversationId: "conv_missing" } });
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe("not_found");
  });

  it("streams a run's events in order as server-sent events, ending after run.completed", async () => {
    const response = await stream(platform, "helper", { input: '/call add {"a": 1, "b": 2}\n/call shout {"text": "ok"}' });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("cache-control")).toBe("no-cache");
    const events = await readEvents(response);
    for (const event of events) expect(event.name).toBe(event.data.type);
    const types = events.map((e) => e.data.type);
    const deltas = types.filter((t) => t === "message.delta").length;
    expect(deltas).toBeGreaterThan(0);
    expect(types).toEqual(["run.started", "tool.call", "tool.result", "tool.call", "tool.result", ...Array<string>(deltas).fill("message.delta"), "run.completed"]);
    const [started, addCall, addResult, shoutCall, shoutResult] = events.map((e) => e.data);
    expect(started).toMatchObject({ type: "run.started", run: { status: "running", agentId: "helper" } });
    expect(addCall).toMatchObject({ type: "tool.call", name: "add", arguments: { a: 1, b: 2 } });
    expect(addResult).toMatchObject({ type: "tool.result", id: (addCall as { id: string }).id, name: "add", output: { sum: 3 }, error: null });
    expect(shoutCall).toMatchObject({ type: "tool.call", name: "shout", arguments: { text: "ok" } });
    expect(shoutResult).toMatchObject({ type: "tool.result", name: "shout", output: { text: "OK" }, error: null });
    const done = events.at(-1)!.data as { type: "run.completed"; run: AgentRun };
    const text = events.flatMap((e) => (e.data.type === "message.delta" ? [e.data.delta] : [])).join("");
    expect(done.run.status).toBe("succeeded");
    expect(text).toBe(done.run.output);
    // The stream's run is the stored one.
    expect((await call(platform, `${W}/agent-runs/${done.run.id}`)).body).toEqual(done.run);
  });

  it("streams run.failed for a run that fails, and answers errors found before the run as JSON", async () => {
    const events = await readEvents(await stream(platform, "looper", { input: "/loop add {}" }));
    expect(events.at(-1)!.data).toMatchObject({ type: "run.failed", run: { status: "failed", error: { code: "step_limit" } } });
    const missing = await stream(platform, "nobody", { input: "hi" });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });

  it("keeps a run going when the streaming client goes away", async () => {
    const controller = new AbortController();
    const response = await fetch(new URL(`${W}/agents/helper/runs`, platform.url), {
      method: "POST",
      headers: { authorization: `Bearer ${platform.env.AUTH_TOKEN}`, "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ input: '/call add {"a": 5, "b": 5}' }),
      signal: controller.signal,
    });
    let runId = "";
    await readEvents(response, (event) => {
      if (event.type === "run.started") {
        runId = event.run.id;
        controller.abort();
      }
    }).catch(() => undefined);
    expect(runId).toMatch(/^arun_/);
    const run = await waitFor(platform, runId);
    expect(run).toMatchObject({ status: "succeeded", output: expect.stringContaining('add: {"sum":10}') });
  });

  it("starts one run for a JSON create repeated with the same Idempotency-Key; a streamed create ignores the key", async () => {
    const init = { method: "POST", body: { input: "once" }, headers: { "idempotency-key": "agents-idem-1" } };
    const first = await call(platform, `${W}/agents/plain/runs`, init);
    const again = await call(platform, `${W}/agents/plain/runs`, init);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(first.body.id);
    const streamed = [await stream(platform, "plain", { input: "once" }, { "idempotency-key": "agents-idem-1" }), await stream(platform, "plain", { input: "once" }, { "idempotency-key": "agents-idem-1" })];
    const ids: string[] = [];
    for (const response of streamed) {
      expect(response.headers.get("idempotent-replayed")).toBeNull();
      const events = await readEvents(response);
      ids.push((events[0]!.data as { run: { id: string } }).run.id);
    }
    expect(new Set([first.body.id, ...ids]).size).toBe(3);
  });

  it("keeps workspaces apart: another workspace's token gets 403, and its own workspace has no such run", async () => {
    const run = await runToEnd(platform, "plain", { input: "mine" });
    const other = await platform.mintToken({ workspaceId: "ws_other" });
    for (const route of [`${W}/agents`, `${W}/agent-runs/${run.id}`]) {
      const answer = await call(platform, route, { token: other });
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe("tenant_mismatch");
    }
    expect((await call(platform, `${W}/agents/plain/runs`, { method: "POST", body: { input: "x" }, token: other })).status).toBe(403);
    const own = await call(platform, `/v1/orgs/org_local/workspaces/ws_other/agent-runs/${run.id}`, { token: other });
    expect(own.status).toBe(404);
    const reader = await platform.mintToken({ scopes: ["agents:read"] });
    const refused = await call(platform, `${W}/agents/plain/runs`, { method: "POST", body: { input: "x" }, token: reader });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("missing_scope");
  });
});

describe("agent runs when the platform stops", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "flow-agents-test-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("fails a run under way with platform_stopped (its tool's process stopped), and one a killed platform left running with platform_restarted", async () => {
    const first = await startLocalPlatform({ manifest, dataDir });
    onTestFinished(() => first.close());
    const response = await stream(first, "holder", { input: "/call hold {}" });
    let runId = "";
    const reading = readEvents(response, (event) => {
      if (event.type === "run.started") runId = event.run.id;
      if (event.type === "tool.call") void first.close();
    }).catch(() => []);
    await reading;
    expect(runId).toMatch(/^arun_/);
    await first.close();

    const second = await startLocalPlatform({ manifest, dataDir });
    const stopped = (await call(second, `${W}/agent-runs/${runId}`)).body as AgentRun;
    expect(stopped).toMatchObject({ status: "failed", error: { code: "platform_stopped" } });
    expect(stopped.steps[0]!.toolCalls[0]).toMatchObject({ name: "hold", status: "failed", error: { code: "platform_stopped" } });
    await second.close();

    // A platform killed mid-run leaves it running in the database: the next start fails it.
    const db = openDatabase(dataDir);
    db.prepare("UPDATE agent_runs SET status = 'running', error = NULL, finished_at = NULL WHERE id = ?").run(runId);
    db.close();
    const third = await startLocalPlatform({ manifest, dataDir });
    onTestFinished(() => third.close());
    expect((await call(third, `${W}/agent-runs/${runId}`)).body).toMatchObject({ status: "failed", error: { code: "platform_restarted" } });
  });
});
