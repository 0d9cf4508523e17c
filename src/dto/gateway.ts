// Parameters of the gateway's model calls (`gateway.chat`, `chatStream`, `embed`), checked before
// any request, and their conversion to the OpenAI wire (src/dto/gateway-wire.ts). Checked by hand
// rather than with class-validator decorators: messages are a union by role, nested two levels,
// and every issue names its exact place (`messages[2].toolCalls[0].function.name`), so a caller
// can map it to what they built.
import { hasLoneSurrogate, isJsonValue, isPlainObject, MAX_JSON_BODY_BYTES } from "./common.js";
import type { WireChatRequest, WireEmbeddingRequest, WireMessage, WireResponseFormat, WireTool, WireToolChoice } from "./gateway-wire.js";
import { IssueCollector } from "./validate.js";

/** What a tool (and a message's `name`) may be called: OpenAI's rule, 1 to 64 letters, digits, `_` or `-`. */
export const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Most messages one chat request may carry. */
export const MAX_CHAT_MESSAGES = 10_000;
/** Most tools one chat request may offer (OpenAI's limit). */
export const MAX_CHAT_TOOLS = 128;
/** Most texts one `embed` call may embed (OpenAI's limit). */
export const MAX_EMBED_INPUTS = 2048;

/** A text part of a message's content. */
export interface ChatTextPart {
  /** Always `text`. */
  type: "text";
  /** The text. */
  text: string;
}

/** A tool call the model made: the `function` it names, with its arguments as JSON text. */
export interface ChatToolCall {
  /** The call's id; a `tool` message answering it quotes it as `toolCallId`. */
  id: string;
  /** Always `function`. */
  type: "function";
  /** The function called. */
  function: {
    /** The tool's name. */
    name: string;
    /** Its arguments as JSON text, as the model wrote them (parse with care: a model can write text that is not JSON). */
    arguments: string;
  };
}

/** A system message: instructions for the model. */
export interface ChatSystemMessage {
  /** Always `system`. */
  role: "system";
  /** The instructions. */
  content: string | ChatTextPart[];
  /** An optional participant name. */
  name?: string | undefined;
}

/** A message from the user. */
export interface ChatUserMessage {
  /** Always `user`. */
  role: "user";
  /** What the user said. */
  content: string | ChatTextPart[];
  /** An optional participant name. */
  name?: string | undefined;
}

/** A message from the model: text, tool calls, or both. A completion's `message` can be sent back as it is. */
export interface ChatAssistantMessage {
  /** Always `assistant`. */
  role: "assistant";
  /** What it said; `null` when it only called tools. */
  content: string | ChatTextPart[] | null;
  /** The tools it called (empty or absent when none). */
  toolCalls?: ChatToolCall[] | undefined;
  /** An optional participant name. */
  name?: string | undefined;
}

/** The result of a tool call, for the model. */
export interface ChatToolMessage {
  /** Always `tool`. */
  role: "tool";
  /** The result, as text (JSON text for structured results). */
  content: string | ChatTextPart[];
  /** The `id` of the call this answers. */
  toolCallId: string;
}

/** One message of a chat. */
export type ChatMessage = ChatSystemMessage | ChatUserMessage | ChatAssistantMessage | ChatToolMessage;

/** A tool the model may call. */
export interface ChatTool {
  /** Always `function`. */
  type: "function";
  /** The function. */
  function: {
    /** Its name: 1 to 64 letters, digits, `_` or `-`, unique among the tools. */
    name: string;
    /** What it does, for the model. */
    description?: string | undefined;
    /** JSON schema of its arguments. */
    parameters?: Record<string, unknown> | undefined;
  };
}

/** Whether and which tool the model must call: `auto` (its choice), `none`, `required` (some tool), or the named one. */
export type ChatToolChoice = "auto" | "none" | "required" | { type: "function"; function: { name: string } };

/** What the answer's text must be: free text, a JSON object, or JSON following a schema. */
export type ChatResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | {
      /** JSON that follows `jsonSchema.schema`. */
      type: "json_schema";
      /** The schema, named. */
      jsonSchema: { name: string; description?: string | undefined; schema?: Record<string, unknown> | undefined; strict?: boolean | undefined };
    };

