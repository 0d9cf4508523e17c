import type { Tenant } from "../auth.js";
import type { LocalDb } from "../db.js";

/** Writes secret values for a tenant, replacing any of the same name. Routes come later. */
export function seedSecrets(db: LocalDb, tenant: Tenant, secrets: Readonly<Record<string, string>>): void {
  const upsert = db.prepare(
    "INSERT INTO secrets (org, ws, name, value) VALUES (?, ?, ?, ?) ON CONFLICT (org, ws, name) DO UPDATE SET value = excluded.value",
  );
  db.transaction(() => {
    for (const [name, value] of Object.entries(secrets)) upsert.run(tenant.orgId, tenant.workspaceId, name, value);
  })();
}

/** Changes to the secrets table beyond migration 1; part of migration 3 in local/db.ts. */
export const SECRETS_SCHEMA = "";
