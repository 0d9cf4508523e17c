// flow.memory: long-term memory for agents: store text, recall it later by meaning.
// Not available yet: the types below are the planned API; every method rejects with
// FlowNotAvailableError.
import { injectable } from "tsyringe";
import type { RequestOptions } from "../http/request-options.js";
import type { PagePromise } from "../pagination.js";
import { notAvailable, notAvailablePage } from "./not-available.js";

/** One remembered piece of text. */
export interface MemoryRecord {
  /** The record's id. */
  id: string;
  /** The remembered text. */
  content: string;
  /** Free-form data stored with the record. */
  metadata: Record<string, unknown>;
  /** The scope it belongs to, e.g. a user or agent id, or `null` for the workspace-wide scope. */
  scope: string | null;
  /** When it was added, as an ISO 8601 timestamp. */
  createdAt: string;
}

/** A record found by `memory.search`, with how well it matches. */
export interface MemoryMatch extends MemoryRecord {
  /** Similarity to the query, from 0 to 1; higher is closer. */
  score: number;
}

/** Parameters of `memory.add`. */
export interface MemoryAddParams {
  /** The text to remember. */
  content: string;
  /** Free-form data stored with the record. */
  metadata?: Record<string, unknown> | undefined;
  /**
   * Scope to file it under, e.g. `user:42`; searches in one scope never see another's records.
   * @default the workspace-wide scope
   */
  scope?: string | undefined;
}

/** Parameters of `memory.search`. */
export interface MemorySearchParams {
  /**
   * Most records to return, best first.
   * @default 10
   */
  limit?: number | undefined;
  /**
   * Scope to search in.
   * @default the workspace-wide scope
   */
  scope?: string | undefined;
  /** Ignore matches whose score is below this, from 0 to 1. */
  minScore?: number | undefined;
}

/** Parameters of `memory.list`. */
export interface MemoryListParams {
  /**
   * Scope to list.
   * @default the workspace-wide scope
   */
  scope?: string | undefined;
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Result of `memory.clear`. */
export interface MemoryClearResult {
  /** Number of records deleted. */
  deleted: number;
}

/** Stores text and recalls it by meaning. Not available yet: every method rejects with `FlowNotAvailableError`. */
@injectable()
export class MemoryNamespace {
  /** Remembers a piece of text and resolves to the stored record. */
  async add(params: MemoryAddParams, options?: RequestOptions): Promise<MemoryRecord> {
    throw notAvailable("memory.add");
  }

  /**
   * Resolves to the records closest in meaning to `query`, best first.
   * @example
   * const hits = await flow.memory.search("what does the user like to eat?", { scope: "user:42", limit: 5 });
   */
  async search(query: string, params?: MemorySearchParams, options?: RequestOptions): Promise<MemoryMatch[]> {
    throw notAvailable("memory.search");
  }

  /** Resolves to the record `id`. */
  async get(id: string, options?: RequestOptions): Promise<MemoryRecord> {
    throw notAvailable("memory.get");
  }

  /** Lists the records of a scope, newest first. */
  list(params?: MemoryListParams, options?: RequestOptions): PagePromise<MemoryRecord> {
    return notAvailablePage<MemoryRecord>("memory.list");
  }

  /** Forgets the record `id`. */
  async delete(id: string, options?: RequestOptions): Promise<void> {
    throw notAvailable("memory.delete");
  }

  /** Forgets every record of `scope`; the scope is required so that nothing is cleared by accident. */
  async clear(scope: string, options?: RequestOptions): Promise<MemoryClearResult> {
    throw notAvailable("memory.clear");
  }
}
