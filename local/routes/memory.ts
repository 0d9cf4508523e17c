import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { MemoryAddInput, MemoryClearInput, MemoryIdInput, MemoryListInput, MemorySearchInput, validateInput } from "../../src/dto/index.js";
import type { Clock } from "../../src/container/clock.js";
import { needs, tenantOf, type Tenant } from "../auth.js";
import type { LocalDb } from "../db.js";
import { HttpError } from "../errors.js";
import { queryInput } from "../pagination.js";
import { LOCAL_EMBEDDING_MODEL } from "../embedding.js";
import type { Gateway } from "../gateway/gateway.js";
import { UpstreamError } from "../gateway/upstream.js";
import { MemoryStore, type ModelEmbedding } from "../store/memory.js";

interface IdRoute {
  Params: { id: string };
}

/**
 * Memory routes of docs/protocol.md, relative to the workspace prefix; `needs` declares each one's
 * scope. With a `gateway` whose manifest names `gateway.memory.embeddingModel`, add and search
 * embed through it with that model; else with the local embedding.
 */
export function memoryRoutes(app: FastifyInstance, db: LocalDb, clock: Clock, gateway?: Gateway): void {
  const store = new MemoryStore(db, clock);

  // The configured model's vector of `text`, or undefined for the local embedding. The workspace's
  // memories must be of that model (409 else): checked here, before the model is called, so a
  // refused call costs none, and by the handler again right before it stores or searches, in the
  // same tick (a reloaded manifest may have let another model's memory in meanwhile).
  const embed = async (request: FastifyRequest, reply: FastifyReply, tenant: Tenant, text: string): Promise<ModelEmbedding | undefined> => {
    const configured = gateway?.deps.manifest().gateway.memoryEmbeddingModel ?? null;
    const model = gateway === undefined || configured === null ? LOCAL_EMBEDDING_MODEL : configured;
    store.checkModel(tenant, model);
    if (gateway === undefined || model === LOCAL_EMBEDDING_MODEL) return undefined;
    const controller = new AbortController();
    reply.raw.once("close", () => controller.abort());
    try {
      const { vectors } = await gateway.embed(model, [text], { tenant, requestId: request.id, signal: controller.signal });
      return { model, vector: vectors[0] as Float32Array };
    } catch (error) {
      // The model's upstream rate-limits: its Retry-After goes to the caller, as the gateway's routes do.
      if (error instanceof UpstreamError && error.retryAfter !== undefined) void reply.header("retry-after", error.retryAfter);
      throw error;
    }
  };

  // With the local embedding nothing is awaited: the memory and the answer kept for its
  // Idempotency-Key commit in one transaction. Only a configured model makes the handler wait
  // (then a pending claim stands for it; see local/idempotency.ts).
  app.post("/memory", needs("memory:write"), (request, reply) => {
    const input = validateInput(MemoryAddInput, request.body, "POST memory");
    const tenant = tenantOf(request);
    const configured = gateway?.deps.manifest().gateway.memoryEmbeddingModel ?? null;
    if (gateway === undefined || configured === null || configured === LOCAL_EMBEDDING_MODEL) {
      store.checkModel(tenant, LOCAL_EMBEDDING_MODEL);
      return reply.status(201).send(store.add(tenant, input, undefined));
    }
    return (async () => {
      const embedded = await embed(request, reply, tenant, input.content);
      store.checkModel(tenant, embedded?.model ?? LOCAL_EMBEDDING_MODEL);
      return reply.status(201).send(store.add(tenant, input, embedded));
    })();
  });

  app.get("/memory", needs("memory:read"), async (request) => {
    const input = validateInput(MemoryListInput, queryInput(request.query), "GET memory");
    return store.list(tenantOf(request), input);
  });

  // A read sent as POST, since query text and a filter do not fit a query string; `replay: false`:
  // its answer is not kept for Idempotency-Key replays, as a read is safe to do again.
  app.post("/memory/search", { config: { ...needs("memory:read").config, replay: false } }, async (request, reply) => {
    const input = validateInput(MemorySearchInput, request.body, "POST memory/search");
    const tenant = tenantOf(request);
    const embedded = await embed(request, reply, tenant, input.query);
    store.checkModel(tenant, embedded?.model ?? LOCAL_EMBEDDING_MODEL);
    return { matches: store.search(tenant, input, embedded) };
  });

  app.post("/memory/clear", needs("memory:write"), (request) => {
    const { scope } = validateInput(MemoryClearInput, request.body, "POST memory/clear");
    return { deleted: store.clear(tenantOf(request), scope) };
  });

  app.get<IdRoute>("/memory/:id", needs("memory:read"), async (request) => {
    const { id } = validateInput(MemoryIdInput, { id: request.params.id }, "GET memory/:id");
    const record = store.get(tenantOf(request), id);
    if (!record) throw new HttpError(404, "not_found", `Memory ${JSON.stringify(id)} does not exist`);
    return record;
  });

  app.delete<IdRoute>("/memory/:id", needs("memory:write"), (request) => {
    const { id } = validateInput(MemoryIdInput, { id: request.params.id }, "DELETE memory/:id");
    return { deleted: store.delete(tenantOf(request), id) };
  });
}
