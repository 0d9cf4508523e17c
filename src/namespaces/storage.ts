// flow.storage: object storage addressed by path; uploads and downloads stream, so a large
// object never has to sit in memory. Not available yet: the types below are the planned API;
// every method rejects with FlowNotAvailableError.
import type { Readable } from "node:stream";
import { injectable } from "tsyringe";
import type { RequestOptions } from "../http/request-options.js";
import type { PagePromise } from "../pagination.js";
import { notAvailable, notAvailablePage } from "./not-available.js";

/** What `storage.put` accepts: bytes, text (stored as UTF-8) or a stream read to its end. */
export type StorageBody = Buffer | Uint8Array | string | Readable | NodeJS.ReadableStream;

/** A stored object's metadata. */
export interface StorageObject {
  /** The object's path, e.g. `reports/2024/summary.pdf`. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** MIME type, e.g. `application/pdf`. */
  contentType: string;
  /** Opaque version tag; it changes whenever the content does. */
  etag: string;
  /** Free-form string metadata stored with the object. */
  metadata: Record<string, string>;
  /** When the object was last written, as an ISO 8601 timestamp. */
  updatedAt: string;
}

/** Progress of an upload. */
export interface StorageProgress {
  /** Bytes sent so far. */
  loaded: number;
  /** Total bytes, when known (not for a stream of unknown length). */
  total: number | undefined;
}

/** Parameters of `storage.put`. */
export interface StoragePutParams {
  /**
   * MIME type of the content.
   * @default guessed from the path's extension, else `application/octet-stream`
   */
  contentType?: string | undefined;
  /** Free-form string metadata stored with the object. */
  metadata?: Record<string, string> | undefined;
  /** Called as bytes are sent. */
  onProgress?: ((progress: StorageProgress) => void) | undefined;
}

/** Parameters of `storage.list`. */
export interface StorageListParams {
  /** Only objects whose path starts with this prefix, e.g. `reports/`. */
  prefix?: string | undefined;
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Parameters of `storage.signedUrl`. */
export interface StorageSignedUrlParams {
  /**
   * What the URL allows: downloading (`GET`) or uploading (`PUT`) the object.
   * @default "GET"
   */
  method?: "GET" | "PUT" | undefined;
  /**
   * How long the URL stays valid, in seconds.
   * @default 3600
   */
  expiresInSeconds?: number | undefined;
}

/** A URL that grants access to one object without a token, until it expires. */
export interface StorageSignedUrl {
  /** The URL. */
  url: string;
  /** When it stops working, as an ISO 8601 timestamp. */
  expiresAt: string;
}

/** Stores objects by path. Not available yet: every method rejects with `FlowNotAvailableError`. */
@injectable()
export class StorageNamespace {
  /**
   * Writes `body` at `path`, replacing any object there, and resolves to the stored object.
   * @example
   * await flow.storage.put("exports/users.csv", fs.createReadStream("users.csv"), { contentType: "text/csv" });
   */
  async put(path: string, body: StorageBody, params?: StoragePutParams, options?: RequestOptions): Promise<StorageObject> {
    throw notAvailable("storage.put");
  }

  /** Resolves to the whole content of the object at `path`; use `getStream` for large objects. */
  async get(path: string, options?: RequestOptions): Promise<Buffer> {
    throw notAvailable("storage.get");
  }

  /** Resolves to a stream of the object at `path`, read from the platform as it is consumed. */
  async getStream(path: string, options?: RequestOptions): Promise<Readable> {
    throw notAvailable("storage.getStream");
  }

  /** Resolves to the metadata of the object at `path`, without its content. */
  async head(path: string, options?: RequestOptions): Promise<StorageObject> {
    throw notAvailable("storage.head");
  }

  /** Lists objects, in path order. */
  list(params?: StorageListParams, options?: RequestOptions): PagePromise<StorageObject> {
    return notAvailablePage<StorageObject>("storage.list");
  }

  /** Deletes the object at `path`. */
  async delete(path: string, options?: RequestOptions): Promise<void> {
    throw notAvailable("storage.delete");
  }

  /** Creates a time-limited URL to download or upload the object at `path` without a token. */
  async signedUrl(path: string, params?: StorageSignedUrlParams, options?: RequestOptions): Promise<StorageSignedUrl> {
    throw notAvailable("storage.signedUrl");
  }
}
