import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startScriptedServer } from "../helpers/scripted-server.js";
import {
  FlowAbortError,
  FlowAPIError,
  FlowClosedError,
  FlowConnectionError,
  FlowError,
  FlowNotFoundError,
  FlowServerError,
  FlowTimeoutError,
  FlowValidationError,
  SDK_VERSION,
  type ChatChunk,
  type ChatMessage,
  type ChatTool,
  type FlowSDK,
  type GatewayChatParams,
  type GatewayRequestParams,
} from "../../src/index.js";
import { caught, offlineFlow, sharedPlatform, type Echo } from "../helpers/flows.js";
import { dataEvent, latch, startCountingProxy, startEvents, startScriptedSse, wireChunk, write, type ScriptedCall, type ScriptedSse } from "../fixtures/gateway-sdk/servers.js";

const { platform, flow } = await sharedPlatform();

// A proxy in front of the platform that counts the requests that reach it, so a test sees that a
// refused call sent nothing and a refused model cost one request.
const proxy = await startCountingProxy(platform.url);
afterAll(() => proxy.close());
const counted = platform.createFlow({ gatewayUrl: proxy.url });
/** The requests the proxy forwarded while `fn` ran. */
async function requestsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const before = proxy.requests.length;
  await fn().catch(() => undefined);
  return proxy.requests.slice(before);
}

describe("gateway.request", () => {
  it("GET resolves to the parsed JSON echo: method, path, query, and headers without authorization", async () => {
    const echo = await flow.gateway.request<Echo>({ path: "/v1/_echo/anything", query: { x: 1, flag: true, skipped: undefined } });
    expect(echo.method).toBe("GET");
    expect(echo.path).toBe("/v1/_echo/anything");
    expect(echo.query).toEqual({ x: "1", flag: "true" });
    expect(echo.headers).not.toHaveProperty("authorization");
    expect(echo.headers["user-agent"]).toBe(`flow-sdk/${SDK_VERSION} node/${process.versions.node}`);
    expect(echo.headers["x-request-id"]).toMatch(/^req_/);
    expect(echo.body).toBeNull();
  });

  it("keeps a query string written in the path", async () => {
    const echo = await flow.gateway.request<Echo>({ path: "/v1/_echo/q?y=2", query: { x: 1 } });
    expect(echo.path).toBe("/v1/_echo/q");
    expect(echo.query).toEqual({ x: "1", y: "2" });
  });

  it("POST sends the body as JSON and the echo returns it", async () => {
    const body = { name: "widget", tags: ["a", "b"], count: 3, nested: { ok: true } };
    const echo = await flow.gateway.request<Echo>({ method: "POST", path: "/v1/_echo/items", body });
    expect(echo.method).toBe("POST");
    expect(echo.body).toEqual(body);
    expect(echo.headers["content-type"]).toMatch(/^application\/json/);
    expect(echo.headers["idempotency-key"]).toEqual(expect.any(String));
  });

  it("sends the custom headers given in params and in the call options", async () => {
    const echo = await flow.gateway.request<Echo>(
      { path: "/v1/_echo/h", headers: { "X-Custom": "from-params" } },
      { headers: { "X-Other": "from-options" } },
    );
    expect(echo.headers["x-custom"]).toBe("from-params");
    expect(echo.headers["x-other"]).toBe("from-options");
  });

  it("sends the bound context's request id, execution id and trace headers", async () => {
    const echo = await flow.runWithRequestContext(
      { headers: { "X-Request-Id": "req-gw", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }, execution: { id: "exe_gw" } },
      () => flow.gateway.request<Echo>({ path: "/v1/_echo" }),
    );
    expect(echo.headers).toMatchObject({
      "x-request-id": "req-gw",
      "x-execution-id": "exe_gw",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    });
  });

  it("reaches /v1/health", async () => {
    expect(await flow.gateway.request({ path: "/v1/health" })).toEqual({ ok: true, service: "flow-local", version: SDK_VERSION });
  });

  it("resolves to undefined for an empty answer (HEAD)", async () => {
    expect(await flow.gateway.request({ method: "HEAD", path: "/v1/health" })).toBeUndefined();
  });

  it("resolves to the text when the answer is not JSON", async () => {
    // Every route of the local platform answers JSON; a scripted loopback server plays a gateway
    // route that answers text.
    const server = await startScriptedServer([{ status: 200, body: "plain text answer" }]);
    try {
      const textFlow = platform.createFlow({ gatewayUrl: server.url });
      expect(await textFlow.gateway.request({ path: "/v1/text" })).toBe("plain text answer");
    } finally {
      await server.close();
    }
  });

  it("sends header values of visible Latin-1, spaces and tabs, and header names of any token characters, as given", async () => {
    const headers = { "X-Odd_Name!#$%&'*+.^`|~0": "café ÿ\tand  spaces" };
    const echo = await flow.gateway.request<Echo>({ path: "/v1/_echo/h", headers: { "x-from-params": "é" } }, { headers });
    expect(echo.headers["x-odd_name!#$%&'*+.^`|~0"]).toBe("café ÿ\tand  spaces");
    expect(echo.headers["x-from-params"]).toBe("é");
  });

  it("takes a lowercase method, query values of every allowed kind, and a JSON body with a property set to undefined", async () => {
    const echo = await flow.gateway.request<Echo>({
      method: "put",
      path: "/v1/_echo/é",
      query: { s: "é 😀", n: -1.5, t: true, f: false, gone: undefined },
      body: { keep: [null, 1, "x"], gone: undefined },
    });
    expect(echo.method).toBe("PUT");
    expect(echo.query).toEqual({ s: "é 😀", n: "-1.5", t: "true", f: "false" });
    expect(echo.body).toEqual({ keep: [null, 1, "x"] });
  });

  it("fails with FlowNotFoundError (route_not_found) for an unknown route", async () => {
    const error = await caught(() => flow.gateway.request({ path: "/v1/no-such-route" }));
    expect(error).toBeInstanceOf(FlowNotFoundError);
    expect(error).toMatchObject({ status: 404, code: "route_not_found" });
  });
});

