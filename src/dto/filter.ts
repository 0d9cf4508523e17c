// The filter language shared by `datasets.query` (over a row's columns) and `vector.query` /
// `memory.search` (over an item's metadata): one grammar, checked in one place.
import { isPlainObject, LocatedExact, type LocatedIssue } from "./common.js";

/** A value a filter compares against. */
export type FilterScalar = string | number | boolean | null;

/**
 * A value a filter compares against, as a caller may give it: a {@link FilterScalar}, or a valid
 * `Date`, sent as its ISO 8601 string (`toISOString()`), so that it compares with a dataset's
 * timestamp column as the `Date` given to `insertRows` was stored.
 */
export type FilterValue = FilterScalar | Date;

/** Operators on one field; several in one object must all hold. */
export interface FilterCondition {
  /** Equal to (`null` matches a missing field too). */
  $eq?: FilterValue;
  /** Not equal to (a missing field is not equal to anything but `null`). */
  $ne?: FilterValue;
  /** Greater than; numbers compare with numbers, strings with strings, timestamps (ISO strings or `Date`s) as times. */
  $gt?: number | string | Date;
  /** Greater than or equal to. */
  $gte?: number | string | Date;
  /** Less than. */
  $lt?: number | string | Date;
  /** Less than or equal to. */
  $lte?: number | string | Date;
  /** Equal to one of these. */
  $in?: FilterValue[];
  /** Equal to none of these. */
  $nin?: FilterValue[];
  /** The field is present (`true`) or absent (`false`); a `null` value counts as present. */
  $exists?: boolean;
}

/**
 * Which records to keep. Each field must match (`{ status: "open" }` is `$eq`, or give a
 * {@link FilterCondition}); `$and` / `$or` combine filters.
 *
 * @example { status: "open", priority: { $gte: 2 }, $or: [{ team: "a" }, { team: "b" }] }
 */
export interface Filter {
  /** Every filter holds. */
  $and?: Filter[];
  /** At least one filter holds. */
  $or?: Filter[];
  /** A field: a value it must equal, or conditions on it. */
  [field: string]: FilterValue | FilterCondition | Filter[] | undefined;
}

/** The operators of {@link FilterCondition}. */
export const FILTER_OPERATORS = ["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists"] as const;

/** A field name a filter may name: dot-separated parts of letters, digits, `_` and `-`, starting with a letter or `_`. */
export const FILTER_FIELD = /^[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*$/;
const MAX_FIELD_LENGTH = 128;

const MAX_DEPTH = 4;
const MAX_TERMS = 100;
const MAX_LIST = 1000;

/**
 * What is wrong with `value` as a {@link Filter}, or `undefined` when it is one. Messages name the
 * place, e.g. `filter.$or[1].year.$gt must be a number or a string`.
 */
export function filterIssue(value: unknown, where = "filter"): string | undefined {
  return filterFault(value, where)?.message;
}

/** Like {@link filterIssue}, with the exact path of the wrong part apart (`filter.t.$gt`), as a validation issue names it. */
export function filterFault(value: unknown, where = "filter"): LocatedIssue | undefined {
  const budget = { terms: 0 };
  return checkFilter(value, where, 0, budget);
}

const fault = (path: string, text: string): LocatedIssue => ({ path, message: `${path} ${text}` });

function checkFilter(value: unknown, where: string, depth: number, budget: { terms: number }): LocatedIssue | undefined {
  if (!isPlainObject(value)) return fault(where, "must be an object of field conditions");
  if (depth > MAX_DEPTH) return fault(where, `nests $and/$or deeper than ${MAX_DEPTH} levels`);
  for (const [field, condition] of Object.entries(value)) {
    if (++budget.terms > MAX_TERMS) return { path: where, message: `filter has more than ${MAX_TERMS} conditions` };
    const at = `${where}.${field}`;
    if (field === "$and" || field === "$or") {
      if (!Array.isArray(condition) || condition.length === 0) return fault(at, "must be a non-empty array of filters");
      for (const [i, inner] of condition.entries()) {
        const issue = checkFilter(inner, `${at}[${i}]`, depth + 1, budget);
        if (issue) return issue;
      }
      continue;
    }
    if (field.length > MAX_FIELD_LENGTH || !FILTER_FIELD.test(field)) {
      return { path: at, message: `${at}: a field name is dot-separated parts of letters, digits, _ and - (up to ${MAX_FIELD_LENGTH} characters, not starting with a digit or $)` };
    }
    const issue = isPlainObject(condition) ? checkCondition(condition, at) : scalarIssue(condition, at);
    if (issue) return issue;
  }
  return undefined;
}

function checkCondition(condition: Record<string, unknown>, where: string): LocatedIssue | undefined {
  const entries = Object.entries(condition);
  if (entries.length === 0) return fault(where, `must name at least one operator (${FILTER_OPERATORS.join(", ")})`);
  for (const [op, operand] of entries) {
    const at = `${where}.${op}`;
    switch (op) {
      case "$eq":
      case "$ne": {
        const issue = scalarIssue(operand, at);
        if (issue) return issue;
        break;
      }
      case "$gt":
      case "$gte":
      case "$lt":
      case "$lte":
        if (operand instanceof Date) {
          if (Number.isNaN(operand.getTime())) return fault(at, INVALID_DATE);
          break;
        }
        if (!(typeof operand === "string" || (typeof operand === "number" && Number.isFinite(operand)))) return fault(at, "must be a number or a string (or a Date)");
        break;
      case "$in":
      case "$nin":
        if (!Array.isArray(operand) || operand.length > MAX_LIST) return fault(at, `must be an array of at most ${MAX_LIST} values`);
        for (const [i, item] of operand.entries()) {
          const issue = scalarIssue(item, `${at}[${i}]`);
          if (issue) return issue;
        }
        break;
      case "$exists":
        if (typeof operand !== "boolean") return fault(at, "must be true or false");
        break;
      default:
        return fault(at, `is not an operator; use one of ${FILTER_OPERATORS.join(", ")}`);
    }
  }
  return undefined;
}

const INVALID_DATE = "is an invalid Date (it would arrive as null)";

// A valid Date is sent as its ISO string, which a timestamp column reads as a time.
function scalarIssue(value: unknown, where: string): LocatedIssue | undefined {
  if (value === null || typeof value === "string" || typeof value === "boolean") return undefined;
  if (typeof value === "number" && Number.isFinite(value)) return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? fault(where, INVALID_DATE) : undefined;
  return fault(where, "must be a string, a finite number, a boolean or null (or a Date)");
}


/** Decorator: the property is a {@link Filter}; the issue names the exact place it is not (`filter.t.$gt`). */
export function IsFilter(): PropertyDecorator {
  return LocatedExact("isFilter", filterFault);
}
