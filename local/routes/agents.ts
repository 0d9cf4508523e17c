// Agent routes of docs/protocol.md ("Agents and runs"), relative to the workspace prefix.
import type { FastifyInstance } from "fastify";
import type { Compute } from "../compute/compute.js";

/** `W/agents`, `W/agents/:id`, `W/agents/:id/runs`, `W/agent-runs/:id`. */
export function agentsRoutes(_app: FastifyInstance, _compute: Compute): void {
  // filled in by the agents work
}
