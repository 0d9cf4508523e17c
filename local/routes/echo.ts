import type { FastifyInstance, FastifyRequest } from "fastify";
import { pathOf } from "../url.js";

// Credentials never go back out, not even to their owner: echo output ends up in logs and tests.
const HIDDEN_HEADERS = new Set(["authorization", "proxy-authorization", "x-flow-local-admin", "cookie"]);
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/** `/v1/_echo` and `/v1/_echo/*`, any method: what the server received, credentials removed. */
export async function echoRoutes(app: FastifyInstance): Promise<void> {
  // Any body is echoed: JSON parsed, anything else as text.
  app.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => done(null, body));
  const handler = async (request: FastifyRequest) => ({
    method: request.method,
    path: pathOf(request.url),
    query: { ...(request.query as Record<string, unknown>) },
    headers: Object.fromEntries(Object.entries(request.headers).filter(([name]) => !HIDDEN_HEADERS.has(name))),
    body: request.body ?? null,
  });
  app.route({ method: METHODS, url: "/v1/_echo", handler });
  app.route({ method: METHODS, url: "/v1/_echo/*", handler });
}
