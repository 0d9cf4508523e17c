// Inputs of the datasets namespace, validated by the SDK before any request and by the local
// platform, plus the one check of rows against a schema (the platform runs it inside the insert).
import { IsOptional, IsString, Matches, MaxLength } from "./class-validator.js";
import type { FlowValidationIssue } from "../errors.js";
import type { DatasetColumn, DatasetColumnType, DatasetOrderBy, DatasetSchema } from "../namespaces/datasets.js";
import { isJsonValue, isPlainObject, Located, LocatedExact, type LocatedIssue, MAX_JSON_BODY_BYTES, MAX_JSON_DEPTH, nestsDeeperThan, OptionalNotNull, PageQuery, parseDateTime } from "./common.js";
import { IsFilter, type Filter } from "./filter.js";

/** The column types a schema may use. */
export const DATASET_COLUMN_TYPES: readonly DatasetColumnType[] = ["string", "integer", "number", "boolean", "timestamp", "json"];

/** A dataset name: a letter, digit or `_`, then letters, digits, `_`, `-`, `.` (up to 128 in all). */
export const DATASET_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** A dataset id: `ds_` and 24 hex digits. A name may not look like one, so a reference is never ambiguous. */
export const DATASET_ID = /^ds_[0-9a-f]{24}$/;

/** A column name: a letter or `_`, then letters, digits or `_` (up to 64); no dots, so `meta.source` in a filter means a path into a json column. */
export const DATASET_COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Most columns a schema may have. */
export const MAX_DATASET_COLUMNS = 100;

/** Most rows one `insertRows` call may carry (they are inserted in one transaction). */
export const MAX_INSERT_ROWS = 10_000;

/** Most bytes the JSON body of one `insertRows` call may have: the protocol's request body limit. */
export const MAX_INSERT_BODY_BYTES = MAX_JSON_BODY_BYTES;

/** Most sort keys one query may use. */
export const MAX_ORDER_BY = 8;

/** Most issues reported for one batch of rows; the rest are counted, not listed. */
export const MAX_ROW_ISSUES = 20;


/** Longest dataset description. */
export const MAX_DATASET_DESCRIPTION = 1000;

// RFC 3339 date-time with a time zone (Z or ±hh:mm), as `audit.list({ since })` takes it.

/** The canonical form of a timestamp (`toISOString()`), or undefined when `value` is not one; a `Date` is accepted too. */
export function canonicalTimestamp(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : inRange(value);
  if (typeof value !== "string") return undefined;
  const date = parseDateTime(value);
  return date === undefined ? undefined : inRange(date);
}

// Years 0000–9999 only, so that the canonical strings sort in time order.
function inRange(date: Date): string | undefined {
  const text = date.toISOString();
  return /^\d{4}-/.test(text) ? text : undefined;
}

/** What is wrong with `value` as the name of a new dataset, or undefined when it is one. */
export function datasetNameIssue(value: unknown, where = "name"): string | undefined {
  if (typeof value !== "string") return `${where} must be a string`;
  if (!DATASET_NAME.test(value)) return `${where} must be 1–128 letters, digits, _, - or ., not starting with - or .`;
  if (DATASET_ID.test(value)) return `${where} must not look like a dataset id (ds_ and 24 hex digits): the name and the id address the same routes`;
  return undefined;
}

const fault = (path: string, text: string): LocatedIssue => ({ path, message: `${path} ${text}` });

/** What is wrong with `value` as a {@link DatasetSchema}, or undefined when it is one. */
export function schemaIssue(value: unknown, where = "schema"): string | undefined {
  return schemaFault(value, where)?.message;
}

/** Like {@link schemaIssue}, with the exact path of the wrong part apart, as a validation issue names it. */
export function schemaFault(value: unknown, where = "schema"): LocatedIssue | undefined {
  if (!isPlainObject(value)) return fault(where, "must be an object { columns: { name: { type, nullable? } } }");
  for (const key of Object.keys(value)) if (key !== "columns") return fault(`${where}.${key}`, "is not a schema property; a schema is { columns: { ... } }");
  const columns = value["columns"];
  if (!isPlainObject(columns)) return fault(`${where}.columns`, "must be an object mapping column names to { type, nullable? }");
  const names = Object.keys(columns);
  if (names.length === 0) return fault(`${where}.columns`, "must name at least one column");
  if (names.length > MAX_DATASET_COLUMNS) return fault(`${where}.columns`, `has ${names.length} columns; at most ${MAX_DATASET_COLUMNS} are allowed`);
  for (const name of names) {
    const at = `${where}.columns.${name}`;
    if (!DATASET_COLUMN_NAME.test(name) || name === "__proto__") return { path: at, message: `${at}: a column name is a letter or _, then letters, digits or _ (up to 64), and not __proto__` };
    const column = columns[name];
    if (!isPlainObject(column)) return fault(at, "must be an object { type, nullable? }");
    for (const key of Object.keys(column)) if (key !== "type" && key !== "nullable") return fault(`${at}.${key}`, "is not a column property; use type and nullable");
    if (!DATASET_COLUMN_TYPES.includes(column["type"] as DatasetColumnType)) return fault(`${at}.type`, `must be one of ${DATASET_COLUMN_TYPES.join(", ")}`);
    if (column["nullable"] !== undefined && typeof column["nullable"] !== "boolean") return fault(`${at}.nullable`, "must be true or false");
  }
  return undefined;
}