describe("gateway.request path validation, before any request", () => {
  const offline = () => offlineFlow(platform);

  it("the offline instance used below really fails once a request is sent", async () => {
    expect(await caught(() => offline().gateway.request({ path: "/v1/health" }))).toBeInstanceOf(FlowConnectionError);
  });

  it.each([
    ["an absolute http URL", "http://evil.example/x"],
    ["an absolute https URL", "https://evil.example/x"],
    ["a protocol-relative URL", "//evil"],
    ["a relative path", "v1/health"],
    ["an empty path", ""],
    ["a missing path", undefined as unknown as string],
    ["a backslash that URL parsing reads as a slash", "/\\evil.example/x"],
    ["a control character", "/v1/a\r\nb"],
    ["a lone surrogate", "/v1/\ud800"],
  ])("refuses %s with FlowValidationError", async (_label, path) => {
    const error = await caught(() => offline().gateway.request({ path } as GatewayRequestParams));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toContain("path");
  });

  const selfReferring = (): Record<string, unknown> => {
    const node: Record<string, unknown> = { name: "loop" };
    node["self"] = node;
    return node;
  };

  it.each([
    ["a method that is a symbol (was a TypeError)", { path: "/v1/x", method: Symbol("GET") }, "method"],
    ["a method that is not an HTTP method", { path: "/v1/x", method: "PURGE" }, "method"],
    ["a misspelt key (was ignored)", { path: "/v1/x", qeury: { a: "1" } }, "qeury"],
    ["a query value that is an object (was sent as a[b]=1)", { path: "/v1/x", query: { a: { b: 1 } } }, "query"],
    ["a query value that is null", { path: "/v1/x", query: { a: null } }, "query"],
    ["a query value that is NaN", { path: "/v1/x", query: { a: NaN } }, "query"],
    ["a query value with a lone surrogate (was a FlowConnectionError)", { path: "/v1/x", query: { a: "\ud800" } }, "query"],
    ["query given as URLSearchParams", { path: "/v1/x", query: new URLSearchParams("a=1") }, "query"],
    ["a header value that is a number (was sent as text)", { path: "/v1/x", headers: { "x-n": 1 } }, "headers"],
    ["a header value with CR LF (was sent altered)", { path: "/v1/x", headers: { "x-n": "a\r\nx-injected: 1" } }, "headers"],
    ["a header name that is not a token", { path: "/v1/x", headers: { "x:n": "1" } }, "headers"],
    ["a body that refers to itself (was a RangeError)", { method: "POST", path: "/v1/x", body: selfReferring() }, "body"],
    ["a body holding a bigint", { method: "POST", path: "/v1/x", body: { n: 1n } }, "body"],
    ["a body holding a function", { method: "POST", path: "/v1/x", body: { f: () => 1 } }, "body"],
    ["a body that is a Map (was sent as {})", { method: "POST", path: "/v1/x", body: new Map([["a", 1]]) }, "body"],
    ["a body holding NaN (was sent as null)", { method: "POST", path: "/v1/x", body: { n: NaN } }, "body"],
  ])("refuses %s with FlowValidationError naming it", async (_label, params, field) => {
    const error = await caught(() => offline().gateway.request(params as unknown as GatewayRequestParams));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toContain(field);
  });

  it("names the allowed methods when the method is not one", async () => {
    const error = await caught(() => offline().gateway.request({ path: "/v1/x", method: "TRACE" } as unknown as GatewayRequestParams));
    expect((error as Error).message).toBe("gateway.request: invalid input (method: method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS (or left out for GET))");
  });
});

