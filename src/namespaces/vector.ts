// flow.vector: collections of embedding vectors with metadata, searched by similarity.
// Not available yet: the types below are the planned API; every method rejects with
// FlowNotAvailableError.
import { injectable } from "tsyringe";
import type { RequestOptions } from "../http/request-options.js";
import type { PagePromise } from "../pagination.js";
import { notAvailable, notAvailablePage } from "./not-available.js";

/** How the similarity of two vectors is measured. */
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

/** One vector to store. */
export interface VectorRecord {
  /** Id, unique in the collection; upserting an existing id replaces it. */
  id: string;
  /** The vector; its length must equal the collection's `dimensions`. */
  vector: number[];
  /** Free-form metadata, returned with matches and usable in filters. */
  metadata?: Record<string, unknown> | undefined;
}

/** One result of a similarity query. */
export interface VectorMatch {
  /** Id of the matching vector. */
  id: string;
  /** Similarity to the query vector under the collection's metric; higher is closer. */
  score: number;
  /** The vector's metadata. */
  metadata: Record<string, unknown>;
  /** The vector itself, when `includeVectors` was set. */
  vector?: number[];
}

/** Parameters of `vector.createCollection`. */
export interface VectorCreateCollectionParams {
  /** Name, unique in the workspace. */
  name: string;
  /** Length of every vector the collection will hold. */
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

/** Result of `vector.upsert`. */
export interface VectorUpsertResult {
  /** Number of vectors written. */
  upserted: number;
}

/** Parameters of `vector.query`. */
export interface VectorQueryParams {
  /** The query vector; its length must equal the collection's `dimensions`. */
  vector: number[];
  /**
   * Number of matches to return, closest first.
   * @default 10
   */
  topK?: number | undefined;
  /** Equality filter on metadata: only vectors whose metadata has these values. */
  filter?: Record<string, unknown> | undefined;
  /**
   * Return each match's vector too.
   * @default false
   */
  includeVectors?: boolean | undefined;
}

/** Stores and searches vectors. Not available yet: every method rejects with `FlowNotAvailableError`. */
@injectable()
export class VectorNamespace {
  /** Creates an empty collection; rejects with `FlowConflictError` when the name is taken. */
  async createCollection(params: VectorCreateCollectionParams, options?: RequestOptions): Promise<VectorCollection> {
    throw notAvailable("vector.createCollection");
  }

  /** Resolves to the collection `name`. */
  async getCollection(name: string, options?: RequestOptions): Promise<VectorCollection> {
    throw notAvailable("vector.getCollection");
  }

  /** Lists the workspace's collections. */
  listCollections(params?: VectorListCollectionsParams, options?: RequestOptions): PagePromise<VectorCollection> {
    return notAvailablePage<VectorCollection>("vector.listCollections");
  }

  /** Deletes the collection `name` and every vector in it. */
  async deleteCollection(name: string, options?: RequestOptions): Promise<void> {
    throw notAvailable("vector.deleteCollection");
  }

  /** Inserts `records` into the collection, replacing those whose id already exists. */
  async upsert(collection: string, records: readonly VectorRecord[], options?: RequestOptions): Promise<VectorUpsertResult> {
    throw notAvailable("vector.upsert");
  }

  /** Resolves to the vectors of the collection closest to `params.vector`, closest first. */
  async query(collection: string, params: VectorQueryParams, options?: RequestOptions): Promise<VectorMatch[]> {
    throw notAvailable("vector.query");
  }

  /** Deletes the vectors with these ids from the collection; unknown ids are ignored. */
  async delete(collection: string, ids: readonly string[], options?: RequestOptions): Promise<void> {
    throw notAvailable("vector.delete");
  }
}
