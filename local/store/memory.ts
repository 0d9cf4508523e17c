import { randomBytes } from "node:crypto";
import { DEFAULT_MEMORY_SCOPE, type MemoryAddInput, type MemoryListInput, type MemorySearchInput } from "../../src/dto/index.js";
import type { MemoryMatch, MemoryRecord } from "../../src/namespaces/memory.js";
import { systemClock, type Clock } from "../../src/container/clock.js";
import { tenantParams, type Tenant } from "../auth.js";
import type { LocalDb } from "../db.js";
import { embedText, LOCAL_EMBEDDING_MODEL } from "../embedding.js";
import { matchesFilter } from "../filter.js";
import { DEFAULT_LIMIT, decodeCursor, encodeCursor, listKind, toPage, type Page } from "../pagination.js";
import { decodeSparse, encodeSparse, sparseDot, TopK } from "../similarity.js";

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
const COLUMNS = "seq, id, scope, content, metadata, created_at";

/**
 * Memories per org, workspace and scope. Each is embedded on `add` with the local embedding
 * (local/embedding.ts), kept as a sparse BLOB of a few hundred bytes; `search` embeds the query
 * the same way and ranks the scope's memories by cosine similarity, scanning them all (exact,
 * fine for local use).
 */
export class MemoryStore {
  private readonly insertRow;
  private readonly selectRow;
  private readonly selectPage;
  private readonly scanScope;
  private readonly deleteRow;
  private readonly deleteScope;

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
  }

  /** Stores and embeds a memory. */
  add(tenant: Tenant, input: MemoryAddInput): MemoryRecord {
    const row: Row = {
      seq: 0,
      id: `mem_${randomBytes(12).toString("hex")}`,
      scope: input.scope ?? DEFAULT_MEMORY_SCOPE,
      content: input.content,
      metadata: JSON.stringify(input.metadata ?? {}),
      created_at: this.clock.now(),
    };
    const embedding = encodeSparse(embedText(row.content));
    this.insertRow.run({ ...tenantParams(tenant), id: row.id, scope: row.scope, content: row.content, metadata: row.metadata, now: row.created_at, model: LOCAL_EMBEDDING_MODEL, embedding });
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

  /** The scope's memories closest in meaning to the query, best first (equal scores by id). */
  search(tenant: Tenant, input: MemorySearchInput): MemoryMatch[] {
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
