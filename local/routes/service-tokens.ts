// Service tokens routes of docs/protocol.md, relative to the workspace prefix.
import type { FastifyInstance } from "fastify";
import type { Clock } from "../../src/container/clock.js";
import { ServiceTokenCreateInput, ServiceTokenIdInput, ServiceTokenListInput, validateInput } from "../../src/dto/index.js";
import { identityOf, needs, tenantOf } from "../auth.js";
import type { LocalDb } from "../db.js";
import { queryInput } from "../pagination.js";
import { ServiceTokensStore } from "../store/service-tokens.js";

interface IdRoute {
  Params: { id: string };
  Body: unknown;
}

/**
 * The service tokens routes; `needs` declares each one's scope. A create is never replayed
 * (`replay: false`): its answer holds the secret, which the platform keeps nowhere, not even in
 * the idempotency store.
 */
export function serviceTokensRoutes(app: FastifyInstance, db: LocalDb, clock: Clock): void {
  const store = new ServiceTokensStore(db, clock);

  app.post("/service-tokens", { config: { ...needs("serviceTokens:write").config, replay: false } }, async (request, reply) => {
    const input = validateInput(ServiceTokenCreateInput, request.body ?? {}, "POST service-tokens");
    return reply.status(201).send(store.create(tenantOf(request), input, identityOf(request)));
  });

  app.get("/service-tokens", needs("serviceTokens:read"), async (request) => {
    const input = validateInput(ServiceTokenListInput, queryInput(request.query), "GET service-tokens");
    return store.list(tenantOf(request), input);
  });

  app.get<IdRoute>("/service-tokens/:id", needs("serviceTokens:read"), async (request) => {
    const { id } = validateInput(ServiceTokenIdInput, { id: request.params.id }, "GET service-tokens/:id");
    return store.get(tenantOf(request), id);
  });

  app.post<IdRoute>("/service-tokens/:id/revoke", needs("serviceTokens:write"), (request) => {
    const { id } = validateInput(ServiceTokenIdInput, { id: request.params.id }, "POST service-tokens/:id/revoke");
    return store.revoke(tenantOf(request), id);
  });
}
