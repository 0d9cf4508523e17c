// SQL for dataset queries: the shared filter language (src/dto/filter.ts) translated to SQLite
// over a row's JSON document, and keyset conditions for stable pages. No user text is ever put
// into the SQL: field names are checked against the schema and every path and value is bound.
// The semantics are those of local/filter.ts (`matchesFilter`), which the tests use as the oracle.
import { canonicalTimestamp, DATASET_COLUMN_NAME } from "../../src/dto/datasets.js";
import type { Filter, FilterCondition, FilterScalar } from "../../src/dto/filter.js";
import type { DatasetColumnType, DatasetOrderBy, DatasetSchema } from "../../src/namespaces/datasets.js";
import type { LocalDb } from "../db.js";
import { HttpError } from "../errors.js";

/** A piece of SQL and its bound parameters, in order. */
export interface Sql {
  /** The SQL text, with `?` placeholders. */
  sql: string;
  /** Values for the placeholders. */
  params: unknown[];
}

/** Name of the SQL function that turns a string into a BLOB whose byte order is JavaScript's (UTF-16 code unit) order. */
const UTF16 = "flow_utf16";

/**
 * Registers the SQL functions the queries use. SQLite compares text by UTF-8 bytes, which orders
 * characters above U+FFFF after U+E000–U+FFFF; JavaScript (and the filter language) compares
 * UTF-16 code units, which puts them before. Comparing UTF-16BE bytes gives JavaScript's order.
 */
export function registerDatasetFunctions(db: LocalDb): void {
  db.function(UTF16, { deterministic: true }, (value: unknown) => {
    if (typeof value !== "string") return value;
    const bytes = Buffer.from(value, "utf16le");
    bytes.swap16();
    return bytes;
  });
}

/** The JSON path of a column (or `column.path` into a json column), for binding. */
function jsonPath(parts: readonly string[]): string {
  return `$${parts.map((part) => `."${part}"`).join("")}`;
}

function validation(path: string, message: string): HttpError {
  return new HttpError(400, "validation_error", `${path}: ${message}`, { issues: [{ path, message: `${path}: ${message}` }] });
}

/** Which column a filter field names, and the JSON path to bind. */
function resolveField(schema: DatasetSchema, field: string, where: string): Target {
  const parts = field.split(".");
  const [column, ...rest] = parts;
  const known = Object.keys(schema.columns).join(", ");
  if (column === undefined || !DATASET_COLUMN_NAME.test(column) || !Object.hasOwn(schema.columns, column)) {
    throw validation(where, `${JSON.stringify(column ?? field)} is not a column of this dataset (columns: ${known})`);
  }
  const type = schema.columns[column]?.type;
  if (rest.length > 0 && type !== "json") throw validation(where, `only json columns have paths; ${column} is a ${type} column`);
  if (rest.some((part) => part === "")) throw validation(where, "a path has no empty parts");
  return { path: jsonPath(parts), column, type: rest.length === 0 && type !== undefined ? type : "json" };
}

/**
 * The WHERE condition for `filter` over rows aliased `r` (0 or 1, never NULL).
 * @throws {HttpError} 400 `validation_error` for a field that is not a column.
 */
export function compileFilter(schema: DatasetSchema, filter: Filter | undefined): Sql {
  const params: unknown[] = [];
  const sql = filter === undefined ? "1" : filterSql(schema, filter, "filter", params);
  return { sql, params };
}

function filterSql(schema: DatasetSchema, filter: Filter, where: string, params: unknown[]): string {
  const terms: string[] = [];
  for (const [field, condition] of Object.entries(filter)) {
    if (condition === undefined) continue;
    if (field === "$and" || field === "$or") {
      const inner = (condition as Filter[]).map((f, i) => filterSql(schema, f, `${where}.${field}[${i}]`, params));
      terms.push(`(${inner.join(field === "$and" ? " AND " : " OR ")})`);
      continue;
    }
    const at = `${where}.${field}`;
    const target = resolveField(schema, field, at);
    terms.push(conditionSql(target, condition as FilterScalar | FilterCondition, at, params));
  }
  return terms.length === 0 ? "1" : `(${terms.join(" AND ")})`;
}

interface Target {
  path: string;
  column: string;
  /** The column's type; `json` for a path into a json column, where any value may be. */
  type: DatasetColumnType;
}