/** Parameters of `gateway.chat` and `gateway.chatStream`. */
export interface GatewayChatParams {
  /** The model, e.g. `flow-local-chat` on the local platform, or a model an upstream serves. */
  model: string;
  /** The conversation so far, oldest first (at least one message). */
  messages: ChatMessage[];
  /** Tools the model may call (at most 128, names unique). */
  tools?: ChatTool[] | undefined;
  /** Whether and which tool the model must call. @default `auto` when tools are given */
  toolChoice?: ChatToolChoice | undefined;
  /** Sampling temperature, 0 to 2. */
  temperature?: number | undefined;
  /** Nucleus sampling, 0 to 1. */
  topP?: number | undefined;
  /** Longest answer, in tokens (1 to 1,000,000). */
  maxTokens?: number | undefined;
  /** Up to 4 texts that end the answer. */
  stop?: string | string[] | undefined;
  /** Seed for sampling, where the model supports it. */
  seed?: number | undefined;
  /** What the answer's text must be. */
  responseFormat?: ChatResponseFormat | undefined;
  /** Your end user's id, for the model provider's abuse monitoring. */
  user?: string | undefined;
}

/** Parameters of `gateway.embed`. */
export interface GatewayEmbedParams {
  /** The embedding model, e.g. `flow-local-hash-v2` on the local platform. */
  model: string;
  /** The text, or up to 2048 texts, each not empty. */
  input: string | string[];
  /** Length of each vector, for models that can choose. */
  dimensions?: number | undefined;
  /** Your end user's id. */
  user?: string | undefined;
}

const CHAT_KEYS = ["model", "messages", "tools", "toolChoice", "temperature", "topP", "maxTokens", "stop", "seed", "responseFormat", "user"];
const EMBED_KEYS = ["model", "input", "dimensions", "user"];
const MESSAGE_KEYS: Record<ChatMessage["role"], readonly string[]> = {
  system: ["role", "content", "name"],
  user: ["role", "content", "name"],
  assistant: ["role", "content", "toolCalls", "name"],
  tool: ["role", "content", "toolCallId"],
};

/**
 * Checks `gateway.chat` / `chatStream` parameters and returns the wire request.
 * @throws {FlowValidationError} naming each problem by its exact path, before any request.
 */
export function chatRequest(params: unknown, stream: boolean, what: string): WireChatRequest {
  const issues = new IssueCollector();
  if (!isPlainObject(params)) {
    issues.add("", "expected an object { model, messages, ... }");
    issues.throwIfAny(what);
  }
  const p = params as Record<string, unknown>;
  unknownKeys(p, "", CHAT_KEYS, issues);
  modelName(p["model"], "model", issues);
  const wire: WireChatRequest = { model: p["model"] as string, messages: [] };
  const messages = p["messages"];
  if (!Array.isArray(messages) || messages.length === 0 || messages.length > MAX_CHAT_MESSAGES) {
    issues.add("messages", `messages must be an array of 1 to ${MAX_CHAT_MESSAGES} messages`);
  } else {
    for (let i = 0; i < messages.length && !issues.full; i++) {
      const message = chatMessage(messages[i], `messages[${i}]`, issues);
      if (message) wire.messages.push(message);
    }
  }
  const toolNames = new Set<string>();
  if (p["tools"] !== undefined) {
    const tools = p["tools"];
    if (!Array.isArray(tools) || tools.length > MAX_CHAT_TOOLS) issues.add("tools", `tools must be an array of at most ${MAX_CHAT_TOOLS} tools`);
    else {
      const list: WireTool[] = [];
      tools.forEach((tool: unknown, i) => {
        const checked = chatTool(tool, `tools[${i}]`, issues);
        if (!checked) return;
        if (toolNames.has(checked.function.name)) issues.add(`tools[${i}].function.name`, `"${checked.function.name}" is the name of an earlier tool; tool names are unique`);
        toolNames.add(checked.function.name);
        list.push(checked);
      });
      if (list.length > 0) wire.tools = list;
    }
  }
  if (p["toolChoice"] !== undefined) {
    const choice = toolChoice(p["toolChoice"], toolNames, issues);
    if (choice !== undefined) wire.tool_choice = choice;
  }
  number(p, "temperature", 0, 2, false, issues, (v) => (wire.temperature = v));
  number(p, "topP", 0, 1, false, issues, (v) => (wire.top_p = v));
  number(p, "maxTokens", 1, 1_000_000, true, issues, (v) => (wire.max_tokens = v));
  number(p, "seed", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true, issues, (v) => (wire.seed = v));
  const stop = p["stop"];
  if (stop !== undefined) {
    const list = typeof stop === "string" ? [stop] : stop;
    if (!Array.isArray(list) || list.length < 1 || list.length > 4 || !list.every((s) => typeof s === "string" && s.length > 0 && s.length <= 1000 && !hasLoneSurrogate(s))) {
      issues.add("stop", "stop must be a text, or an array of 1 to 4 texts, each 1 to 1000 characters");
    } else wire.stop = stop as string | string[];
  }
  if (p["user"] !== undefined) {
    if (shortText(p["user"], 256)) wire.user = p["user"] as string;
    else issues.add("user", "user must be a text of 1 to 256 characters");
  }
  if (p["responseFormat"] !== undefined) {
    const format = responseFormat(p["responseFormat"], issues);
    if (format) wire.response_format = format;
  }
  if (stream) {
    wire.stream = true;
    wire.stream_options = { include_usage: true };
  }
  if (issues.list.length === 0 && Buffer.byteLength(JSON.stringify(wire)) > MAX_JSON_BODY_BYTES) {
    issues.add("messages", "the request must be under 8 MiB as JSON; send fewer or shorter messages");
  }
  issues.throwIfAny(what);
  return wire;
}

