import type { FastifyInstance } from "fastify";
import { StateIncrementInput, StateKeyInput, StateListInput, StateSetInput, validateInput } from "../../src/dto/index.js";
import { needs, tenantOf } from "../auth.js";
import { HttpError } from "../errors.js";
import { queryInput } from "../pagination.js";
import { withPath } from "./with-path.js";
import type { StateStore } from "../store/state.js";

interface KeyRoute {
  Params: { key: string };
  Body: unknown;
}

/** State routes of docs/protocol.md, relative to the workspace prefix; `needs` declares each one's scope. */
export function stateRoutes(app: FastifyInstance, store: StateStore): void {
  app.get("/state", needs("state:read"), async (request) => {
    const input = validateInput(StateListInput, queryInput(request.query), "GET state");
    return store.list(tenantOf(request), input);
  });

  app.get<KeyRoute>("/state/:key", needs("state:read"), async (request) => {
    const { key } = validateInput(StateKeyInput, { key: request.params.key }, "GET state/:key");
    const entry = store.get(tenantOf(request), key);
    if (!entry) throw new HttpError(404, "not_found", `State key ${JSON.stringify(key)} does not exist (or has expired)`);
    return entry;
  });

  app.put<KeyRoute>("/state/:key", needs("state:write"), (request) => {
    const input = validateInput(StateSetInput, withPath(request.body, { key: request.params.key }), "PUT state/:key");
    return store.set(tenantOf(request), input);
  });

  app.delete<KeyRoute>("/state/:key", needs("state:write"), (request) => {
    const { key } = validateInput(StateKeyInput, { key: request.params.key }, "DELETE state/:key");
    return { deleted: store.delete(tenantOf(request), key) };
  });

  app.post<KeyRoute>("/state/:key/increment", needs("state:write"), (request) => {
    const input = validateInput(StateIncrementInput, withPath(request.body ?? {}, { key: request.params.key }), "POST state/:key/increment");
    return store.increment(tenantOf(request), input);
  });
}
