// Every public method of the model namespaces (gateway.chat, chatStream and embed; agents.list,
// get, run, stream, getRun and waitForRun), with good and bad arbitraries per argument. The
// streams (chatStream, agents.stream) refuse from their first read, not at the call.
import fc from "fast-check";
import {
  badInt,
  badListParams,
  badMetadata,
  badName,
  badNumber,
  badStringArg,
  badKey,
  badWaitParams,
  goodPage,
  goodWaitParams,
  notArray,
  notObject,
  notString,
  notStringNorNullish,
  requestOptions as options,
  tooLong,
  withControlChar,
  withField,
  withLoneSurrogate,
  withUnknownKey,
  without,
} from "./arbitraries.js";
import { method, type MethodUnderTest } from "./harness.js";

// ---- gateway ----

const user = { role: "user", content: "hi" };
const goodChat = { model: "flow-local-chat", messages: [user] };
const addTool = { type: "function", function: { name: "add", description: "Adds", parameters: { type: "object", properties: { a: { type: "number" } } } } };
const toolCall = { id: "call_0_0", type: "function", function: { name: "add", arguments: '{"a":1}' } };

/** Chat parameters that are valid, plain and unusual. */
const goodChatParams = fc.constantFrom<unknown>(
  goodChat,
  { model: "gpt-4o-mini", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: [{ type: "text", text: "é 😀 %" }], name: "ann_1" }] },
  {
    model: "flow-local-chat",
    messages: [user, { role: "assistant", content: null, toolCalls: [toolCall] }, { role: "tool", content: '{"sum":1}', toolCallId: "call_0_0" }],
    tools: [addTool, { type: "function", function: { name: "upper-2" } }],
    toolChoice: { type: "function", function: { name: "add" } },
    temperature: 0,
    topP: 1,
    maxTokens: 1_000_000,
    stop: ["\n\n", "END"],
    seed: -3,
    user: "user-42",
  },
  { ...goodChat, tools: [addTool], toolChoice: "required", responseFormat: { type: "json_schema", jsonSchema: { name: "answer", schema: { type: "object" }, strict: true } } },
  { ...goodChat, messages: [{ role: "assistant", content: "", toolCalls: [] }, user], temperature: 2, stop: "x", responseFormat: { type: "json_object" } },
);

/** A model name that is not one: not a string, empty, over 256 characters, a control character, a lone surrogate. */
const badModel = fc.oneof(notString, fc.constant(""), tooLong(256), withControlChar, withLoneSurrogate);

/** One message that breaks a rule of its role. */
const badMessage: fc.Arbitrary<unknown> = fc.oneof(
  notObject,
  fc.constantFrom<unknown>(
    {},
    { role: "robot", content: "x" },
    { role: "USER", content: "x" },
    { role: "user" },
    { role: "user", content: 5 },
    { role: "user", content: null },
    { role: "user", content: [] },
    { role: "user", content: [{ type: "image_url", image_url: { url: "http://x" } }] },
    { role: "user", content: [{ type: "text", text: 1 }] },
    { role: "user", content: [{ type: "text", text: "x", extra: 1 }] },
    { role: "user", content: "x", name: "with space" },
    { role: "user", content: "x", name: "" },
    { role: "user", content: "x", tool_call_id: "c" },
    { role: "system", content: "x", toolCalls: [toolCall] },
    { role: "tool", content: "x" },
    { role: "tool", content: "x", toolCallId: "" },
    { role: "tool", content: "x", toolCallId: 5 },
    { role: "assistant", content: null },
    { role: "assistant", content: null, toolCalls: [] },
    { role: "assistant", content: "x", toolCalls: "add" },
    { role: "assistant", content: null, toolCalls: [{ ...toolCall, id: "" }] },
    { role: "assistant", content: null, toolCalls: [{ ...toolCall, type: "tool" }] },
    { role: "assistant", content: null, toolCalls: [{ ...toolCall, function: { name: "a b", arguments: "{}" } }] },
    { role: "assistant", content: null, toolCalls: [{ ...toolCall, function: { name: "add", arguments: { a: 1 } } }] },
    { role: "assistant", content: null, toolCalls: [{ id: "c", type: "function", function: { name: "add" } }] },
    { role: "assistant", content: null, tool_calls: [toolCall] },
  ),
  fc.tuple(fc.constantFrom("system", "user", "assistant", "tool"), withLoneSurrogate).map(([role, content]) => ({ role, content, ...(role === "tool" ? { toolCallId: "c" } : {}) })),
  fc.tuple(fc.constantFrom("system", "user", "assistant"), fc.oneof(notStringNorNullish.filter((v) => !Array.isArray(v)), fc.constant(undefined))).map(([role, content]) => ({ role, content })),
);

