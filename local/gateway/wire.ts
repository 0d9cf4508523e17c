// Checks the gateway's request bodies (OpenAI's Chat Completions and Embeddings wire, as
// docs/protocol.md "Gateway: models" lists it) and words what is wrong as 400 validation_error
// issues on paths like `messages[2].role` or `tools[0].function.name`. Fields the wire does not
// list pass (an upstream may know them; the local models ignore them).
import { isPlainObject } from "../../src/dto/common.js";
import type { WireChatRequest, WireEmbeddingRequest } from "../../src/dto/gateway-wire.js";
import { HttpError } from "../errors.js";
import { MAX_CHAT_TOOLS, MAX_EMBED_INPUTS, TOOL_NAME } from "../../src/dto/gateway.js";
import { IssueCollector, MAX_ISSUES } from "../../src/dto/validate.js";
import { LOCAL_CHAT_MODEL, LOCAL_EMBED_MODEL, LOCAL_MODELS } from "../manifest.js";

const ROLES = ["system", "user", "assistant", "tool"];
const TOOL_CHOICES = ["auto", "none", "required"];

// The SDK's collector (the first MAX_ISSUES kept, the rest counted), answered as the platform's 400.
class Issues extends IssueCollector {
  override throwIfAny(what: string): void {
    if (this.total === 0) return;
    // The message names the first three; details.issues holds up to MAX_ISSUES.
    const shown = this.list.slice(0, 3).map((issue) => `${issue.path === "" ? "body" : issue.path}: ${issue.message}`).join("; ");
    const rest = this.total > 3 ? `; and ${this.total - 3} more` : "";
    throw new HttpError(400, "validation_error", `${what}: invalid input (${shown}${rest})`, { issues: this.list });
  }
}

/** What a model name resolves to: a local model, or the upstream. */
export type ModelRoute = "local" | "upstream";

/**
 * Where `model` goes: a local model of the right kind, else the upstream when there is one.
 * @throws {HttpError} 400 `validation_error` on `model`: a local model of the other kind, or an unknown model and no upstream.
 */
export function routeModel(model: string, kind: "chat" | "embeddings", hasUpstream: boolean): ModelRoute {
  const local = kind === "chat" ? LOCAL_CHAT_MODEL : LOCAL_EMBED_MODEL;
  if (model === local) return "local";
  if (LOCAL_MODELS.includes(model)) {
    const other = kind === "chat" ? "an embedding model; chat with" : "a chat model; embed with";
    throw modelError(`${model} is ${other} ${local}`);
  }
  if (hasUpstream) return "upstream";
  throw modelError(
    `flow-local has no model "${model}": the local models are ${LOCAL_MODELS.join(" (chat) and ")} (embeddings); ` +
      'to use another, name an OpenAI-compatible upstream in the manifest: "gateway": { "upstream": { "baseUrl": "https://api.openai.com/v1", "apiKeySecret": "OPENAI_API_KEY" } }',
  );
}

function modelError(message: string): HttpError {
  return new HttpError(400, "validation_error", message, { issues: [{ path: "model", message }] });
}

/**
 * Checks a `POST /v1/chat/completions` body. `local` (the model is a local one) also refuses
 * content parts other than text, which the local models cannot read.
 * @throws {HttpError} 400 `validation_error` listing the issues (at most {@link MAX_ISSUES}).
 */
