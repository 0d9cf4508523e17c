// Inputs of the vector namespace, validated by the SDK before any request and by the local platform.
import { IsBoolean, IsIn, IsInt, IsOptional, Matches, Max, Min } from "./class-validator.js";
import { hasLoneSurrogate, isPlainObject, LocatedExact, type LocatedIssue, MAX_JSON_BODY_BYTES, metadataIssue, OptionalNotNull, PageQuery } from "./common.js";
import { IsFilter, type Filter } from "./filter.js";

/** The similarity measures a collection can use. */
export const VECTOR_METRICS = ["cosine", "dot", "euclidean"] as const;

/** Most dimensions a collection may have. */
export const MAX_VECTOR_DIMENSIONS = 8192;

/** Most records one `upsert` may carry, and most ids one `delete` may name. */
export const MAX_VECTOR_BATCH = 1000;

/** Most matches one `query` may ask for. */
export const MAX_VECTOR_TOP_K = 1000;

/**
 * Most bytes the JSON of one `upsert` batch may take: a platform request body is at most 8 MiB,
 * and a little is left for the envelope `{ "records": [...] }`.
 */
export const MAX_VECTOR_UPSERT_BYTES = MAX_JSON_BODY_BYTES - 1024;

// No float64 written as JSON is longer than this ("-2.2250738585072014e-308"), with its comma.
const MAX_NUMBER_JSON = 25;

/** Longest vector id accepted. */
export const MAX_VECTOR_ID = 256;

/** A collection name: a letter or digit, then letters, digits, `_`, `-`, `.` (up to 128 in all). */
export const VECTOR_COLLECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Input naming a collection (`getCollection`, `deleteCollection`, and the path of the others). */
export class VectorCollectionInput {
  /** The collection's name. */
  @Matches(VECTOR_COLLECTION_NAME, { message: "collection name must be 1–128 letters, digits, _, - or ., starting with a letter or digit" })
  name!: string;
}

/** Input of `vector.createCollection`. */
export class VectorCreateCollectionInput extends VectorCollectionInput {
  /** Length of every vector the collection will hold. */
  @IsInt({ message: "dimensions must be a whole number" })
  @Min(1, { message: "dimensions must be at least 1" })
  @Max(MAX_VECTOR_DIMENSIONS, { message: `dimensions must be at most ${MAX_VECTOR_DIMENSIONS}` })
  dimensions!: number;

  /** Similarity measure; cosine when absent. */
  @IsOptional()
  @IsIn(VECTOR_METRICS, { message: `metric must be one of ${VECTOR_METRICS.join(", ")}` })
  metric?: (typeof VECTOR_METRICS)[number];
}

/** Input of `vector.listCollections`. */
export class VectorListCollectionsInput extends PageQuery {}

/** Input of `vector.upsert`. */
export class VectorUpsertInput extends VectorCollectionInput {
  /** The records; ids unique within the batch, vectors all of one length. */
  @IsVectorRecords()
  records!: Array<{ id: string; vector: number[]; metadata?: Record<string, unknown> }>;
}

/** Input of `vector.query`. */
export class VectorQueryInput extends VectorCollectionInput {
  /** The query vector. */
  @IsVector()
  vector!: number[];

  /** Number of matches, best first; 10 when absent. */
  @IsOptional()
  @IsInt({ message: "topK must be a whole number" })
  @Min(1, { message: "topK must be at least 1" })
  @Max(MAX_VECTOR_TOP_K, { message: `topK must be at most ${MAX_VECTOR_TOP_K}` })
  topK?: number;

  /** Only vectors whose metadata matches. Left out, not `null`, for none. */
  @OptionalNotNull()
  @IsFilter()
  filter?: Filter;

  /** Return each match's vector too. */
  @IsOptional()
  @IsBoolean({ message: "includeVectors must be true or false" })
  includeVectors?: boolean;
}

/** Input of `vector.delete`. */
export class VectorDeleteInput extends VectorCollectionInput {
  /** Ids of the vectors to delete. */
  @IsVectorIdList()
  ids!: string[];
}

/** What is wrong with `value` as a vector, or undefined: an array of 1 to 8192 finite numbers. */
export function vectorIssue(value: unknown, where: string): string | undefined {
  return vectorFault(value, where)?.message;
}

const fault = (path: string, text: string): LocatedIssue => ({ path, message: `${path} ${text}` });

function vectorFault(value: unknown, where: string): LocatedIssue | undefined {
  if (!Array.isArray(value)) return fault(where, "must be an array of numbers");
  if (value.length === 0 || value.length > MAX_VECTOR_DIMENSIONS) return fault(where, `must have 1 to ${MAX_VECTOR_DIMENSIONS} numbers, not ${value.length}`);
  for (let i = 0; i < value.length; i++) {
    const n: unknown = value[i];
    if (typeof n !== "number" || !Number.isFinite(n)) return fault(`${where}[${i}]`, `must be a finite number, not ${describe(n)}`);
  }
  return undefined;
}

