import { randomBytes } from "node:crypto";
import { DEFAULT_MEMORY_SCOPE, type MemoryAddInput, type MemoryListInput, type MemorySearchInput } from "../../src/dto/index.js";
import type { MemoryMatch, MemoryRecord } from "../../src/namespaces/memory.js";
import { systemClock, type Clock } from "../../src/container/clock.js";
import { tenantParams, type Tenant } from "../auth.js";
import type { LocalDb } from "../db.js";
import { embedText, LOCAL_EMBEDDING_MODEL } from "../embedding.js";
import { matchesFilter } from "../filter.js";
import { DEFAULT_LIMIT, decodeCursor, encodeCursor, listKind, toPage, type Page } from "../pagination.js";
import { HttpError } from "../errors.js";
import { decodeSparse, encodeSparse, scorer, sparseDot, TopK } from "../similarity.js";

interface Row {
  seq: number;
  id: string;
  scope: string;
  content: string;
  metadata: string;
  created_at: number;
}

interface EmbeddedRow extends Row {
  model: string;
  embedding: Buffer;
}

const DEFAULT_SEARCH_LIMIT = 10;
// Names of every version of the local embedding: rows of an older one are embedded again on search.
const LOCAL_MODEL_FAMILY = "flow-local-hash-";
const MAX_SCOPES_NAMED = 10;

/** A text embedded by a model through the gateway: the model's name and its dense vector. */
export interface ModelEmbedding {
  /** The model, as configured (`gateway.memory.embeddingModel`). */
  model: string;
  /** The vector, stored as float32. */
  vector: Float32Array;
}

/** A dense vector as stored: its float32 values, little-endian. */
export function encodeDense(vector: Float32Array): Buffer {
  const bytes = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i] as number, i * 4);
  return bytes;
}

/** The vector of a BLOB made by {@link encodeDense}. */
export function decodeDense(blob: Buffer): Float32Array {
  const vector = new Float32Array(Math.floor(blob.length / 4));
  for (let i = 0; i < vector.length; i++) vector[i] = blob.readFloatLE(i * 4);
  return vector;
}
const COLUMNS = "seq, id, scope, content, metadata, created_at";

/**
 * Memories per org, workspace and scope. Each is embedded on `add` with the local embedding
 * (local/embedding.ts), kept as a sparse BLOB of a few hundred bytes, or, when the manifest names
 * an embedding model, with the vector the route had the gateway make (a float32 BLOB, the model's
 * name in `model`); `search` ranks the scope's memories by cosine similarity to the query embedded
 * the same way, scanning them all (exact, fine for local use). A workspace never mixes vectors of
 * two models: add and search refuse (409) while it holds memories of another model.
 */
export class MemoryStore {
  private readonly insertRow;
  private readonly selectRow;
  private readonly selectPage;
  private readonly scanScope;
  private readonly deleteRow;
  private readonly deleteScope;
  private readonly selectOtherModel;
  private readonly selectScopesOfModel;

  /** Creates a store on the platform database, reading the time from `clock`. */
  constructor(
    db: LocalDb,
    private readonly clock: Clock = systemClock,
  ) {
    this.insertRow = db.prepare(
      `INSERT INTO memories (id, org, ws, scope, content, metadata, model, embedding, created_at)
       VALUES (@id, @org, @ws, @scope, @content, @metadata, @model, @embedding, @now)`,
    );
    this.selectRow = db.prepare(`SELECT ${COLUMNS} FROM memories WHERE org = @org AND ws = @ws AND id = @id`);
    // Newest first; the cursor is the last seq of the page.
    this.selectPage = db.prepare(
      `SELECT ${COLUMNS} FROM memories WHERE org = @org AND ws = @ws AND scope = @scope AND (@before IS NULL OR seq < @before)
       ORDER BY seq DESC LIMIT @take`,
    );
    this.scanScope = db.prepare(`SELECT ${COLUMNS}, model, embedding FROM memories WHERE org = @org AND ws = @ws AND scope = @scope`);
    this.deleteRow = db.prepare("DELETE FROM memories WHERE org = @org AND ws = @ws AND id = @id");
    this.deleteScope = db.prepare("DELETE FROM memories WHERE org = @org AND ws = @ws AND scope = @scope");
    // Rows of another model than the configured one; for the local model, its older versions do not count (they are embedded again).
    this.selectOtherModel = db.prepare(
      `SELECT model FROM memories WHERE org = @org AND ws = @ws AND model <> @model AND NOT (@local = 1 AND substr(model, 1, length(@family)) = @family) LIMIT 1`,
    ).pluck();
    this.selectScopesOfModel = db.prepare(`SELECT DISTINCT scope FROM memories WHERE org = @org AND ws = @ws AND model = @model ORDER BY scope LIMIT ${MAX_SCOPES_NAMED + 1}`).pluck();
  }

