// The local models of the gateway (docs/protocol.md, "Gateway: models"): `flow-local-chat`, a
// deterministic chat model a prompt steers with `/call` and `/loop` lines, and
// `flow-local-hash-v2`, the local text embedding memory uses, as a dense vector. Same request,
// same answer (ids and dates aside), offline.
import { randomBytes } from "node:crypto";
import { embedText, LOCAL_EMBEDDING_DIMENSIONS } from "../embedding.js";
import { HttpError } from "../errors.js";
import { LOCAL_CHAT_MODEL, LOCAL_EMBED_MODEL, LOCAL_MODELS } from "../manifest.js";
import type { WireChatChunk, WireChatCompletion, WireChatRequest, WireFinishReason, WireMessage, WireToolCall, WireUsage } from "../../src/dto/gateway-wire.js";

/** When the local models say they were made (fixed, so `GET /v1/models` is the same everywhere): 2025-01-01. */
export const LOCAL_MODELS_CREATED = 1_735_689_600;

/** True for a model the gateway answers itself. */
export function isLocalModel(model: string): boolean {
  return LOCAL_MODELS.includes(model);
}

/** The tokens of `text` as the local models count them: whitespace-separated pieces, each with the whitespace after it (leading whitespace goes with the first). */
export function tokensOf(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? [];
}

/** The text of a message's content: a string, its text parts joined with newlines, or "" for null. */
export function contentText(content: WireMessage["content"]): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  return content.map((part) => part.text).join("\n");
}

/** What `flow-local-chat` decided to answer, before it is shaped as a completion or chunks. */
export interface LocalChatAnswer {
  /** The answer's text (already wrapped for `response_format` and cut to `max_tokens`), or null with tool calls. */
  text: string | null;
  /** Its tokens, in order (empty with tool calls). */
  tokens: string[];
  /** The tool calls, or empty. */
  toolCalls: WireToolCall[];
  /** Why it stopped. */
  finishReason: WireFinishReason;
  /** Token counts. */
  usage: Required<WireUsage>;
}

const DIRECTIVE = /^[ \t]*\/(call|loop)[ \t]+(\S+)(?:[ \t]+(.*?))?[ \t]*$/;

/**
 * What `flow-local-chat` answers to `request` (see docs/protocol.md).
 * @throws {HttpError} 400 `validation_error` on `tools` for a `/call` or `/loop` line naming a tool the request does not offer.
 */
export function answerChat(request: WireChatRequest): LocalChatAnswer {
  const messages = request.messages;
  let userAt = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === "user") {
      userAt = i;
      break;
    }
  }
  const promptTokens = messages.reduce((sum, message) => sum + tokensOf(contentText(message.content)).length, 0);
  const after = messages.slice(userAt + 1);
  const toolMessages = after.filter((message) => message.role === "tool");
  const userText = userAt === -1 ? undefined : contentText(messages[userAt]?.content ?? null);

  if (userText !== undefined && request.tool_choice !== "none") {
    const calls = toolCallsOf(userText, toolMessages.length > 0, request, after);
    if (calls.length > 0) {
      const completionTokens = calls.reduce((sum, call) => sum + tokensOf(`${call.function.name} ${call.function.arguments}`).length, 0);
      return { text: null, tokens: [], toolCalls: calls, finishReason: "tool_calls", usage: usageOf(promptTokens, completionTokens) };
    }
  }

  let text: string;
  if (userText === undefined) text = "Hello from flow-local-chat.";
  else if (toolMessages.length > 0) text = ["Tool results:", ...toolMessages.map((message) => `- ${toolNameOf(message, after)}: ${contentText(message.content)}`)].join("\n");
  else text = `You said: ${userText}`;
  const format = request.response_format?.type;
  if (format === "json_object" || format === "json_schema") text = JSON.stringify({ text });

  let tokens = tokensOf(text);
  let finishReason: WireFinishReason = "stop";
  if (request.max_tokens !== undefined && tokens.length > request.max_tokens) {
    tokens = tokens.slice(0, request.max_tokens);
    text = tokens.join("");
    finishReason = "length";
  }
  return { text, tokens, toolCalls: [], finishReason, usage: usageOf(promptTokens, tokens.length) };
}

// The calls of the user message's directive lines: `/call` ones until a tool message answered
// them, `/loop` ones on every turn. Ids `call_<assistant turns since the user message>_<i>`.
function toolCallsOf(userText: string, answered: boolean, request: WireChatRequest, after: WireMessage[]): WireToolCall[] {
  const offered = new Set((request.tools ?? []).map((tool) => tool.function.name));
  const turn = after.filter((message) => message.role === "assistant").length;
  const calls: WireToolCall[] = [];
  for (const line of userText.split(/\r\n|\r|\n/)) {
    const match = DIRECTIVE.exec(line);
    if (!match) continue;
    const [, kind, name = "", args] = match;
    if (kind === "call" && answered) continue;
    if (!offered.has(name)) {
      const tools = offered.size === 0 ? "the request offers no tools" : `the request offers ${[...offered].join(", ")}`;
      const message = `The /${kind} line asks ${LOCAL_CHAT_MODEL} to call the tool "${name}", but ${tools}; add it to tools`;
      throw new HttpError(400, "validation_error", message, { issues: [{ path: "tools", message }] });
    }
    // The rest of the line is the arguments as written, not checked: a prompt can make the model send bad arguments.
    calls.push({ id: `call_${turn}_${calls.length}`, type: "function", function: { name, arguments: args === undefined || args === "" ? "{}" : args } });
  }
  return calls;
}

