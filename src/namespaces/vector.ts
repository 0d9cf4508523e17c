// flow.vector: collections of embedding vectors with metadata, searched by similarity.
import { inject, injectable } from "tsyringe";
import type { Filter } from "../dto/filter.js";
import {
  paramsObject,
  validateInput,
  VectorCollectionInput,
  VectorCreateCollectionInput,
  VectorDeleteInput,
  VectorListCollectionsInput,
  VectorQueryInput,
  VectorUpsertInput,
} from "../dto/index.js";
import type { RequestOptions } from "../http/request-options.js";
import { WorkspaceClient } from "../internal/workspace-client.js";
import type { PagePromise } from "../pagination.js";

/**
 * How the similarity of two vectors is measured. Every score is "higher is closer":
 * `cosine` is the cosine similarity (−1 to 1), `dot` the dot product, and `euclidean` the
 * negated Euclidean distance (0 for the same point, more negative the farther away).
 */
export type VectorMetric = "cosine" | "euclidean" | "dot";

/** A collection of vectors that all have the same number of dimensions. */
export interface VectorCollection {
  /** Name, unique in the workspace. */
  name: string;
  /** Length of every vector in the collection. */
  dimensions: number;
  /** Similarity measure used by `query`. */
  metric: VectorMetric;
  /** Number of vectors stored. */
  count: number;
  /** When the collection was created, as an ISO 8601 timestamp. */
  createdAt: string;
}

/** Free-form JSON metadata stored with a vector; narrow it with a type argument. */
export type VectorMetadata = Record<string, unknown>;

/** One vector to store. */
export interface VectorRecord<M extends VectorMetadata = VectorMetadata> {
  /** Id, unique in the collection (1–256 characters); upserting an existing id replaces it. */
  id: string;
  /** The vector: finite numbers, as many as the collection's `dimensions`. */
  vector: number[];
  /** Free-form JSON metadata (at most 64 KiB as JSON), returned with matches and usable in filters. */
  metadata?: M | undefined;
}

/** One result of a similarity query. */
export interface VectorMatch<M extends VectorMetadata = VectorMetadata> {
  /** Id of the matching vector. */
  id: string;
  /** Similarity to the query vector under the collection's metric (see {@link VectorMetric}); higher is closer. */
  score: number;
  /** The vector's metadata (`{}` when it has none). */
  metadata: M;
  /** The vector itself, when `includeVectors` was set. */
  vector?: number[];
}

/** Parameters of `vector.createCollection`. */
export interface VectorCreateCollectionParams {
  /** Name, unique in the workspace: 1–128 letters, digits, `_`, `-`, `.`, starting with a letter or digit. */
  name: string;
  /** Length of every vector the collection will hold (1–8192). */
  dimensions: number;
  /**
   * Similarity measure.
   * @default "cosine"
   */
  metric?: VectorMetric | undefined;
}

/** Parameters of `vector.listCollections`. */
export interface VectorListCollectionsParams {
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Parameters of `vector.query`. */
export interface VectorQueryParams {
  /** The query vector; its length must equal the collection's `dimensions`. */
  vector: number[];
  /**
   * Number of matches to return, best first (1–1000).
   * @default 10
   */
  topK?: number | undefined;
  /**
   * Only vectors whose metadata matches this filter (the language datasets use too).
   * @example { genre: "jazz", year: { $gte: 1960 } }
   */
  filter?: Filter | undefined;
  /**
   * Return each match's vector too.
   * @default false
   */
  includeVectors?: boolean | undefined;
}

/** Stores vectors in named collections and finds the closest ones to a query vector. */
@injectable()
export class VectorNamespace {
  /** Built by the container. */
  constructor(@inject(WorkspaceClient) private readonly client: WorkspaceClient) {}

