// Routes of the model gateway (docs/protocol.md, "Gateway"): OpenAI's wire, on the platform's auth.
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from "fastify";
import { scopeCovers } from "../../src/dto/scopes.js";
import { identityOf } from "../auth.js";
import { HttpError } from "../errors.js";
import type { CallContext, Gateway } from "./gateway.js";
import { UpstreamError } from "./upstream.js";

/**
 * Route options of a gateway route: the scope it needs, checked in onRequest (before the body is
 * read), and `replay: false`, so the idempotency layer neither stores nor replays its answers (a
 * model call changes nothing, and a stream cannot be stored).
 */
function gatewayRoute(scope: string): { config: { replay: false; scope: string }; onRequest: onRequestHookHandler } {
  return {
    config: { replay: false, scope },
    onRequest: async (request) => {
      if (!scopeCovers(identityOf(request).scopes, scope)) {
        throw new HttpError(403, "missing_scope", `The token lacks the scope ${scope}; mint one with it (flow-sdk-local token --scopes ${scope})`);
      }
    },
  };
}

// The token's workspace; the call ends (the upstream request too) when the client goes away.
function callContext(request: FastifyRequest, reply: FastifyReply): CallContext {
  const identity = identityOf(request);
  const controller = new AbortController();
  reply.raw.once("close", () => controller.abort());
  return { tenant: { orgId: identity.orgId, workspaceId: identity.workspaceId }, requestId: request.id, signal: controller.signal };
}

// An upstream's 429 keeps its Retry-After.
async function passingRetryAfter<T>(reply: FastifyReply, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof UpstreamError && error.retryAfter !== undefined) void reply.header("retry-after", error.retryAfter);
    throw error;
  }
}

/** `GET /v1/models`, `POST /v1/chat/completions`, `POST /v1/embeddings`. */
export function gatewayRoutes(app: FastifyInstance, gateway: Gateway): void {
  app.get("/v1/models", gatewayRoute("gateway:read"), async () => gateway.models());

  app.post("/v1/chat/completions", gatewayRoute("gateway:invoke"), async (request, reply) => {
    const ctx = callContext(request, reply);
    const answer = await passingRetryAfter(reply, () => gateway.openChat(request.body, ctx));
    if (!answer.stream) return answer.body;
    // Each event is written as it comes; nothing on the way (no compression here, no proxy
    // buffering as X-Accel-Buffering asks) holds it back.
    void reply
      .status(200)
      .header("content-type", "text/event-stream; charset=utf-8")
      .header("cache-control", "no-cache, no-transform")
      .header("x-accel-buffering", "no");
    return reply.send(Readable.from(answer.events, { objectMode: false }));
  });

  app.post("/v1/embeddings", gatewayRoute("gateway:invoke"), async (request, reply) => {
    const ctx = callContext(request, reply);
    return passingRetryAfter(reply, () => gateway.openEmbeddings(request.body, ctx));
  });
}