/** What is wrong with `value` as a list of sort keys, or undefined when it is one. Columns are checked against the schema by the platform. */
export function orderByIssue(value: unknown, where = "orderBy"): string | undefined {
  return orderByFault(value, where)?.message;
}

/** Like {@link orderByIssue}, with the exact path of the wrong part apart, as a validation issue names it. */
export function orderByFault(value: unknown, where = "orderBy"): LocatedIssue | undefined {
  if (!Array.isArray(value)) return fault(where, "must be an array of { column, direction? }");
  if (value.length > MAX_ORDER_BY) return fault(where, `has ${value.length} sort keys; at most ${MAX_ORDER_BY} are allowed`);
  const seen = new Set<string>();
  for (const [i, key] of value.entries()) {
    const at = `${where}[${i}]`;
    if (!isPlainObject(key)) return fault(at, "must be an object { column, direction? }");
    for (const name of Object.keys(key)) if (name !== "column" && name !== "direction") return fault(`${at}.${name}`, "is not a sort key property; use column and direction");
    const column = key["column"];
    if (typeof column !== "string" || !DATASET_COLUMN_NAME.test(column)) return fault(`${at}.column`, "must be a column name");
    if (seen.has(column)) return fault(`${at}.column`, `names ${column} a second time`);
    seen.add(column);
    if (key["direction"] !== undefined && key["direction"] !== "asc" && key["direction"] !== "desc") return fault(`${at}.direction`, `must be "asc" or "desc"`);
  }
  return undefined;
}

/** What is wrong with `value` as the rows of one insert (their shape only; the platform checks them against the schema). */
export function rowsIssue(value: unknown, where = "rows"): string | undefined {
  return rowsFault(value, where)?.message;
}

/** Like {@link rowsIssue}, with the exact path of the wrong part apart, as a validation issue names it. */
export function rowsFault(value: unknown, where = "rows"): LocatedIssue | undefined {
  if (!Array.isArray(value)) return fault(where, "must be an array of row objects");
  if (value.length === 0) return fault(where, "must hold at least one row");
  if (value.length > MAX_INSERT_ROWS) return fault(where, `has ${value.length} rows; one call inserts at most ${MAX_INSERT_ROWS} (split them, each call is all or nothing)`);
  for (const [i, row] of value.entries()) {
    if (!isPlainObject(row)) return fault(`${where}[${i}]`, "must be an object of column values");
    for (const [column, cell] of Object.entries(row)) {
      const issue = cellIssue(cell);
      if (issue !== undefined) return fault(`${where}[${i}].${column}`, issue);
    }
  }
  return undefined;
}

// Values JSON would silently turn into null (NaN, Infinity, an invalid Date) or drop are refused
// here, before sending: the platform would otherwise store null without a word.
function cellIssue(cell: unknown): string | undefined {
  if (cell === undefined) return undefined; // left out, like a missing key
  if (typeof cell === "number" && !Number.isFinite(cell)) return `is ${cell}, which JSON cannot carry (it would arrive as null); use null for "no value"`;
  if (cell instanceof Date && Number.isNaN(cell.getTime())) return "is an invalid Date (it would arrive as null)";
  if (isJsonValue(cell)) return undefined;
  // Only a refused value is measured again, to say why.
  if (nestsDeeperThan(cell, MAX_JSON_DEPTH)) return `nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels (or refers to itself)`;
  return "must be a JSON value (no functions, bigints, NaN or cycles)";
}


/** Input naming a dataset by name or id (`get`, `delete`, and the path of the others). */
export class DatasetRefInput {
  /** The dataset's name or id. */
  @IsString({ message: "dataset must be a dataset name or id (a string)" })
  @Matches(DATASET_NAME, { message: "dataset must be a dataset name or id: 1–128 letters, digits, _, - or ., not starting with - or ." })
  dataset!: string;
}

