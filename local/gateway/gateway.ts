// The local gateway: OpenAI's Chat Completions and Embeddings, answered by the local models
// (models.ts) or forwarded to the manifest's upstream (upstream.ts). The routes (routes.ts) and
// the platform's own users (agents, memory) call it here. See docs/protocol.md, "Gateway".
import type { Tenant } from "../auth.js";
import { HttpError } from "../errors.js";
import type { Manifest } from "../manifest.js";
import type { SecretsStore } from "../store/secrets.js";
import type { WireChatChunk, WireChatCompletion, WireChatRequest, WireEmbeddingRequest, WireEmbeddingResponse } from "../../src/dto/gateway-wire.js";
import { LOCAL_EMBEDDING_DIMENSIONS } from "../embedding.js";
import { completionIdentity, fromBase64, isLocalModel, localChunks, localCompletion, localEmbeddings, localModelList, toBase64 } from "./models.js";
import { sseText } from "../sse.js";
import { describeError, errorEventText, maskKey, postUpstream, readUpstreamJson, streamedError, upstreamEvents, UpstreamError, type UpstreamTarget } from "./upstream.js";
import { checkChatRequest, checkEmbeddingRequest, routeModel } from "./wire.js";

/** What the gateway is built from. */
export interface GatewayDeps {
  /** The manifest now (its `gateway` section, reloaded with it). */
  manifest: () => Manifest;
  /** The tenants' secrets: the upstream's key is one. */
  secrets: SecretsStore;
}

/** Who a model call is for, and the request it came in. */
export interface CallContext {
  /** The calling workspace: its secrets hold the upstream's key. */
  tenant: Tenant;
  /** Sent on to the upstream as `X-Request-Id`. */
  requestId: string;
  /** Ends the call (the upstream request too) when it aborts. */
  signal: AbortSignal;
}

/** Embeddings of some texts. */
export interface Embeddings {
  /** The model that made them. */
  model: string;
  /** One vector per text, in order. */
  vectors: Float32Array[];
  /** Tokens read. */
  promptTokens: number;
}

/** What `POST /v1/chat/completions` answers: a JSON body, or server-sent event texts to write as they come. */
export type ChatAnswer =
  | {
      /** Not streamed. */
      stream: false;
      /** The `chat.completion` (an upstream's as it sent it). */
      body: unknown;
    }
  | {
      /** Streamed. */
      stream: true;
      /** Each a whole event's text, ending with `data: [DONE]` or, after a failure, an `event: error`. */
      events: AsyncGenerator<string>;
    };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isCompletion = (value: unknown): boolean => isObject(value) && Array.isArray(value["choices"]);
const isEmbeddingList = (value: unknown): boolean => isObject(value) && Array.isArray(value["data"]);

/** The platform's model gateway. */
export class Gateway {
  /** Builds it. */
  constructor(readonly deps: GatewayDeps) {}

  /** `GET /v1/models`: the local models (an upstream's are not listed). */
  models(): ReturnType<typeof localModelList> {
    return localModelList();
  }

