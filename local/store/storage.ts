import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { closeSync, createWriteStream, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, unlinkSync } from "node:fs";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { StorageListInput } from "../../src/dto/index.js";
import type { StorageObject } from "../../src/namespaces/storage.js";
import { systemClock, type Clock } from "../../src/container/clock.js";
import { tenantParams, type Tenant } from "../auth.js";
import { ensureMeta, type LocalDb } from "../db.js";
import { HttpError } from "../errors.js";
import { DEFAULT_LIMIT, decodeCursor, encodeCursor, listKind, toPage, type Page } from "../pagination.js";

interface Row {
  path: string;
  size: number;
  content_type: string;
  etag: string;
  metadata: string;
  updated_at: number;
}

/** What a write brings besides the content. */
export interface StorageWrite {
  /** The object's path (already validated). */
  path: string;
  /** MIME type. */
  contentType: string;
  /** User metadata. */
  metadata: Record<string, string>;
}

/** An object opened for reading: its metadata and a file descriptor of its content at that moment. */
export interface OpenedObject {
  /** The metadata. */
  object: StorageObject;
  /** An open descriptor of the content; the reader closes it. */
  fd: number;
}

/** The claims a signed URL carries. */
export interface SignedClaims extends Tenant {
  /** The object's path. */
  path: string;
  /** `GET` or `PUT`. */
  method: "GET" | "PUT";
  /** Expiry, in whole seconds since the epoch. */
  expires: number;
}

/** Name prefix of an upload's temporary file (object files are named by a hex hash: never a clash). */
const UPLOAD_PREFIX = ".upload-";
const COLUMNS = "path, size, content_type, etag, metadata, updated_at";

/**
 * Objects per org and workspace: metadata in SQLite, content as files under `objectsDir`, one
 * directory per tenant, each file named by the SHA-256 of its path. A path never becomes a file
 * name, so no path can name a file outside the tenant's directory (and `a` and `a/b` can both
 * exist); paths are still validated, like every input.
 */
export class StorageStore {
  private readonly selectRow;
  private readonly selectPage;
  private readonly upsert;
  private readonly deleteRow;
  private readonly signingKey: Buffer;

  /** Creates a store on the platform database, keeping content under `objectsDir` (created if needed) and reading the time from `clock`. */
  constructor(
    private readonly db: LocalDb,
    private readonly objectsDir: string,
    private readonly clock: Clock = systemClock,
  ) {
    mkdirSync(objectsDir, { recursive: true, mode: 0o700 });
    removeStaleUploads(objectsDir);
    this.selectRow = db.prepare(`SELECT ${COLUMNS} FROM storage_objects WHERE org = @org AND ws = @ws AND path = @path`);
    this.selectPage = db.prepare(
      `SELECT ${COLUMNS} FROM storage_objects
       WHERE org = @org AND ws = @ws AND substr(path, 1, length(@prefix)) = @prefix AND (@after IS NULL OR path > @after)
       ORDER BY path LIMIT @take`,
    );
    this.upsert = db.prepare(
      `INSERT INTO storage_objects (org, ws, path, size, content_type, etag, metadata, updated_at)
       VALUES (@org, @ws, @path, @size, @contentType, @etag, @metadata, @now)
       ON CONFLICT (org, ws, path) DO UPDATE SET
         size = excluded.size, content_type = excluded.content_type, etag = excluded.etag,
         metadata = excluded.metadata, updated_at = excluded.updated_at`,
    );
    this.deleteRow = db.prepare("DELETE FROM storage_objects WHERE org = @org AND ws = @ws AND path = @path");
    // Kept in the database like the token signing secret, so signed URLs survive a restart on the same data dir.
    this.signingKey = Buffer.from(ensureMeta(db, "storage_url_key", () => randomBytes(32).toString("base64url")), "base64url");
  }

  /** The metadata of the object at `path`, or undefined. */
  head(tenant: Tenant, objectPath: string): StorageObject | undefined {
    const row = this.selectRow.get({ ...tenantParams(tenant), path: objectPath }) as Row | undefined;
    return row && toObject(row);
  }

  /**
   * Opens the object at `path` for reading, or undefined when there is none. The lookup and the
   * open happen in one synchronous step, so the content always matches the metadata, even when a
   * write replaces the object while it is being read.
   */
  open(tenant: Tenant, objectPath: string): OpenedObject | undefined {
    const object = this.head(tenant, objectPath);
    if (!object) return undefined;
    return { object, fd: openSync(this.fileOf(tenant, objectPath), "r") };
  }

