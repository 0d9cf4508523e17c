import type { Tenant } from "../auth.js";
import type { LocalDb } from "../db.js";

/** How long a stored answer is replayed: 24 hours, per docs/protocol.md. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** The first answer to a call made with an Idempotency-Key. */
export interface StoredAnswer {
  /** Method of the first call. */
  method: string;
  /** Path (without query) of the first call. */
  path: string;
  /** Status answered. */
  status: number;
  /** JSON body answered. */
  body: string;
}

/** Remembered answers per org, workspace and key. */
export class IdempotencyStore {
  private readonly select;
  private readonly upsert;
  private readonly deleteExpired;

  /** Creates a store on the platform database. */
  constructor(db: LocalDb) {
    this.select = db.prepare("SELECT method, path, status, body FROM idempotency WHERE org = ? AND ws = ? AND key = ? AND created_at > ?");
    // REPLACE: an expired answer under the same key may still be there.
    this.upsert = db.prepare("INSERT OR REPLACE INTO idempotency (org, ws, key, method, path, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    this.deleteExpired = db.prepare("DELETE FROM idempotency WHERE created_at <= ?");
  }

  /** The unexpired answer stored under `key`, or undefined. */
  find(tenant: Tenant, key: string, now = Date.now()): StoredAnswer | undefined {
    return this.select.get(tenant.orgId, tenant.workspaceId, key, now - IDEMPOTENCY_TTL_MS) as StoredAnswer | undefined;
  }

  /** Remembers the answer to the first call made with `key`. */
  save(tenant: Tenant, key: string, answer: StoredAnswer, now = Date.now()): void {
    this.upsert.run(tenant.orgId, tenant.workspaceId, key, answer.method, answer.path, answer.status, answer.body, now);
  }

  /** Deletes answers older than 24 hours; returns how many. */
  purgeExpired(now = Date.now()): number {
    return this.deleteExpired.run(now - IDEMPOTENCY_TTL_MS).changes;
  }
}
