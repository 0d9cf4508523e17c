import type { FastifyInstance } from "fastify";
import { SDK_VERSION } from "../../src/version.js";

/** `GET /v1/health`: no auth, tells a client that a flow-local platform listens here. */
export function healthRoutes(app: FastifyInstance): void {
  app.get("/v1/health", async () => ({ ok: true, service: "flow-local", version: SDK_VERSION }));
}
