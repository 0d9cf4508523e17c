// The local gateway: OpenAI's Chat Completions and Embeddings, answered by the local models
// (models.ts) or forwarded to the manifest's upstream (upstream.ts). The routes (routes.ts) and
// the platform's own users (agents, memory) call it here. See docs/protocol.md, "Gateway".
import type { Tenant } from "../auth.js";
import type { Manifest } from "../manifest.js";
import type { SecretsStore } from "../store/secrets.js";
import type { WireChatChunk, WireChatCompletion, WireChatRequest } from "../../src/dto/gateway-wire.js";

/** What the gateway is built from. */
export interface GatewayDeps {
  /** The manifest now (its `gateway` section, reloaded with it). */
  manifest: () => Manifest;
  /** The tenants' secrets: the upstream's key is one. */
  secrets: SecretsStore;
  /** Where unexpected errors go. */
  report: (error: unknown) => void;
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

/** The platform's model gateway. */
export class Gateway {
  /** Builds it. */
  constructor(readonly deps: GatewayDeps) {}

  /** A chat completion, not streamed. @throws {HttpError} as the route answers. */
  async chat(_request: WireChatRequest, _ctx: CallContext): Promise<WireChatCompletion> {
    throw new Error("not yet");
  }

  /** A chat completion as parsed chunks (for agents). @throws {HttpError} before the first chunk; a later failure throws from the iteration. */
  async *chatChunks(_request: WireChatRequest, _ctx: CallContext): AsyncGenerator<WireChatChunk> {
    throw new Error("not yet");
  }

  /** Embeds texts with `model`. @throws {HttpError} as the route answers. */
  async embed(_model: string, _input: readonly string[], _ctx: CallContext): Promise<Embeddings> {
    throw new Error("not yet");
  }
}
