import { randomBytes } from "node:crypto";
import type { AuditListInput, AuditLogInput } from "../../src/dto/index.js";
import type { AuditEvent } from "../../src/namespaces/audit.js";
import { systemClock, type Clock } from "../../src/container/clock.js";
import { tenantParams, type Tenant } from "../auth.js";
import type { LocalDb } from "../db.js";
import { DEFAULT_LIMIT, decodeCursor, encodeCursor, toPage, type Page } from "../pagination.js";


/** Who recorded an event, from the request. */
export interface AuditOrigin {
  /** The token's subject. */
  actor: string;
  /** The request's id. */
  requestId: string | null;
  /** The request's X-Execution-Id. */
  executionId: string | null;
}

interface Row {
  seq: number;
  id: string;
  action: string;
  resource_type: string;
  resource_id: string;
  details: string;
  actor: string;
  request_id: string | null;
  execution_id: string | null;
  created_at: number;
}

const CURSOR_KIND = "audit";

/** Append-only audit trail per org and workspace, listed oldest first. */
export class AuditStore {
  private readonly insert;
  private readonly selectPage;

  /** Creates a store on the platform database, reading the time from `clock`. */
  constructor(
    db: LocalDb,
    private readonly clock: Clock = systemClock,
  ) {
    this.insert = db.prepare(
      `INSERT INTO audit_events (id, org, ws, action, resource_type, resource_id, details, actor, request_id, execution_id, created_at)
       VALUES (@id, @org, @ws, @action, @resource_type, @resource_id, @details, @actor, @request_id, @execution_id, @created_at)`,
    );
    // Optional filters as "@x IS NULL OR column = @x", so one statement serves every combination.
    this.selectPage = db.prepare(
      `SELECT * FROM audit_events
       WHERE org = @org AND ws = @ws AND seq > @after
         AND (@resourceType IS NULL OR resource_type = @resourceType)
         AND (@resourceId IS NULL OR resource_id = @resourceId)
         AND (@since IS NULL OR created_at >= @since)
       ORDER BY seq LIMIT @take`,
    );
  }

  /** Records an event and returns it. */
  append(tenant: Tenant, input: AuditLogInput, origin: AuditOrigin): AuditEvent {
    const row = {
      id: `evt_${randomBytes(12).toString("hex")}`,
      action: input.action,
      resource_type: input.resourceType,
      resource_id: input.resourceId,
      details: JSON.stringify(input.details ?? {}),
      actor: origin.actor,
      request_id: origin.requestId,
      execution_id: origin.executionId,
      created_at: this.clock.now(),
    };
    const { lastInsertRowid } = this.insert.run({ ...row, ...tenantParams(tenant) });
    return toEvent({ ...row, seq: Number(lastInsertRowid) });
  }

  /** A page of events matching the filters, oldest first. */
  list(tenant: Tenant, input: AuditListInput): Page<AuditEvent> {
    const limit = input.limit ?? DEFAULT_LIMIT;
    const after = input.cursor === undefined ? 0 : decodeCursor(CURSOR_KIND, input.cursor, "number");
    const rows = this.selectPage.all({
      org: tenant.orgId,
      ws: tenant.workspaceId,
      after,
      resourceType: input.resourceType ?? null,
      resourceId: input.resourceId ?? null,
      since: input.since === undefined ? null : Date.parse(input.since),
      take: limit + 1,
    }) as Row[];
    return toPage(rows, limit, toEvent, (row) => encodeCursor(CURSOR_KIND, row.seq));
  }
}

function toEvent(row: Row): AuditEvent {
  return {
    id: row.id,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    details: JSON.parse(row.details) as Record<string, unknown>,
    actor: row.actor,
    requestId: row.request_id,
    executionId: row.execution_id,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
