// Evaluates the filter language of src/dto/filter.ts over a plain record (vector and memory
// metadata). Datasets translate the same language to SQL; both follow the semantics written in
// FilterCondition's TSDoc.
import type { Filter, FilterCondition, FilterScalar } from "../src/dto/filter.js";

/** True when `record` satisfies `filter`; the filter must have passed `filterIssue`. */
export function matchesFilter(filter: Filter, record: Readonly<Record<string, unknown>>): boolean {
  for (const [field, condition] of Object.entries(filter)) {
    if (condition === undefined) continue;
    if (field === "$and") {
      if (!(condition as Filter[]).every((inner) => matchesFilter(inner, record))) return false;
    } else if (field === "$or") {
      if (!(condition as Filter[]).some((inner) => matchesFilter(inner, record))) return false;
    } else if (!matchesCondition(lookup(record, field), condition as FilterScalar | FilterCondition)) {
      return false;
    }
  }
  return true;
}

// An own property named `field` wins; else a dotted name walks into nested objects.
function lookup(record: Readonly<Record<string, unknown>>, field: string): unknown {
  if (Object.hasOwn(record, field)) return record[field];
  let value: unknown = record;
  for (const part of field.split(".")) {
    if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function matchesCondition(value: unknown, condition: FilterScalar | FilterCondition): boolean {
  if (condition === null || typeof condition !== "object") return equals(value, condition);
  for (const [op, operand] of Object.entries(condition)) {
    const ok = (() => {
      switch (op) {
        case "$eq":
          return equals(value, operand as FilterScalar);
        case "$ne":
          return !equals(value, operand as FilterScalar);
        case "$in":
          return (operand as FilterScalar[]).some((item) => equals(value, item));
        case "$nin":
          return !(operand as FilterScalar[]).some((item) => equals(value, item));
        case "$exists":
          return (value !== undefined) === operand;
        default:
          return compare(value, op, operand as number | string);
      }
    })();
    if (!ok) return false;
  }
  return true;
}

// `null` also matches a missing field; an array field matches when one of its items does.
function equals(value: unknown, expected: FilterScalar): boolean {
  if (expected === null) return value === null || value === undefined;
  if (Array.isArray(value)) return value.some((item) => item === expected);
  return value === expected;
}

// Numbers compare with numbers and strings with strings (by UTF-16 code units); other pairs never match.
function compare(value: unknown, op: string, operand: number | string): boolean {
  if (typeof value !== typeof operand) return false;
  const a = value as number | string;
  switch (op) {
    case "$gt":
      return a > operand;
    case "$gte":
      return a >= operand;
    case "$lt":
      return a < operand;
    case "$lte":
      return a <= operand;
    default:
      return false;
  }
}