/**
 * Checks `gateway.embed` parameters and returns the wire request (vectors asked for as numbers).
 * @throws {FlowValidationError} naming each problem, before any request.
 */
export function embeddingRequest(params: unknown, what: string): WireEmbeddingRequest {
  const issues = new IssueCollector();
  if (!isPlainObject(params)) {
    issues.add("", "expected an object { model, input }");
    issues.throwIfAny(what);
  }
  const p = params as Record<string, unknown>;
  unknownKeys(p, "", EMBED_KEYS, issues);
  modelName(p["model"], "model", issues);
  const input = p["input"];
  const texts = typeof input === "string" ? [input] : input;
  if (!Array.isArray(texts) || texts.length === 0 || texts.length > MAX_EMBED_INPUTS) {
    issues.add("input", `input must be a text, or an array of 1 to ${MAX_EMBED_INPUTS} texts`);
  } else {
    texts.forEach((text: unknown, i) => {
      const where = typeof input === "string" ? "input" : `input[${i}]`;
      if (typeof text !== "string" || text.length === 0) issues.add(where, `${where} must be a text that is not empty`);
      else if (hasLoneSurrogate(text)) issues.add(where, `${where} must be well-formed Unicode (it has a lone surrogate)`);
    });
  }
  const wire: WireEmbeddingRequest = { model: p["model"] as string, input: input as string | string[], encoding_format: "float" };
  number(p, "dimensions", 1, 65_536, true, issues, (v) => (wire.dimensions = v));
  if (p["user"] !== undefined) {
    if (shortText(p["user"], 256)) wire.user = p["user"] as string;
    else issues.add("user", "user must be a text of 1 to 256 characters");
  }
  if (issues.list.length === 0 && Buffer.byteLength(JSON.stringify(wire)) > MAX_JSON_BODY_BYTES) issues.add("input", "input must be under 8 MiB as JSON; embed it in batches");
  issues.throwIfAny(what);
  return wire;
}

