import type { Filter } from "../../src/dto/filter.js";
import type { VectorCreateCollectionInput, VectorDeleteInput, VectorListCollectionsInput, VectorQueryInput, VectorUpsertInput } from "../../src/dto/index.js";
import type { VectorCollection, VectorMatch, VectorMetric } from "../../src/namespaces/vector.js";
import { systemClock, type Clock } from "../../src/container/clock.js";
import { tenantParams, type Tenant } from "../auth.js";
import type { LocalDb } from "../db.js";
import { HttpError } from "../errors.js";
import { matchesFilter } from "../filter.js";
import { DEFAULT_LIMIT, decodeCursor, encodeCursor, toPage, type Page } from "../pagination.js";
import { decodeVector, encodeVector, norm, scorer, TopK } from "../similarity.js";

interface CollectionRow {
  name: string;
  dimensions: number;
  metric: VectorMetric;
  created_at: number;
  count: number;
}

interface ItemRow {
  id: string;
  vector: Buffer;
  metadata: string;
}

const CURSOR_KIND = "vector_collections";
const DEFAULT_TOP_K = 10;

/**
 * Vector collections per org and workspace. Vectors are float64 BLOBs (exactly the numbers given);
 * `query` is an exact brute-force scan of the collection, fine for local use and the reference a
 * hosted index is measured against.
 */
export class VectorStore {
  private readonly selectCollection;
  private readonly selectCollections;
  private readonly insertCollection;
  private readonly deleteCollectionRow;
  private readonly deleteItemsOf;
  private readonly upsertItem;
  private readonly deleteItem;
  private readonly scanItems;

  /** Creates a store on the platform database, reading the time from `clock`. */
  constructor(
    private readonly db: LocalDb,
    private readonly clock: Clock = systemClock,
  ) {
    const count = "(SELECT count(*) FROM vector_items i WHERE i.org = c.org AND i.ws = c.ws AND i.collection = c.name) AS count";
    this.selectCollection = db.prepare(`SELECT name, dimensions, metric, created_at, ${count} FROM vector_collections c WHERE org = @org AND ws = @ws AND name = @name`);
    this.selectCollections = db.prepare(
      `SELECT name, dimensions, metric, created_at, ${count} FROM vector_collections c
       WHERE org = @org AND ws = @ws AND (@after IS NULL OR name > @after) ORDER BY name LIMIT @take`,
    );
    this.insertCollection = db.prepare(
      `INSERT INTO vector_collections (org, ws, name, dimensions, metric, created_at) VALUES (@org, @ws, @name, @dimensions, @metric, @now)
       ON CONFLICT DO NOTHING`,
    );
    this.deleteCollectionRow = db.prepare("DELETE FROM vector_collections WHERE org = @org AND ws = @ws AND name = @name");
    this.deleteItemsOf = db.prepare("DELETE FROM vector_items WHERE org = @org AND ws = @ws AND collection = @name");
    this.upsertItem = db.prepare(
      `INSERT INTO vector_items (org, ws, collection, id, vector, metadata, updated_at) VALUES (@org, @ws, @name, @id, @vector, @metadata, @now)
       ON CONFLICT (org, ws, collection, id) DO UPDATE SET vector = excluded.vector, metadata = excluded.metadata, updated_at = excluded.updated_at`,
    );
    this.deleteItem = db.prepare("DELETE FROM vector_items WHERE org = @org AND ws = @ws AND collection = @name AND id = @id");
    this.scanItems = db.prepare("SELECT id, vector, metadata FROM vector_items WHERE org = @org AND ws = @ws AND collection = @name");
  }

  /**
   * Creates an empty collection.
   * @throws {HttpError} 409 `already_exists` when the name is taken.
   */
  create(tenant: Tenant, input: VectorCreateCollectionInput): VectorCollection {
    const metric = input.metric ?? "cosine";
    const now = this.clock.now();
    const inserted = this.insertCollection.run({ ...tenantParams(tenant), name: input.name, dimensions: input.dimensions, metric, now }).changes > 0;
    if (!inserted) throw new HttpError(409, "already_exists", `Vector collection ${JSON.stringify(input.name)} already exists; delete it first or pick another name`);
    return { name: input.name, dimensions: input.dimensions, metric, count: 0, createdAt: new Date(now).toISOString() };
  }

  /** The collection `name`, or 404. */
  get(tenant: Tenant, name: string): VectorCollection {
    return toCollection(this.collection(tenant, name));
  }

  /** A page of collections by name. */
  list(tenant: Tenant, input: VectorListCollectionsInput): Page<VectorCollection> {
    const limit = input.limit ?? DEFAULT_LIMIT;
    const after = input.cursor === undefined ? null : decodeCursor(CURSOR_KIND, input.cursor, "string");
    const rows = this.selectCollections.all({ ...tenantParams(tenant), after, take: limit + 1 }) as CollectionRow[];
    return toPage(rows, limit, toCollection, (row) => encodeCursor(CURSOR_KIND, row.name));
  }

