// flow.storage: object storage addressed by path; uploads and downloads stream, so a large
// object never has to sit in memory.
import { Readable, Transform } from "node:stream";
import type { AxiosInstance, AxiosRequestConfig, AxiosResponse } from "axios";
import { inject, injectable } from "tsyringe";
import type { FlowConfig } from "../container/config.js";
import type { Lifecycle } from "../container/lifecycle.js";
import { TOKENS } from "../container/tokens.js";
import { guessContentType, StorageListInput, StoragePathInput, StoragePutInput, StorageSignedUrlInput, validateInput } from "../dto/index.js";
import { FlowAbortError, FlowClosedError, FlowConnectionError, FlowError, FlowTimeoutError, FlowValidationError, type FlowValidationIssue } from "../errors.js";
import { callConfig } from "../http/call-options.js";
import { workspacePath } from "../http/paths.js";
import type { RequestOptions } from "../http/request-options.js";
import { pagedList } from "../http/paged-list.js";
import { objectBody } from "../http/response-body.js";
import type { PagePromise } from "../pagination.js";

/**
 * What `storage.put` accepts: bytes, text (stored as UTF-8), a stream read to its end, or a
 * function returning a fresh stream for each attempt (which makes a streamed upload retryable).
 */
export type StorageBody = Buffer | Uint8Array | string | Readable | NodeJS.ReadableStream | (() => Readable | NodeJS.ReadableStream);

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

/** Progress of an upload or a download. */
export interface StorageProgress {
  /** Bytes sent (put) or received (get) so far. */
  loaded: number;
  /** Total bytes, when known (not for an upload from a stream of unknown length). */
  total: number | undefined;
}

/**
 * Called as bytes move; the last call has `loaded` equal to the whole size (an empty object gets
 * one call with 0). When a failed upload is retried, counting starts again from 0.
 */
export type StorageProgressCallback = (progress: StorageProgress) => void;

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
/** Chunk size for Buffer bodies sent as a stream (so progress has steps). */
const CHUNK = 64 * 1024;

/**
 * Stores objects by path in the workspace. Uploads and downloads are streamed both ways;
 * `timeoutMs` bounds each attempt up to the answer's headers, which for `put` includes the upload:
 * pass a larger `timeoutMs` for very large objects on slow links.
 */