describe("gateway URL", () => {
  it("honours a gateway URL given separately from the platform URL", async () => {
    const separate = platform.createFlow({ platformUrl: "http://127.0.0.1:9", gatewayUrl: platform.url, maxRetries: 0 });
    expect(separate.config.gatewayUrl).toBe(platform.url);
    expect(await separate.gateway.request({ path: "/v1/health" })).toMatchObject({ ok: true });
  });

  it("sends gateway calls to GATEWAY_URL only: an unreachable gateway fails while state still works", async () => {
    const split = platform.createFlow({ gatewayUrl: "http://127.0.0.1:9", maxRetries: 0 });
    expect(await caught(() => split.gateway.request({ path: "/v1/health" }))).toBeInstanceOf(FlowConnectionError);
    await split.state.set("gateway-split:k", "ok");
    expect(await split.state.get("gateway-split:k")).toBe("ok");
  });
});

// ---- model calls: the local models (docs/protocol.md, "Gateway: models") ----

const CHAT = "flow-local-chat";
const EMBED = "flow-local-hash-v2";
const TOOLS: ChatTool[] = [
  { type: "function", function: { name: "add", description: "Adds a and b", parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } } } } },
  { type: "function", function: { name: "upper", parameters: { type: "object" } } },
];
const CALL_BOTH = '/call add {"a":1,"b":2}\n/call upper {"text":"hi"}';
const user = (content: string): ChatMessage => ({ role: "user", content });

describe("gateway.chat", () => {
  it("resolves to the model's text answer, with finishReason stop and usage", async () => {
    const completion = await flow.gateway.chat({ model: CHAT, messages: [{ role: "system", content: "Be brief." }, user("hello there")] });
    expect(completion).toMatchObject({
      model: CHAT,
      text: "You said: hello there",
      message: { role: "assistant", content: "You said: hello there", toolCalls: [] },
      finishReason: "stop",
    });
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.created).toBeGreaterThan(0);
    // Tokens are whitespace-separated pieces: "You said: hello there" is 4; the prompt is every message's text.
    expect(completion.usage).toEqual({ promptTokens: 4, completionTokens: 4, totalTokens: 8 });
  });

  it("is deterministic: the same request gets the same answer", async () => {
    const params: GatewayChatParams = { model: CHAT, messages: [user("same again")], temperature: 1.5, seed: 7 };
    const [a, b] = await Promise.all([flow.gateway.chat(params), flow.gateway.chat(params)]);
    expect(b.message).toEqual(a.message);
    expect(b.usage).toEqual(a.usage);
  });

  it("answers tool calls: message.toolCalls assembled in order, content null, finishReason tool_calls", async () => {
    const completion = await flow.gateway.chat({ model: CHAT, tools: TOOLS, messages: [user(CALL_BOTH)] });
    expect(completion.finishReason).toBe("tool_calls");
    expect(completion.text).toBe("");
    expect(completion.message).toEqual({
      role: "assistant",
      content: null,
      toolCalls: [
        { id: "call_0_0", type: "function", function: { name: "add", arguments: '{"a":1,"b":2}' } },
        { id: "call_0_1", type: "function", function: { name: "upper", arguments: '{"text":"hi"}' } },
      ],
    });
  });

  it("takes the completion's message back as it is, with tool messages, and answers with the tool results", async () => {
    const first = await flow.gateway.chat({ model: CHAT, tools: TOOLS, messages: [user(CALL_BOTH)] });
    const [add, upper] = first.message.toolCalls;
    const second = await flow.gateway.chat({
      model: CHAT,
      tools: TOOLS,
      messages: [
        user(CALL_BOTH),
        first.message,
        { role: "tool", toolCallId: add!.id, content: JSON.stringify({ sum: 3 }) },
        { role: "tool", toolCallId: upper!.id, content: [{ type: "text", text: "HI" }] },
      ],
    });
    expect(second.finishReason).toBe("stop");
    expect(second.text).toBe('Tool results:\n- add: {"sum":3}\n- upper: HI');
    expect(second.message.toolCalls).toEqual([]);
  });

  it("stops at maxTokens with finishReason length", async () => {
    const completion = await flow.gateway.chat({ model: CHAT, messages: [user("one two three four five")], maxTokens: 3 });
    expect(completion.finishReason).toBe("length");
    expect(completion.usage?.completionTokens).toBe(3);
    expect(completion.text.trim()).toBe("You said: one");
  });

  it("with responseFormat json_object answers a JSON object", async () => {
    for (const responseFormat of [{ type: "json_object" as const }, { type: "json_schema" as const, jsonSchema: { name: "answer", schema: { type: "object" }, strict: true } }]) {
      const completion = await flow.gateway.chat({ model: CHAT, messages: [user("as json")], responseFormat });
      expect(JSON.parse(completion.text)).toEqual({ text: "You said: as json" });
    }
  });

  it("refuses a model the gateway does not have with FlowValidationError on model, naming the local models, after one request", async () => {
    let error: unknown;
    const sent = await requestsDuring(async () => {
      error = await caught(() => counted.gateway.chat({ model: "gpt-unknown", messages: [user("hi")] }));
    });
    expect(sent).toEqual(["POST /v1/chat/completions"]);
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).requestId).toMatch(/^req_/);
    const issues = (error as FlowValidationError).issues;
    expect(issues.map((i) => i.path)).toEqual(["model"]);
    expect(issues[0]!.message).toContain(CHAT);
    expect(issues[0]!.message).toContain("upstream");
  });

  it("refuses a tool call of a tool the request does not offer (the platform's check)", async () => {
    const error = await caught(() => flow.gateway.chat({ model: CHAT, tools: TOOLS, messages: [user("/call missing {}")] }));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toContain("tools");
  });

  it.each([
    ["a model name that is a number", { model: 42, messages: [user("hi")] }, "model"],
    ["no messages", { model: CHAT, messages: [] }, "messages"],
    ["a message of an unknown role", { model: CHAT, messages: [user("hi"), { role: "robot", content: "x" }] }, "messages[1].role"],
    ["a tool message without toolCallId", { model: CHAT, messages: [user("hi"), { role: "tool", content: "x" }] }, "messages[1].toolCallId"],
    ["a snake_case key", { model: CHAT, messages: [user("hi")], max_tokens: 5 }, "max_tokens"],
    ["a temperature above 2", { model: CHAT, messages: [user("hi")], temperature: 3 }, "temperature"],
    ["two tools of one name", { model: CHAT, messages: [user("hi")], tools: [TOOLS[0], TOOLS[0]] }, "tools[1].function.name"],
    ["a toolChoice naming no tool", { model: CHAT, messages: [user("hi")], tools: TOOLS, toolChoice: { type: "function", function: { name: "nope" } } }, "toolChoice.function.name"],
  ])("refuses %s with FlowValidationError before any request", async (_label, params, path) => {
    let error: unknown;
    const sent = await requestsDuring(async () => {
      error = await caught(() => counted.gateway.chat(params as unknown as GatewayChatParams));
    });
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toContain(path);
    expect(sent).toEqual([]);
  });
});