function chatMessage(raw: unknown, at: string, issues: IssueCollector): WireMessage | undefined {
  if (!isPlainObject(raw)) {
    issues.add(at, `${at} must be a message object { role, content }`);
    return undefined;
  }
  const role = raw["role"];
  if (role !== "system" && role !== "user" && role !== "assistant" && role !== "tool") {
    issues.add(`${at}.role`, "role must be one of system, user, assistant, tool");
    return undefined;
  }
  unknownKeys(raw, at, MESSAGE_KEYS[role], issues);
  const message: WireMessage = { role, content: null };
  const content = raw["content"];
  const toolCalls = raw["toolCalls"];
  if (content === null && role === "assistant") {
    if (!Array.isArray(toolCalls) || toolCalls.length === 0) issues.add(`${at}.content`, "content may be null only in an assistant message with toolCalls");
  } else {
    const checked = messageContent(content, `${at}.content`, issues);
    if (checked !== undefined) message.content = checked;
  }
  if (raw["name"] !== undefined) {
    if (typeof raw["name"] === "string" && TOOL_NAME.test(raw["name"])) message.name = raw["name"];
    else issues.add(`${at}.name`, "name must be 1 to 64 letters, digits, '_' or '-'");
  }
  if (role === "assistant" && toolCalls !== undefined) {
    if (!Array.isArray(toolCalls) || toolCalls.length > MAX_CHAT_TOOLS * 8) issues.add(`${at}.toolCalls`, "toolCalls must be an array of tool calls");
    else if (toolCalls.length > 0) {
      message.tool_calls = [];
      toolCalls.forEach((call: unknown, i) => {
        const where = `${at}.toolCalls[${i}]`;
        if (!isPlainObject(call)) return issues.add(where, `${where} must be { id, type: "function", function: { name, arguments } }`);
        unknownKeys(call, where, ["id", "type", "function"], issues);
        if (!shortText(call["id"], 256)) issues.add(`${where}.id`, "id must be a text of 1 to 256 characters");
        if (call["type"] !== "function") issues.add(`${where}.type`, 'type must be "function"');
        const fn = call["function"];
        if (!isPlainObject(fn)) return issues.add(`${where}.function`, "function must be { name, arguments }");
        unknownKeys(fn, `${where}.function`, ["name", "arguments"], issues);
        if (typeof fn["name"] !== "string" || !TOOL_NAME.test(fn["name"])) issues.add(`${where}.function.name`, "name must be 1 to 64 letters, digits, '_' or '-'");
        if (typeof fn["arguments"] !== "string" || hasLoneSurrogate(fn["arguments"])) issues.add(`${where}.function.arguments`, "arguments must be a text (the arguments' JSON text, as the model wrote it)");
        message.tool_calls!.push({ id: call["id"] as string, type: "function", function: { name: fn["name"] as string, arguments: fn["arguments"] as string } });
      });
    }
  }
  if (role === "tool") {
    if (shortText(raw["toolCallId"], 256)) message.tool_call_id = raw["toolCallId"] as string;
    else issues.add(`${at}.toolCallId`, "toolCallId must be the id of the tool call this message answers (1 to 256 characters)");
  }
  return message;
}

function messageContent(content: unknown, at: string, issues: IssueCollector): string | Array<{ type: "text"; text: string }> | undefined {
  if (typeof content === "string") {
    if (hasLoneSurrogate(content)) issues.add(at, "content must be well-formed Unicode (it has a lone surrogate)");
    return content;
  }
  if (Array.isArray(content) && content.length > 0) {
    const parts: Array<{ type: "text"; text: string }> = [];
    content.forEach((part: unknown, i) => {
      const where = `${at}[${i}]`;
      if (!isPlainObject(part) || part["type"] !== "text" || typeof part["text"] !== "string" || Object.keys(part).some((k) => k !== "type" && k !== "text")) {
        issues.add(where, `${where} must be { type: "text", text }`);
      } else if (hasLoneSurrogate(part["text"])) issues.add(`${where}.text`, "text must be well-formed Unicode (it has a lone surrogate)");
      else parts.push({ type: "text", text: part["text"] });
    });
    return parts;
  }
  issues.add(at, "content must be a text, or a non-empty array of { type: \"text\", text } parts");
  return undefined;
}

function chatTool(raw: unknown, at: string, issues: IssueCollector): WireTool | undefined {
  if (!isPlainObject(raw) || raw["type"] !== "function" || !isPlainObject(raw["function"])) {
    issues.add(at, `${at} must be { type: "function", function: { name, description?, parameters? } }`);
    return undefined;
  }
  unknownKeys(raw, at, ["type", "function"], issues);
  const fn = raw["function"];
  unknownKeys(fn, `${at}.function`, ["name", "description", "parameters"], issues);
  const name = fn["name"];
  if (typeof name !== "string" || !TOOL_NAME.test(name)) {
    issues.add(`${at}.function.name`, "name must be 1 to 64 letters, digits, '_' or '-'");
    return undefined;
  }
  const tool: WireTool = { type: "function", function: { name } };
  if (fn["description"] !== undefined) {
    if (typeof fn["description"] === "string" && fn["description"].length <= 10_000 && !hasLoneSurrogate(fn["description"])) tool.function.description = fn["description"];
    else issues.add(`${at}.function.description`, "description must be a text of at most 10000 characters");
  }
  if (fn["parameters"] !== undefined) {
    if (isPlainObject(fn["parameters"]) && isJsonValue(fn["parameters"])) tool.function.parameters = fn["parameters"];
    else issues.add(`${at}.function.parameters`, "parameters must be a JSON schema object");
  }
  return tool;
}