  /** Deletes the collection and its vectors; false when there was none. */
  drop(tenant: Tenant, name: string): boolean {
    return this.db.transaction(() => {
      this.deleteItemsOf.run({ ...tenantParams(tenant), name });
      return this.deleteCollectionRow.run({ ...tenantParams(tenant), name }).changes > 0;
    })();
  }

  /**
   * Writes every record or none, replacing those whose id exists; returns how many were written.
   * @throws {HttpError} 404 for a missing collection; 400 `validation_error` for a wrong dimension or a zero vector in a cosine collection.
   */
  upsert(tenant: Tenant, input: VectorUpsertInput): number {
    return this.db.transaction(() => {
      const collection = this.collection(tenant, input.name);
      for (const [i, record] of input.records.entries()) checkVector(collection, record.vector, `records[${i}].vector`);
      const now = this.clock.now();
      for (const record of input.records) {
        this.upsertItem.run({ ...tenantParams(tenant), name: input.name, id: record.id, vector: encodeVector(record.vector), metadata: JSON.stringify(record.metadata ?? {}), now });
      }
      return input.records.length;
    })();
  }

  /**
   * The `topK` best matches, best first (ties by id), scanning every vector of the collection.
   * @throws {HttpError} 404 for a missing collection; 400 `validation_error` for a wrong dimension.
   */
  query(tenant: Tenant, input: VectorQueryInput): VectorMatch[] {
    const collection = this.collection(tenant, input.name);
    checkVector(collection, input.vector, "vector");
    return searchRows(this.scanItems.iterate({ ...tenantParams(tenant), name: input.name }) as Iterable<ItemRow>, {
      metric: collection.metric,
      vector: input.vector,
      topK: input.topK ?? DEFAULT_TOP_K,
      filter: input.filter,
      includeVectors: input.includeVectors === true,
    });
  }

  /**
   * Deletes the vectors with these ids; returns how many existed.
   * @throws {HttpError} 404 for a missing collection.
   */
  deleteIds(tenant: Tenant, input: VectorDeleteInput): number {
    return this.db.transaction(() => {
      this.collection(tenant, input.name);
      let deleted = 0;
      for (const id of new Set(input.ids)) deleted += this.deleteItem.run({ ...tenantParams(tenant), name: input.name, id }).changes;
      return deleted;
    })();
  }

  private collection(tenant: Tenant, name: string): CollectionRow {
    const row = this.selectCollection.get({ ...tenantParams(tenant), name }) as CollectionRow | undefined;
    if (!row) throw new HttpError(404, "not_found", `Vector collection ${JSON.stringify(name)} does not exist; create it with vector.createCollection`);
    return row;
  }
}

/** What {@link searchRows} ranks by. */
interface SearchSpec {
  /** The similarity measure. */
  metric: VectorMetric;
  /** The query vector, as long as every row's. */
  vector: ArrayLike<number>;
  /** How many to keep. */
  topK: number;
  /** Only rows whose metadata matches. */
  filter?: Filter | undefined;
  /** Return each match's vector. */
  includeVectors?: boolean;
}

/** Ranks rows `{ id, vector (BLOB), metadata (JSON) }` against a query, keeping the best `topK`. */
function searchRows(rows: Iterable<ItemRow>, spec: SearchSpec): VectorMatch[] {
  const score = scorer(spec.metric, spec.vector);
  const best = new TopK<{ row: ItemRow; values: Float64Array; metadata?: Record<string, unknown> }>(spec.topK);
  for (const row of rows) {
    let metadata: Record<string, unknown> | undefined;
    if (spec.filter !== undefined) {
      metadata = JSON.parse(row.metadata) as Record<string, unknown>;
      if (!matchesFilter(spec.filter, metadata)) continue;
    }
    const values = decodeVector(row.vector);
    const s = score(values);
    best.offer({ id: row.id, score: s, item: metadata === undefined ? { row, values } : { row, values, metadata } });
  }
  return best.result().map(({ id, score: s, item }) => {
    const match: VectorMatch = { id, score: s, metadata: item.metadata ?? (JSON.parse(item.row.metadata) as Record<string, unknown>) };
    if (spec.includeVectors) match.vector = Array.from(item.values);
    return match;
  });
}

function checkVector(collection: CollectionRow, vector: readonly number[], where: string): void {
  if (vector.length !== collection.dimensions) {
    throw validation(where, `${where} has ${vector.length} dimensions, but collection ${JSON.stringify(collection.name)} expects ${collection.dimensions}`);
  }
  const length = norm(vector);
  // Squares that overflow would make every score Infinity or NaN (sent as null).
  if (!Number.isFinite(length)) throw validation(where, `${where} has numbers too large to score: its squared length overflows a float64; scale it down`);
  if (collection.metric === "cosine" && vector.every((x) => x === 0)) {
    throw validation(where, `${where} is all zeros, which has no direction: a cosine collection cannot hold or be queried with it`);
  }
}

function validation(path: string, message: string): HttpError {
  return new HttpError(400, "validation_error", message, { issues: [{ path, message }] });
}


function toCollection(row: CollectionRow): VectorCollection {
  return { name: row.name, dimensions: row.dimensions, metric: row.metric, count: row.count, createdAt: new Date(row.created_at).toISOString() };
}
