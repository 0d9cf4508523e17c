import type { FastifyInstance } from "fastify";
import { DatasetCreateInput, DatasetInsertInput, DatasetListInput, DatasetQueryInput, DatasetRefInput, validateInput } from "../../src/dto/index.js";
import type { Clock } from "../../src/container/clock.js";
import { needs, tenantOf } from "../auth.js";
import type { LocalDb } from "../db.js";
import { queryInput } from "../pagination.js";
import { DatasetsStore } from "../store/datasets.js";
import { withPath } from "./with-path.js";

interface DatasetRoute {
  Params: { dataset: string };
  Body: unknown;
}

/** Datasets routes of docs/protocol.md, relative to the workspace prefix; `needs` declares each one's scope. */
export function datasetsRoutes(app: FastifyInstance, db: LocalDb, clock: Clock): void {
  const store = new DatasetsStore(db, clock);

  app.get("/datasets", needs("datasets:read"), async (request) => {
    return store.list(tenantOf(request), validateInput(DatasetListInput, queryInput(request.query), "GET datasets"));
  });

  app.post("/datasets", needs("datasets:write"), async (request, reply) => {
    const input = validateInput(DatasetCreateInput, request.body, "POST datasets");
    return reply.status(201).send(store.create(tenantOf(request), input));
  });

  app.get<DatasetRoute>("/datasets/:dataset", needs("datasets:read"), async (request) => {
    const { dataset } = validateInput(DatasetRefInput, { dataset: request.params.dataset }, "GET datasets/:dataset");
    return store.get(tenantOf(request), dataset);
  });

  app.delete<DatasetRoute>("/datasets/:dataset", needs("datasets:write"), (request) => {
    const { dataset } = validateInput(DatasetRefInput, { dataset: request.params.dataset }, "DELETE datasets/:dataset");
    return { deleted: store.delete(tenantOf(request), dataset) };
  });

  app.post<DatasetRoute>("/datasets/:dataset/rows", needs("datasets:write"), (request) => {
    const input = validateInput(DatasetInsertInput, withPath(request.body, { dataset: request.params.dataset }), "POST datasets/:dataset/rows");
    return store.insert(tenantOf(request), input.dataset, input.rows);
  });

  // A read sent as POST: a filter (up to 100 conditions, lists of 1000 values) does not fit a URL;
  // no body is a query without filter or sort.
  // `replay: false`: its answer is not kept for Idempotency-Key replays, as a read is safe to do again.
  app.post<DatasetRoute>("/datasets/:dataset/query", { config: { ...needs("datasets:read").config, replay: false } }, async (request) => {
    const input = validateInput(DatasetQueryInput, withPath(request.body ?? {}, { dataset: request.params.dataset }), "POST datasets/:dataset/query");
    return store.query(tenantOf(request), input);
  });
}