function conditionSql(target: Target, condition: FilterScalar | FilterCondition, where: string, params: unknown[]): string {
  if (condition === null || typeof condition !== "object") return equalsAnySql(target, [operand(target, condition, where)], params);
  const terms: string[] = [];
  for (const [op, raw] of Object.entries(condition)) {
    const at = `${where}.${op}`;
    switch (op) {
      case "$eq":
      case "$ne": {
        const equal = equalsAnySql(target, [operand(target, raw as FilterScalar, at)], params);
        terms.push(op === "$eq" ? equal : `NOT ${equal}`);
        break;
      }
      case "$in":
      case "$nin": {
        const any = equalsAnySql(target, (raw as FilterScalar[]).map((item, i) => operand(target, item, `${at}[${i}]`)), params);
        terms.push(op === "$in" ? any : `NOT ${any}`);
        break;
      }
      case "$exists":
        terms.push(`(json_type(r.data, ${binder(params)(target.path)}) ${raw === true ? "IS NOT NULL" : "IS NULL"})`);
        break;
      case "$gt":
      case "$gte":
      case "$lt":
      case "$lte":
        terms.push(compareSql(target, op, operand(target, raw as number | string, at) as number | string, params));
        break;
      default:
        throw validation(at, "is not an operator");
    }
  }
  return terms.length === 0 ? "1" : `(${terms.join(" AND ")})`;
}

// An operand of a type the column cannot hold could never match: refused, so that `{ age: "18" }`
// on an integer column is an error rather than no rows. `null` matches a null value of any column.
// A string compared with a timestamp column is read as a time and put in the stored form, so
// `{ at: { $gte: "2026-01-31T00:00:00+01:00" } }` compares times, not spellings.
// A Date (given in process; over HTTP it arrives as its ISO string) is read like insertRows reads one.
function operand<T extends FilterScalar>(target: Target, given: T | Date, where: string): T {
  if (given instanceof Date) {
    const canonical = target.type === "timestamp" ? canonicalTimestamp(given) : undefined;
    if (canonical === undefined) throw validation(where, target.type === "timestamp" ? `${target.column} is a timestamp column; compare it with ${OPERAND.timestamp}` : `a Date compares only with a timestamp column; ${target.column} is a ${target.type} column`);
    return canonical as T;
  }
  const value: T = given;
  if (value === null || target.type === "json") return value;
  const kind = { string: "string", integer: "number", number: "number", boolean: "boolean", timestamp: "string" }[target.type];
  if (typeof value !== kind) throw validation(where, `${target.column} is ${target.type === "integer" ? "an" : "a"} ${target.type} column; compare it with ${OPERAND[target.type]}`);
  if (target.type !== "timestamp") return value;
  const canonical = canonicalTimestamp(value);
  if (canonical === undefined) throw validation(where, `${target.column} is a timestamp column; compare it with ${OPERAND.timestamp}`);
  return canonical as T;
}

const OPERAND: Record<Exclude<DatasetColumnType, "json">, string> = {
  string: "a string",
  integer: "a number",
  number: "a number",
  boolean: "true or false (with $eq, $ne, $in or $nin)",
  timestamp: "a Date or an ISO 8601 date-time with a time zone, e.g. 2026-01-31T09:00:00Z (years 0000–9999)",
};

/** Pushes a value onto `params` and returns its placeholder; template literals evaluate left to right, so order holds. */
type Bind = (value: unknown) => string;

function binder(params: unknown[]): Bind {
  return (value) => {
    params.push(value);
    return "?";
  };
}

/**
 * The value equals one of `values` (`$eq`, `$in`, and negated `$ne`, `$nin`): `null` matches a
 * missing or null value; an array matches when one of its items does. The list is bound as one
 * JSON array read by an uncorrelated `IN (SELECT … json_each(?))`, so a 1000-value `$in` is one
 * placeholder and one shallow expression (an `OR` per value passed SQLite's expression depth
 * limit of 1000), and SQLite builds the list once per query instead of scanning it per row.
 */
function equalsAnySql(target: Target, values: readonly FilterScalar[], params: unknown[]): string {
  const p = binder(params);
  const terms: string[] = [];
  if (values.includes(null)) terms.push(`(json_type(r.data, ${p(target.path)}) IS NULL OR json_type(r.data, ${p(target.path)}) IS 'null')`);
  const scalars = values.filter((value) => value !== null);
  if (scalars.length > 0 && target.type !== "json") {
    // A typed column holds one scalar (or null), and `operand` made every value of its type: a
    // plain IN, whose list SQLite builds once per query rather than scanning it per row.
    // IFNULL: a null value is not in the list (0, never NULL, so that NOT keeps it for $ne / $nin).
    terms.push(`IFNULL(json_extract(r.data, ${p(target.path)}) IN (SELECT e.value FROM json_each(${p(JSON.stringify(scalars))}) e), 0)`);
  } else if (scalars.length > 0) {
    // json_each of a scalar is that scalar, of an array its items (of an object its members: excluded).
    // Types must agree, numbers across integer and real, so true never equals 1 nor "1" equals 1:
    // one list per kind, each built once per query. (Placeholders in text order: the paths first.)
    const head = `(json_type(r.data, ${p(target.path)}) IS NOT 'object' AND EXISTS (SELECT 1 FROM json_each(r.data, ${p(target.path)}) v WHERE `;
    const kinds: string[] = [];
    const numbers = scalars.filter((value) => typeof value === "number");
    const strings = scalars.filter((value) => typeof value === "string");
    if (numbers.length > 0) kinds.push(`(v.type IN ('integer', 'real') AND v.value IN (SELECT value FROM json_each(${p(JSON.stringify(numbers))})))`);
    if (strings.length > 0) kinds.push(`(v.type = 'text' AND v.value IN (SELECT value FROM json_each(${p(JSON.stringify(strings))})))`);
    if (scalars.includes(true)) kinds.push("v.type = 'true'");
    if (scalars.includes(false)) kinds.push("v.type = 'false'");
    terms.push(`${head}${kinds.join(" OR ")}))`);
  }
  return terms.length === 0 ? "0" : `(${terms.join(" OR ")})`;
}

