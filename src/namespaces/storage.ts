// flow.storage: object storage addressed by path; uploads and downloads stream, so a large
// object never has to sit in memory.
import type { Readable } from "node:stream";
import { inject, injectable } from "tsyringe";
import { guessContentType, invalidInput, paramsObject, StorageListInput, StoragePathInput, StoragePutInput, StorageSignedUrlInput, validateInput } from "../dto/index.js";
import type { RequestOptions } from "../http/request-options.js";
import { bodySource, checkProgress, type ProgressCallback, type TransferProgress, type UploadBody } from "../internal/streams.js";
import { WorkspaceClient } from "../internal/workspace-client.js";
import type { PagePromise } from "../pagination.js";

/**
 * What `storage.put` accepts: bytes, text (stored as UTF-8), a stream read to its end, or a
 * function returning a fresh stream for each attempt (which makes a streamed upload retryable).
 */
export type StorageBody = UploadBody;

/** A stored object's metadata. */
export interface StorageObject {
  /** The object's path, e.g. `reports/2024/summary.pdf`. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** MIME type, e.g. `application/pdf`. */
  contentType: string;
  /** SHA-256 of the content, in hex; it changes whenever the content does. */
  etag: string;
  /** Free-form string metadata stored with the object. */
  metadata: Record<string, string>;
  /** When the object was last written, as an ISO 8601 timestamp. */
  updatedAt: string;
}

/** Progress of an upload or a download: bytes sent (put) or received (get) so far, and the total when known. */
export type StorageProgress = TransferProgress;

/**
 * Called as bytes move; the last call has `loaded` equal to the whole size (an empty object gets
 * one call with 0). When a failed upload is retried, counting starts again from 0.
 */
export type StorageProgressCallback = ProgressCallback;

/** Parameters of `storage.put`. */
export interface StoragePutParams {
  /**
   * MIME type of the content.
   * @default guessed from the path's extension, else `application/octet-stream`
   */
  contentType?: string | undefined;
  /** Free-form string metadata stored with the object (names: letters, digits, `_ . -`; at most 4096 bytes as JSON). */
  metadata?: Record<string, string> | undefined;
  /** Called as bytes are sent. */
  onProgress?: StorageProgressCallback | undefined;
  /**
   * Size of a stream body in bytes, when known: sent as Content-Length and used as `total` in
   * progress. Ignored for Buffer and string bodies, whose size is known.
   */
  size?: number | undefined;
}

/** Parameters of `storage.get` and `storage.getStream`. */
export interface StorageGetParams {
  /** Called as bytes are received (for `getStream`: as the stream is read). */
  onProgress?: StorageProgressCallback | undefined;
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
   * How long the URL stays valid, in seconds (at most seven days).
   * @default 3600
   */
  expiresInSeconds?: number | undefined;
}

/** A URL that grants access to one object without a token, until it expires. */
export interface StorageSignedUrl {
  /** The URL. */
  url: string;
  /** The HTTP method it allows. */
  method: "GET" | "PUT";
  /** When it stops working, as an ISO 8601 timestamp. */
  expiresAt: string;
}

/** Header carrying user metadata: base64url of its JSON. */
const METADATA_HEADER = "X-Flow-Metadata";

/**
 * Stores objects by path in the workspace. Uploads and downloads are streamed both ways;
 * `timeoutMs` bounds each attempt up to the answer's headers, which for `put` includes the upload:
 * pass a larger `timeoutMs` for very large objects on slow links.
 */
@injectable()
export class StorageNamespace {
  /** Built by the container. */
  constructor(@inject(WorkspaceClient) private readonly client: WorkspaceClient) {}