  /**
   * Creates an empty collection.
   *
   * @example await flow.vector.createCollection({ name: "docs", dimensions: 1536, metric: "cosine" });
   * @throws {FlowConflictError} when the name is taken.
   * @throws {FlowValidationError} for an invalid name, dimension count or metric, before any request.
   */
  async createCollection(params: VectorCreateCollectionParams, options?: RequestOptions): Promise<VectorCollection> {
    const input = validateInput(VectorCreateCollectionInput, params, "vector.createCollection");
    return this.client.post<VectorCollection>(this.client.path("vector", "collections"), input, options);
  }

  /**
   * Resolves to the collection `name`, with its vector count.
   *
   * @throws {FlowNotFoundError} when there is no such collection.
   */
  async getCollection(name: string, options?: RequestOptions): Promise<VectorCollection> {
    const input = validateInput(VectorCollectionInput, { name }, "vector.getCollection");
    return this.client.get<VectorCollection>(this.#path(input.name), options);
  }

  /** The workspace's collections by name; await for the first page or `for await` over every one. */
  listCollections(params: VectorListCollectionsParams = {}, options?: RequestOptions): PagePromise<VectorCollection> {
    return this.client.list(() => ({ path: this.client.path("vector", "collections"), query: validateInput(VectorListCollectionsInput, params, "vector.listCollections") }),
      options,
    );
  }

  /** Deletes the collection `name` and every vector in it; resolves to true when it existed. */
  async deleteCollection(name: string, options?: RequestOptions): Promise<boolean> {
    const input = validateInput(VectorCollectionInput, { name }, "vector.deleteCollection");
    return this.client.deleted(this.#path(input.name), options);
  }

  /**
   * Writes up to 1000 records in one go, all or none, replacing those whose id already exists;
   * resolves to the number written.
   *
   * @example await flow.vector.upsert("docs", [{ id: "a", vector: [0.1, 0.2, 0.3], metadata: { lang: "en" } }]);
   * @throws {FlowNotFoundError} when the collection does not exist.
   * @throws {FlowValidationError} for a vector whose length is not the collection's `dimensions`
   * (from the platform, which knows it), and before any request for NaN, Infinity, a repeated id
   * or vectors of different lengths in one batch.
   */
  async upsert<M extends VectorMetadata = VectorMetadata>(collection: string, records: ReadonlyArray<VectorRecord<M>>, options?: RequestOptions): Promise<number> {
    const input = validateInput(VectorUpsertInput, { name: collection, records }, "vector.upsert");
    return (await this.client.post<{ upserted: number }>(`${this.#path(input.name)}/upsert`, { records: input.records }, options)).upserted;
  }

  /**
   * Resolves to the `topK` vectors closest to `params.vector`, best first (equal scores by id).
   *
   * @example const matches = await flow.vector.query("docs", { vector: embedding, topK: 5, filter: { lang: "en" } });
   * @throws {FlowNotFoundError} when the collection does not exist.
   * @throws {FlowValidationError} for a query vector of the wrong length (from the platform), or
   * before any request for NaN, Infinity, a bad `topK` or filter.
   */
  async query<M extends VectorMetadata = VectorMetadata>(collection: string, params: VectorQueryParams, options?: RequestOptions): Promise<Array<VectorMatch<M>>> {
    const { name, ...body } = validateInput(VectorQueryInput, { ...paramsObject(params, "vector.query", ["name"]), name: collection }, "vector.query");
    return (await this.client.post<{ matches: Array<VectorMatch<M>> }>(`${this.#path(name)}/query`, body, options)).matches;
  }

  /**
   * Deletes the vectors with these ids (up to 1000); unknown ids are ignored. Resolves to how many
   * were deleted.
   *
   * @throws {FlowNotFoundError} when the collection does not exist.
   */
  async delete(collection: string, ids: readonly string[], options?: RequestOptions): Promise<number> {
    const input = validateInput(VectorDeleteInput, { name: collection, ids }, "vector.delete");
    return (await this.client.post<{ deleted: number }>(`${this.#path(input.name)}/delete`, { ids: input.ids }, options)).deleted;
  }

  #path(name: string): string {
    return this.client.path("vector", "collections", name);
  }
}