/** Reads a stream to its end, returning its chunks. */
async function chunksOf(stream: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const chunks: ChatChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe("gateway.chatStream against the local model", () => {
  it("yields the chunks in order: the text token by token, then finishReason, then usage", async () => {
    const stream = flow.gateway.chatStream({ model: CHAT, messages: [user("hello there")] });
    const chunks = await chunksOf(stream);
    expect(chunks.map((c) => c.delta)).toEqual(["", "You ", "said: ", "hello ", "there", "", ""]);
    expect(chunks.map((c) => c.finishReason)).toEqual([null, null, null, null, null, "stop", null]);
    expect(chunks.at(-1)!.usage).toEqual({ promptTokens: 2, completionTokens: 4, totalTokens: 6 });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(stream.finished).toBe(true);
    expect(stream.text).toBe("You said: hello there");
    expect(await stream.finalText()).toBe("You said: hello there");
  });

  it("finalMessage assembles the tool calls from their pieces, as chat answers them", async () => {
    const params: GatewayChatParams = { model: CHAT, tools: TOOLS, messages: [user(CALL_BOTH)] };
    const stream = flow.gateway.chatStream(params);
    const chunks = await chunksOf(stream);
    // Each call comes in pieces: its id and name, then its arguments in two halves.
    expect(chunks.flatMap((c) => c.toolCalls).length).toBe(6);
    const message = await stream.finalMessage();
    expect(message).toEqual((await flow.gateway.chat(params)).message);
    expect(message.toolCalls.map((c) => [c.id, c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ["call_0_0", "add", { a: 1, b: 2 }],
      ["call_0_1", "upper", { text: "hi" }],
    ]);
  });

  it("finalCompletion, with nobody iterating, reads the stream itself and equals chat's completion but for id and created", async () => {
    const params: GatewayChatParams = { model: CHAT, messages: [user("whole answer please")], maxTokens: 100 };
    const stream = flow.gateway.chatStream(params);
    const [streamed, direct] = await Promise.all([stream.finalCompletion(), flow.gateway.chat(params)]);
    expect({ ...streamed, id: "", created: 0 }).toEqual({ ...direct, id: "", created: 0 });
    // Asked again, the helpers answer from what was read.
    expect(await stream.finalText()).toBe(direct.text);
    expect(await stream.finalCompletion()).toEqual(streamed);
  });

  it("finalText from two callers at once reads the stream once", async () => {
    const sent = await requestsDuring(async () => {
      const stream = counted.gateway.chatStream({ model: CHAT, messages: [user("twice")] });
      expect(await Promise.all([stream.finalText(), stream.finalText()])).toEqual(["You said: twice", "You said: twice"]);
    });
    expect(sent).toEqual(["POST /v1/chat/completions"]);
  });

  it("sends nothing until it is read", async () => {
    const sent = await requestsDuring(async () => {
      counted.gateway.chatStream({ model: CHAT, messages: [user("never read")] });
      // A request that went out would reach the proxy before a request sent after it.
      await counted.gateway.request({ path: "/v1/health" });
    });
    expect(sent).toEqual(["GET /v1/health"]);
  });

  it("can be read once: a second read rejects with FlowError", async () => {
    const stream = flow.gateway.chatStream({ model: CHAT, messages: [user("once")] });
    await chunksOf(stream);
    const error = await caught(() => chunksOf(stream));
    expect(error).toBeInstanceOf(FlowError);
    expect((error as Error).message).toContain("read once");
  });

  it("break mid-stream leaves no final result: finalText rejects with FlowError", async () => {
    const stream = flow.gateway.chatStream({ model: CHAT, messages: [user("a b c d e f")] });
    for await (const chunk of stream) if (chunk.delta) break;
    expect(stream.finished).toBe(false);
    expect(stream.text).toBe("You ");
    const error = await caught(() => stream.finalText());
    expect(error).toBeInstanceOf(FlowError);
    expect((error as Error).message).toContain("left before its end");
  });

  it("abort() mid-stream rejects the next read with FlowAbortError, even with chunks already received", async () => {
    const stream = flow.gateway.chatStream({ model: CHAT, messages: [user("a b c d e f g h")] });
    const seen: string[] = [];
    const error = await caught(async () => {
      for await (const chunk of stream) {
        seen.push(chunk.delta);
        if (chunk.delta) stream.abort();
      }
    });
    expect(error).toBeInstanceOf(FlowAbortError);
    expect(seen).toEqual(["", "You "]);
    expect(await caught(() => stream.finalText())).toBeInstanceOf(FlowAbortError);
  });

  it("an aborted options.signal mid-stream rejects with FlowAbortError", async () => {
    const controller = new AbortController();
    const stream = flow.gateway.chatStream({ model: CHAT, messages: [user("a b c d e f g h")] }, { signal: controller.signal });
    const seen: string[] = [];
    const error = await caught(async () => {
      for await (const chunk of stream) {
        seen.push(chunk.delta);
        if (chunk.delta) controller.abort();
      }
    });
    expect(error).toBeInstanceOf(FlowAbortError);
    expect(seen).toEqual(["", "You "]);
  });

  it("a signal aborted before the first read rejects it with FlowAbortError and sends nothing", async () => {
    const sent = await requestsDuring(async () => {
      const error = await caught(() => chunksOf(counted.gateway.chatStream({ model: CHAT, messages: [user("x")] }, { signal: AbortSignal.abort() })));
      expect(error).toBeInstanceOf(FlowAbortError);
    });
    expect(sent).toEqual([]);
  });

  it("abort() before the first read makes it reject with FlowAbortError, and nothing is sent", async () => {
    const sent = await requestsDuring(async () => {
      const stream = counted.gateway.chatStream({ model: CHAT, messages: [user("x")] });
      stream.abort();
      expect(await caught(() => stream.finalText())).toBeInstanceOf(FlowAbortError);
    });
    expect(sent).toEqual([]);
  });

  it("bad params: the call returns a stream, the first read rejects with FlowValidationError, and nothing is sent", async () => {
    const sent = await requestsDuring(async () => {
      const stream = counted.gateway.chatStream({ model: CHAT, messages: [{ role: "user" }] } as unknown as GatewayChatParams);
      const error = await caught(() => stream[Symbol.asyncIterator]().next());
      expect(error).toBeInstanceOf(FlowValidationError);
      expect((error as FlowValidationError).issues.map((i) => i.path)).toEqual(["messages[0].content"]);
      expect(await caught(() => counted.gateway.chatStream({ model: 7 } as unknown as GatewayChatParams).finalText())).toBeInstanceOf(FlowValidationError);
    });
    expect(sent).toEqual([]);
  });

  it("bad options: the first read rejects with FlowValidationError, and nothing is sent", async () => {
    const sent = await requestsDuring(async () => {
      for (const options of [null, { signal: {} }, { signal: "x" }, { timeoutMs: 0 }, { timeoutMS: 5 }]) {
        const error = await caught(() => counted.gateway.chatStream({ model: CHAT, messages: [user("x")] }, options as never).finalText());
        expect(error).toBeInstanceOf(FlowValidationError);
      }
    });
    expect(sent).toEqual([]);
  });

  it("an unknown model is refused before the stream starts: FlowValidationError on model", async () => {
    const error = await caught(() => flow.gateway.chatStream({ model: "gpt-unknown", messages: [user("x")] }).finalText());
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toEqual(["model"]);
  });
});

// ---- streaming against a scripted gateway ----

describe("gateway.chatStream against a scripted gateway", () => {
  const servers: ScriptedSse[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  /** A scripted gateway answering with `handle`, and a FlowSDK whose GATEWAY_URL it is. */
  async function scripted(handle: (call: ScriptedCall) => void | Promise<void>): Promise<{ server: ScriptedSse; sdk: FlowSDK }> {
    const server = await startScriptedSse(handle);
    servers.push(server);
    return { server, sdk: platform.createFlow({ env: { GATEWAY_URL: server.url } }) };
  }
  const params: GatewayChatParams = { model: "scripted-model", messages: [user("hi")] };
  const DONE = "data: [DONE]\n\n";

  it("sends the OpenAI body with stream: true, asks for text/event-stream, with the platform token", async () => {
    const { server, sdk } = await scripted(({ res }) => {
      startEvents(res);
      res.end(dataEvent(wireChunk({ content: "ok" }, "stop")) + DONE);
    });
    expect(await sdk.gateway.chatStream({ ...params, maxTokens: 9, topP: 0.5 }).finalText()).toBe("ok");
    const [call] = server.calls;
    expect(call!.body).toEqual({ model: "scripted-model", messages: [{ role: "user", content: "hi" }], max_tokens: 9, top_p: 0.5, stream: true, stream_options: { include_usage: true } });
    expect(call!.headers.accept).toBe("text/event-stream");
    expect(call!.headers.authorization).toBe(`Bearer ${platform.env["AUTH_TOKEN"]}`);
    expect(call!.req.url).toBe("/v1/chat/completions");
  });

  it("the first chunk reaches the caller before the server has finished", async () => {
    const release = latch();
    const { sdk } = await scripted(async ({ res }) => {
      startEvents(res);
      await write(res, dataEvent(wireChunk({ role: "assistant", content: "first " })));
      await release.promise;
      res.end(dataEvent(wireChunk({ content: "second" }, "stop")) + DONE);
    });
    const stream = sdk.gateway.chatStream(params);
    const deltas: string[] = [];
    for await (const chunk of stream) {
      deltas.push(chunk.delta);
      // The server holds the rest until this first chunk has been read here.
      if (deltas.length === 1) release.resolve();
    }
    expect(deltas).toEqual(["first ", "second"]);
    expect(await stream.finalText()).toBe("first second");
  });

  it("break closes the HTTP request at once: the server sees the connection close while it still streams", async () => {
    const { server, sdk } = await scripted(async ({ res }) => {
      startEvents(res);
      await write(res, dataEvent(wireChunk({ content: "one" })));
      // Never ends by itself.
    });
    for await (const chunk of sdk.gateway.chatStream(params)) {
      expect(chunk.delta).toBe("one");
      break;
    }
    await server.calls[0]!.closed;
    expect(server.calls[0]!.res.writableEnded).toBe(false);
  });

  it("abort() closes the HTTP request while a read waits, and the read rejects with FlowAbortError", async () => {
    const { server, sdk } = await scripted(async ({ res }) => {
      startEvents(res);
      await write(res, dataEvent(wireChunk({ content: "one" })));
    });
    const stream = sdk.gateway.chatStream(params);
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ delta: "one" });
    const waiting = iterator.next();
    stream.abort();
    expect(await caught(() => waiting)).toBeInstanceOf(FlowAbortError);
    await server.calls[0]!.closed;
  });

  it("an error event mid-stream rejects with the typed error (FlowServerError 502 with its code), after the chunks before it", async () => {
    const { sdk } = await scripted(async ({ res }) => {
      startEvents(res);
      await write(res, dataEvent(wireChunk({ content: "partial" })));
      res.end(`event: error\ndata: ${JSON.stringify({ error: { code: "upstream_failed", message: "the upstream broke off", status: 502 } })}\n\n`);
    });
    const stream = sdk.gateway.chatStream(params);
    const deltas: string[] = [];
    const error = await caught(async () => {
      for await (const chunk of stream) deltas.push(chunk.delta);
    });
    expect(deltas).toEqual(["partial"]);
    expect(error).toBeInstanceOf(FlowServerError);
    expect(error).toBeInstanceOf(FlowAPIError);
    expect(error).toMatchObject({ status: 502, code: "upstream_failed" });
    expect((error as Error).message).toContain("the upstream broke off");
    expect(await caught(() => stream.finalText())).toBe(error);
  });

  it("an error event with another status maps to that status's error class", async () => {
    const { sdk } = await scripted(({ res }) => {
      startEvents(res);
      res.end(`event: error\ndata: ${JSON.stringify({ error: { code: "rate_limited", message: "slow down", status: 429 } })}\n\n`);
    });
    const error = await caught(() => sdk.gateway.chatStream(params).finalText());
    expect(error).toMatchObject({ name: "FlowRateLimitError", status: 429, code: "rate_limited" });
  });

  it("a connection dropped mid-stream rejects with FlowConnectionError, and the stream is not retried", async () => {
    const { server, sdk } = await scripted(async ({ res }) => {
      startEvents(res);
      await write(res, dataEvent(wireChunk({ content: "partial" })));
      res.socket!.destroy();
    });
    const deltas: string[] = [];
    const error = await caught(async () => {
      for await (const chunk of sdk.gateway.chatStream(params)) deltas.push(chunk.delta);
    });
    expect(deltas).toEqual(["partial"]);
    expect(error).toBeInstanceOf(FlowConnectionError);
    expect(server.calls).toHaveLength(1);
  });

  it("a 503 before the stream starts is retried, and the retry's stream is read", async () => {
    const { server, sdk } = await scripted(({ index, res }) => {
      if (index === 0) {
        res.writeHead(503, { "content-type": "application/json", "retry-after": "0" });
        res.end(JSON.stringify({ error: { code: "unavailable", message: "try again" } }));
        return;
      }
      startEvents(res);
      res.end(dataEvent(wireChunk({ content: "second try" }, "stop")) + DONE);
    });
    expect(await sdk.gateway.chatStream(params).finalText()).toBe("second try");
    expect(server.calls).toHaveLength(2);
    expect(server.calls[1]!.body).toEqual(server.calls[0]!.body);
  });

  it("a 400 before the stream starts rejects with its typed error and is not retried", async () => {
    const { server, sdk } = await scripted(({ res }) => {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "validation_error", message: "bad model", details: { issues: [{ path: "model", message: "no such model" }] } } }));
    });
    const error = await caught(() => sdk.gateway.chatStream(params).finalText());
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues).toEqual([{ path: "model", message: "no such model" }]);
    expect(server.calls).toHaveLength(1);
  });

  it("parses an event split across writes in the middle of its JSON (and of a UTF-8 character), and CRLF line ends", async () => {
    const release = latch();
    const first = dataEvent(wireChunk({ content: "a" }));
    const split = Buffer.from(dataEvent(wireChunk({ content: "é😀 b" })));
    const cut = split.indexOf(Buffer.from("😀")) + 2; // inside the emoji's four bytes
    const { sdk } = await scripted(async ({ res }) => {
      startEvents(res);
      // One write ends the first event and stops in the middle of the second's JSON, inside a character.
      res.write(Buffer.concat([Buffer.from(first), split.subarray(0, cut)]));
      await release.promise;
      res.write(split.subarray(cut));
      res.write(Buffer.from(dataEvent(wireChunk({}, "stop")).replaceAll("\n", "\r\n")));
      res.end("data: [DONE]\r\n\r\n");
    });
    const deltas: string[] = [];
    for await (const chunk of sdk.gateway.chatStream(params)) {
      deltas.push(chunk.delta);
      if (deltas.length === 1) release.resolve();
    }
    expect(deltas).toEqual(["a", "é😀 b", ""]);
  });

  it("reads a stream written entirely with CRLF line ends, comments and multi-line data", async () => {
    const { sdk } = await scripted(({ res }) => {
      startEvents(res);
      const json = JSON.stringify(wireChunk({ content: "multi" }), null, 1).split("\n");
      res.end(
        [": a comment the parser skips", "", ...json.map((line) => `data: ${line}`), "", `data: ${JSON.stringify(wireChunk({ content: " line" }, "stop"))}`, "", "data: [DONE]", "", ""].join("\r\n"),
      );
    });
    expect(await sdk.gateway.chatStream(params).finalText()).toBe("multi line");
  });

  it("a stream that ends with neither [DONE] nor a finish reason rejects with FlowConnectionError", async () => {
    const { server, sdk } = await scripted(({ res }) => {
      startEvents(res);
      res.end(dataEvent(wireChunk({ content: "cut" })));
    });
    const stream = sdk.gateway.chatStream(params);
    const deltas: string[] = [];
    const error = await caught(async () => {
      for await (const chunk of stream) deltas.push(chunk.delta);
    });
    expect(deltas).toEqual(["cut"]);
    expect(error).toBeInstanceOf(FlowConnectionError);
    expect(server.calls).toHaveLength(1);
  });

  it("a stream that ends after its finish reason but without [DONE] completes", async () => {
    const { sdk } = await scripted(({ res }) => {
      startEvents(res);
      res.end(dataEvent(wireChunk({ content: "done" }, "stop")));
    });
    expect(await sdk.gateway.chatStream(params).finalText()).toBe("done");
  });

  it("timeoutMs bounds the wait for the next bytes once the stream started: FlowTimeoutError, not retried", async () => {
    const { server, sdk } = await scripted(async ({ res }) => {
      startEvents(res);
      await write(res, dataEvent(wireChunk({ content: "then silence" })));
    });
    const deltas: string[] = [];
    const error = await caught(async () => {
      for await (const chunk of sdk.gateway.chatStream(params, { timeoutMs: 150 })) deltas.push(chunk.delta);
    });
    expect(deltas).toEqual(["then silence"]);
    expect(error).toBeInstanceOf(FlowTimeoutError);
    await server.calls[0]!.closed;
    expect(server.calls).toHaveLength(1);
  });

  it("closing the FlowSDK mid-stream rejects the waiting read with FlowClosedError and closes the request", async () => {
    const { server, sdk } = await scripted(async ({ res }) => {
      startEvents(res);
      await write(res, dataEvent(wireChunk({ content: "one" })));
    });
    const iterator = sdk.gateway.chatStream(params)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ delta: "one" });
    const waiting = iterator.next();
    await sdk.close();
    expect(await caught(() => waiting)).toBeInstanceOf(FlowClosedError);
    await server.calls[0]!.closed;
  });

  it("a JSON answer where a stream was asked for rejects with FlowError saying so (not a broken stream)", async () => {
    const { sdk } = await scripted(({ res }) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: "x", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }] }));
    });
    const error = await caught(() => sdk.gateway.chatStream(params).finalText());
    expect(error).toBeInstanceOf(FlowError);
    expect(error).not.toBeInstanceOf(FlowConnectionError);
    expect((error as Error).message).toContain("application/json instead of a stream of events");
  });

  it("chat: a completion whose tool calls carry extra fields can be sent back as it is, and goes out in the wire's snake_case", async () => {
    const { server, sdk } = await scripted(({ index, res }) => {
      res.writeHead(200, { "content-type": "application/json" });
      const message =
        index === 0
          ? { role: "assistant", content: null, tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "add", arguments: '{"a":1}' } }] }
          : { role: "assistant", content: "done", refusal: null };
      res.end(JSON.stringify({ id: `chatcmpl-${index}`, object: "chat.completion", created: 1, model: "scripted-model", choices: [{ index: 0, message, finish_reason: index === 0 ? "tool_calls" : "stop" }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }));
    });
    const first = await sdk.gateway.chat({ ...params, tools: TOOLS });
    expect(first.message.toolCalls).toEqual([{ id: "call_a", type: "function", function: { name: "add", arguments: '{"a":1}' } }]);
    const second = await sdk.gateway.chat({ ...params, tools: TOOLS, toolChoice: "auto", messages: [user("hi"), first.message, { role: "tool", toolCallId: "call_a", content: "1" }] });
    expect(second).toMatchObject({ text: "done", finishReason: "stop", usage: { promptTokens: 3, completionTokens: 1, totalTokens: 4 } });
    expect((server.calls[1]!.body as { messages: unknown[] }).messages).toEqual([
      { role: "user", content: "hi" },
      { role: "assistant", content: null, tool_calls: [{ id: "call_a", type: "function", function: { name: "add", arguments: '{"a":1}' } }] },
      { role: "tool", content: "1", tool_call_id: "call_a" },
    ]);
    expect(server.calls[1]!.body).toMatchObject({ tool_choice: "auto", tools: TOOLS });
  });

  it("an event that is not JSON rejects with FlowError naming GATEWAY_URL", async () => {
    const { sdk } = await scripted(({ res }) => {
      startEvents(res);
      res.end("data: not json\n\n");
    });
    const error = await caught(() => sdk.gateway.chatStream(params).finalText());
    expect(error).toBeInstanceOf(FlowError);
    expect((error as Error).message).toContain("GATEWAY_URL");
  });
});