  /**
   * Writes `body` at `path`, replacing any object there, and resolves to the stored object. The
   * platform keeps the old object until the new one has arrived whole.
   *
   * A Buffer, string or stream factory (`() => Readable`) body is retried like any call; a
   * Readable passed as is can be read only once, so that upload is never retried.
   * @example
   * await flow.storage.put("exports/users.csv", () => fs.createReadStream("users.csv"), { contentType: "text/csv" });
   * @throws {FlowValidationError} for an invalid path, content type or metadata, before any request.
   */
  async put(path: string, body: StorageBody, params: StoragePutParams = {}, options?: RequestOptions): Promise<StorageObject> {
    const { onProgress, size, ...rest } = paramsObject(params, "storage.put", ["path"]);
    const input = validateInput(StoragePutInput, { ...rest, path }, "storage.put");
    checkProgress(onProgress, "storage.put");
    const source = bodySource(body, size, "storage.put");
    const headers: Record<string, string> = { "Content-Type": input.contentType ?? guessContentType(input.path) };
    if (input.metadata !== undefined) headers[METADATA_HEADER] = Buffer.from(JSON.stringify(input.metadata)).toString("base64url");
    return this.client.upload<StorageObject>("PUT", this.#objectPath(input.path), source, { headers, onProgress, what: "storage.put" }, options);
  }

  /**
   * Resolves to the whole content of the object at `path`; use `getStream` for large objects.
   * @example
   * const csv = (await flow.storage.get("exports/users.csv")).toString("utf8");
   * @throws {FlowNotFoundError} when there is no object at `path`.
   */
  async get(path: string, params: StorageGetParams = {}, options?: RequestOptions): Promise<Buffer> {
    const stream = await this.#download(path, params, options, "storage.get");
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * Resolves, once the platform has answered, to a stream of the object at `path`, read from the
   * platform as it is consumed. Read it to its end or destroy it: until then it holds a connection.
   * @example
   * await pipeline(await flow.storage.getStream("exports/users.csv"), fs.createWriteStream("users.csv"));
   * @throws {FlowNotFoundError} when there is no object at `path`.
   */
  getStream(path: string, params: StorageGetParams = {}, options?: RequestOptions): Promise<Readable> {
    return this.#download(path, params, options, "storage.getStream");
  }

  async #download(path: string, params: StorageGetParams, options: RequestOptions | undefined, what: string): Promise<Readable> {
    const { onProgress, ...rest } = paramsObject(params, what);
    rejectUnknown(rest, what);
    const input = validateInput(StoragePathInput, { path }, what);
    checkProgress(onProgress, what);
    return this.client.download(this.#objectPath(input.path), onProgress, options);
  }

  /**
   * Resolves to the metadata of the object at `path`, without its content.
   * @example
   * const { size, etag } = await flow.storage.head("exports/users.csv");
   * @throws {FlowNotFoundError} when there is no object at `path`.
   */
  async head(path: string, options?: RequestOptions): Promise<StorageObject> {
    const input = validateInput(StoragePathInput, { path }, "storage.head");
    return this.client.get<StorageObject>(this.client.path("storage", "metadata", ...input.path.split("/")), options);
  }

  /**
   * Objects in path order (metadata only); await for the first page or `for await` over every object.
   * @example for await (const object of flow.storage.list({ prefix: "reports/" })) console.log(object.path, object.size);
   */
  list(params: StorageListParams = {}, options?: RequestOptions): PagePromise<StorageObject> {
    return this.client.list(() => ({ path: this.client.path("storage", "objects"), query: validateInput(StorageListInput, params, "storage.list") }), options);
  }

  /**
   * Deletes the object at `path`; resolves to true when it existed.
   * @example
   * if (!(await flow.storage.delete("exports/old.csv"))) console.log("already gone");
   */
  async delete(path: string, options?: RequestOptions): Promise<boolean> {
    const input = validateInput(StoragePathInput, { path }, "storage.delete");
    return this.client.deleted(this.#objectPath(input.path), options);
  }

  /**
   * Creates a time-limited URL to download (`GET`) or upload (`PUT`) the object at `path` without a
   * token. Anyone holding it may use it until it expires; a `PUT` URL needs `storage:write`.
   * @example
   * const { url } = await flow.storage.signedUrl("exports/users.csv", { expiresInSeconds: 600 });
   */
  async signedUrl(path: string, params: StorageSignedUrlParams = {}, options?: RequestOptions): Promise<StorageSignedUrl> {
    const input = validateInput(StorageSignedUrlInput, { ...paramsObject(params, "storage.signedUrl", ["path"]), path }, "storage.signedUrl");
    return this.client.post<StorageSignedUrl>(this.client.path("storage", "signed-urls"), { ...input }, options);
  }

  #objectPath(path: string): string {
    return this.client.path("storage", "objects", ...path.split("/"));
  }
}

function rejectUnknown(rest: object, what: string): void {
  const names = Object.keys(rest);
  if (names.length > 0) {
    const issues = names.map((name) => ({ path: name, message: `property ${name} should not exist` }));
    throw invalidInput(what, issues);
  }
}
