// The local gateway's own models over the wire (docs/protocol.md, "Gateway: models"): raw fetch,
// no SDK, against a real local platform on loopback.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalPlatform, type LocalPlatform } from "../../local/index.js";
import { LOCAL_EMBEDDING_DIMENSIONS, embedText } from "../../local/embedding.js";
import { call, stream, type Answer } from "./gateway-helpers.js";

let platform: LocalPlatform;
let token: string;

beforeAll(async () => {
  platform = await startLocalPlatform();
  token = await platform.mintToken();
});
afterAll(async () => {
  await platform.close();
});

const TOOLS = ["add", "mul", "search"].map((name) => ({ type: "function", function: { name, parameters: { type: "object" } } }));
const chat = (body: Record<string, unknown>, headers?: Record<string, string>): Promise<Answer> =>
  call(platform.url, "/v1/chat/completions", { token, body: { model: "flow-local-chat", ...body }, ...(headers ? { headers } : {}) });
const user = (content: unknown): Record<string, unknown> => ({ role: "user", content });

function expectValidation(answer: Answer, path: string, message?: RegExp): void {
  expect(answer.status).toBe(400);
  expect(answer.body.error.code).toBe("validation_error");
  const issue = (answer.body.error.details.issues as Array<{ path: string; message: string }>).find((i) => i.path === path);
  expect(issue, JSON.stringify(answer.body)).toBeDefined();
  if (message) expect(issue!.message).toMatch(message);
}

describe("GET /v1/models and scopes", () => {
  it("lists the local models", async () => {
    const answer = await call(platform.url, "/v1/models", { token });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      object: "list",
      data: [
        { id: "flow-local-chat", object: "model", created: expect.any(Number), owned_by: "flow-local" },
        { id: "flow-local-hash-v2", object: "model", created: expect.any(Number), owned_by: "flow-local" },
      ],
    });
  });

  it("needs gateway:read to list and gateway:invoke to call; a token is required", async () => {
    const reader = await platform.mintToken({ scopes: ["gateway:read"] });
    const invoker = await platform.mintToken({ scopes: ["gateway:invoke"] });
    const wildcard = await platform.mintToken({ scopes: ["gateway:*"] });
    expect((await call(platform.url, "/v1/models", { token: reader })).status).toBe(200);
    expect((await call(platform.url, "/v1/models", { token: invoker })).body.error.code).toBe("missing_scope");
    const body = { model: "flow-local-chat", messages: [user("hi")] };
    const refused = await call(platform.url, "/v1/chat/completions", { token: reader, body });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain("gateway:invoke");
    expect((await call(platform.url, "/v1/embeddings", { token: reader, body: { model: "flow-local-hash-v2", input: "x" } })).status).toBe(403);
    expect((await call(platform.url, "/v1/chat/completions", { token: invoker, body })).status).toBe(200);
    expect((await call(platform.url, "/v1/chat/completions", { token: wildcard, body })).status).toBe(200);
    expect((await call(platform.url, "/v1/chat/completions", { body })).status).toBe(401);
  });
});

