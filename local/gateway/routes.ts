// Routes of the model gateway (docs/protocol.md, "Gateway"): OpenAI's wire, on the platform's auth.
import type { FastifyInstance } from "fastify";
import type { Gateway } from "./gateway.js";

/** `GET /v1/models`, `POST /v1/chat/completions`, `POST /v1/embeddings`. */
export function gatewayRoutes(_app: FastifyInstance, _gateway: Gateway): void {
  // filled in by the gateway work
}
