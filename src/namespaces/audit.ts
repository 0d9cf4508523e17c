import { inject, injectable } from "tsyringe";
import { AuditListInput, AuditLogInput, paramsObject, validateInput } from "../dto/index.js";
import type { RequestOptions } from "../http/request-options.js";
import { wireDate } from "../internal/dates.js";
import { WorkspaceClient } from "../internal/workspace-client.js";
import type { PagePromise } from "../pagination.js";

/** One recorded audit event. */
export interface AuditEvent {
  /** Event id. */
  id: string;
  /** What happened. */
  action: string;
  /** Kind of resource acted on. */
  resourceType: string;
  /** Identifier of the resource acted on. */
  resourceId: string;
  /** Free-form JSON details; `{}` when none were given. */
  details: Record<string, unknown>;
  /** Subject of the token that logged it. */
  actor: string;
  /** `X-Request-Id` of the request that logged it. */
  requestId: string | null;
  /** `X-Execution-Id` of the request that logged it. */
  executionId: string | null;
  /** When it was logged (ISO 8601). */
  createdAt: string;
}

/** Parameters of `audit.log`. */
export interface AuditLogParams {
  /** What happened, e.g. `visit` or `invoice.paid`. */
  action: string;
  /** Kind of resource acted on, e.g. `page`. */
  resourceType: string;
  /** Identifier of the resource acted on. */
  resourceId: string;
  /** Free-form JSON details. */
  details?: Record<string, unknown> | undefined;
}

/** Parameters of `audit.list`. */
export interface AuditListParams {
  /** Only events on this kind of resource. */
  resourceType?: string;
  /** Only events on this resource. */
  resourceId?: string;
  /** Only events at or after this time. */
  since?: Date | string;
  /** Events per page (1–1000, default 100). */
  limit?: number;
  /** Start after this cursor (a page's `nextCursor`). */
  cursor?: string;
}

/** The workspace's audit trail: record what a block did, and read it back. */
@injectable()
export class AuditNamespace {
  /** Built by the container. */
  constructor(@inject(WorkspaceClient) private readonly client: WorkspaceClient) {}

  /**
   * Records an event and resolves to it as stored.
   *
   * @example await flow.audit.log({ action: "visit", resourceType: "page", resourceId: "home" });
   * @throws {FlowValidationError} for a missing or invalid field, before any request.
   */
  async log(params: AuditLogParams, options?: RequestOptions): Promise<AuditEvent> {
    const given = paramsObject(params, "audit.log");
    const { details, ...rest } = given;
    const input = validateInput(AuditLogInput, details === undefined ? rest : given, "audit.log");
    return this.client.post<AuditEvent>(this.client.path("audit", "events"), input, options);
  }

  /** Events oldest first, filtered; await for the first page or `for await` over every event. */
  list(params: AuditListParams = {}, options?: RequestOptions): PagePromise<AuditEvent> {
    return this.client.list(
      () => {
        const given = paramsObject(params, "audit.list");
        return { path: this.client.path("audit", "events"), query: validateInput(AuditListInput, given.since === undefined ? given : { ...given, since: wireDate(given.since) }, "audit.list") };
      },
      options,
    );
  }
}