describe("flow-local-chat", () => {
  it("answers 'You said: <text>' with usage counted in whitespace pieces", async () => {
    const answer = await chat({ messages: [{ role: "system", content: "Be brief." }, user("hello   there\nfriend")], temperature: 0.3, top_p: 0.5, seed: 4, stop: ["x"], user: "u1" });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      id: expect.stringMatching(/^chatcmpl-/),
      object: "chat.completion",
      created: expect.any(Number),
      model: "flow-local-chat",
      choices: [{ index: 0, message: { role: "assistant", content: "You said: hello   there\nfriend" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 },
    });
  });

  it("reads the last user message, text parts joined with newlines, and greets without one", async () => {
    const parts = await chat({ messages: [user("first"), { role: "assistant", content: "ok" }, user([{ type: "text", text: "a" }, { type: "text", text: "b" }])] });
    expect(parts.body.choices[0].message.content).toBe("You said: a\nb");
    const none = await chat({ messages: [{ role: "system", content: "You are terse." }] });
    expect(none.body.choices[0].message.content).toBe("Hello from flow-local-chat.");
  });

  it("is deterministic: the same request, the same answer", async () => {
    const body = { messages: [user("same\n/call add {\"a\":1}")], tools: TOOLS };
    const [a, b] = await Promise.all([chat(body), chat(body)]);
    expect(a.body.choices).toEqual(b.body.choices);
    expect(a.body.usage).toEqual(b.body.usage);
  });

  it("calls tools from /call lines, then reports their results", async () => {
    const ask = user('Add and multiply\n/call add {"a": 1, "b": 2}\n  /call mul {"a":2,"b":3}  \n/call search');
    const first = await chat({ messages: [ask], tools: TOOLS });
    expect(first.body.choices[0]).toEqual({
      index: 0,
      message: {
        role: "assistant",
        content: null,
        refusal: null,
        tool_calls: [
          { id: "call_0_0", type: "function", function: { name: "add", arguments: '{"a": 1, "b": 2}' } },
          { id: "call_0_1", type: "function", function: { name: "mul", arguments: '{"a":2,"b":3}' } },
          { id: "call_0_2", type: "function", function: { name: "search", arguments: "{}" } },
        ],
      },
      finish_reason: "tool_calls",
    });
    const calls = first.body.choices[0].message.tool_calls;
    const second = await chat({
      messages: [
        ask,
        { role: "assistant", content: null, tool_calls: calls },
        { role: "tool", tool_call_id: "call_0_1", content: "6" },
        { role: "tool", tool_call_id: "call_0_0", content: [{ type: "text", text: "3" }] },
        { role: "tool", tool_call_id: "call_0_2", content: '{"hits":[]}' },
      ],
      tools: TOOLS,
    });
    expect(second.body.choices[0].message.content).toBe('Tool results:\n- mul: 6\n- add: 3\n- search: {"hits":[]}');
    expect(second.body.choices[0].finish_reason).toBe("stop");
  });

  it("calls /loop tools on every turn, numbering ids by assistant turns", async () => {
    const ask = user("/loop search {\"q\":\"x\"}\n/call add");
    const turn = (n: number): unknown[] => [
      { role: "assistant", content: "", tool_calls: [{ id: `call_${n}_0`, type: "function", function: { name: "search", arguments: "{}" } }] },
      { role: "tool", tool_call_id: `call_${n}_0`, content: "nothing" },
    ];
    const answer = await chat({ messages: [ask, ...turn(0), ...turn(1)], tools: TOOLS });
    expect(answer.body.choices[0].message.tool_calls).toEqual([{ id: "call_2_0", type: "function", function: { name: "search", arguments: '{"q":"x"}' } }]);
  });

  it("passes arguments as written (a test can make it send bad ones), and tool_choice none answers in text", async () => {
    const bad = await chat({ messages: [user("/call add not json")], tools: TOOLS });
    expect(bad.body.choices[0].message.tool_calls[0].function.arguments).toBe("not json");
    const none = await chat({ messages: [user("/call add")], tools: TOOLS, tool_choice: "none" });
    expect(none.body.choices[0].message.content).toBe("You said: /call add");
  });

  it("refuses a directive naming a tool the request does not offer, on tools", async () => {
    const answer = await chat({ messages: [user("/call delete_all {}")], tools: TOOLS });
    expectValidation(answer, "tools", /delete_all.*add, mul, search/);
    expectValidation(await chat({ messages: [user("/call add")] }), "tools", /offers no tools/);
  });

  it("wraps the text for json_object and json_schema, and cuts at max_tokens", async () => {
    const json = await chat({ messages: [user("hi")], response_format: { type: "json_object" } });
    expect(JSON.parse(json.body.choices[0].message.content)).toEqual({ text: "You said: hi" });
    const schema = await chat({ messages: [user("hi")], response_format: { type: "json_schema", json_schema: { name: "a", schema: { type: "object" } } } });
    expect(JSON.parse(schema.body.choices[0].message.content)).toEqual({ text: "You said: hi" });
    const cut = await chat({ messages: [user("one two three four")], max_tokens: 3 });
    expect(cut.body.choices[0]).toMatchObject({ message: { content: "You said: one " }, finish_reason: "length" });
    expect(cut.body.usage).toEqual({ prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 });
    const newer = await chat({ messages: [user("one two three four")], max_completion_tokens: 2 });
    expect(newer.body.choices[0]).toMatchObject({ message: { content: "You said: " }, finish_reason: "length" });
  });

  it("streams the documented chunk sequence: role, one chunk per token, finish, usage, [DONE]", async () => {
    const { response, events } = await stream(platform.url, "/v1/chat/completions", token, {
      model: "flow-local-chat",
      messages: [user("to be or")],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("x-request-id")).toBeTruthy();
    const all = await events.rest();
    expect(all.at(-1)!.data).toBe("[DONE]");
    const chunks = all.slice(0, -1).map((event) => JSON.parse(event.data));
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.model === "flow-local-chat")).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta)).toEqual([{ role: "assistant", content: "" }, { content: "You " }, { content: "said: " }, { content: "to " }, { content: "be " }, { content: "or" }, {}, undefined]);
    expect(chunks.map((c) => c.choices[0]?.finish_reason ?? null)).toEqual([null, null, null, null, null, null, "stop", null]);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 } });
  });

  it("streams tool calls as the id and name, then the arguments in two halves", async () => {
    const { events } = await stream(platform.url, "/v1/chat/completions", token, {
      model: "flow-local-chat",
      messages: [user('/call add {"a":1}\n/call mul')],
      tools: TOOLS,
      stream: true,
    });
    const all = await events.rest();
    expect(all.at(-1)!.data).toBe("[DONE]");
    const deltas = all.slice(0, -1).map((event) => JSON.parse(event.data).choices[0]);
    expect(deltas).toEqual([
      { index: 0, delta: { role: "assistant", content: "" }, finish_reason: null },
      { index: 0, delta: { tool_calls: [{ index: 0, id: "call_0_0", type: "function", function: { name: "add", arguments: "" } }] }, finish_reason: null },
      { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"a"' } }] }, finish_reason: null },
      { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: ":1}" } }] }, finish_reason: null },
      { index: 0, delta: { tool_calls: [{ index: 1, id: "call_0_1", type: "function", function: { name: "mul", arguments: "" } }] }, finish_reason: null },
      { index: 0, delta: { tool_calls: [{ index: 1, function: { arguments: "{" } }] }, finish_reason: null },
      { index: 0, delta: { tool_calls: [{ index: 1, function: { arguments: "}" } }] }, finish_reason: null },
      { index: 0, delta: {}, finish_reason: "tool_calls" },
    ]);
  });

  it("refuses a bad directive of a streamed request before the stream starts", async () => {
    const { response } = await stream(platform.url, "/v1/chat/completions", token, { model: "flow-local-chat", messages: [user("/call nope")], stream: true });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Answer["body"]).error.code).toBe("validation_error");
  });

  it("does not keep answers for Idempotency-Key replays", async () => {
    const headers = { "idempotency-key": "same-key-1" };
    const a = await chat({ messages: [user("one")] }, headers);
    const b = await chat({ messages: [user("two")] }, headers);
    expect(b.status).toBe(200);
    expect(b.headers.get("idempotent-replayed")).toBeNull();
    expect(b.body.choices[0].message.content).toBe("You said: two");
    expect(a.body.id).not.toBe(b.body.id);
  });
});

