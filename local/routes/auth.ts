import type { FastifyInstance } from "fastify";
import { identityOf } from "../auth.js";

/** `GET /v1/auth/whoami`: the calling token's identity. */
export function authRoutes(app: FastifyInstance): void {
  app.get("/v1/auth/whoami", async (request) => identityOf(request));
}
