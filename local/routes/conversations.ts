import type { FastifyInstance } from "fastify";
import type { LocalDb } from "../db.js";

/** Conversations routes of docs/protocol.md, relative to the workspace prefix; `needs` declares each one's scope. */
export function conversationsRoutes(app: FastifyInstance, db: LocalDb): void {
  void app;
  void db;
}