describe("wire checks", () => {
  it("names each bad field by its path", async () => {
    const answer = await chat({
      messages: [user("ok"), { role: "robot", content: "x" }, { role: "user", content: 5 }, { role: "tool", content: "r" }, { role: "assistant", content: null }],
      tools: [{ type: "function", function: { name: "has space" } }, { type: "func" }],
      tool_choice: "sometimes",
      temperature: 3,
      max_tokens: 0,
      stream: "yes",
      response_format: { type: "xml" },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details.issues.map((i: { path: string }) => i.path)).toEqual([
      "messages[1].role",
      "messages[2].content",
      "messages[3].tool_call_id",
      "messages[4].content",
      "tools[0].function.name",
      "tools[1].type",
      "tools[1].function",
      "tool_choice",
      "temperature",
      "max_tokens",
      "response_format",
      "stream",
    ]);
    expect(answer.body.error.message).toMatch(/^Chat request: invalid input \(messages\[1\]\.role: .*; and 9 more\)$/);
  });

  it("caps the issues at 20", async () => {
    const answer = await chat({ messages: Array.from({ length: 30 }, () => ({ role: "nobody" })) });
    expect(answer.body.error.details.issues).toHaveLength(20);
    expect(answer.body.error.message).toContain("and 27 more");
  });

  it("refuses a body that is not an object, no messages, and non-text parts for a local model", async () => {
    expectValidation(await call(platform.url, "/v1/chat/completions", { token, body: [1] }), "");
    expectValidation(await chat({ messages: [] }), "messages");
    expectValidation(await chat({ messages: [user([{ type: "image_url", image_url: { url: "http://x" } }])] }), "messages[0].content[0].type", /only "text"/);
    expectValidation(await chat({ messages: [user("x")], tools: TOOLS, tool_choice: { type: "function", function: { name: "other" } } }), "tool_choice.function.name");
  });

  it("refuses an unknown model without an upstream, naming the local models and gateway.upstream", async () => {
    const answer = await chat({ model: "gpt-4o", messages: [user("hi")] });
    expectValidation(answer, "model", /flow-local-chat.*flow-local-hash-v2.*gateway.*upstream.*apiKeySecret/);
    const embed = await call(platform.url, "/v1/embeddings", { token, body: { model: "text-embedding-3-small", input: "x" } });
    expectValidation(embed, "model", /gateway/);
  });

  it("refuses a local model of the other kind", async () => {
    expectValidation(await chat({ model: "flow-local-hash-v2", messages: [user("hi")] }), "model", /embedding model; chat with flow-local-chat/);
    expectValidation(await call(platform.url, "/v1/embeddings", { token, body: { model: "flow-local-chat", input: "x" } }), "model", /chat model; embed with flow-local-hash-v2/);
  });
});

describe("flow-local-hash-v2", () => {
  const embed = (body: Record<string, unknown>): Promise<Answer> => call(platform.url, "/v1/embeddings", { token, body: { model: "flow-local-hash-v2", ...body } });

  it("embeds as memory does: 65,536 dimensions, unit length, the local embedding's values", async () => {
    const answer = await embed({ input: ["Coffee with oat milk", "tea"] });
    expect(answer.status).toBe(200);
    expect(answer.body.object).toBe("list");
    expect(answer.body.model).toBe("flow-local-hash-v2");
    expect(answer.body.usage).toEqual({ prompt_tokens: 5, total_tokens: 5 });
    const [first, second] = answer.body.data as Array<{ object: string; index: number; embedding: number[] }>;
    expect(first!.index).toBe(0);
    expect(second!.index).toBe(1);
    expect(first!.embedding).toHaveLength(LOCAL_EMBEDDING_DIMENSIONS);
    expect(Math.hypot(...first!.embedding)).toBeCloseTo(1, 5);
    const sparse = embedText("Coffee with oat milk");
    sparse.indices.forEach((index, at) => expect(first!.embedding[index]).toBeCloseTo(sparse.values[at]!, 6));
    expect(first!.embedding.filter((x) => x !== 0)).toHaveLength(sparse.indices.length);
  });

  it("answers base64 as the little-endian float32 bytes of the same vector", async () => {
    const [floats, base64] = await Promise.all([embed({ input: "hello world" }), embed({ input: "hello world", encoding_format: "base64", dimensions: 65536 })]);
    const bytes = Buffer.from(base64.body.data[0].embedding as string, "base64");
    expect(bytes.length).toBe(LOCAL_EMBEDDING_DIMENSIONS * 4);
    const decoded = Array.from({ length: LOCAL_EMBEDDING_DIMENSIONS }, (_, i) => bytes.readFloatLE(i * 4));
    expect(decoded).toEqual(floats.body.data[0].embedding);
  });

  it("refuses other dimensions and bad input", async () => {
    expectValidation(await embed({ input: "x", dimensions: 1536 }), "dimensions", /65536/);
    expectValidation(await embed({ input: [] }), "input");
    expectValidation(await embed({ input: ["a", 3] }), "input[1]");
    expectValidation(await embed({ input: [1, 2, 3] }), "input[0]");
    expectValidation(await embed({ input: "x", encoding_format: "hex" }), "encoding_format");
  });
});
