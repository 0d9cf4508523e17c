// A streamed chat completion: the chunks as they come, and what they add up to.
import type { WireChatChunk, WireChatCompletion, WireFinishReason, WireUsage } from "../dto/gateway-wire.js";
import type { ChatToolCall } from "../dto/gateway.js";
import type { RequestOptions } from "../http/request-options.js";
import { EventStream, type OpenEvents } from "./event-stream.js";

/** Why the model stopped: `stop` (done), `length` (`maxTokens` reached), `tool_calls`, `content_filter`. */
export type ChatFinishReason = WireFinishReason;

/** Token counts of a model call. */
export interface ChatUsage {
  /** Tokens read. */
  promptTokens: number;
  /** Tokens written. */
  completionTokens: number;
  /** Both. */
  totalTokens: number;
}

/** The model's answer: text, tool calls, or both. Can be sent back in `messages` as it is. */
export interface ChatCompletionMessage {
  /** Always `assistant`. */
  role: "assistant";
  /** What it said; `null` when it only called tools. */
  content: string | null;
  /** The tools it called, in order; empty when none. */
  toolCalls: ChatToolCall[];
}

/** A chat completion. */
export interface ChatCompletion {
  /** The completion's id. */
  id: string;
  /** The model that answered. */
  model: string;
  /** When it was made, in seconds since the epoch. */
  created: number;
  /** The answer. */
  message: ChatCompletionMessage;
  /** The answer's text: `message.content`, or `""` when it only called tools. */
  text: string;
  /** Why the model stopped. */
  finishReason: ChatFinishReason | null;
  /** Token counts, when the model gave them. */
  usage: ChatUsage | null;
}

/** A piece of a tool call in a stream; `index` says which call of the answer it adds to. */
export interface ChatToolCallDelta {
  /** Which call of the answer. */
  index: number;
  /** The call's id (in its first piece). */
  id?: string | undefined;
  /** The tool's name (in its first piece). */
  name?: string | undefined;
  /** More of the arguments' JSON text. */
  arguments?: string | undefined;
}

/** One chunk of a streamed chat. */
export interface ChatChunk {
  /** The completion's id, the same in every chunk. */
  id: string;
  /** The model that answers. */
  model: string;
  /** When the completion was made, in seconds since the epoch. */
  created: number;
  /** Text this chunk adds to the answer (`""` when it adds none). */
  delta: string;
  /** Pieces of tool calls this chunk adds. */
  toolCalls: ChatToolCallDelta[];
  /** Set in the answer's last chunk. */
  finishReason: ChatFinishReason | null;
  /** Token counts, in the last chunk. */
  usage: ChatUsage | null;
}

/**
 * A streamed chat completion: `for await` over its {@link ChatChunk}s as they arrive, or await
 * {@link ChatStream.finalText}, {@link ChatStream.finalMessage} or {@link ChatStream.finalCompletion}
 * (which read it to the end when nobody does). Read once; nothing is sent before the first read.
 * `break` or {@link ChatStream.abort} closes the request at once. A stream that started is never
 * retried: one that breaks off rejects with `FlowConnectionError`, one the gateway ends with an
 * error event with the matching `FlowAPIError`.
 *
 * @example
 * const stream = flow.gateway.chatStream({ model, messages });
 * for await (const chunk of stream) process.stdout.write(chunk.delta);
 * const message = await stream.finalMessage(); // tool calls assembled
 */
export class ChatStream extends EventStream<ChatChunk> {
  #id = "";
  #model = "";
  #created = 0;
  #text = "";
  #sawText = false;
  readonly #calls = new Map<number, ChatToolCall>();
  #finishReason: ChatFinishReason | null = null;
  #usage: ChatUsage | null = null;

  /** @internal Made by `gateway.chatStream`. */
  constructor(open: OpenEvents<ChatChunk>, options: RequestOptions | undefined) {
    super(open, options);
  }

  /** The text received so far. */
  get text(): string {
    return this.#text;
  }

