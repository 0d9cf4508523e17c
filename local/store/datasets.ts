import { randomBytes } from "node:crypto";
import { checkRows, type DatasetCreateInput, type DatasetListInput, type DatasetQueryInput } from "../../src/dto/index.js";
import type { Dataset, DatasetInsertResult, DatasetRow, DatasetSchema } from "../../src/namespaces/datasets.js";
import { systemClock, type Clock } from "../../src/container/clock.js";
import { tenantParams, type Tenant } from "../auth.js";
import type { LocalDb } from "../db.js";
import { HttpError } from "../errors.js";
import { DEFAULT_LIMIT, decodeCursor, encodeCursor, listKind, toPage, type Page } from "../pagination.js";
import { afterSql, compileFilter, keysSql, orderSql, registerDatasetFunctions, sortKeys } from "./datasets-sql.js";

interface DatasetRecord {
  id: string;
  name: string;
  description: string | null;
  schema: string;
  row_count: number;
  created_at: number;
  updated_at: number;
}

const LIST_CURSOR = "datasets";

/** Datasets and their rows per org and workspace. */
export class DatasetsStore {
  private readonly selectOne;
  private readonly selectPage;
  private readonly insertDataset;
  private readonly insertRow;
  private readonly bumpCount;
  private readonly deleteRows;
  private readonly deleteDataset;

  /** Creates a store on the platform database, reading the time from `clock`, and registers the SQL functions its queries use. */
  constructor(
    private readonly db: LocalDb,
    private readonly clock: Clock = systemClock,
  ) {
    registerDatasetFunctions(db);
    const columns = "id, name, description, schema, row_count, created_at, updated_at";
    // A reference is an id first, else a name (a name that equals another dataset's id loses).
    this.selectOne = db.prepare(
      `SELECT ${columns} FROM datasets WHERE org = @org AND ws = @ws AND (id = @ref OR name = @ref) ORDER BY id = @ref DESC LIMIT 1`,
    );
    this.selectPage = db.prepare(
      `SELECT ${columns} FROM datasets WHERE org = @org AND ws = @ws AND (@after IS NULL OR name > @after) ORDER BY name LIMIT @take`,
    );
    this.insertDataset = db.prepare(
      `INSERT INTO datasets (org, ws, id, name, description, schema, row_count, created_at, updated_at)
       VALUES (@org, @ws, @id, @name, @description, @schema, 0, @now, @now) ON CONFLICT (org, ws, name) DO NOTHING`,
    );
    this.insertRow = db.prepare("INSERT INTO dataset_rows (org, ws, dataset_id, data) VALUES (@org, @ws, @id, @data)");
    this.bumpCount = db.prepare("UPDATE datasets SET row_count = row_count + @n, updated_at = @now WHERE org = @org AND ws = @ws AND id = @id");
    this.deleteRows = db.prepare("DELETE FROM dataset_rows WHERE org = @org AND ws = @ws AND dataset_id = @id");
    this.deleteDataset = db.prepare("DELETE FROM datasets WHERE org = @org AND ws = @ws AND id = @id");
  }

  /**
   * Creates an empty dataset.
   * @throws {HttpError} 409 `already_exists` when the name is taken.
   */
  create(tenant: Tenant, input: DatasetCreateInput): Dataset {
    const now = this.clock.now();
    const record: DatasetRecord = {
      id: `ds_${randomBytes(12).toString("hex")}`,
      name: input.name,
      description: input.description ?? null,
      schema: JSON.stringify(normalizeSchema(input.schema)),
      row_count: 0,
      created_at: now,
      updated_at: now,
    };
    const inserted = this.insertDataset.run({ ...tenantParams(tenant), ...record, now }).changes > 0;
    if (!inserted) throw new HttpError(409, "already_exists", `Dataset ${JSON.stringify(input.name)} already exists in this workspace; delete it first or pick another name`);
    return toDataset(record);
  }

  /**
   * The dataset with this id or name.
   * @throws {HttpError} 404 `not_found` naming it.
   */
  get(tenant: Tenant, ref: string): Dataset {
    return toDataset(this.record(tenant, ref));
  }

  /** A page of datasets by name. */
  list(tenant: Tenant, input: DatasetListInput): Page<Dataset> {
    const limit = input.limit ?? DEFAULT_LIMIT;
    const after = input.cursor === undefined ? null : decodeCursor(LIST_CURSOR, input.cursor, "string");
    const records = this.selectPage.all({ ...tenantParams(tenant), after, take: limit + 1 }) as DatasetRecord[];
    return toPage(records, limit, toDataset, (record) => encodeCursor(LIST_CURSOR, record.name));
  }