describe("gateway.embed", () => {
  it("embeds one text: one unit vector of 65,536 dimensions", async () => {
    const result = await flow.gateway.embed({ model: EMBED, input: "hello world" });
    expect(result.model).toBe(EMBED);
    expect(result.embeddings).toHaveLength(1);
    const [vector] = result.embeddings;
    expect(vector).toHaveLength(65_536);
    expect(Math.hypot(...vector!.filter((x) => x !== 0))).toBeCloseTo(1, 5);
    expect(result.usage).toEqual({ promptTokens: 2, totalTokens: 2 });
  });

  it("embeds several texts in the order given, each as embedding it alone does", async () => {
    const texts = ["alpha", "beta gamma", "alpha"];
    const { embeddings } = await flow.gateway.embed({ model: EMBED, input: texts, dimensions: 65_536 });
    expect(embeddings).toHaveLength(3);
    expect(embeddings[2]).toEqual(embeddings[0]);
    expect(embeddings[1]).not.toEqual(embeddings[0]);
    expect((await flow.gateway.embed({ model: EMBED, input: "beta gamma" })).embeddings[0]).toEqual(embeddings[1]);
  });

  it("refuses a model the gateway does not have with FlowValidationError on model", async () => {
    const error = await caught(() => flow.gateway.embed({ model: "text-embedding-unknown", input: "x" }));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toEqual(["model"]);
  });

  it.each([
    ["an empty text", { model: EMBED, input: "" }, "input"],
    ["an empty text among others", { model: EMBED, input: ["a", ""] }, "input[1]"],
    ["2049 texts", { model: EMBED, input: Array.from({ length: 2049 }, () => "t") }, "input"],
    ["no texts", { model: EMBED, input: [] }, "input"],
    ["a text that is a number", { model: EMBED, input: [1] }, "input[0]"],
    ["a model that is not a string", { model: null, input: "x" }, "model"],
    ["dimensions of 0", { model: EMBED, input: "x", dimensions: 0 }, "dimensions"],
    ["an unknown key", { model: EMBED, input: "x", encoding_format: "base64" }, "encoding_format"],
  ])("refuses %s with FlowValidationError before any request", async (_label, params, path) => {
    let error: unknown;
    const sent = await requestsDuring(async () => {
      error = await caught(() => counted.gateway.embed(params as never));
    });
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toContain(path);
    expect(sent).toEqual([]);
  });
});
