// Routes of docs/protocol.md for connectors, relative to the workspace prefix. The answer to an
// invocation is kept for Idempotency-Key replays like any POST's (the call has effects upstream,
// so a retried request must get the first answer rather than call again); its errors (429, 502)
// are not kept, so a retry calls the upstream again.
import type { FastifyInstance } from "fastify";
import { ConnectorIdInput, ConnectorInvokeInput, ConnectorListInput, validateInput } from "../../src/dto/index.js";
import type { Connector } from "../../src/namespaces/connectors.js";
import { isManifestWorkspace, needs, tenantOf, type Tenant } from "../auth.js";
import type { Compute } from "../compute/compute.js";
import { ConnectorError, invokeConnector } from "../connectors/invoke.js";
import { HttpError } from "../errors.js";
import type { ConnectorDef, Manifest } from "../manifest.js";
import { pageOf, queryInput } from "../pagination.js";
import { withPath } from "./with-path.js";

interface IdRoute {
  Params: { id: string };
  Body: unknown;
}

/** The connectors routes: `GET connectors`, `GET connectors/:id`, `POST connectors/:id/invoke`. */
export function connectorsRoutes(app: FastifyInstance, compute: Compute): void {
  app.get("/connectors", needs("connectors:read"), async (request) => {
    const input = validateInput(ConnectorListInput, queryInput(request.query), "GET connectors");
    const manifest = compute.manifest;
    const shown = isManifestWorkspace(tenantOf(request)) ? [...manifest.connectors.values()] : [];
    return pageOf(shown.map((def) => toConnector(def, manifest)), input, "connectors", (connector) => connector.id);
  });

  app.get<IdRoute>("/connectors/:id", needs("connectors:read"), async (request) => {
    const { id } = validateInput(ConnectorIdInput, { id: request.params.id }, "GET connectors/:id");
    return toConnector(connectorOf(compute.manifest, tenantOf(request), id), compute.manifest);
  });

  app.post<IdRoute>("/connectors/:id/invoke", needs("connectors:invoke"), async (request, reply) => {
    const input = validateInput(ConnectorInvokeInput, withPath(request.body ?? {}, { id: request.params.id }), "POST connectors/:id/invoke");
    const tenant = tenantOf(request);
    const connector = connectorOf(compute.manifest, tenant, input.id);
    // Read at each call, so a changed secret counts at once; never kept, logged or answered.
    let credential: string | undefined;
    if (connector.auth) {
      try {
        credential = compute.secrets.value(tenant, connector.auth.secret).trim();
      } catch (error) {
        if (!(error instanceof HttpError && error.status === 404)) throw error;
      }
    }
    try {
      return await invokeConnector({ connector, action: input.action, params: input.params ?? {}, credential, requestId: request.id });
    } catch (error) {
      if (error instanceof ConnectorError && error.retryAfter !== undefined) void reply.header("retry-after", error.retryAfter);
      throw error;
    }
  });
}

/**
 * The connector `id` of the manifest, as `tenant` sees it (none outside the manifest's workspace).
 * @throws {HttpError} 404 `not_found` naming the connectors there are.
 */
function connectorOf(manifest: Manifest, tenant: Tenant, id: string): ConnectorDef {
  // The manifest's connectors belong to its workspace alone.
  const own = isManifestWorkspace(tenant);
  const connector = own ? manifest.connectors.get(id) : undefined;
  if (connector) return connector;
  const ids = [...manifest.connectors.keys()].sort();
  const there = !own
    ? "the manifest's connectors belong to its workspace (org_local/ws_local) alone"
    : ids.length === 0
      ? "it has none (add them under connectors in flow-local.json)"
      : `its connectors are ${ids.join(", ")}`;
  throw new HttpError(404, "not_found", `No connector ${JSON.stringify(id)} in this workspace; ${there}`);
}

/** A manifest connector as the API shows it: its secret's name, never a value; dated by the manifest. */
function toConnector(def: ConnectorDef, manifest: Manifest): Connector {
  const at = new Date(manifest.loadedAt).toISOString();
  return {
    id: def.id,
    type: def.type,
    name: def.name,
    description: def.description,
    baseUrl: def.baseUrl,
    auth: def.auth === null ? null : { secret: def.auth.secret, header: def.auth.header, prefix: def.auth.prefix },
    actions: [...def.actions.values()].map((action) => ({ name: action.name, method: action.method, path: action.path, params: [...new Set(action.pathParams)], description: action.description })),
    timeoutSeconds: def.timeoutSeconds,
    createdAt: at,
    updatedAt: at,
  };
}