const COMPARISON: Record<string, string> = { $gt: ">", $gte: ">=", $lt: "<", $lte: "<=" };

// Numbers compare with numbers and strings with strings (in UTF-16 order); other pairs never match.
function compareSql(target: Target, op: string, value: number | string, params: unknown[]): string {
  const p = binder(params);
  const sign = COMPARISON[op] ?? "=";
  if (typeof value === "number") {
    return `((json_type(r.data, ${p(target.path)}) IS 'integer' OR json_type(r.data, ${p(target.path)}) IS 'real') AND json_extract(r.data, ${p(target.path)}) ${sign} ${p(value)})`;
  }
  return `(json_type(r.data, ${p(target.path)}) IS 'text' AND ${UTF16}(json_extract(r.data, ${p(target.path)})) ${sign} ${UTF16}(${p(value)}))`;
}

/** One sort key: its expression over rows aliased `r` (binding its path) and its direction. */
export interface SortKey {
  /** The key expression; `bind` receives the column's JSON path. */
  expr: (bind: Bind) => string;
  /** Sort direction. */
  direction: "asc" | "desc";
}

/**
 * The sort keys of `orderBy`, checked against the schema.
 * @throws {HttpError} 400 `validation_error` for a column the schema lacks or a json column.
 */
export function sortKeys(schema: DatasetSchema, orderBy: readonly DatasetOrderBy[] | undefined): SortKey[] {
  return (orderBy ?? []).map((key, i) => {
    const where = `orderBy[${i}].column`;
    const column = Object.hasOwn(schema.columns, key.column) ? schema.columns[key.column] : undefined;
    if (column === undefined) throw validation(where, `${JSON.stringify(key.column)} is not a column of this dataset (columns: ${Object.keys(schema.columns).join(", ")})`);
    if (column.type === "json") throw validation(where, `${key.column} is a json column; sort by a string, number, integer, boolean or timestamp column`);
    const path = jsonPath([key.column]);
    const expr = column.type === "string" ? (p: Bind) => `${UTF16}(json_extract(r.data, ${p(path)}))` : (p: Bind) => `json_extract(r.data, ${p(path)})`;
    return { expr, direction: key.direction ?? "asc" };
  });
}

/** The key expressions as a select list, to read an anchor row's key values. */
export function keysSql(keys: readonly SortKey[]): Sql {
  const params: unknown[] = [];
  const p = binder(params);
  return { sql: keys.length === 0 ? "NULL" : keys.map((key) => key.expr(p)).join(", "), params };
}

/** `ORDER BY` for the keys, ties broken by insertion order (`r.seq`); nulls first ascending, last descending. */
export function orderSql(keys: readonly SortKey[]): Sql {
  const params: unknown[] = [];
  const p = binder(params);
  return { sql: [...keys.map((key) => `${key.expr(p)} ${key.direction === "asc" ? "ASC" : "DESC"}`), "r.seq ASC"].join(", "), params };
}

/**
 * The condition "comes after the anchor row" in the order of `keys` then `r.seq`, given the
 * anchor's key values (as the key expressions computed them) and its seq.
 */
export function afterSql(keys: readonly SortKey[], anchor: readonly unknown[], seq: number): Sql {
  const params: unknown[] = [];
  const p = binder(params);
  const branches: string[] = [];
  for (let i = 0; i <= keys.length; i++) {
    const terms = keys.slice(0, i).map((key, j) => `${key.expr(p)} IS ${p(anchor[j] ?? null)}`);
    const key = keys[i];
    const value = anchor[i] ?? null;
    if (key === undefined) terms.push(`r.seq > ${p(seq)}`);
    // NULL sorts first ascending: after a NULL comes any value; after a value, only greater ones.
    else if (key.direction === "asc") terms.push(value === null ? `${key.expr(p)} IS NOT NULL` : `IFNULL(${key.expr(p)} > ${p(value)}, 0)`);
    // NULL sorts last descending: nothing comes strictly after a NULL; after a value, smaller ones, then NULLs.
    else terms.push(value === null ? "0" : `(IFNULL(${key.expr(p)} < ${p(value)}, 0) OR ${key.expr(p)} IS NULL)`);
    branches.push(`(${terms.join(" AND ")})`);
  }
  return { sql: `(${branches.join(" OR ")})`, params };
}