export function checkChatRequest(body: unknown, local: (model: string) => boolean): WireChatRequest {
  const issues = new Issues();
  if (!isPlainObject(body)) {
    issues.add("", "expected a JSON object { model, messages, ... }");
    issues.throwIfAny("Chat request");
    throw new Error("unreachable");
  }
  const model = body["model"];
  if (typeof model !== "string" || model === "" || model.length > 256) issues.add("model", `must be the name of a model, e.g. "${LOCAL_CHAT_MODEL}"`);
  const textOnly = typeof model === "string" && local(model);

  const messages = body["messages"];
  if (!Array.isArray(messages) || messages.length === 0) issues.add("messages", "must be a non-empty array of { role, content } messages");
  else messages.forEach((message, i) => checkMessage(message, `messages[${i}]`, textOnly, issues));

  const tools = body["tools"];
  const toolNames = new Set<string>();
  if (tools !== undefined) {
    if (!Array.isArray(tools) || tools.length > MAX_CHAT_TOOLS) issues.add("tools", `must be an array of at most ${MAX_CHAT_TOOLS} { type: "function", function: { name, description?, parameters? } }`);
    else
      tools.forEach((tool, i) => {
        const at = `tools[${i}]`;
        if (!isPlainObject(tool)) return issues.add(at, 'must be { type: "function", function: { name, description?, parameters? } }');
        if (tool["type"] !== "function") issues.add(`${at}.type`, 'must be "function"');
        const fn = tool["function"];
        if (!isPlainObject(fn)) return issues.add(`${at}.function`, "must be { name, description?, parameters? }");
        const name = fn["name"];
        if (typeof name !== "string" || !TOOL_NAME.test(name)) issues.add(`${at}.function.name`, "must be 1 to 64 letters, digits, '_' or '-'");
        else if (toolNames.has(name)) issues.add(`${at}.function.name`, `names the tool "${name}" a second time`);
        else toolNames.add(name);
        if (fn["description"] !== undefined && typeof fn["description"] !== "string") issues.add(`${at}.function.description`, "must be a string");
        if (fn["parameters"] !== undefined && !isPlainObject(fn["parameters"])) issues.add(`${at}.function.parameters`, "must be a JSON schema object");
        if (fn["strict"] !== undefined && fn["strict"] !== null && typeof fn["strict"] !== "boolean") issues.add(`${at}.function.strict`, "must be a boolean");
      });
  }

  const choice = body["tool_choice"];
  if (choice !== undefined) {
    if (typeof choice === "string") {
      if (!TOOL_CHOICES.includes(choice)) issues.add("tool_choice", 'must be "auto", "none", "required" or { type: "function", function: { name } }');
    } else if (isPlainObject(choice) && choice["type"] === "function" && isPlainObject(choice["function"]) && typeof choice["function"]["name"] === "string") {
      const name = choice["function"]["name"];
      if (Array.isArray(tools) && !toolNames.has(name)) issues.add("tool_choice.function.name", `names "${name}", which tools does not offer`);
    } else issues.add("tool_choice", 'must be "auto", "none", "required" or { type: "function", function: { name } }');
  }

  checkNumber(body, "temperature", 0, 2, false, issues);
  checkNumber(body, "top_p", 0, 1, false, issues);
  checkNumber(body, "max_tokens", 1, Number.MAX_SAFE_INTEGER, true, issues);
  checkNumber(body, "max_completion_tokens", 1, Number.MAX_SAFE_INTEGER, true, issues);
  checkNumber(body, "seed", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true, issues);
  const stop = body["stop"];
  if (stop !== undefined && stop !== null && typeof stop !== "string" && !(Array.isArray(stop) && stop.length <= 4 && stop.every((s) => typeof s === "string"))) {
    issues.add("stop", "must be a string or an array of at most 4 strings");
  }
  const format = body["response_format"];
  if (format !== undefined) {
    if (!isPlainObject(format) || !["text", "json_object", "json_schema"].includes(format["type"] as string)) {
      issues.add("response_format", 'must be { type: "text" }, { type: "json_object" } or { type: "json_schema", json_schema: { name, schema? } }');
    } else if (format["type"] === "json_schema") {
      const schema = format["json_schema"];
      if (!isPlainObject(schema) || typeof schema["name"] !== "string" || schema["name"] === "") issues.add("response_format.json_schema", "must be { name, description?, schema?, strict? }");
      else if (schema["schema"] !== undefined && !isPlainObject(schema["schema"])) issues.add("response_format.json_schema.schema", "must be a JSON schema object");
    }
  }
  if (body["stream"] !== undefined && body["stream"] !== null && typeof body["stream"] !== "boolean") issues.add("stream", "must be a boolean");
  const options = body["stream_options"];
  if (options !== undefined && options !== null) {
    if (!isPlainObject(options)) issues.add("stream_options", "must be { include_usage?: boolean }");
    else if (options["include_usage"] !== undefined && typeof options["include_usage"] !== "boolean") issues.add("stream_options.include_usage", "must be a boolean");
  }
  if (body["user"] !== undefined && typeof body["user"] !== "string") issues.add("user", "must be a string");
  issues.throwIfAny("Chat request");
  return body as unknown as WireChatRequest;
}

