import { SECRET_NAME, type SecretsListInput } from "../../src/dto/index.js";
import type { Secret } from "../../src/namespaces/secrets.js";
import { systemClock, type Clock } from "../../src/container/clock.js";
import { tenantParams, type Tenant } from "../auth.js";
import type { LocalDb } from "../db.js";
import { HttpError } from "../errors.js";
import { DEFAULT_LIMIT, decodeCursor, encodeCursor, listKind, toPage, type Page } from "../pagination.js";

/**
 * Writes secret values for a tenant, replacing any of the same name; `updatedAt` (read from `clock`) moves only when the value changes.
 * @throws {TypeError} naming the first name the SDK could never read or whose value is not a string (never a value); nothing is written then.
 */
export function seedSecrets(db: LocalDb, tenant: Tenant, secrets: Readonly<Record<string, string>>, clock: Clock = systemClock): void {
  for (const [name, value] of Object.entries(secrets)) {
    if (!SECRET_NAME.test(name)) throw new TypeError(`secret name ${JSON.stringify(name.slice(0, 300))} is not valid: it must match ${SECRET_NAME}`);
    if (typeof value !== "string") throw new TypeError(`secret ${name} must have a string value, not ${value === null ? "null" : typeof value}`);
  }
  const upsert = db.prepare(
    `INSERT INTO secrets (org, ws, name, value, created_at, updated_at) VALUES (@org, @ws, @name, @value, @now, @now)
     ON CONFLICT (org, ws, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
     WHERE secrets.value IS NOT excluded.value`,
  );
  const now = clock.now();
  db.transaction(() => {
    for (const [name, value] of Object.entries(secrets)) upsert.run({ ...tenantParams(tenant), name, value, now });
  })();
}

interface Row {
  name: string;
  created_at: number;
  updated_at: number;
}


/** Secret values per org and workspace; read-only over HTTP (values come from seeding). */
export class SecretsStore {
  private readonly selectValue;
  private readonly selectPage;
  private readonly selectAllValues;

  /** Creates a store on the platform database. */
  constructor(db: LocalDb) {
    this.selectValue = db.prepare("SELECT value FROM secrets WHERE org = @org AND ws = @ws AND name = @name");
    this.selectAllValues = db.prepare("SELECT value FROM secrets WHERE org = @org AND ws = @ws").pluck();
    // substr() rather than LIKE: `_` is a LIKE wildcard and common in secret names.
    this.selectPage = db.prepare(
      `SELECT name, created_at, updated_at FROM secrets
       WHERE org = @org AND ws = @ws AND substr(name, 1, length(@prefix)) = @prefix AND (@after IS NULL OR name > @after)
       ORDER BY name LIMIT @take`,
    );
  }

  /**
   * The value of `name`.
   * @throws {HttpError} 404 `not_found` naming the secret (never a value).
   */
  value(tenant: Tenant, name: string): string {
    const row = this.selectValue.get({ ...tenantParams(tenant), name }) as { value: string } | undefined;
    if (!row) throw notFound([name]);
    return row.value;
  }

  /**
   * The values of `names`, keyed by name; all or nothing.
   * @throws {HttpError} 404 `not_found` naming every missing secret, with `details.missing`.
   */
  values(tenant: Tenant, names: readonly string[]): Record<string, string> {
    const values = Object.create(null) as Record<string, string>; // a secret may be named `__proto__`
    const missing: string[] = [];
    for (const name of new Set(names)) {
      const row = this.selectValue.get({ ...tenantParams(tenant), name }) as { value: string } | undefined;
      if (row) values[name] = row.value;
      else missing.push(name);
    }
    if (missing.length > 0) throw notFound(missing);
    return values;
  }

  /** Every secret value of the tenant: the platform masks them in what code blocks log. */
  allValues(tenant: Tenant): string[] {
    return this.selectAllValues.all(tenantParams(tenant)) as string[];
  }

  /** A page of names and dates, in name order. */
  list(tenant: Tenant, input: SecretsListInput): Page<Secret> {
    const limit = input.limit ?? DEFAULT_LIMIT;
    const kind = listKind("secrets", input.prefix ?? "");
    const after = input.cursor === undefined ? null : decodeCursor(kind, input.cursor, "string");
    const rows = this.selectPage.all({ ...tenantParams(tenant), prefix: input.prefix ?? "", after, take: limit + 1 }) as Row[];
    return toPage(rows, limit, toSecret, (row) => encodeCursor(kind, row.name));
  }
}


function toSecret(row: Row): Secret {
  return { name: row.name, createdAt: new Date(row.created_at).toISOString(), updatedAt: new Date(row.updated_at).toISOString() };
}

function notFound(missing: readonly string[]): HttpError {
  const what = missing.length === 1 ? `Secret ${JSON.stringify(missing[0])} does not exist` : `Secrets ${missing.map((n) => JSON.stringify(n)).join(", ")} do not exist`;
  return new HttpError(404, "not_found", `${what} in this workspace; add ${missing.length === 1 ? "it" : "them"} to the platform's secrets (flow-local: --secrets-file)`, { missing });
}