/** One tool that is not one. */
const badTool: fc.Arbitrary<unknown> = fc.oneof(
  notObject,
  fc.constantFrom<unknown>(
    {},
    { type: "function" },
    { type: "retrieval", function: { name: "add" } },
    { name: "add", parameters: {} },
    { type: "function", function: {} },
    { type: "function", function: { name: "" } },
    { type: "function", function: { name: "has space" } },
    { type: "function", function: { name: "x".repeat(65) } },
    { type: "function", function: { name: "é" } },
    { type: "function", function: { name: "add", parameters: "schema" } },
    { type: "function", function: { name: "add", parameters: [] } },
    { type: "function", function: { name: "add", description: 5 } },
    { type: "function", function: { name: "add", strict: true } },
    { type: "function", function: { name: "add" }, extra: 1 },
  ),
  fc.constant(null).map(() => ({ type: "function", function: { name: "add", parameters: { bad: NaN } } })),
);

const badChatParams: fc.Arbitrary<unknown> = fc.oneof(
  notObject,
  fc.constant({}),
  fc.constant(without(goodChat, "model")),
  fc.constant(without(goodChat, "messages")),
  withUnknownKey(goodChatParams as fc.Arbitrary<object>),
  // The wire's snake_case names are not the SDK's.
  fc.constantFrom("max_tokens", "top_p", "tool_choice", "response_format", "stream", "stream_options", "n", "logprobs").map((key) => ({ ...goodChat, [key]: key === "stream" ? true : 1 })),
  withField(fc.constant(goodChat), "model", badModel),
  withField(fc.constant(goodChat), "messages", fc.oneof(notArray, fc.constant([]), fc.constant(Array.from({ length: 10_001 }, () => user)))),
  fc.tuple(badMessage, fc.nat({ max: 2 })).map(([bad, at]) => ({ ...goodChat, messages: [user, user, user].map((m, i) => (i === at ? bad : m)) })),
  withField(fc.constant(goodChat), "tools", fc.oneof(notArray.filter((v) => v !== undefined), fc.array(badTool, { minLength: 1, maxLength: 3 }), fc.constant([addTool, addTool]), fc.constant(Array.from({ length: 129 }, (_, i) => ({ type: "function", function: { name: `t${i}` } }))))),
  withField(
    fc.constant({ ...goodChat, tools: [addTool] }),
    "toolChoice",
    fc.oneof(fc.constantFrom<unknown>("any", "", "AUTO", null, 1, { type: "function", function: { name: "nope" } }, { type: "function" }, { function: { name: "add" } }), notStringNorNullish),
  ),
  fc.constant({ ...goodChat, toolChoice: "required" }),
  fc.constant({ ...goodChat, toolChoice: { type: "function", function: { name: "add" } } }),
  withField(fc.constant(goodChat), "temperature", fc.oneof(badNumber(0, 2), fc.constant(null))),
  withField(fc.constant(goodChat), "topP", fc.oneof(badNumber(0, 1), fc.constant(null))),
  withField(fc.constant(goodChat), "maxTokens", fc.oneof(badInt(1, 1_000_000), fc.constant(null))),
  withField(fc.constant(goodChat), "seed", fc.oneof(fc.constantFrom(1.5, NaN, Infinity, "7", null, Number.MAX_SAFE_INTEGER + 2), notStringNorNullish.filter((v) => typeof v !== "number"))),
  withField(fc.constant(goodChat), "stop", fc.oneof(fc.constantFrom<unknown>("", [], ["a", "b", "c", "d", "e"], [""], [1], null, 5, "x".repeat(1001)), withLoneSurrogate)),
  withField(fc.constant(goodChat), "user", fc.oneof(notStringNorNullish, fc.constant(""), fc.constant(null), tooLong(256), withLoneSurrogate)),
  withField(
    fc.constant(goodChat),
    "responseFormat",
    fc.oneof(
      notObject,
      fc.constantFrom<unknown>(
        {},
        { type: "xml" },
        { type: "json_object", schema: {} },
        { type: "json_schema" },
        { type: "json_schema", jsonSchema: {} },
        { type: "json_schema", jsonSchema: { name: "has space" } },
        { type: "json_schema", jsonSchema: { name: "a", schema: "object" } },
        { type: "json_schema", jsonSchema: { name: "a", strict: "yes" } },
        { type: "json_schema", jsonSchema: { name: "a", extra: 1 } },
        { type: "json_schema", json_schema: { name: "a" } },
      ),
    ),
  ),
  fc.constant({ ...goodChat, messages: [{ role: "user", content: "x".repeat(9 * 1024 * 1024) }] }),
);