@injectable()
export class StorageNamespace {
  /** Built by the container. */
  constructor(
    @inject(TOKENS.PlatformHttp) private readonly http: AxiosInstance,
    @inject(TOKENS.Config) private readonly config: FlowConfig,
    @inject(TOKENS.Lifecycle) private readonly lifecycle: Lifecycle,
  ) {}

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
    const { onProgress, size, ...rest } = params;
    const input = validateInput(StoragePutInput, { ...rest, path }, "storage.put");
    checkProgress(onProgress, "storage.put");
    const source = bodySource(body, size);
    const headers: Record<string, string> = { "Content-Type": input.contentType ?? guessContentType(input.path) };
    if (input.metadata !== undefined) headers[METADATA_HEADER] = Buffer.from(JSON.stringify(input.metadata)).toString("base64url");
    if (source.size !== undefined) headers["Content-Length"] = String(source.size);
    const config = withHeaders(callConfig(options), headers);
    // A stream that breaks its declared size would leave the platform waiting for bytes that never
    // come (or read its excess as a next request): it fails the upload at once, as bad input.
    // The transport sees only a broken pipe when the body itself fails; the caller is told why.
    let mismatch: FlowValidationError | undefined; // the stream broke its declared size
    let thrown: { error: unknown } | undefined; // onProgress threw: the caller gets that error back
    let unreadable: Error | undefined; // the body's own failure (a file that cannot be read, say)
    const report =
      onProgress &&
      ((progress: StorageProgress): void => {
        try {
          onProgress(progress);
        } catch (error) {
          thrown ??= { error };
          throw error;
        }
      });
    const open = (): Readable => {
      const raw = source.open();
      raw.on("error", (error) => (unreadable ??= error));
      const stream = source.declared && source.size !== undefined ? exactly(raw, source.size, (error) => (mismatch = error)) : raw;
      return counted(stream, source.size, report);
    };
    const oneShot = source.repeatable ? undefined : open();
    try {
      // request(), not put(): put(url, data) would replace the data set here with its own argument.
      const response = await this.http.request<StorageObject>({
        ...config,
        method: "PUT",
        url: this.#objectPath(input.path),
        ...(oneShot ? { data: oneShot } : { flowBody: open }),
        // -1 is axios' "no limit" (its default; repeated so an instance-wide limit cannot cut an upload
        // short): unlike Infinity, it adds no counting stream to the pipe.
        maxBodyLength: -1,
        maxContentLength: -1,
      });
      return objectBody<StorageObject>(response);
    } catch (error) {
      // A failed upload leaves the caller's stream half read and useless: destroy it, so an open
      // file behind it is closed (the HTTP layer does the same for each body a factory made).
      oneShot?.destroy();
      if (error instanceof FlowClosedError || error instanceof FlowAbortError) throw error; // closing and aborting win
      if (mismatch) throw mismatch;
      if (thrown) throw thrown.error;
      if (unreadable) throw new FlowError(`storage.put: reading the body failed (${unreadable.message}); nothing was stored`, { cause: unreadable });
      throw error;
    }
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
    const { onProgress, ...rest } = params;
    rejectUnknown(rest, what);
    const input = validateInput(StoragePathInput, { path }, what);
    checkProgress(onProgress, what);
    const response: AxiosResponse<Readable> = await this.http.get(this.#objectPath(input.path), {
      ...callConfig(options),
      responseType: "stream",
      maxContentLength: -1,
    });
    const length = Number(response.headers["content-length"]);
    const total = Number.isSafeInteger(length) ? length : undefined;
    let loaded = 0;
    // Always through a guard: an error of the raw response stream can be an axios error whose
    // config holds the bearer token; the reader gets a FlowError instead.
    return through(response.data, {
      chunk: (chunk) => {
        loaded += chunk.length;
        onProgress?.({ loaded, total });
      },
      end: () => {
        if (loaded === 0) onProgress?.({ loaded, total });
      },
      error: (error) => this.#brokeOff(error, input.path, loaded, total, options?.signal),
    });
  }

  /** The FlowError a download stream fails with when the transfer breaks off part way. */
  #brokeOff(error: Error, path: string, loaded: number, total: number | undefined, signal: AbortSignal | undefined): FlowError {
    const where = `GET ${this.#objectPath(path)} (after ${loaded}${total === undefined ? "" : ` of ${total}`} bytes)`;
    if (this.lifecycle.closed) return new FlowClosedError(`${where} was cut off because this FlowSDK instance was closed`);
    if (signal?.aborted) return new FlowAbortError(`${where} was aborted by its signal`);
    const code = (error as { code?: unknown }).code;
    if (code === "ETIMEDOUT" || code === "ECONNABORTED") {
      return new FlowTimeoutError(`${where} timed out: the connection was idle for timeoutMs (a stream left unread counts); raise timeoutMs or read it steadily`);
    }
    return new FlowConnectionError(`${where} broke off (${typeof code === "string" ? code : "connection lost"}); fetch the object again`);
  }

  /**
   * Resolves to the metadata of the object at `path`, without its content.
   * @example
   * const { size, etag } = await flow.storage.head("exports/users.csv");
   * @throws {FlowNotFoundError} when there is no object at `path`.
   */
  async head(path: string, options?: RequestOptions): Promise<StorageObject> {
    const input = validateInput(StoragePathInput, { path }, "storage.head");
    const response = await this.http.get<StorageObject>(workspacePath(this.config, "storage", "metadata", ...input.path.split("/")), callConfig(options));
    return objectBody<StorageObject>(response);
  }

  /**
   * Objects in path order (metadata only); await for the first page or `for await` over every object.
   * @example for await (const object of flow.storage.list({ prefix: "reports/" })) console.log(object.path, object.size);
   */
  list(params: StorageListParams = {}, options?: RequestOptions): PagePromise<StorageObject> {
    return pagedList(this.http, () => ({ path: workspacePath(this.config, "storage", "objects"), query: validateInput(StorageListInput, params, "storage.list") }), options);
  }

  /**
   * Deletes the object at `path`; resolves to true when it existed.
   * @example
   * if (!(await flow.storage.delete("exports/old.csv"))) console.log("already gone");
   */
  async delete(path: string, options?: RequestOptions): Promise<boolean> {
    const input = validateInput(StoragePathInput, { path }, "storage.delete");
    const response = await this.http.delete<{ deleted: boolean }>(this.#objectPath(input.path), callConfig(options));
    return objectBody<{ deleted: boolean }>(response).deleted === true;
  }

  /**
   * Creates a time-limited URL to download (`GET`) or upload (`PUT`) the object at `path` without a
   * token. Anyone holding it may use it until it expires; a `PUT` URL needs `storage:write`.
   * @example
   * const { url } = await flow.storage.signedUrl("exports/users.csv", { expiresInSeconds: 600 });
   */
  async signedUrl(path: string, params: StorageSignedUrlParams = {}, options?: RequestOptions): Promise<StorageSignedUrl> {
    const input = validateInput(StorageSignedUrlInput, { ...params, path }, "storage.signedUrl");
    const response = await this.http.post<StorageSignedUrl>(workspacePath(this.config, "storage", "signed-urls"), { ...input }, callConfig(options));
    return objectBody<StorageSignedUrl>(response);
  }

  #objectPath(path: string): string {
    return workspacePath(this.config, "storage", "objects", ...path.split("/"));
  }
}

interface BodySource {
  /** Opens the body as a stream (again, when repeatable). */
  open: () => Readable;
  /** True when `open` may be called once per attempt. */
  repeatable: boolean;
  /** Size in bytes, when known. */
  size: number | undefined;
  /** True when `size` is the caller's word for a stream, to be checked as it flows. */
  declared: boolean;
}

