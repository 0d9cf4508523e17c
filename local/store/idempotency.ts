import type { LocalDb } from "../db.js";
import { systemClock, type Clock } from "../../src/container/clock.js";

/** How long a stored answer is replayed: 24 hours, per docs/protocol.md. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** Who an Idempotency-Key belongs to: keys of one caller never meet keys of another. */
export interface IdempotencyScope {
  /** The token's org. */
  orgId: string;
  /** The token's workspace. */
  workspaceId: string;
  /** The token's subject (`sub`). */
  subject: string;
}

/** The answer to a call made with an Idempotency-Key, and what identifies that call. */
export interface StoredAnswer {
  /** Method of the first call, for the 422 message. */
  method: string;
  /** Path (without query) of the first call, for the 422 message. */
  path: string;
  /** sha256 (hex) of the first call's method, path, canonical query and body. */
  fingerprint: string;
  /** Status answered. */
  status: number;
  /** JSON body answered. */
  body: string;
}

/**
 * Status of a claim row: the work of a call whose handler went asynchronous was committed (or may
 * have been) before its answer was known. A retry meeting it is answered 409
 * `idempotency_outcome_unknown`, never by doing the work again.
 */
export const PENDING_STATUS = 0;

/** Remembered answers per org, workspace, subject and key. */
export class IdempotencyStore {
  private readonly select;
  private readonly upsert;
  private readonly deleteExpired;
  private readonly deletePending;

  /** Creates a store on the platform database, reading the time from `clock`. */
  constructor(
    /** The platform database: the idempotency layer runs a call's work and its answer in one transaction on it. */
    readonly db: LocalDb,
    private readonly clock: Clock = systemClock,
  ) {
    this.select = db.prepare(
      "SELECT method, path, fingerprint, status, body FROM idempotency WHERE org = ? AND ws = ? AND subject = ? AND key = ? AND created_at > ?",
    );
    // REPLACE: an expired answer under the same key may still be there.
    this.upsert = db.prepare(
      "INSERT OR REPLACE INTO idempotency (org, ws, subject, key, method, path, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.deleteExpired = db.prepare("DELETE FROM idempotency WHERE created_at <= ?");
    this.deletePending = db.prepare("DELETE FROM idempotency WHERE org = ? AND ws = ? AND subject = ? AND key = ? AND status = " + PENDING_STATUS);
  }

  /** The unexpired answer stored under `key` for `scope`, or undefined. */
  find(scope: IdempotencyScope, key: string, now = this.clock.now()): StoredAnswer | undefined {
    return this.select.get(scope.orgId, scope.workspaceId, scope.subject, key, now - IDEMPOTENCY_TTL_MS) as StoredAnswer | undefined;
  }

  /** Remembers the answer to the call made with `key` for `scope`. */
  save(scope: IdempotencyScope, key: string, answer: StoredAnswer, now = this.clock.now()): void {
    this.upsert.run(scope.orgId, scope.workspaceId, scope.subject, key, answer.method, answer.path, answer.fingerprint, answer.status, answer.body, now);
  }

  /** Records that the work of the call made with `key` started and its answer is not known yet ({@link PENDING_STATUS}). */
  claim(scope: IdempotencyScope, key: string, call: Pick<StoredAnswer, "method" | "path" | "fingerprint">, now = this.clock.now()): void {
    this.save(scope, key, { ...call, status: PENDING_STATUS, body: "" }, now);
  }

  /** Deletes the pending claim of `key` (the call ended in an answer a client retries); a stored answer stays. */
  unclaim(scope: IdempotencyScope, key: string): void {
    this.deletePending.run(scope.orgId, scope.workspaceId, scope.subject, key);
  }

  /** Deletes answers older than 24 hours; returns how many. */
  purgeExpired(now = this.clock.now()): number {
    return this.deleteExpired.run(now - IDEMPOTENCY_TTL_MS).changes;
  }
}
