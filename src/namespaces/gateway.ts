import type { AxiosInstance } from "axios";
import { inject, injectable } from "tsyringe";
import type { Lifecycle } from "../container/lifecycle.js";
import { TOKENS } from "../container/tokens.js";
import { chatRequest, embeddingRequest, type GatewayChatParams, type GatewayEmbedParams } from "../dto/gateway.js";
import type { WireChatChunk, WireChatCompletion, WireEmbeddingResponse } from "../dto/gateway-wire.js";
import { FlowConnectionError, FlowError } from "../errors.js";
import { callConfig } from "../http/call-options.js";
import { mapEventError } from "../http/map-error.js";
import { rawRequest, type RawRequestParams } from "../http/raw-request.js";
import type { RequestOptions } from "../http/request-options.js";
import { objectBody } from "../http/response-body.js";
import { serverEvents } from "../internal/sse.js";
import type { Redactor } from "../logging/redactor.js";
import { ChatStream, toChatChunk, toChatCompletion, type ChatChunk, type ChatCompletion } from "../streaming/chat-stream.js";

const CHAT_PATH = "/v1/chat/completions";
const EMBEDDINGS_PATH = "/v1/embeddings";

/** Parameters of `gateway.request`. */
export type GatewayRequestParams = RawRequestParams;

export type {
  ChatAssistantMessage,
  ChatMessage,
  ChatResponseFormat,
  ChatSystemMessage,
  ChatTextPart,
  ChatTool,
  ChatToolCall,
  ChatToolChoice,
  ChatToolMessage,
  ChatUserMessage,
  GatewayChatParams,
  GatewayEmbedParams,
} from "../dto/gateway.js";
export type { ChatChunk, ChatCompletion, ChatCompletionMessage, ChatFinishReason, ChatToolCallDelta, ChatUsage } from "../streaming/chat-stream.js";
export { ChatStream } from "../streaming/chat-stream.js";

/** Embeddings of some texts. */
export interface EmbeddingResult {
  /** The model that made them. */
  model: string;
  /** One vector per input text, in the order given. */
  embeddings: number[][];
  /** Token counts. */
  usage: { promptTokens: number; totalTokens: number };
}

/** The platform gateway (`GATEWAY_URL`): LLM calls and any raw gateway route. */
@injectable()
export class GatewayNamespace {
  /** Built by the container. */
  constructor(
    @inject(TOKENS.GatewayHttp) private readonly http: AxiosInstance,
    @inject(TOKENS.Lifecycle) private readonly lifecycle: Lifecycle,
    @inject(TOKENS.Redactor) private readonly redactor: Redactor,
  ) {}

  /**
   * Calls any route on the gateway through the SDK's auth, context headers, retries and error
   * mapping; resolves to the parsed JSON body, the text when the answer is not JSON, or
   * `undefined` when it is empty.
   *
   * @example const models = await flow.gateway.request<{ data: Model[] }>({ path: "/v1/models" });
   * @throws {FlowValidationError} before any request, for bad params: a `path` that is not a path on the gateway (absolute URLs are
   * refused, so the token never leaves for another host), a method, query, header or body of the wrong kind, or an unknown key.
   */
  async request<T = unknown>(params: GatewayRequestParams, options?: RequestOptions): Promise<T> {
    return rawRequest<T>(this.http, params, options, "gateway.request");
  }

  /**
   * Asks `params.model` for the next message of `params.messages` (OpenAI's Chat Completions, on
   * the gateway) and resolves to the completion: its `text`, its `message` (tool calls included,
   * ready to be sent back in `messages`), `finishReason` and `usage`. Retried like any call.
   *
   * @example
   * const { text } = await flow.gateway.chat({ model: "flow-local-chat", messages: [{ role: "user", content: "Hi" }] });
   * @throws {FlowValidationError} for bad params, each issue at its exact path (`messages[1].role`), before any request;
   * and for a model the gateway does not have (its issue on `model` names the ones it has).
   */
  async chat(params: GatewayChatParams, options?: RequestOptions): Promise<ChatCompletion> {
    const body = chatRequest(params, false, "gateway.chat");
    const response = await this.http.post(CHAT_PATH, body, callConfig(options));
    return toChatCompletion(objectBody<WireChatCompletion>(response));
  }