function bodySource(body: StorageBody, size: number | undefined): BodySource {
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) {
    throw invalidInput("storage.put", [{ path: "size", message: "size must be a whole number of bytes, 0 or more" }]);
  }
  if (typeof body === "string" || body instanceof Uint8Array) {
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return { open: () => Readable.from(chunksOf(bytes), { objectMode: false }), repeatable: true, size: bytes.length, declared: false };
  }
  if (typeof body === "function") {
    return {
      open: () => {
        const stream = body();
        if (!isReadable(stream)) throw invalidInput("storage.put", [{ path: "body", message: "the body function must return a readable stream" }]);
        return toReadable(stream);
      },
      repeatable: true,
      size,
      declared: true,
    };
  }
  if (isReadable(body)) return { open: () => toReadable(body), repeatable: false, size, declared: true };
  throw invalidInput("storage.put", [{ path: "body", message: "body must be a Buffer, Uint8Array, string, readable stream or a function returning one" }]);
}

function* chunksOf(bytes: Buffer): Generator<Buffer> {
  if (bytes.length === 0) return;
  for (let start = 0; start < bytes.length; start += CHUNK) yield bytes.subarray(start, start + CHUNK);
}

function isReadable(value: unknown): value is Readable | NodeJS.ReadableStream {
  return typeof value === "object" && value !== null && typeof (value as { pipe?: unknown }).pipe === "function" && typeof (value as { on?: unknown }).on === "function";
}

function toReadable(stream: Readable | NodeJS.ReadableStream): Readable {
  return stream instanceof Readable ? stream : new Readable().wrap(stream);
}

/** `stream` as is without a callback; else passed through a counter that reports each chunk as it goes by. */
function counted(stream: Readable, total: number | undefined, onProgress: StorageProgressCallback | undefined): Readable {
  if (!onProgress) return stream;
  let loaded = 0;
  return through(stream, {
    chunk: (chunk) => {
      loaded += chunk.length;
      onProgress({ loaded, total });
    },
    end: () => {
      if (loaded === 0) onProgress({ loaded, total }); // an empty body still reports its (only) step
    },
  });
}

/** `stream` checked to give exactly `size` bytes; a mismatch fails it with a FlowValidationError, also handed to `fail`. */
function exactly(stream: Readable, size: number, fail: (error: FlowValidationError) => void): Readable {
  let seen = 0;
  const check = (ended: boolean): void => {
    if (ended ? seen === size : seen <= size) return;
    const message = `the body stream gave ${ended ? "only " : "more than "}${seen} bytes, but size says ${size}`;
    const error = invalidInput("storage.put", [{ path: "size", message }]);
    fail(error);
    throw error;
  };
  return through(stream, {
    chunk: (chunk) => {
      seen += chunk.length;
      check(false);
    },
    end: () => check(true),
  });
}

/** What {@link through} does along the way. */
interface ThroughHooks {
  /** Called for each chunk; a throw fails the stream. */
  chunk: (chunk: Buffer) => void;
  /** Called at the end; a throw fails the stream. */
  end?: () => void;
  /** Turns an error of the source into the one the reader sees. */
  error?: (error: Error) => Error;
}

/**
 * `stream` piped through a Transform running `hooks`, with backpressure. Failure goes both ways: a
 * failing source fails the reader (with `hooks.error` of its error), and a reader that gives up or
 * fails destroys the source.
 */
function through(stream: Readable, hooks: ThroughHooks): Readable {
  const guarded = (run: () => void, done: (error?: Error | null) => void): void => {
    try {
      run();
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  };
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      guarded(() => hooks.chunk(chunk), (error) => (error ? done(error) : done(null, chunk)));
    },
    flush(done) {
      guarded(() => hooks.end?.(), done);
    },
  });
  stream.on("error", (error) => transform.destroy(hooks.error ? hooks.error(error) : error));
  transform.on("close", () => {
    if (!stream.readableEnded) stream.destroy();
  });
  return stream.pipe(transform);
}

function checkProgress(onProgress: unknown, what: string): void {
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw invalidInput(what, [{ path: "onProgress", message: "onProgress must be a function" }]);
  }
}

function rejectUnknown(rest: object, what: string): void {
  const names = Object.keys(rest);
  if (names.length > 0) {
    const issues = names.map((name) => ({ path: name, message: `property ${name} should not exist` }));
    throw invalidInput(what, issues);
  }
}

/** A FlowValidationError worded like validateInput's: `<what>: invalid input (<path>: <message>; ...)`. */
function invalidInput(what: string, issues: FlowValidationIssue[]): FlowValidationError {
  return new FlowValidationError(`${what}: invalid input (${issues.map((i) => `${i.path}: ${i.message}`).join("; ")})`, issues);
}

function withHeaders(config: AxiosRequestConfig, headers: Record<string, string>): AxiosRequestConfig {
  return { ...config, headers: { ...headers, ...(config.headers as Record<string, string> | undefined) } };
}