function toolChoice(raw: unknown, tools: ReadonlySet<string>, issues: IssueCollector): WireToolChoice | undefined {
  if (raw === "auto" || raw === "none" || raw === "required") {
    if (raw === "required" && tools.size === 0) issues.add("toolChoice", 'toolChoice "required" needs tools');
    return raw;
  }
  if (isPlainObject(raw) && raw["type"] === "function" && isPlainObject(raw["function"]) && typeof raw["function"]["name"] === "string") {
    const name = raw["function"]["name"];
    if (!tools.has(name)) issues.add("toolChoice.function.name", `"${name}" is not one of the tools`);
    return { type: "function", function: { name } };
  }
  issues.add("toolChoice", 'toolChoice must be "auto", "none", "required" or { type: "function", function: { name } }');
  return undefined;
}

function responseFormat(raw: unknown, issues: IssueCollector): WireResponseFormat | undefined {
  if (isPlainObject(raw) && (raw["type"] === "text" || raw["type"] === "json_object") && Object.keys(raw).length === 1) return { type: raw["type"] };
  if (isPlainObject(raw) && raw["type"] === "json_schema" && isPlainObject(raw["jsonSchema"])) {
    unknownKeys(raw, "responseFormat", ["type", "jsonSchema"], issues);
    const s = raw["jsonSchema"];
    unknownKeys(s, "responseFormat.jsonSchema", ["name", "description", "schema", "strict"], issues);
    if (typeof s["name"] !== "string" || !TOOL_NAME.test(s["name"])) issues.add("responseFormat.jsonSchema.name", "name must be 1 to 64 letters, digits, '_' or '-'");
    if (s["description"] !== undefined && typeof s["description"] !== "string") issues.add("responseFormat.jsonSchema.description", "description must be a text");
    if (s["schema"] !== undefined && !(isPlainObject(s["schema"]) && isJsonValue(s["schema"]))) issues.add("responseFormat.jsonSchema.schema", "schema must be a JSON schema object");
    if (s["strict"] !== undefined && typeof s["strict"] !== "boolean") issues.add("responseFormat.jsonSchema.strict", "strict must be true or false");
    const json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean } = { name: s["name"] as string };
    if (s["description"] !== undefined) json_schema.description = s["description"] as string;
    if (s["schema"] !== undefined) json_schema.schema = s["schema"] as Record<string, unknown>;
    if (s["strict"] !== undefined) json_schema.strict = s["strict"] as boolean;
    return { type: "json_schema", json_schema };
  }
  issues.add("responseFormat", 'responseFormat must be { type: "text" }, { type: "json_object" } or { type: "json_schema", jsonSchema: { name, schema?, strict? } }');
  return undefined;
}

function modelName(value: unknown, at: string, issues: IssueCollector): void {
  if (typeof value !== "string" || value.length === 0 || value.length > 256 || /[\u0000-\u001f\u007f]/.test(value) || hasLoneSurrogate(value)) {
    issues.add(at, "model must be a model name of 1 to 256 characters, e.g. flow-local-chat");
  }
}

function shortText(value: unknown, max: number): boolean {
  return typeof value === "string" && value.length > 0 && value.length <= max && !hasLoneSurrogate(value);
}

function number(p: Record<string, unknown>, key: string, min: number, max: number, whole: boolean, issues: IssueCollector, set: (value: number) => void): void {
  const value = p[key];
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value) || (whole && !Number.isSafeInteger(value)) || value < min || value > max) {
    issues.add(key, `${key} must be ${whole ? "a whole number" : "a number"} from ${min} to ${max}`);
  } else set(value);
}

function unknownKeys(value: Record<string, unknown>, at: string, allowed: readonly string[], issues: IssueCollector): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) issues.add(at ? `${at}.${key}` : key, `property ${key} should not exist (the keys are ${allowed.join(", ")})`);
  }
}