// Issues name the exact record and field (`records[1].vector`), as the platform's do.
function recordsFault(value: unknown, where: string): LocatedIssue | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_VECTOR_BATCH) return fault(where, `must be an array of 1 to ${MAX_VECTOR_BATCH} records`);
  const seen = new Map<string, number>();
  let length: number | undefined;
  for (const [i, record] of value.entries()) {
    const at = `${where}[${i}]`;
    if (!isPlainObject(record)) return fault(at, "must be an object { id, vector, metadata? }");
    const extra = Object.keys(record).find((k) => k !== "id" && k !== "vector" && k !== "metadata");
    if (extra !== undefined) return fault(`${at}.${extra}`, "is not a record field; a record is { id, vector, metadata? }");
    const { id, vector, metadata } = record;
    const idProblem = idFault(id, `${at}.id`);
    if (idProblem) return idProblem;
    const first = seen.get(id as string);
    if (first !== undefined) return fault(`${at}.id`, `repeats ${where}[${first}].id (${JSON.stringify(id)}); give each id once per batch`);
    seen.set(id as string, i);
    const vectorProblem = vectorFault(vector, `${at}.vector`);
    if (vectorProblem) return vectorProblem;
    const n = (vector as number[]).length;
    if (length !== undefined && n !== length) return fault(`${at}.vector`, `has ${n} dimensions but ${where}[0].vector has ${length}; a collection's vectors all have the same length`);
    length = n;
    const metadataProblem = metadata === undefined ? undefined : metadataIssue(metadata, `${at}.metadata`);
    if (metadataProblem !== undefined) return { path: `${at}.metadata`, message: metadataProblem };
  }
  const size = batchSizeIssue(value as Array<Record<string, unknown>>, where);
  return size === undefined ? undefined : { path: where, message: size };
}

// A batch whose JSON would pass the platform's body limit, named before it is sent (the platform
// would only answer 413 "body too large"), with a batch size that fits. An upper bound on the size
// (every number at its longest) is enough for most batches; only above it is the batch measured.
function batchSizeIssue(records: ReadonlyArray<Record<string, unknown>>, where: string): string | undefined {
  let bound = 0;
  for (const { id, vector, metadata } of records) {
    bound += (vector as number[]).length * MAX_NUMBER_JSON + JSON.stringify(id).length * 3 + 64;
    if (metadata !== undefined) bound += Buffer.byteLength(JSON.stringify(metadata));
  }
  if (bound <= MAX_VECTOR_UPSERT_BYTES) return undefined;
  const size = records.reduce((sum, record) => sum + Buffer.byteLength(JSON.stringify(record)) + 1, 0);
  if (size <= MAX_VECTOR_UPSERT_BYTES) return undefined;
  const fits = Math.max(1, Math.floor((records.length * MAX_VECTOR_UPSERT_BYTES) / size));
  const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
  return `${where} come to ${mib(size)} MiB as JSON, over the ${mib(MAX_VECTOR_UPSERT_BYTES + 1024)} MiB a request body may carry; upsert them in batches of about ${fits} records (each batch is all or none)`;
}

function idListFault(value: unknown, where: string): LocatedIssue | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_VECTOR_BATCH) return fault(where, `must be an array of 1 to ${MAX_VECTOR_BATCH} ids`);
  for (const [i, id] of value.entries()) {
    const issue = idFault(id, `${where}[${i}]`);
    if (issue) return issue;
  }
  return undefined;
}

// Same rules as KeyString: 1–256 characters, no control characters, well-formed Unicode (a lone
// surrogate would be stored as U+FFFD, another id than the one given).
function idFault(id: unknown, where: string): LocatedIssue | undefined {
  if (typeof id !== "string" || id.length === 0 || id.length > MAX_VECTOR_ID) return fault(where, `must be a string of 1 to ${MAX_VECTOR_ID} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(id)) return fault(where, "must not contain control characters");
  if (hasLoneSurrogate(id)) return fault(where, "must be well-formed Unicode (it holds a lone surrogate)");
  return undefined;
}


function describe(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (value === null) return "null";
  return typeof value;
}


/** Decorator: an array of 1 to 8192 finite numbers. */
export function IsVector(): PropertyDecorator {
  return LocatedExact("isVector", vectorFault);
}

/** Decorator: 1 to 1000 `{ id, vector, metadata? }` records, ids unique, vectors of one length, at most {@link MAX_VECTOR_UPSERT_BYTES} as JSON. */
export function IsVectorRecords(): PropertyDecorator {
  return LocatedExact("isVectorRecords", recordsFault);
}

/** Decorator: 1 to 1000 vector ids. */
export function IsVectorIdList(): PropertyDecorator {
  return LocatedExact("isVectorIdList", idListFault);
}