  /**
   * Streams the next message as server-sent events: a {@link ChatStream} to `for await` over
   * (each chunk's `delta` is the text it adds), with `finalText()`, `finalMessage()` (tool calls
   * assembled) and `finalCompletion()`. The request is sent on the first read; until the answer
   * starts it is retried like any call, after that never. `break`, `stream.abort()` or
   * `options.signal` close the request at once; `timeoutMs` bounds each wait for the next bytes.
   *
   * @example
   * for await (const chunk of flow.gateway.chatStream({ model, messages })) process.stdout.write(chunk.delta);
   * @throws {FlowValidationError} (from the first read) for bad params, before any request.
   * @throws {FlowConnectionError} (from a read) when the stream breaks off; {@link FlowAPIError} when the gateway ends it with an error.
   */
  chatStream(params: GatewayChatParams, options?: RequestOptions): ChatStream {
    const open = async function* (this: GatewayNamespace, streamOptions: RequestOptions): AsyncGenerator<ChatChunk, void, undefined> {
      const body = chatRequest(params, true, "gateway.chatStream");
      let finished = false;
      for await (const event of serverEvents({ http: this.http, path: CHAT_PATH, body, options: streamOptions, lifecycle: this.lifecycle, redactor: this.redactor, retry: "ask again" })) {
        const failed = { method: "POST", path: CHAT_PATH, requestId: event.requestId };
        if (event.event === "error") throw mapEventError(event.data, failed, this.redactor);
        if (event.data === "[DONE]") return;
        let wire: WireChatChunk & { error?: unknown };
        try {
          wire = JSON.parse(event.data) as WireChatChunk & { error?: unknown };
        } catch {
          throw new FlowError(`POST ${CHAT_PATH}: the gateway sent an event that is not JSON; check that GATEWAY_URL points at the Flow gateway`);
        }
        // Some OpenAI-compatible servers report a failure as a data event with an error envelope.
        if (wire !== null && typeof wire === "object" && "error" in wire && wire.error) throw mapEventError(event.data, failed, this.redactor);
        const chunk = toChatChunk(wire);
        if (chunk.finishReason) finished = true;
        yield chunk;
      }
      // The connection ended without [DONE]: complete only when the answer said it was.
      if (!finished) throw new FlowConnectionError(`POST ${CHAT_PATH} broke off before the answer ended (no [DONE]); nothing was retried: ask again`);
    };
    return new ChatStream((streamOptions) => open.call(this, streamOptions), options);
  }

  /**
   * Embeds one text or several with `params.model` (OpenAI's Embeddings, on the gateway) and
   * resolves to one vector per text, in order.
   *
   * @example const { embeddings: [vector] } = await flow.gateway.embed({ model: "flow-local-hash-v2", input: "hello" });
   * @throws {FlowValidationError} for bad params (an empty text, over 2048 texts), before any request.
   */
  async embed(params: GatewayEmbedParams, options?: RequestOptions): Promise<EmbeddingResult> {
    const body = embeddingRequest(params, "gateway.embed");
    const response = await this.http.post(EMBEDDINGS_PATH, body, callConfig(options));
    const wire = objectBody<WireEmbeddingResponse>(response);
    const data = Array.isArray(wire.data) ? [...wire.data].sort((a, b) => a.index - b.index) : [];
    if (data.some((item) => !Array.isArray(item.embedding))) throw new FlowError(`POST ${EMBEDDINGS_PATH}: the gateway answered vectors that are not arrays of numbers`);
    return {
      model: String(wire.model ?? body.model),
      embeddings: data.map((item) => item.embedding as number[]),
      usage: { promptTokens: wire.usage?.prompt_tokens ?? 0, totalTokens: wire.usage?.total_tokens ?? 0 },
    };
  }
}