  /** A chat completion, not streamed. @throws {HttpError} as the route answers. */
  async chat(request: WireChatRequest, ctx: CallContext): Promise<WireChatCompletion> {
    const checked = this.#checkChat(request);
    if (this.#route(checked.model, "chat") === "local") return localCompletion(checked);
    const { stream: _stream, stream_options: _options, ...body } = checked;
    const target = this.#target(ctx);
    const response = await postUpstream(target, "/chat/completions", body, ctx.requestId, ctx.signal, false);
    return (await readUpstreamJson(response, target, "a chat.completion", isCompletion)) as WireChatCompletion;
  }

  /**
   * A chat completion as parsed chunks (for agents); `stream_options.include_usage` adds the
   * usage chunk. @throws {HttpError} before the first chunk; a later failure throws from the
   * iteration (502 `upstream_failed`).
   */
  async *chatChunks(request: WireChatRequest, ctx: CallContext): AsyncGenerator<WireChatChunk> {
    const checked = this.#checkChat(request);
    if (this.#route(checked.model, "chat") === "local") {
      yield* localChunks(checked);
      return;
    }
    const target = this.#target(ctx);
    const response = await postUpstream(target, "/chat/completions", { ...checked, stream: true }, ctx.requestId, ctx.signal, true);
    const failed = (why: string): HttpError => new HttpError(502, "upstream_failed", `The model upstream at ${target.baseUrl} ${why}`);
    try {
      for await (const item of upstreamEvents(response)) {
        if (item.kind === "comment") continue;
        if (item.data === "[DONE]") return;
        const error = streamedError(item, target.key);
        if (error !== undefined) throw failed(`failed mid-stream: ${error}`);
        let chunk: unknown;
        try {
          chunk = JSON.parse(item.data);
        } catch {
          throw failed("sent a stream event that is not JSON");
        }
        if (!isCompletion(chunk)) throw failed("sent a stream event without the shape of a chat.completion.chunk");
        yield chunk as WireChatChunk;
      }
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw failed(ctx.signal.aborted ? "stream was cancelled" : `stream broke off: ${describeError(error, target.key)}`);
    }
    throw failed("stream ended without [DONE]: it broke off");
  }

  /** Embeds texts with `model`. @throws {HttpError} as the route answers. */
  async embed(model: string, input: readonly string[], ctx: CallContext): Promise<Embeddings> {
    checkEmbeddingRequest({ model, input: [...input] }, isLocalModel);
    if (this.#route(model, "embeddings") === "local") return { model, ...localEmbeddings(input) };
    const target = this.#target(ctx);
    const response = await postUpstream(target, "/embeddings", { model, input, encoding_format: "float" }, ctx.requestId, ctx.signal, false);
    const answer = (await readUpstreamJson(response, target, "an embedding list", isEmbeddingList)) as WireEmbeddingResponse;
    const vectors: Array<Float32Array | undefined> = new Array(input.length).fill(undefined);
    answer.data.forEach((item, at) => {
      const index = typeof item?.index === "number" ? item.index : at;
      const embedding = item?.embedding;
      const vector = typeof embedding === "string" ? fromBase64(embedding) : Array.isArray(embedding) && embedding.every((x) => typeof x === "number") ? Float32Array.from(embedding) : undefined;
      if (vector !== undefined && Number.isInteger(index) && index >= 0 && index < input.length) vectors[index] = vector;
    });
    if (vectors.some((vector) => vector === undefined)) {
      throw new UpstreamError(502, "upstream_unavailable", `The model upstream at ${target.baseUrl} answered without an embedding for each of the ${input.length} texts`);
    }
    const usage = isObject(answer.usage) && typeof answer.usage.prompt_tokens === "number" ? answer.usage.prompt_tokens : 0;
    return { model, vectors: vectors as Float32Array[], promptTokens: usage };
  }

  /**
   * `POST /v1/chat/completions`: checks the body and answers it, from a local model or the
   * upstream; a stream's events are relayed as they come.
   * @throws {HttpError} before the answer starts: 400 `validation_error`, or an upstream's error mapped.
   */
  async openChat(body: unknown, ctx: CallContext): Promise<ChatAnswer> {
    const request = this.#checkChat(body);
    if (this.#route(request.model, "chat") === "local") {
      if (request.stream !== true) return { stream: false, body: localCompletion(request) };
      // Made before the answer starts: a bad /call line is a 400, not a broken stream.
      const chunks = localChunks(request, completionIdentity());
      return { stream: true, events: localEvents(chunks) };
    }
    const target = this.#target(ctx);
    const streamed = request.stream === true;
    const response = await postUpstream(target, "/chat/completions", request, ctx.requestId, ctx.signal, streamed);
    if (!streamed) return { stream: false, body: await readUpstreamJson(response, target, "a chat.completion", isCompletion) };
    const type = response.headers.get("content-type") ?? "";
    if (!type.toLowerCase().startsWith("text/event-stream")) {
      await response.body?.cancel().catch(() => undefined);
      throw new UpstreamError(502, "upstream_unavailable", `The model upstream at ${target.baseUrl} answered a streamed request with ${type === "" ? "no content type" : type}, not text/event-stream`);
    }
    return { stream: true, events: relayEvents(response, target, ctx.signal) };
  }

  /**
   * `POST /v1/embeddings`: checks the body and answers it, from the local model or the upstream (its answer as it sent it).
   * @throws {HttpError} 400 `validation_error`, or an upstream's error mapped.
   */
  async openEmbeddings(body: unknown, ctx: CallContext): Promise<unknown> {
    const request = checkEmbeddingRequest(body, isLocalModel);
    if (this.#route(request.model, "embeddings") === "local") {
      if (request.dimensions !== undefined && request.dimensions !== LOCAL_EMBEDDING_DIMENSIONS) {
        const message = `${request.model} makes vectors of ${LOCAL_EMBEDDING_DIMENSIONS} dimensions only; leave dimensions out or set it to ${LOCAL_EMBEDDING_DIMENSIONS}`;
        throw new HttpError(400, "validation_error", message, { issues: [{ path: "dimensions", message }] });
      }
      const texts = typeof request.input === "string" ? [request.input] : request.input;
      const { vectors, promptTokens } = localEmbeddings(texts);
      const base64 = request.encoding_format === "base64";
      const answer: WireEmbeddingResponse = {
        object: "list",
        data: vectors.map((vector, index) => ({ object: "embedding", index, embedding: base64 ? toBase64(vector) : Array.from(vector) })),
        model: request.model,
        usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
      };
      return answer;
    }
    const target = this.#target(ctx);
    const response = await postUpstream(target, "/embeddings", request satisfies WireEmbeddingRequest, ctx.requestId, ctx.signal, false);
    return readUpstreamJson(response, target, "an embedding list", isEmbeddingList);
  }

  #checkChat(body: unknown): WireChatRequest {
    const request = checkChatRequest(body, isLocalModel);
    // max_completion_tokens, OpenAI's newer name, counts for the local model when max_tokens is absent.
    const newer = (request as { max_completion_tokens?: number }).max_completion_tokens;
    if (request.max_tokens === undefined && typeof newer === "number" && isLocalModel(request.model)) return { ...request, max_tokens: newer };
    return request;
  }

  #route(model: string, kind: "chat" | "embeddings"): "local" | "upstream" {
    return routeModel(model, kind, this.deps.manifest().gateway.upstream !== null);
  }

