import type { StateIncrementInput, StateListInput, StateSetInput } from "../../src/dto/index.js";
import type { StateEntry } from "../../src/namespaces/state.js";
import { systemClock, type Clock } from "../../src/container/clock.js";
import { tenantParams, type Tenant } from "../auth.js";
import type { LocalDb } from "../db.js";
import { HttpError } from "../errors.js";
import { DEFAULT_LIMIT, decodeCursor, encodeCursor, listKind, toPage, type Page } from "../pagination.js";


interface Row {
  key: string;
  value: string;
  version: number;
  expires_at: number | null;
  updated_at: number;
}

// A row whose expiry has passed is treated as absent by every query; the sweep deletes it later.
const LIVE = "(expires_at IS NULL OR expires_at > @now)";

/** Durable key-value state per org and workspace, with versions and TTLs. */
export class StateStore {
  private readonly selectRow;
  private readonly selectPage;
  private readonly upsert;
  private readonly deleteRow;
  private readonly deleteExpired;

  /** Creates a store on the platform database, reading the time from `clock`. */
  constructor(
    private readonly db: LocalDb,
    private readonly clock: Clock = systemClock,
  ) {
    const columns = "key, value, version, expires_at, updated_at";
    this.selectRow = db.prepare(`SELECT ${columns} FROM state WHERE org = @org AND ws = @ws AND key = @key AND ${LIVE}`);
    // substr() rather than LIKE: a prefix may hold % or _, and LIKE ignores case.
    this.selectPage = db.prepare(
      `SELECT ${columns} FROM state
       WHERE org = @org AND ws = @ws AND ${LIVE}
         AND substr(key, 1, length(@prefix)) = @prefix AND (@after IS NULL OR key > @after)
       ORDER BY key LIMIT @take`,
    );
    // An expired row may still be there; the upsert replaces it, so its version restarts at 1.
    this.upsert = db.prepare(
      `INSERT INTO state (org, ws, key, value, version, expires_at, updated_at)
       VALUES (@org, @ws, @key, @value, @version, @expiresAt, @now)
       ON CONFLICT (org, ws, key) DO UPDATE SET
         value = excluded.value, version = excluded.version,
         expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
    );
    this.deleteRow = db.prepare(`DELETE FROM state WHERE org = @org AND ws = @ws AND key = @key AND ${LIVE}`);
    this.deleteExpired = db.prepare("DELETE FROM state WHERE expires_at IS NOT NULL AND expires_at <= ?");
  }

  /** The live entry for `key`, or undefined. */
  get(tenant: Tenant, key: string): StateEntry | undefined {
    const row = this.row(tenant, key, this.clock.now());
    return row && toEntry(row);
  }

  /** A page of live entries in key order, optionally only those starting with `prefix`. */
  list(tenant: Tenant, input: StateListInput): Page<StateEntry> {
    const limit = input.limit ?? DEFAULT_LIMIT;
    const kind = listKind("state", input.prefix ?? "");
    const after = input.cursor === undefined ? undefined : decodeCursor(kind, input.cursor, "string");
    const prefix = input.prefix ?? "";
    const rows = this.selectPage.all({ ...tenantParams(tenant), now: this.clock.now(), prefix, after: after ?? null, take: limit + 1 }) as Row[];
    return toPage(rows, limit, toEntry, (row) => encodeCursor(kind, row.key));
  }

  /**
   * Writes `value`; without `ttlSeconds` the key no longer expires.
   * @throws {HttpError} 409 `version_conflict` when `ifVersion` differs from the stored version.
   */
  set(tenant: Tenant, input: StateSetInput): StateEntry {
    return this.db.transaction(() => {
      const now = this.clock.now();
      const current = this.row(tenant, input.key, now)?.version ?? 0;
      if (input.ifVersion !== undefined && input.ifVersion !== current) {
        throw new HttpError(409, "version_conflict", conflictMessage(input.key, current, input.ifVersion), { currentVersion: current });
      }
      return this.write(tenant, input.key, JSON.stringify(input.value), current + 1, expiry(now, input.ttlSeconds), now);
    })();
  }

  /**
   * Adds `by` (default 1) to a numeric value; a missing key starts at 0. Keeps the TTL unless given.
   * @throws {HttpError} 409 `not_a_number` when the stored value is not a number.
   */
  increment(tenant: Tenant, input: StateIncrementInput): StateEntry {
    return this.db.transaction(() => {
      const now = this.clock.now();
      const row = this.row(tenant, input.key, now);
      const old: unknown = row ? JSON.parse(row.value) : 0;
      if (typeof old !== "number") {
        throw new HttpError(409, "not_a_number", `State key ${JSON.stringify(input.key)} holds a ${describe(old)}, not a number; increment needs a number`);
      }
      const next = old + (input.by ?? 1);
      if (!Number.isFinite(next)) {
        throw new HttpError(400, "bad_request", `Incrementing state key ${JSON.stringify(input.key)} would leave the range of finite numbers`);
      }
      const expiresAt = input.ttlSeconds === undefined ? (row?.expires_at ?? null) : expiry(now, input.ttlSeconds);
      return this.write(tenant, input.key, JSON.stringify(next), (row?.version ?? 0) + 1, expiresAt, now);
    })();
  }

  /** Removes `key`; true when a live key was removed. */
  delete(tenant: Tenant, key: string): boolean {
    return this.deleteRow.run({ ...tenantParams(tenant), key, now: this.clock.now() }).changes > 0;
  }

  /** Deletes expired rows; returns how many. */
  purgeExpired(now = this.clock.now()): number {
    return this.deleteExpired.run(now).changes;
  }

  private row(tenant: Tenant, key: string, now: number): Row | undefined {
    return this.selectRow.get({ ...tenantParams(tenant), key, now }) as Row | undefined;
  }

  private write(tenant: Tenant, key: string, value: string, version: number, expiresAt: number | null, now: number): StateEntry {
    this.upsert.run({ ...tenantParams(tenant), key, value, version, expiresAt, now });
    return toEntry({ key, value, version, expires_at: expiresAt, updated_at: now });
  }
}


function expiry(now: number, ttlSeconds: number | undefined): number | null {
  return ttlSeconds === undefined ? null : now + ttlSeconds * 1000;
}

function toEntry(row: Row): StateEntry {
  return {
    key: row.key,
    value: JSON.parse(row.value) as unknown,
    version: row.version,
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

function conflictMessage(key: string, current: number, expected: number): string {
  const name = `State key ${JSON.stringify(key)}`;
  if (expected === 0) return `${name} already exists (version ${current}); ifVersion 0 only creates a new key`;
  if (current === 0) return `${name} does not exist, not at version ${expected}; read it again and retry`;
  return `${name} is at version ${current}, not ${expected}; read it again and retry`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value === "object" ? "object" : typeof value;
}