  /**
   * Streams `content` to a temporary file, hashing it on the way, then moves it into place and
   * records it. A body that breaks off leaves no trace: the old object, if any, stays.
   * @throws {HttpError} 400 `bad_request` when the upload breaks off.
   */
  async put(tenant: Tenant, write: StorageWrite, content: Readable): Promise<StorageObject> {
    const dir = this.tenantDir(tenant);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temp = path.join(dir, `${UPLOAD_PREFIX}${randomUUID()}`);
    const hash = createHash("sha256");
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(content, meter, createWriteStream(temp, { flags: "wx", mode: 0o600 }));
    } catch (error) {
      rmSync(temp, { force: true });
      if (content.destroyed || isAbort(error)) throw new HttpError(400, "bad_request", "The upload broke off before its end; nothing was stored", undefined);
      throw error;
    }
    // Rename and record in one synchronous step: no other request runs in between, so the file
    // and its row always agree, and a reader holds either the old file or the new one, whole.
    // The row is written first, in a transaction the rename ends: a busy database (or a full
    // disk) fails before the file is replaced, and a failed rename rolls the row back. The file is
    // synced first, so a row that survives a power loss (synchronous = FULL) has its bytes.
    const now = this.clock.now();
    const etag = hash.digest("hex");
    try {
      const fd = openSync(temp, "r");
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      const target = this.fileOf(tenant, write.path);
      this.db.transaction(() => {
        this.upsert.run({ ...tenantParams(tenant), path: write.path, size, contentType: write.contentType, etag, metadata: JSON.stringify(write.metadata), now });
        renameSync(temp, target);
        // The rename itself is durable only once its directory is synced: before the commit, so
        // a row that survives a power loss never names a file the rename lost.
        syncDirectory(path.dirname(target));
      })();
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
    return { path: write.path, size, contentType: write.contentType, etag, metadata: write.metadata, updatedAt: new Date(now).toISOString() };
  }

  /** A page of objects in path order, optionally only those starting with `prefix`. */
  list(tenant: Tenant, input: StorageListInput): Page<StorageObject> {
    const limit = input.limit ?? DEFAULT_LIMIT;
    const kind = listKind("storage", input.prefix ?? "");
    const after = input.cursor === undefined ? undefined : decodeCursor(kind, input.cursor, "string");
    const rows = this.selectPage.all({ ...tenantParams(tenant), prefix: input.prefix ?? "", after: after ?? null, take: limit + 1 }) as Row[];
    return toPage(rows, limit, toObject, (row) => encodeCursor(kind, row.path));
  }

  /** Removes the object at `path`; true when it existed. */
  delete(tenant: Tenant, objectPath: string): boolean {
    const removed = this.deleteRow.run({ ...tenantParams(tenant), path: objectPath }).changes > 0;
    if (removed) {
      try {
        unlinkSync(this.fileOf(tenant, objectPath));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
    return removed;
  }

  /** The signature of a signed URL's claims: HMAC-SHA256 with the platform's URL key, base64url. */
  sign(claims: SignedClaims): string {
    const text = JSON.stringify(["flow-storage-url/1", claims.orgId, claims.workspaceId, claims.path, claims.method, claims.expires]);
    return createHmac("sha256", this.signingKey).update(text).digest("base64url");
  }

  /**
   * Checks a signed URL's signature, then its expiry.
   * @throws {HttpError} 403 `invalid_signature` (tampered, wrong method) or `url_expired`.
   */
  verify(claims: SignedClaims, signature: string, now = this.clock.now()): void {
    const expected = Buffer.from(this.sign(claims));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new HttpError(403, "invalid_signature", `The signature does not match this URL and method (${claims.method}); ask for a new signed URL`);
    }
    if (claims.expires * 1000 <= now) {
      throw new HttpError(403, "url_expired", `This signed URL expired at ${new Date(claims.expires * 1000).toISOString()}; ask for a new one`);
    }
  }

  private tenantDir(tenant: Tenant): string {
    return path.join(this.objectsDir, sha256(JSON.stringify([tenant.orgId, tenant.workspaceId])).slice(0, 32));
  }

  private fileOf(tenant: Tenant, objectPath: string): string {
    return path.join(this.tenantDir(tenant), sha256(objectPath));
  }
}

/**
 * Removes the temporary files of uploads that a crash or a kill cut off (a clean close removes its
 * own): started on this data dir, none of them can still be running.
 */
function removeStaleUploads(objectsDir: string): void {
  for (const tenant of readdirSync(objectsDir, { withFileTypes: true })) {
    if (!tenant.isDirectory()) continue;
    const dir = path.join(objectsDir, tenant.name);
    for (const name of readdirSync(dir)) if (name.startsWith(UPLOAD_PREFIX)) rmSync(path.join(dir, name), { force: true });
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function isAbort(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE" || code === "ECONNABORTED";
}


function toObject(row: Row): StorageObject {
  return {
    path: row.path,
    size: row.size,
    contentType: row.content_type,
    etag: row.etag,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** fsyncs a directory, making the renames in it durable (a no-op where directories cannot be opened for it). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch (error) {
    // Windows cannot open a directory for fsync; there the rename is as durable as it gets.
    if ((error as NodeJS.ErrnoException).code !== "EISDIR" && (error as NodeJS.ErrnoException).code !== "EPERM") throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
