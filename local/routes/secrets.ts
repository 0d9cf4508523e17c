import type { FastifyInstance } from "fastify";
import { SecretNameInput, SecretsBatchGetInput, SecretsListInput, validateInput } from "../../src/dto/index.js";
import { needs, tenantOf } from "../auth.js";
import type { LocalDb } from "../db.js";
import { queryInput } from "../pagination.js";
import { SecretsStore } from "../store/secrets.js";

interface NameRoute {
  Params: { name: string };
}

/** Secrets routes of docs/protocol.md, relative to the workspace prefix; `needs` declares each one's scope. */
export function secretsRoutes(app: FastifyInstance, db: LocalDb): void {
  const store = new SecretsStore(db);

  app.get("/secrets", needs("secrets:read"), async (request) => {
    const input = validateInput(SecretsListInput, queryInput(request.query), "GET secrets");
    return store.list(tenantOf(request), input);
  });

  app.get<NameRoute>("/secrets/:name", needs("secrets:read"), async (request) => {
    const { name } = validateInput(SecretNameInput, { name: request.params.name }, "GET secrets/:name");
    return { name, value: store.value(tenantOf(request), name) };
  });

  // A read sent as POST so that up to 100 names fit in a body rather than a URL. `replay: false`:
  // its answer holds secret values, which the idempotency table must not keep.
  app.post("/secrets::batchGet", { config: { ...needs("secrets:read").config, replay: false } }, async (request) => {
    const { names } = validateInput(SecretsBatchGetInput, request.body, "POST secrets:batchGet");
    return { values: store.values(tenantOf(request), names) };
  });
}
