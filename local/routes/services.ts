// Routes of docs/protocol.md for services, relative to the workspace prefix.
import type { FastifyInstance } from "fastify";
import type { Compute } from "../compute/compute.js";

/** The services routes. */
export function servicesRoutes(_app: FastifyInstance, _compute: Compute): void {
  // filled in by the services work
}