function checkMessage(message: unknown, at: string, textOnly: boolean, issues: Issues): void {
  if (!isPlainObject(message)) return issues.add(at, "must be a { role, content } object");
  const role = message["role"];
  if (typeof role !== "string" || !ROLES.includes(role)) return issues.add(`${at}.role`, 'must be "system", "user", "assistant" or "tool"');
  const content = message["content"];
  const toolCalls = message["tool_calls"];
  if (content === null || content === undefined) {
    if (role !== "assistant" || toolCalls === undefined) issues.add(`${at}.content`, role === "assistant" ? "must be a string or text parts (null only with tool_calls)" : "must be a string or an array of { type: \"text\", text } parts");
  } else if (Array.isArray(content)) {
    content.forEach((part, j) => {
      const where = `${at}.content[${j}]`;
      if (!isPlainObject(part) || typeof part["type"] !== "string") return issues.add(where, 'must be a { type: "text", text } part');
      if (part["type"] === "text") {
        if (typeof part["text"] !== "string") issues.add(`${where}.text`, "must be a string");
      } else if (textOnly) issues.add(`${where}.type`, `is "${part["type"]}": the local models read only "text" parts`);
    });
  } else if (typeof content !== "string") issues.add(`${at}.content`, 'must be a string or an array of { type: "text", text } parts');
  if (message["name"] !== undefined && typeof message["name"] !== "string") issues.add(`${at}.name`, "must be a string");
  if (toolCalls !== undefined) {
    if (role !== "assistant") issues.add(`${at}.tool_calls`, "only an assistant message has tool calls");
    else if (!Array.isArray(toolCalls)) issues.add(`${at}.tool_calls`, 'must be an array of { id, type: "function", function: { name, arguments } }');
    else
      toolCalls.forEach((call, j) => {
        const where = `${at}.tool_calls[${j}]`;
        if (!isPlainObject(call)) return issues.add(where, 'must be { id, type: "function", function: { name, arguments } }');
        if (typeof call["id"] !== "string" || call["id"] === "") issues.add(`${where}.id`, "must be a non-empty string");
        if (call["type"] !== "function") issues.add(`${where}.type`, 'must be "function"');
        const fn = call["function"];
        if (!isPlainObject(fn)) return issues.add(`${where}.function`, "must be { name, arguments }");
        if (typeof fn["name"] !== "string" || fn["name"] === "") issues.add(`${where}.function.name`, "must be a non-empty string");
        if (typeof fn["arguments"] !== "string") issues.add(`${where}.function.arguments`, "must be the arguments as JSON text (a string)");
      });
  }
  const callId = message["tool_call_id"];
  if (role === "tool") {
    if (typeof callId !== "string" || callId === "") issues.add(`${at}.tool_call_id`, "must be the id of the tool call this message answers");
  } else if (callId !== undefined) issues.add(`${at}.tool_call_id`, "only a tool message answers a tool call");
}

function checkNumber(body: Record<string, unknown>, key: string, min: number, max: number, integer: boolean, issues: Issues): void {
  const value = body[key];
  if (value === undefined || value === null) return;
  if (typeof value !== "number" || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    issues.add(key, integer ? `must be a whole number${min > Number.MIN_SAFE_INTEGER ? ` of at least ${min}` : ""}` : `must be a number from ${min} to ${max}`);
  }
}

/**
 * Checks a `POST /v1/embeddings` body. `local`: the input must be text (an upstream may also take
 * token arrays, which pass).
 * @throws {HttpError} 400 `validation_error` listing the issues.
 */
export function checkEmbeddingRequest(body: unknown, local: (model: string) => boolean): WireEmbeddingRequest {
  const issues = new Issues();
  if (!isPlainObject(body)) {
    issues.add("", "expected a JSON object { model, input, ... }");
    issues.throwIfAny("Embeddings request");
    throw new Error("unreachable");
  }
  const model = body["model"];
  if (typeof model !== "string" || model === "" || model.length > 256) issues.add("model", `must be the name of an embedding model, e.g. "${LOCAL_EMBED_MODEL}"`);
  const textOnly = typeof model === "string" && local(model);
  const input = body["input"];
  const tokens = (value: unknown): boolean => Array.isArray(value) && value.length > 0 && value.every((n) => Number.isInteger(n));
  if (typeof input === "string") {
    // one text
  } else if (Array.isArray(input) && input.length >= 1 && input.length <= MAX_EMBED_INPUTS) {
    if (!textOnly && (tokens(input) || input.every(tokens))) {
      // token arrays, for an upstream
    } else
      input.forEach((text, i) => {
        if (typeof text !== "string") issues.add(`input[${i}]`, "must be a string");
      });
  } else issues.add("input", `must be a string or an array of 1 to ${MAX_EMBED_INPUTS} strings`);
  const format = body["encoding_format"];
  if (format !== undefined && format !== "float" && format !== "base64") issues.add("encoding_format", 'must be "float" or "base64"');
  checkNumber(body, "dimensions", 1, Number.MAX_SAFE_INTEGER, true, issues);
  if (body["user"] !== undefined && typeof body["user"] !== "string") issues.add("user", "must be a string");
  issues.throwIfAny("Embeddings request");
  return body as unknown as WireEmbeddingRequest;
}
