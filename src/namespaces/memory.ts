// flow.memory: long-term memory for agents: store text, recall it later by meaning.
import { inject, injectable } from "tsyringe";
import type { Filter } from "../dto/filter.js";
import { MemoryAddInput, MemoryClearInput, MemoryIdInput, MemoryListInput, MemorySearchInput, paramsObject, validateInput } from "../dto/index.js";
import type { RequestOptions } from "../http/request-options.js";
import { WorkspaceClient } from "../internal/workspace-client.js";
import type { PagePromise } from "../pagination.js";

/** Free-form JSON data stored with a memory; narrow it with a type argument. */
export type MemoryMetadata = Record<string, unknown>;

/** One remembered piece of text. */
export interface MemoryRecord<M extends MemoryMetadata = MemoryMetadata> {
  /** The record's id (`mem_…`). */
  id: string;
  /** The remembered text. */
  content: string;
  /** Free-form data stored with the record (`{}` when none was given). */
  metadata: M;
  /** The scope it belongs to, e.g. a user or agent id; `"default"` when none was given. */
  scope: string;
  /** When it was added, as an ISO 8601 timestamp. */
  createdAt: string;
}

/** A record found by `memory.search`, with how well it matches. */
export interface MemoryMatch<M extends MemoryMetadata = MemoryMetadata> extends MemoryRecord<M> {
  /** Cosine similarity of the query's embedding and the record's, from 0 to 1; higher is closer. */
  score: number;
}

/** Parameters of `memory.add`. */
export interface MemoryAddParams<M extends MemoryMetadata = MemoryMetadata> {
  /** The text to remember (up to 32 768 characters). */
  content: string;
  /** Free-form JSON data stored with the record (at most 64 KiB as JSON), usable in search filters. */
  metadata?: M | undefined;
  /**
   * Scope to file it under, e.g. `user:42`; searches in one scope never see another's records.
   * @default "default"
   */
  scope?: string | undefined;
}

/** Parameters of `memory.search`. */
export interface MemorySearchParams {
  /**
   * Most records to return, best first (1–100).
   * @default 10
   */
  limit?: number | undefined;
  /**
   * Scope to search in.
   * @default "default"
   */
  scope?: string | undefined;
  /** Only records whose metadata matches this filter (the language of datasets and vector). */
  filter?: Filter | undefined;
  /** Leave out matches whose score is below this, from 0 to 1; a score of 0 is never a match. */
  minScore?: number | undefined;
}

/** Parameters of `memory.list`. */
export interface MemoryListParams {
  /**
   * Scope to list.
   * @default "default"
   */
  scope?: string | undefined;
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/**
 * Stores text and recalls it by meaning. Without a configured embedding model the local platform
 * matches shared words and word forms, not synonyms (see docs/design-notes.md).
 */
@injectable()
export class MemoryNamespace {
  /** Built by the container. */
  constructor(@inject(WorkspaceClient) private readonly client: WorkspaceClient) {}

  /**
   * Remembers a piece of text and resolves to the stored record.
   *
   * @example await flow.memory.add({ content: "The user prefers dark mode", scope: "user:42" });
   * @throws {FlowValidationError} for empty content or an invalid scope or metadata, before any request.
   */
  async add<M extends MemoryMetadata = MemoryMetadata>(params: MemoryAddParams<M>, options?: RequestOptions): Promise<MemoryRecord<M>> {
    const input = validateInput(MemoryAddInput, params, "memory.add");
    return this.client.post<MemoryRecord<M>>(this.client.path("memory"), input, options);
  }

  /**
   * Resolves to the scope's records closest in meaning to `query`, best first (equal scores by id),
   * at most `limit`. A record that shares nothing with the query (score 0) is never a match; set
   * `minScore` to drop weak matches too.
   *
   * @example const hits = await flow.memory.search("what does the user like to eat?", { scope: "user:42", limit: 5 });
   * @throws {FlowValidationError} for an empty or whitespace-only query, one over 32 768 characters,
   * or invalid parameters, before any request.
   */
  async search<M extends MemoryMetadata = MemoryMetadata>(query: string, params: MemorySearchParams = {}, options?: RequestOptions): Promise<Array<MemoryMatch<M>>> {
    const input = validateInput(MemorySearchInput, { ...paramsObject(params, "memory.search", ["query"]), query }, "memory.search");
    return (await this.client.post<{ matches: Array<MemoryMatch<M>> }>(this.client.path("memory", "search"), input, options)).matches;
  }

  /**
   * Resolves to the record `id`, whatever its scope: an id is unique in the workspace and names the
   * record on its own (check `scope` on the result if the id came from an untrusted source).
   *
   * @example const record = await flow.memory.get(id);
   * @throws {FlowNotFoundError} when there is no such record in this workspace.
   */
  async get<M extends MemoryMetadata = MemoryMetadata>(id: string, options?: RequestOptions): Promise<MemoryRecord<M>> {
    const input = validateInput(MemoryIdInput, { id }, "memory.get");
    return this.client.get<MemoryRecord<M>>(this.client.path("memory", input.id), options);
  }

  /** The records of one scope, newest first; await for the first page or `for await` over every one. */
  list<M extends MemoryMetadata = MemoryMetadata>(params: MemoryListParams = {}, options?: RequestOptions): PagePromise<MemoryRecord<M>> {
    return this.client.list(() => ({ path: this.client.path("memory"), query: validateInput(MemoryListInput, params, "memory.list") }), options);
  }

  /** Forgets the record `id` (whatever its scope, like `get`); resolves to true when it existed in this workspace. */
  async delete(id: string, options?: RequestOptions): Promise<boolean> {
    const input = validateInput(MemoryIdInput, { id }, "memory.delete");
    return this.client.deleted(this.client.path("memory", input.id), options);
  }

  /**
   * Forgets every record of `scope` and nothing else; resolves to how many were deleted. The scope
   * is required, so that nothing is cleared by accident (pass `"default"` for the default scope).
   */
  async clear(scope: string, options?: RequestOptions): Promise<number> {
    const input = validateInput(MemoryClearInput, { scope }, "memory.clear");
    return (await this.client.post<{ deleted: number }>(this.client.path("memory", "clear"), input, options)).deleted;
  }
}
