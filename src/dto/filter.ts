// The filter language shared by `datasets.query` (over a row's columns) and `vector.query` /
// `memory.search` (over an item's metadata): one grammar, checked in one place.
import { isPlainObject, Located } from "./common.js";

/** A value a filter compares against. */
export type FilterScalar = string | number | boolean | null;

/** Operators on one field; several in one object must all hold. */
export interface FilterCondition {
  /** Equal to (`null` matches a missing field too). */
  $eq?: FilterScalar;
  /** Not equal to (a missing field is not equal to anything but `null`). */
  $ne?: FilterScalar;
  /** Greater than; numbers compare with numbers, strings with strings. */
  $gt?: number | string;
  /** Greater than or equal to. */
  $gte?: number | string;
  /** Less than. */
  $lt?: number | string;
  /** Less than or equal to. */
  $lte?: number | string;
  /** Equal to one of these. */
  $in?: FilterScalar[];
  /** Equal to none of these. */
  $nin?: FilterScalar[];
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
  [field: string]: FilterScalar | FilterCondition | Filter[] | undefined;
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
  const budget = { terms: 0 };
  return checkFilter(value, where, 0, budget);
}

function checkFilter(value: unknown, where: string, depth: number, budget: { terms: number }): string | undefined {
  if (!isPlainObject(value)) return `${where} must be an object of field conditions`;
  if (depth > MAX_DEPTH) return `${where} nests $and/$or deeper than ${MAX_DEPTH} levels`;
  for (const [field, condition] of Object.entries(value)) {
    if (++budget.terms > MAX_TERMS) return `filter has more than ${MAX_TERMS} conditions`;
    const at = `${where}.${field}`;
    if (field === "$and" || field === "$or") {
      if (!Array.isArray(condition) || condition.length === 0) return `${at} must be a non-empty array of filters`;
      for (const [i, inner] of condition.entries()) {
        const issue = checkFilter(inner, `${at}[${i}]`, depth + 1, budget);
        if (issue) return issue;
      }
      continue;
    }
    if (field.length > MAX_FIELD_LENGTH || !FILTER_FIELD.test(field)) {
      return `${at}: a field name is dot-separated parts of letters, digits, _ and - (up to ${MAX_FIELD_LENGTH} characters, not starting with a digit or $)`;
    }
    const issue = isPlainObject(condition) ? checkCondition(condition, at) : scalarIssue(condition, at);
    if (issue) return issue;
  }
  return undefined;
}

function checkCondition(condition: Record<string, unknown>, where: string): string | undefined {
  const entries = Object.entries(condition);
  if (entries.length === 0) return `${where} must name at least one operator (${FILTER_OPERATORS.join(", ")})`;
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
        if (!(typeof operand === "string" || (typeof operand === "number" && Number.isFinite(operand)))) return `${at} must be a number or a string`;
        break;
      case "$in":
      case "$nin":
        if (!Array.isArray(operand) || operand.length > MAX_LIST) return `${at} must be an array of at most ${MAX_LIST} values`;
        for (const [i, item] of operand.entries()) {
          const issue = scalarIssue(item, `${at}[${i}]`);
          if (issue) return issue;
        }
        break;
      case "$exists":
        if (typeof operand !== "boolean") return `${at} must be true or false`;
        break;
      default:
        return `${at} is not an operator; use one of ${FILTER_OPERATORS.join(", ")}`;
    }
  }
  return undefined;
}

function scalarIssue(value: unknown, where: string): string | undefined {
  if (value === null || typeof value === "string" || typeof value === "boolean") return undefined;
  if (typeof value === "number" && Number.isFinite(value)) return undefined;
  return `${where} must be a string, a finite number, a boolean or null`;
}


/** Decorator: the property is a {@link Filter}; the message says where it is not. */
export function IsFilter(): PropertyDecorator {
  return Located("isFilter", filterIssue);
}
