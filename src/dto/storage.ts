// Inputs of the storage namespace, validated by the SDK before any request and by the local platform.
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateBy } from "./class-validator.js";
import { KeyString, NO_CONTROL_CHARS, PageQuery, WellFormed } from "./common.js";

/** Longest object path accepted, in characters. */
export const MAX_STORAGE_PATH = 1024;

/** Largest user metadata accepted: its JSON, in UTF-8 bytes (it travels in one HTTP header). */
export const MAX_STORAGE_METADATA_BYTES = 4096;

/** Longest lifetime of a signed URL: seven days. */
export const MAX_SIGNED_URL_SECONDS = 7 * 24 * 3600;

/** Lifetime of a signed URL when none is given: one hour. */
export const DEFAULT_SIGNED_URL_SECONDS = 3600;

/**
 * Why `path` is not a valid object path, or undefined when it is. A path is relative, made of
 * `/`-separated segments, none empty, `.` or `..`, without backslashes: it can never name
 * anything outside the workspace's objects, on any file system.
 */
export function storagePathProblem(path: unknown): string | undefined {
  if (typeof path !== "string") return "must be a string";
  if (path.startsWith("/")) return "must be relative: no leading /";
  if (path.includes("\\")) return "must not contain a backslash (use / between segments)";
  if (/^[A-Za-z]:/.test(path)) return "must not start with a drive letter";
  for (const segment of path.split("/")) {
    if (segment === "") return "must not have empty segments (// or a trailing /)";
    if (segment === "." || segment === "..") return `must not have a "${segment}" segment`;
  }
  return undefined;
}

/** Decorators for an object path: 1 to 1024 characters, no control characters, and {@link storagePathProblem}. */
function StoragePath(field = "path"): PropertyDecorator {
  return (target, property) => {
    KeyString(field, MAX_STORAGE_PATH)(target, property);
    ValidateBy({
      name: "isStoragePath",
      validator: {
        validate: (value) => typeof value !== "string" || value === "" || storagePathProblem(value) === undefined,
        defaultMessage: (args) => `${field} ${storagePathProblem(args?.value) ?? "is not a valid object path"}`,
      },
    })(target, property);
  };
}

/** Input of `storage.get`, `getStream`, `head` and `delete`. */
export class StoragePathInput {
  /** The object's path, e.g. `reports/2024/summary.pdf`. */
  @StoragePath()
  path!: string;
}

/** Input of `storage.put` (the path from the URL, the rest from headers; the body is the content). */
export class StoragePutInput extends StoragePathInput {
  /** MIME type, e.g. `text/csv` or `text/plain; charset=utf-8`. */
  @IsOptional()
  @IsString({ message: "contentType must be a string" })
  @MaxLength(255, { message: "contentType must be at most 255 characters" })
  @Matches(/^[\w!#$&^.+-]+\/[\w!#$&^.+-]+(\s*;[\x20-\x7e]*)?$/, { message: "contentType must be a MIME type such as text/plain or application/json; charset=utf-8" })
  contentType?: string;

  /** Free-form string metadata, at most 4096 bytes as JSON. */
  @IsOptional()
  @ValidateBy({
    name: "isStorageMetadata",
    validator: { validate: (value) => metadataProblem(value) === undefined, defaultMessage: (args) => `metadata ${metadataProblem(args?.value) ?? "is invalid"}` },
  })
  metadata?: Record<string, string>;
}

/** Input of `storage.list`. */
export class StorageListInput extends PageQuery {
  /** Only objects whose path starts with this, e.g. `reports/`. */
  @IsOptional()
  @IsString({ message: "prefix must be a string" })
  @MaxLength(MAX_STORAGE_PATH, { message: `prefix must be at most ${MAX_STORAGE_PATH} characters` })
  @Matches(NO_CONTROL_CHARS, { message: "prefix must not contain control characters" })
  @WellFormed("prefix")
  prefix?: string;
}

/** Input of `storage.signedUrl`. */
export class StorageSignedUrlInput extends StoragePathInput {
  /** What the URL allows: `GET` (download) or `PUT` (upload). */
  @IsOptional()
  @IsIn(["GET", "PUT"], { message: "method must be GET or PUT" })
  method?: "GET" | "PUT";

  /** Seconds the URL stays valid, 1 to seven days. */
  @IsOptional()
  @IsInt({ message: "expiresInSeconds must be a whole number of seconds" })
  @Min(1, { message: "expiresInSeconds must be at least 1" })
  @Max(MAX_SIGNED_URL_SECONDS, { message: `expiresInSeconds must be at most ${MAX_SIGNED_URL_SECONDS} (seven days)` })
  expiresInSeconds?: number;
}

function metadataProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) {
    return "must be a plain object of strings";
  }
  for (const [name, item] of Object.entries(value)) {
    // Quoted whole or not at all: a cut-off quote of a value would slip past redaction.
    if (name.length > 128) return `has a name of ${name.length} characters; a name is 1 to 128 letters, digits, _ . or -`;
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(name)) return `name ${JSON.stringify(name)} must be 1 to 128 letters, digits, _ . or -`;
    if (typeof item !== "string") return `value of ${name} must be a string`;
  }
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_STORAGE_METADATA_BYTES) return `must be at most ${MAX_STORAGE_METADATA_BYTES} bytes as JSON`;
  return undefined;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  txt: "text/plain; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  tsv: "text/tab-separated-values; charset=utf-8",
  html: "text/html; charset=utf-8",
  htm: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  json: "application/json",
  jsonl: "application/jsonl",
  ndjson: "application/x-ndjson",
  xml: "application/xml",
  yaml: "application/yaml",
  yml: "application/yaml",
  pdf: "application/pdf",
  zip: "application/zip",
  gz: "application/gzip",
  tar: "application/x-tar",
  parquet: "application/vnd.apache.parquet",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
  mp3: "audio/mpeg",
  wav: "audio/wav",
  mp4: "video/mp4",
  webm: "video/webm",
};

/** The MIME type for a path's extension (common types only), else `application/octet-stream`. */
export function guessContentType(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return (dot > 0 && CONTENT_TYPES[name.slice(dot + 1).toLowerCase()]) || "application/octet-stream";
}