  /**
   * Checks that the workspace holds no memories embedded with another model than `model` (the
   * local embedding's older versions aside, which search embeds again).
   * @throws {HttpError} 409 `embedding_model_changed` naming both models, the scopes holding the others, and the fix.
   */
  checkModel(tenant: Tenant, model: string): void {
    const local = model === LOCAL_EMBEDDING_MODEL;
    const other = this.selectOtherModel.get({ ...tenantParams(tenant), model, local: local ? 1 : 0, family: LOCAL_MODEL_FAMILY }) as string | undefined;
    if (other === undefined) return;
    const scopes = this.selectScopesOfModel.all({ ...tenantParams(tenant), model: other }) as string[];
    const named = scopes.slice(0, MAX_SCOPES_NAMED).map((scope) => JSON.stringify(scope)).join(", ") + (scopes.length > MAX_SCOPES_NAMED ? ", ..." : "");
    const wasLocal = other.startsWith(LOCAL_MODEL_FAMILY);
    const now = local ? `the local embedding "${model}"` : `"${model}" (the manifest's gateway.memory.embeddingModel)`;
    const back = wasLocal ? "remove gateway.memory.embeddingModel from the manifest" : `set gateway.memory.embeddingModel back to "${other}"`;
    throw new HttpError(
      409,
      "embedding_model_changed",
      `Workspace ${tenant.workspaceId} holds memories embedded with "${other}", but memory now embeds with ${now}: vectors of two models cannot be compared. ` +
        `Clear those memories (memory.clear, i.e. POST memory/clear, for each scope holding them: ${named}), or ${back}`,
      { storedModel: other, configuredModel: model, scopes: scopes.slice(0, MAX_SCOPES_NAMED) },
    );
  }

  /**
   * Stores a memory, embedded with the local embedding, or given the vector a model made of its
   * content. The caller runs {@link checkModel} first, in the same tick.
   */
  add(tenant: Tenant, input: MemoryAddInput, embedded?: ModelEmbedding): MemoryRecord {
    const model = embedded?.model ?? LOCAL_EMBEDDING_MODEL;
    const row: Row = {
      seq: 0,
      id: `mem_${randomBytes(12).toString("hex")}`,
      scope: input.scope ?? DEFAULT_MEMORY_SCOPE,
      content: input.content,
      metadata: JSON.stringify(input.metadata ?? {}),
      created_at: this.clock.now(),
    };
    const embedding = embedded === undefined ? encodeSparse(embedText(row.content)) : encodeDense(embedded.vector);
    this.insertRow.run({ ...tenantParams(tenant), id: row.id, scope: row.scope, content: row.content, metadata: row.metadata, now: row.created_at, model, embedding });
    return toRecord(row);
  }

  /** The memory `id`, or undefined. */
  get(tenant: Tenant, id: string): MemoryRecord | undefined {
    const row = this.selectRow.get({ ...tenantParams(tenant), id }) as Row | undefined;
    return row && toRecord(row);
  }