  /**
   * Appends rows in one transaction, after checking every one against the schema.
   * @throws {HttpError} 404 `not_found`; 400 `validation_error` listing each bad row and column (nothing stored).
   */
  insert(tenant: Tenant, ref: string, rows: ReadonlyArray<Record<string, unknown>>): DatasetInsertResult {
    return this.db.transaction(() => {
      const record = this.record(tenant, ref);
      const checked = checkRows(schemaOf(record), rows);
      if (checked.issues) {
        const first = checked.issues[0]?.message ?? "rows do not match the schema";
        const more = checked.issues.length > 1 ? ` (and ${checked.issues.length - 1} more issues; the SDK's error lists them all in issues)` : "";
        throw new HttpError(400, "validation_error", `${first}${more}; no row was inserted`, { issues: checked.issues });
      }
      for (const row of checked.rows) this.insertRow.run({ ...tenantParams(tenant), id: record.id, data: JSON.stringify(row) });
      this.bumpCount.run({ ...tenantParams(tenant), id: record.id, n: checked.rows.length, now: this.clock.now() });
      return { inserted: checked.rows.length, rowCount: record.row_count + checked.rows.length };
    })();
  }

  /**
   * A page of rows, filtered and sorted, after the cursor's row (keyset paging over the sort keys
   * then `seq`, so ties neither repeat nor vanish across pages).
   * @throws {HttpError} 404 `not_found`; 400 `validation_error` for a filter or sort key the schema does not allow; 400 `bad_request` for a cursor of another query.
   */
  query(tenant: Tenant, input: DatasetQueryInput): Page<DatasetRow> {
    const record = this.record(tenant, input.dataset);
    const schema = schemaOf(record);
    const keys = sortKeys(schema, input.orderBy);
    const where = compileFilter(schema, input.filter);
    const limit = input.limit ?? DEFAULT_LIMIT;
    // The cursor is bound to this dataset, sort and filter: another query's cursor is refused.
    // (`{ column: "a" }` and `{ column: "a", direction: "asc" }` are the same order).
    const order = (input.orderBy ?? []).map((key) => [key.column, key.direction ?? "asc"]);
    const kind = listKind(`datasets.rows:${record.id}`, order, input.filter ?? null);
    const scope = [tenant.orgId, tenant.workspaceId, record.id];
    let after = { sql: "1", params: [] as unknown[] };
    if (input.cursor !== undefined) {
      const seq = decodeCursor(kind, input.cursor, "number");
      const anchorKeys = keysSql(keys);
      const anchor = this.db
        .prepare(`SELECT ${anchorKeys.sql} FROM dataset_rows r WHERE r.org = ? AND r.ws = ? AND r.dataset_id = ? AND r.seq = ?`)
        .raw()
        .get(...anchorKeys.params, ...scope, seq) as unknown[] | undefined;
      if (anchor === undefined) throw new HttpError(400, "bad_request", "cursor is not valid here; pass the nextCursor of the previous page of this query");
      after = afterSql(keys, anchor, seq);
    }
    const sort = orderSql(keys);
    const rows = this.db
      .prepare(
        `SELECT r.seq, r.data FROM dataset_rows r
         WHERE r.org = ? AND r.ws = ? AND r.dataset_id = ? AND ${where.sql} AND ${after.sql}
         ORDER BY ${sort.sql} LIMIT ?`,
      )
      .all(...scope, ...where.params, ...after.params, ...sort.params, limit + 1) as Array<{ seq: number; data: string }>;
    return toPage(rows, limit, (row) => JSON.parse(row.data) as DatasetRow, (row) => encodeCursor(kind, row.seq));
  }

  /** Deletes the dataset and its rows; true when it existed. */
  delete(tenant: Tenant, ref: string): boolean {
    return this.db.transaction(() => {
      const record = this.find(tenant, ref);
      if (!record) return false;
      this.deleteRows.run({ ...tenantParams(tenant), id: record.id });
      return this.deleteDataset.run({ ...tenantParams(tenant), id: record.id }).changes > 0;
    })();
  }

  private find(tenant: Tenant, ref: string): DatasetRecord | undefined {
    return this.selectOne.get({ ...tenantParams(tenant), ref }) as DatasetRecord | undefined;
  }

  private record(tenant: Tenant, ref: string): DatasetRecord {
    const record = this.find(tenant, ref);
    if (!record) throw new HttpError(404, "not_found", `Dataset ${JSON.stringify(ref)} does not exist in this workspace`);
    return record;
  }
}

// Stored with `nullable` spelt out, so `get` shows what the platform enforces.
function normalizeSchema(schema: DatasetSchema): DatasetSchema {
  const columns: DatasetSchema["columns"] = {};
  for (const [name, column] of Object.entries(schema.columns)) columns[name] = { type: column.type, nullable: column.nullable === true };
  return { columns };
}

function schemaOf(record: DatasetRecord): DatasetSchema {
  return JSON.parse(record.schema) as DatasetSchema;
}


function toDataset(record: DatasetRecord): Dataset {
  return {
    id: record.id,
    name: record.name,
    description: record.description,
    schema: schemaOf(record),
    rowCount: record.row_count,
    createdAt: new Date(record.created_at).toISOString(),
    updatedAt: new Date(record.updated_at).toISOString(),
  };
}