// The name of the tool a tool message answers: from the assistant's call with its id, else its own `name`.
function toolNameOf(message: WireMessage, after: WireMessage[]): string {
  for (const turn of after) {
    const call = turn.role === "assistant" ? turn.tool_calls?.find((candidate) => candidate.id === message.tool_call_id) : undefined;
    if (call) return call.function.name;
  }
  return message.name ?? message.tool_call_id ?? "tool";
}

function usageOf(prompt: number, completion: number): Required<WireUsage> {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** A fresh completion id and date, shared by a completion's chunks. */
export function completionIdentity(now = Date.now()): { id: string; created: number } {
  return { id: `chatcmpl-${randomBytes(12).toString("hex")}`, created: Math.floor(now / 1000) };
}

/** The answer of `flow-local-chat` as a `chat.completion`. */
export function localCompletion(request: WireChatRequest, identity = completionIdentity()): WireChatCompletion {
  const answer = answerChat(request);
  const message: WireChatCompletion["choices"][number]["message"] = { role: "assistant", content: answer.text, refusal: null };
  if (answer.toolCalls.length > 0) message.tool_calls = answer.toolCalls;
  return { ...identity, object: "chat.completion", model: LOCAL_CHAT_MODEL, choices: [{ index: 0, message, finish_reason: answer.finishReason }], usage: answer.usage };
}

/**
 * The answer of `flow-local-chat` as the chunks of a stream: the role, then a chunk per token or,
 * per tool call, its id and name then its arguments in two halves, then the finish reason, then
 * (with `stream_options.include_usage`) the usage with no choices.
 * @throws {HttpError} as {@link answerChat}, before any chunk.
 */
export function localChunks(request: WireChatRequest, identity = completionIdentity()): WireChatChunk[] {
  const answer = answerChat(request);
  const chunk = (delta: WireChatChunk["choices"][number]["delta"], finishReason: WireFinishReason | null = null): WireChatChunk => ({
    ...identity,
    object: "chat.completion.chunk",
    model: LOCAL_CHAT_MODEL,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  const chunks = [chunk({ role: "assistant", content: "" })];
  for (const token of answer.tokens) chunks.push(chunk({ content: token }));
  answer.toolCalls.forEach((call, index) => {
    // By code points: a half never ends in the middle of a surrogate pair.
    const points = Array.from(call.function.arguments);
    const half = Math.ceil(points.length / 2);
    chunks.push(chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }] }));
    chunks.push(chunk({ tool_calls: [{ index, function: { arguments: points.slice(0, half).join("") } }] }));
    chunks.push(chunk({ tool_calls: [{ index, function: { arguments: points.slice(half).join("") } }] }));
  });
  chunks.push(chunk({}, answer.finishReason));
  if (request.stream_options?.include_usage === true) chunks.push({ ...identity, object: "chat.completion.chunk", model: LOCAL_CHAT_MODEL, choices: [], usage: answer.usage });
  return chunks;
}

/** The `flow-local-hash-v2` embedding of each text, dense (mostly zeros), L2-normalised; with the tokens read. */
export function localEmbeddings(input: readonly string[]): { vectors: Float32Array[]; promptTokens: number } {
  let promptTokens = 0;
  const vectors = input.map((text) => {
    promptTokens += tokensOf(text).length;
    const sparse = embedText(text);
    const dense = new Float32Array(LOCAL_EMBEDDING_DIMENSIONS);
    sparse.indices.forEach((index, at) => {
      dense[index] = sparse.values[at] as number;
    });
    return dense;
  });
  return { vectors, promptTokens };
}

/** A vector as OpenAI's `encoding_format: "base64"` has it: its float32 values, little-endian, in base64. */
export function toBase64(vector: Float32Array): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i] as number, i * 4);
  return bytes.toString("base64");
}

/** The reverse of {@link toBase64}. */
export function fromBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, "base64");
  const vector = new Float32Array(Math.floor(bytes.length / 4));
  for (let i = 0; i < vector.length; i++) vector[i] = bytes.readFloatLE(i * 4);
  return vector;
}

/** The local models as `GET /v1/models` lists them. */
export function localModelList(): { object: "list"; data: Array<{ id: string; object: "model"; created: number; owned_by: string }> } {
  return { object: "list", data: LOCAL_MODELS.map((id) => ({ id, object: "model", created: LOCAL_MODELS_CREATED, owned_by: "flow-local" })) };
}

/** The chat model and the embedding model, by kind, for messages that name them. */
export const LOCAL_MODEL_KINDS = { chat: LOCAL_CHAT_MODEL, embeddings: LOCAL_EMBED_MODEL } as const;