  /** A page of one scope's memories, newest first. */
  list(tenant: Tenant, input: MemoryListInput): Page<MemoryRecord> {
    const limit = input.limit ?? DEFAULT_LIMIT;
    const scope = input.scope ?? DEFAULT_MEMORY_SCOPE;
    // The scope is part of the cursor's kind: a cursor of another scope's list is refused, not
    // used as a position in this one.
    const kind = listKind("memory", scope);
    const before = input.cursor === undefined ? null : decodeCursor(kind, input.cursor, "number");
    const rows = this.selectPage.all({ ...tenantParams(tenant), scope, before, take: limit + 1 }) as Row[];
    return toPage(rows, limit, toRecord, (row) => encodeCursor(kind, row.seq));
  }

  /**
   * The scope's memories closest in meaning to the query, best first (equal scores by id): the
   * query embedded locally, or `embedded`, the vector a model made of it. The caller runs
   * {@link checkModel} first, in the same tick; rows of another model are then none (locally, a
   * row of another embedding is embedded again; with a model, it is skipped).
   */
  search(tenant: Tenant, input: MemorySearchInput, embedded?: ModelEmbedding): MemoryMatch[] {
    if (embedded !== undefined) return this.searchDense(tenant, input, embedded);
    const query = embedText(input.query);
    const best = new TopK<Row>(input.limit ?? DEFAULT_SEARCH_LIMIT);
    const rows = this.scanScope.iterate({ ...tenantParams(tenant), scope: input.scope ?? DEFAULT_MEMORY_SCOPE }) as Iterable<EmbeddedRow>;
    for (const row of rows) {
      if (input.filter !== undefined && !matchesFilter(input.filter, JSON.parse(row.metadata) as Record<string, unknown>)) continue;
      // A row embedded by another version of the embedding is embedded again rather than compared unlike with like.
      const embedding = row.model === LOCAL_EMBEDDING_MODEL ? decodeSparse(row.embedding) : embedText(row.content);
      // Both vectors have unit length (or are zero), so the dot product is their cosine; rounding may overshoot 1.
      const score = Math.min(1, sparseDot(query, embedding));
      // A memory that shares nothing with the query is no match, whatever the limit.
      if (score <= 0 || (input.minScore !== undefined && score < input.minScore)) continue;
      best.offer({ id: row.id, score, item: row });
    }
    return best.result().map(({ score, item }) => ({ ...toRecord(item), score }));
  }

  // The search of memories a model embedded: the cosine of the float32 vectors.
  private searchDense(tenant: Tenant, input: MemorySearchInput, embedded: ModelEmbedding): MemoryMatch[] {
    const score = scorer("cosine", embedded.vector);
    const best = new TopK<Row>(input.limit ?? DEFAULT_SEARCH_LIMIT);
    const rows = this.scanScope.iterate({ ...tenantParams(tenant), scope: input.scope ?? DEFAULT_MEMORY_SCOPE }) as Iterable<EmbeddedRow>;
    for (const row of rows) {
      if (row.model !== embedded.model) continue; // checkModel allows none; kept as a guard
      if (input.filter !== undefined && !matchesFilter(input.filter, JSON.parse(row.metadata) as Record<string, unknown>)) continue;
      const vector = decodeDense(row.embedding);
      // A vector of another length (the model changed behind the same name) is not comparable: no match.
      const value = vector.length === embedded.vector.length ? score(vector) : 0;
      if (!(value > 0) || (input.minScore !== undefined && value < input.minScore)) continue;
      best.offer({ id: row.id, score: value, item: row });
    }
    return best.result().map(({ score: value, item }) => ({ ...toRecord(item), score: value }));
  }

  /** Deletes the memory `id`; true when it existed. */
  delete(tenant: Tenant, id: string): boolean {
    return this.deleteRow.run({ ...tenantParams(tenant), id }).changes > 0;
  }

  /** Deletes every memory of `scope`; returns how many. */
  clear(tenant: Tenant, scope: string): number {
    return this.deleteScope.run({ ...tenantParams(tenant), scope }).changes;
  }
}


function toRecord(row: Row): MemoryRecord {
  return {
    id: row.id,
    content: row.content,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    scope: row.scope,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
