import type { FastifyInstance } from "fastify";
import { AuditListInput, AuditLogInput, validateInput } from "../../src/dto/index.js";
import { identityOf, requireScope, requireTenant } from "../auth.js";
import { queryInput } from "../pagination.js";
import type { AuditStore } from "../store/audit.js";

/** Audit routes of docs/protocol.md, relative to the workspace prefix. */
export function auditRoutes(app: FastifyInstance, store: AuditStore): void {
  app.post("/audit/events", async (request, reply) => {
    requireScope(request, "audit:write");
    const input = validateInput(AuditLogInput, request.body, "POST audit/events");
    const executionId = request.headers["x-execution-id"];
    const event = store.append(requireTenant(request), input, {
      actor: identityOf(request).subject,
      requestId: request.id,
      executionId: typeof executionId === "string" && executionId !== "" ? executionId : null,
    });
    return reply.status(201).send(event);
  });

  app.get("/audit/events", async (request) => {
    requireScope(request, "audit:read");
    const input = validateInput(AuditListInput, queryInput(request.query), "GET audit/events");
    return store.list(requireTenant(request), input);
  });
}
