import type { FastifyInstance } from "fastify";
import {
  validateInput,
  VectorCollectionInput,
  VectorCreateCollectionInput,
  VectorDeleteInput,
  VectorListCollectionsInput,
  VectorQueryInput,
  VectorUpsertInput,
} from "../../src/dto/index.js";
import type { Clock } from "../../src/container/clock.js";
import { needs, tenantOf } from "../auth.js";
import type { LocalDb } from "../db.js";
import { queryInput } from "../pagination.js";
import { VectorStore } from "../store/vector.js";
import { withPath } from "./with-path.js";

interface NameRoute {
  Params: { name: string };
  Body: unknown;
}

/** Vector routes of docs/protocol.md, relative to the workspace prefix; `needs` declares each one's scope. */
export function vectorRoutes(app: FastifyInstance, db: LocalDb, clock: Clock): void {
  const store = new VectorStore(db, clock);

  app.post("/vector/collections", needs("vector:write"), async (request, reply) => {
    const input = validateInput(VectorCreateCollectionInput, request.body, "POST vector/collections");
    return reply.status(201).send(store.create(tenantOf(request), input));
  });

  app.get("/vector/collections", needs("vector:read"), async (request) => {
    const input = validateInput(VectorListCollectionsInput, queryInput(request.query), "GET vector/collections");
    return store.list(tenantOf(request), input);
  });

  app.get<NameRoute>("/vector/collections/:name", needs("vector:read"), async (request) => {
    const { name } = validateInput(VectorCollectionInput, { name: request.params.name }, "GET vector/collections/:name");
    return store.get(tenantOf(request), name);
  });

  app.delete<NameRoute>("/vector/collections/:name", needs("vector:write"), (request) => {
    const { name } = validateInput(VectorCollectionInput, { name: request.params.name }, "DELETE vector/collections/:name");
    return { deleted: store.drop(tenantOf(request), name) };
  });

  app.post<NameRoute>("/vector/collections/:name/upsert", needs("vector:write"), (request) => {
    const input = validateInput(VectorUpsertInput, withPath(request.body, { name: request.params.name }), "POST vector/collections/:name/upsert");
    return { upserted: store.upsert(tenantOf(request), input) };
  });

  // A read sent as POST, since a vector and a filter do not fit a query string; `replay: false`:
  // its answer is not kept for Idempotency-Key replays, as a read is safe to do again.
  app.post<NameRoute>("/vector/collections/:name/query", { config: { ...needs("vector:read").config, replay: false } }, async (request) => {
    const input = validateInput(VectorQueryInput, withPath(request.body, { name: request.params.name }), "POST vector/collections/:name/query");
    return { matches: store.query(tenantOf(request), input) };
  });

  app.post<NameRoute>("/vector/collections/:name/delete", needs("vector:write"), (request) => {
    const input = validateInput(VectorDeleteInput, withPath(request.body, { name: request.params.name }), "POST vector/collections/:name/delete");
    return { deleted: store.deleteIds(tenantOf(request), input) };
  });
}