const goodEmbed = { model: "flow-local-hash-v2", input: "hello" };
const badEmbedParams: fc.Arbitrary<unknown> = fc.oneof(
  notObject,
  fc.constant({}),
  fc.constant(without(goodEmbed, "input")),
  withUnknownKey(fc.constant(goodEmbed)),
  fc.constantFrom("encoding_format", "encodingFormat").map((key) => ({ ...goodEmbed, [key]: "float" })),
  withField(fc.constant(goodEmbed), "model", badModel),
  withField(
    fc.constant(goodEmbed),
    "input",
    fc.oneof(
      fc.constantFrom<unknown>("", [], [""], ["a", ""], [1], [null], [["a"]], null, undefined, 5, { text: "a" }),
      fc.constant(Array.from({ length: 2049 }, () => "t")),
      withLoneSurrogate,
      withLoneSurrogate.map((text) => ["fine", text]),
      fc.constant("x".repeat(9 * 1024 * 1024)),
    ),
  ),
  withField(fc.constant(goodEmbed), "dimensions", fc.oneof(badInt(1, 65_536), fc.constant(null))),
  withField(fc.constant(goodEmbed), "user", fc.oneof(notStringNorNullish, fc.constant(""), fc.constant(null), tooLong(256))),
);

const gateway: MethodUnderTest[] = [
  method("gateway.chat", "promise", (f, a) => f.gateway.chat(a[0] as never, a[1] as never), { good: goodChatParams, bad: badChatParams }, options),
  method("gateway.chatStream", "stream", (f, a) => f.gateway.chatStream(a[0] as never, a[1] as never), { good: goodChatParams, bad: badChatParams }, options),
  method(
    "gateway.embed",
    "promise",
    (f, a) => f.gateway.embed(a[0] as never, a[1] as never),
    { good: fc.constantFrom<unknown>(goodEmbed, { model: "text-embedding-3-small", input: ["a", "é 😀", "x".repeat(10_000)], dimensions: 256, user: "u" }, { ...goodEmbed, input: Array.from({ length: 2048 }, () => "t") }), bad: badEmbedParams },
    options,
  ),
];

// ---- agents ----