  // The upstream and its key, read from the calling workspace's secrets now (a changed secret counts at once).
  #target(ctx: CallContext): UpstreamTarget {
    const upstream = this.deps.manifest().gateway.upstream;
    if (upstream === null) throw new Error("flow-local: no gateway.upstream, yet a model was routed to it");
    const name = upstream.apiKeySecret;
    const howToSet = `set it with flow-sdk-local start --secrets-file FILE (a JSON object of names to values) or startLocalPlatform({ secrets: { ${name}: "..." } })`;
    let key: string;
    try {
      key = this.deps.secrets.value(ctx.tenant, name).trim();
    } catch (error) {
      if (!(error instanceof HttpError) || error.status !== 404) throw error;
      throw new HttpError(
        502,
        "upstream_auth_failed",
        `The model upstream's key is missing: workspace ${ctx.tenant.workspaceId} has no secret ${name} (the manifest's gateway.upstream.apiKeySecret); ${howToSet}`,
      );
    }
    if (key === "") throw new HttpError(502, "upstream_auth_failed", `The model upstream's key is empty: the secret ${name} holds only whitespace; ${howToSet}`);
    return { baseUrl: upstream.baseUrl, secretName: name, key };
  }
}

/** The local model's chunks as server-sent events, then `[DONE]`. */
async function* localEvents(chunks: readonly WireChatChunk[]): AsyncGenerator<string> {
  for (const chunk of chunks) yield sseText(undefined, JSON.stringify(chunk));
  yield "data: [DONE]\n\n";
}

/**
 * The upstream's stream, event by event as each arrives (nothing waits for more), the key masked;
 * `[DONE]` ends it. A failure (an error the upstream streamed, a broken connection, an end
 * without `[DONE]`) becomes the one `event: error` of docs/protocol.md and ends it. When the
 * caller went away (`signal`), it just ends.
 */
async function* relayEvents(response: Response, target: UpstreamTarget, signal: AbortSignal): AsyncGenerator<string> {
  const where = `The model upstream at ${target.baseUrl}`;
  try {
    for await (const item of upstreamEvents(response)) {
      if (item.kind === "comment") {
        yield `:${maskKey(item.comment, target.key)}\n\n`;
        continue;
      }
      if (item.data === "[DONE]") {
        yield "data: [DONE]\n\n";
        return;
      }
      const error = streamedError(item, target.key);
      if (error !== undefined) {
        yield errorEventText(`${where} failed mid-stream: ${error}`);
        return;
      }
      yield sseText(item.event, maskKey(item.data, target.key));
    }
  } catch (error) {
    if (signal.aborted) return;
    yield errorEventText(`${where} broke off mid-stream: ${describeError(error, target.key)}`);
    return;
  }
  if (!signal.aborted) yield errorEventText(`${where} ended its stream without [DONE]: it broke off`);
}
