import type { FastifyInstance } from "fastify";
import { SDK_VERSION } from "../../src/version.js";

/** Response header of `GET /v1/health` naming the running platform. */
export const INSTANCE_HEADER = "x-flow-local-instance";

/**
 * `GET /v1/health`: no auth, tells a client that a flow-local platform listens here, and which one
 * in the {@link INSTANCE_HEADER} header: the CLI compares it with flow-local.json before it sends
 * the admin key. A header rather than a body field keeps the body as clients already compare it.
 */
export function healthRoutes(app: FastifyInstance, instanceId: string): void {
  app.get("/v1/health", async (_request, reply) => {
    reply.header(INSTANCE_HEADER, instanceId);
    return { ok: true, service: "flow-local", version: SDK_VERSION };
  });
}
