// Routes of docs/protocol.md for connectors, relative to the workspace prefix.
import type { FastifyInstance } from "fastify";
import type { Compute } from "../compute/compute.js";

/** The connectors routes. */
export function connectorsRoutes(_app: FastifyInstance, _compute: Compute): void {
  // filled in by the connectors work
}