  /** Resolves to the whole answer's text once the stream has ended. */
  async finalText(): Promise<string> {
    await this.untilEnd();
    return this.#text;
  }

  /** Resolves to the answer once the stream has ended: its text and its tool calls, assembled. */
  async finalMessage(): Promise<ChatCompletionMessage> {
    return (await this.finalCompletion()).message;
  }

  /** Resolves to the completion the chunks add up to, as `gateway.chat` would have answered. */
  async finalCompletion(): Promise<ChatCompletion> {
    await this.untilEnd();
    const toolCalls = [...this.#calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
    const content = this.#sawText || toolCalls.length === 0 ? this.#text : null;
    return {
      id: this.#id,
      model: this.#model,
      created: this.#created,
      message: { role: "assistant", content, toolCalls },
      text: this.#text,
      finishReason: this.#finishReason,
      usage: this.#usage,
    };
  }

  /** @internal Keeps the totals. */
  protected observe(chunk: ChatChunk): void {
    this.#id ||= chunk.id;
    this.#model ||= chunk.model;
    this.#created ||= chunk.created;
    if (chunk.delta) {
      this.#text += chunk.delta;
      this.#sawText = true;
    }
    for (const piece of chunk.toolCalls) {
      const call = this.#calls.get(piece.index) ?? { id: "", type: "function" as const, function: { name: "", arguments: "" } };
      if (piece.id) call.id = piece.id;
      // The name comes whole (OpenAI sends it once; some compatible servers repeat it in every piece).
      if (piece.name) call.function.name = piece.name;
      if (piece.arguments) call.function.arguments += piece.arguments;
      this.#calls.set(piece.index, call);
    }
    if (chunk.finishReason) this.#finishReason = chunk.finishReason;
    if (chunk.usage) this.#usage = chunk.usage;
  }
}

/** The SDK's chunk for a wire chunk (of the first choice). */
export function toChatChunk(wire: WireChatChunk): ChatChunk {
  const choice = wire.choices?.find((c) => c.index === 0) ?? wire.choices?.[0];
  const delta = choice?.delta;
  return {
    id: String(wire.id ?? ""),
    model: String(wire.model ?? ""),
    created: typeof wire.created === "number" ? wire.created : 0,
    delta: typeof delta?.content === "string" ? delta.content : "",
    toolCalls: (delta?.tool_calls ?? []).map((piece) => ({
      index: piece.index,
      id: piece.id,
      name: piece.function?.name,
      arguments: piece.function?.arguments,
    })),
    finishReason: choice?.finish_reason ?? null,
    usage: toUsage(wire.usage),
  };
}

/** The SDK's completion for a wire completion (its first choice). */
export function toChatCompletion(wire: WireChatCompletion): ChatCompletion {
  const choice = wire.choices?.find((c) => c.index === 0) ?? wire.choices?.[0];
  const content = choice?.message?.content ?? null;
  return {
    id: String(wire.id ?? ""),
    model: String(wire.model ?? ""),
    created: typeof wire.created === "number" ? wire.created : 0,
    // Only the fields a message sent back may carry: some OpenAI-compatible servers add others
    // (an `index`, say), which would make the message refused when sent back as it is.
    message: {
      role: "assistant",
      content,
      toolCalls: (choice?.message?.tool_calls ?? []).map((call) => ({
        id: String(call.id ?? ""),
        type: "function" as const,
        function: { name: String(call.function?.name ?? ""), arguments: typeof call.function?.arguments === "string" ? call.function.arguments : JSON.stringify(call.function?.arguments ?? {}) },
      })),
    },
    text: content ?? "",
    finishReason: choice?.finish_reason ?? null,
    usage: toUsage(wire.usage),
  };
}

/** camelCase token counts. */
export function toUsage(usage: WireUsage | null | undefined): ChatUsage | null {
  if (!usage) return null;
  const completion = usage.completion_tokens ?? 0;
  return { promptTokens: usage.prompt_tokens, completionTokens: completion, totalTokens: usage.total_tokens ?? usage.prompt_tokens + completion };
}
