// Routes of docs/protocol.md for service-tokens, relative to the workspace prefix.
import type { FastifyInstance } from "fastify";
import type { Compute } from "../compute/compute.js";

/** The service-tokens routes. */
export function serviceTokensRoutes(_app: FastifyInstance, _compute: Compute): void {
  // filled in by the service-tokens work
}
