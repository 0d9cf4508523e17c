import type { AxiosInstance } from "axios";
import { inject, injectable } from "tsyringe";
import { TOKENS } from "../container/tokens.js";
import { rawRequest, type RawRequestParams } from "../http/raw-request.js";
import type { RequestOptions } from "../http/request-options.js";
import { notAvailable } from "./not-available.js";

/** Parameters of `gateway.request`. */
export type GatewayRequestParams = RawRequestParams;

/** One chat message. */
export interface ChatMessage {
  /** Who said it. */
  role: "system" | "user" | "assistant" | "tool";
  /** What was said. */
  content: string;
}

/** Parameters of `gateway.chat` and `gateway.chatStream`. */
export interface GatewayChatParams {
  /** Model name. */
  model: string;
  /** The conversation so far. */
  messages: ChatMessage[];
  /** Sampling temperature. */
  temperature?: number;
  /** Longest answer, in tokens. */
  maxTokens?: number;
}

/** A chat completion. */
export interface ChatCompletion {
  /** The model that answered. */
  model: string;
  /** The answer. */
  message: ChatMessage;
}

/** One server-sent event of a streamed chat. */
export interface ChatChunk {
  /** Text added by this chunk. */
  delta: string;
}

/** Parameters of `gateway.embed`. */
export interface GatewayEmbedParams {
  /** Embedding model name. */
  model: string;
  /** Text(s) to embed. */
  input: string | string[];
}

/** The platform gateway (`GATEWAY_URL`): LLM calls and any raw gateway route. */
@injectable()
export class GatewayNamespace {
  /** Built by the container. */
  constructor(@inject(TOKENS.GatewayHttp) private readonly http: AxiosInstance) {}

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

  /** Sends a chat completion request. Not available yet. */
  async chat(params: GatewayChatParams, options?: RequestOptions): Promise<ChatCompletion> {
    throw notAvailable("gateway.chat");
  }

  /** Streams a chat completion as server-sent events. Not available yet. */
  async *chatStream(params: GatewayChatParams, options?: RequestOptions): AsyncIterable<ChatChunk> {
    throw notAvailable("gateway.chatStream");
  }

  /** Embeds text. Not available yet. */
  async embed(params: GatewayEmbedParams, options?: RequestOptions): Promise<number[][]> {
    throw notAvailable("gateway.embed");
  }
}