/** An agent id (its manifest key): a letter or digit, then letters, digits, `_ . -`, up to 128. */
const agentId = { good: fc.constantFrom("helper", "support-bot", "0.v_2"), bad: badStringArg(badName(128, ["_underscore-first", "x".repeat(129)])) };

/** A run id (made by the platform): 1 to 256 characters, no control characters, well-formed, not `.` or `..`. */
const runId = { good: fc.constantFrom("arun_0123456789abcdef01234567", "run é %"), bad: badStringArg(badKey(256)) };

const goodRun = { input: "Where is my order?" };
const goodRunParams = fc.constantFrom<unknown>(
  goodRun,
  { input: { order: 42, items: [1, 2] }, conversationId: "conv_0123456789abcdef01234567", metadata: { ticket: 7 } },
  { input: "é 😀 %", metadata: {} },
);

/** Run (and stream) parameters that break a rule, with `reserved` the method's own argument names. */
const badRunParams: fc.Arbitrary<unknown> = fc.oneof(
  notObject,
  fc.constant({}),
  withUnknownKey(fc.constant(goodRun)),
  fc.constant({ ...goodRun, id: "helper" }),
  withField(
    fc.constant(goodRun),
    "input",
    fc.oneof(
      fc.constantFrom<unknown>("", null, undefined, 5, true, ["a"], [], new Map([["a", 1]]), new Date(0)),
      fc.constant(null).map(() => ({ n: NaN })),
      fc.constant(null).map(() => ({ n: 1n })),
      withLoneSurrogate,
      tooLong(1_000_000),
    ),
  ),
  withField(fc.constant(goodRun), "conversationId", fc.oneof(notStringNorNullish, fc.constant(null), fc.constant(""), withControlChar, withLoneSurrogate, tooLong(256))),
  withField(fc.constant(goodRun), "metadata", badMetadata),
);

/** `agents.run`'s own bounds: `wait`, `timeoutMs`, `signal`. */
const badRunBounds: fc.Arbitrary<unknown> = fc.oneof(
  withField(fc.constant(goodRun), "wait", fc.oneof(fc.constantFrom<unknown>("false", 0, 1, null), notStringNorNullish.filter((v) => typeof v !== "boolean"))),
  fc.tuple(badWaitParams, fc.constantFrom<object>({}, { wait: false }, { wait: true })).map(([bounds, wait]) => ({ ...goodRun, ...wait, ...bounds })),
);

const agents: MethodUnderTest[] = [
  method("agents.list", "page", (f, a) => f.agents.list(a[0] as never, a[1] as never), { good: goodPage, bad: badListParams() }, options),
  method("agents.get", "promise", (f, a) => f.agents.get(a[0] as string, a[1] as never), agentId, options),
  method(
    "agents.run",
    "promise",
    (f, a) => f.agents.run(a[0] as string, a[1] as never, a[2] as never),
    agentId,
    {
      good: fc.oneof(goodRunParams, fc.constantFrom<unknown>({ ...goodRun, wait: false }, { ...goodRun, wait: true, timeoutMs: 60_000, signal: new AbortController().signal })),
      bad: fc.oneof(badRunParams, badRunBounds),
    },
    options,
  ),
  method("agents.stream", "stream", (f, a) => f.agents.stream(a[0] as string, a[1] as never, a[2] as never), agentId, { good: goodRunParams, bad: fc.oneof(badRunParams, withField(fc.constant(goodRun), "wait", fc.constant(false))) }, options),
  method("agents.getRun", "promise", (f, a) => f.agents.getRun(a[0] as string, a[1] as never), runId, options),
  method("agents.waitForRun", "promise", (f, a) => f.agents.waitForRun(a[0] as string, a[1] as never, a[2] as never), runId, { good: goodWaitParams, bad: fc.oneof(badWaitParams, notObject) }, options),
];

/** Every gateway model method and agents method under test. */
export const MODEL_METHODS: readonly MethodUnderTest[] = [...gateway, ...agents];
