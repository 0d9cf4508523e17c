import type { FastifyInstance } from "fastify";
import {
  DatasetCreateInput,
  DatasetInsertInput,
  DatasetListInput,
  DatasetQueryInput,
  DatasetRefInput,
  queryFromWire,
  validateInput,
} from "../../src/dto/index.js";
import { needs, tenantOf } from "../auth.js";
import type { LocalDb } from "../db.js";
import { queryInput } from "../pagination.js";
import { DatasetsStore } from "../store/datasets.js";

interface DatasetRoute {
  Params: { dataset: string };
  Body: unknown;
}

/** Datasets routes of docs/protocol.md, relative to the workspace prefix; `needs` declares each one's scope. */
export function datasetsRoutes(app: FastifyInstance, db: LocalDb): void {
  const store = new DatasetsStore(db);

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

  app.delete<DatasetRoute>("/datasets/:dataset", needs("datasets:write"), async (request) => {
    const { dataset } = validateInput(DatasetRefInput, { dataset: request.params.dataset }, "DELETE datasets/:dataset");
    return { deleted: store.delete(tenantOf(request), dataset) };
  });

  app.post<DatasetRoute>("/datasets/:dataset/rows", needs("datasets:write"), async (request) => {
    // The dataset comes from the path; a body that is not an object is passed on for validation to report.
    const body = request.body;
    const withDataset = typeof body === "object" && body !== null && !Array.isArray(body) ? { ...body, dataset: request.params.dataset } : body;
    const input = validateInput(DatasetInsertInput, withDataset, "POST datasets/:dataset/rows");
    return store.insert(tenantOf(request), input.dataset, input.rows);
  });

  app.get<DatasetRoute>("/datasets/:dataset/rows", needs("datasets:read"), async (request) => {
    const query = { ...queryFromWire(queryInput(request.query)), dataset: request.params.dataset };
    return store.query(tenantOf(request), validateInput(DatasetQueryInput, query, "GET datasets/:dataset/rows"));
  });
}