/** Input of `datasets.create`. */
export class DatasetCreateInput {
  /** Name, unique in the workspace. */
  @Located("name", datasetNameIssue)
  name!: string;

  /** The columns. */
  @LocatedExact("schema", schemaFault)
  schema!: DatasetSchema;

  /** What the dataset holds. */
  @IsOptional()
  @IsString({ message: "description must be a string" })
  @MaxLength(MAX_DATASET_DESCRIPTION, { message: `description must be at most ${MAX_DATASET_DESCRIPTION} characters` })
  description?: string;
}

/** Input of `datasets.list`. */
export class DatasetListInput extends PageQuery {}

/** Input of `datasets.insertRows`. */
export class DatasetInsertInput extends DatasetRefInput {
  /** The rows, 1 to {@link MAX_INSERT_ROWS}. */
  @LocatedExact("rows", rowsFault)
  rows!: Array<Record<string, unknown>>;
}

/** Input of `datasets.query`; the body of `POST …/datasets/:dataset/query` is the same without `dataset`. */
export class DatasetQueryInput extends PageQuery {
  /** The dataset's name or id. */
  @IsString({ message: "dataset must be a dataset name or id (a string)" })
  @Matches(DATASET_NAME, { message: "dataset must be a dataset name or id: 1–128 letters, digits, _, - or ., not starting with - or ." })
  dataset!: string;

  /** Which rows to keep. Left out, not `null`, for none. */
  @OptionalNotNull()
  @IsFilter()
  filter?: Filter;

  /** Sort keys, most significant first. */
  @IsOptional()
  @LocatedExact("orderBy", orderByFault)
  orderBy?: DatasetOrderBy[];
}

/** Rows checked against a schema: the stored form of each (timestamps canonical, missing nullable columns `null`), or the issues. */
export type CheckedRows = { rows: Array<Record<string, unknown>>; issues?: undefined } | { rows?: undefined; issues: FlowValidationIssue[] };

/**
 * Checks rows against a schema. Issues name the row and column, e.g. `rows[3].age must be an
 * integer`; at most {@link MAX_ROW_ISSUES} are listed.
 */
export function checkRows(schema: DatasetSchema, rows: ReadonlyArray<Record<string, unknown>>): CheckedRows {
  const columns = Object.entries(schema.columns);
  const known = columns.map(([name]) => name).join(", ");
  const issues: FlowValidationIssue[] = [];
  let more = 0;
  const add = (path: string, message: string): void => {
    if (issues.length < MAX_ROW_ISSUES) issues.push({ path, message: `${path} ${message}` });
    else more++;
  };
  const stored = rows.map((row, i) => {
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(row)) if (!Object.hasOwn(schema.columns, name)) add(`rows[${i}].${name}`, `is not a column of this dataset (columns: ${known})`);
    for (const [name, column] of columns) {
      const at = `rows[${i}].${name}`;
      const value = Object.hasOwn(row, name) ? row[name] : undefined;
      if (value === undefined || value === null) {
        if (column.nullable === true) out[name] = null;
        else add(at, value === null ? "must not be null (the column is not nullable)" : "is missing (the column is not nullable)");
        continue;
      }
      const converted = convert(column, value);
      if (converted.ok) out[name] = converted.value;
      else add(at, converted.message);
    }
    return out;
  });
  if (more > 0) issues.push({ path: "rows", message: `rows have ${more} more issues not listed` });
  return issues.length > 0 ? { issues } : { rows: stored };
}

function convert(column: DatasetColumn, value: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  switch (column.type) {
    case "string":
      return typeof value === "string" ? { ok: true, value } : { ok: false, message: "must be a string" };
    case "integer":
      return Number.isSafeInteger(value) ? { ok: true, value } : { ok: false, message: "must be an integer (a whole number between -(2^53 - 1) and 2^53 - 1)" };
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? { ok: true, value } : { ok: false, message: "must be a finite number" };
    case "boolean":
      return typeof value === "boolean" ? { ok: true, value } : { ok: false, message: "must be true or false" };
    case "timestamp": {
      const text = canonicalTimestamp(value);
      return text === undefined ? { ok: false, message: "must be a Date or an ISO 8601 date-time with a time zone, e.g. 2026-01-31T09:00:00Z (years 0000–9999)" } : { ok: true, value: text };
    }
    case "json":
      return isJsonValue(value) ? { ok: true, value } : { ok: false, message: "must be a JSON value" };
  }
}

