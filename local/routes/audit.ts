import type { FastifyInstance } from "fastify";
import { AuditListInput, AuditLogInput, validateInput } from "../../src/dto/index.js";
import { FlowValidationError } from "../../src/errors.js";
import { identityOf, needs, tenantOf } from "../auth.js";
import { queryInput } from "../pagination.js";
import type { AuditStore } from "../store/audit.js";

/** Audit routes of docs/protocol.md, relative to the workspace prefix; `needs` declares each one's scope. */
export function auditRoutes(app: FastifyInstance, store: AuditStore): void {
  app.post("/audit/events", needs("audit:write"), async (request, reply) => {
    const input = validateInput(AuditLogInput, request.body, "POST audit/events");
    const executionId = request.headers["x-execution-id"];
    const event = store.append(tenantOf(request), input, {
      actor: identityOf(request).subject,
      requestId: request.id,
      executionId: typeof executionId === "string" && executionId !== "" ? executionId : null,
    });
    return reply.status(201).send(event);
  });

  app.get("/audit/events", needs("audit:read"), async (request) => {
    const input = validateInput(AuditListInput, queryInput(request.query), "GET audit/events");
    // The DTO already refuses what Date.parse cannot read; a NaN here would silently drop the filter.
    if (input.since !== undefined && Number.isNaN(Date.parse(input.since))) {
      const message = "since must be an ISO 8601 date-time with a time zone, e.g. 2026-01-31T00:00:00Z";
      throw new FlowValidationError(`GET audit/events: invalid input (since: ${message})`, [{ path: "since", message }]);
    }
    return store.list(tenantOf(request), input);
  });
}
