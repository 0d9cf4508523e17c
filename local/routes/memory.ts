import type { FastifyInstance } from "fastify";
import { MemoryAddInput, MemoryClearInput, MemoryIdInput, MemoryListInput, MemorySearchInput, validateInput } from "../../src/dto/index.js";
import type { Clock } from "../../src/container/clock.js";
import { needs, tenantOf } from "../auth.js";
import type { LocalDb } from "../db.js";
import { HttpError } from "../errors.js";
import { queryInput } from "../pagination.js";
import { MemoryStore } from "../store/memory.js";

interface IdRoute {
  Params: { id: string };
}

/** Memory routes of docs/protocol.md, relative to the workspace prefix; `needs` declares each one's scope. */
export function memoryRoutes(app: FastifyInstance, db: LocalDb, clock: Clock): void {
  const store = new MemoryStore(db, clock);

  app.post("/memory", needs("memory:write"), async (request, reply) => {
    const input = validateInput(MemoryAddInput, request.body, "POST memory");
    return reply.status(201).send(store.add(tenantOf(request), input));
  });

  app.get("/memory", needs("memory:read"), async (request) => {
    const input = validateInput(MemoryListInput, queryInput(request.query), "GET memory");
    return store.list(tenantOf(request), input);
  });

  // A read sent as POST, since query text and a filter do not fit a query string; `replay: false`:
  // its answer is not kept for Idempotency-Key replays, as a read is safe to do again.
  app.post("/memory/search", { config: { ...needs("memory:read").config, replay: false } }, async (request) => {
    const input = validateInput(MemorySearchInput, request.body, "POST memory/search");
    return { matches: store.search(tenantOf(request), input) };
  });

  app.post("/memory/clear", needs("memory:write"), async (request) => {
    const { scope } = validateInput(MemoryClearInput, request.body, "POST memory/clear");
    return { deleted: store.clear(tenantOf(request), scope) };
  });

  app.get<IdRoute>("/memory/:id", needs("memory:read"), async (request) => {
    const { id } = validateInput(MemoryIdInput, { id: request.params.id }, "GET memory/:id");
    const record = store.get(tenantOf(request), id);
    if (!record) throw new HttpError(404, "not_found", `Memory ${JSON.stringify(id)} does not exist`);
    return record;
  });

  app.delete<IdRoute>("/memory/:id", needs("memory:write"), async (request) => {
    const { id } = validateInput(MemoryIdInput, { id: request.params.id }, "DELETE memory/:id");
    return { deleted: store.delete(tenantOf(request), id) };
  });
}
