import { createHash } from "node:crypto";
import type { PageQuery } from "../src/dto/common.js";
import type { PageData } from "../src/pagination.js";
import { HttpError } from "./errors.js";

/** Items per page when the caller gives no `limit`. */
export const DEFAULT_LIMIT = 100;

/** A cursor page of the wire protocol (the SDK's own type). */
export type Page<T> = PageData<T>;

/**
 * Encodes the position after which the next page starts. The list's `kind` is inside, so a
 * cursor from one list is refused by another instead of silently skipping items.
 */
export function encodeCursor(kind: string, after: string | number): string {
  return Buffer.from(JSON.stringify({ k: kind, a: after })).toString("base64url");
}

/**
 * The cursor kind of a list whose pages depend on parameters (a prefix, a scope, a filter and
 * order): the list's name plus a short hash of them, so a cursor is refused by the same list asked
 * with other parameters instead of skipping or repeating items.
 */
export function listKind(list: string, ...parameters: unknown[]): string {
  return `${list}:${createHash("sha256").update(JSON.stringify(parameters)).digest("base64url").slice(0, 22)}`;
}

/**
 * Decodes a cursor made by {@link encodeCursor} for the same `kind` and position type.
 * @throws {HttpError} 400 `validation_error` on `cursor` for a cursor that is not one of this list's.
 */
export function decodeCursor(kind: string, cursor: string, type: "string"): string;
export function decodeCursor(kind: string, cursor: string, type: "number"): number;
export function decodeCursor(kind: string, cursor: string, type: "string" | "number"): string | number {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (typeof parsed === "object" && parsed !== null) {
      const { k, a } = parsed as { k?: unknown; a?: unknown };
      if (k === kind && (typeof a === "string" || typeof a === "number") && typeof a === type) return a;
    }
  } catch {
    // fall through to the one error below
  }
  const message = "cursor is not valid here; pass the nextCursor of the previous page of this list, asked with the same parameters";
  throw new HttpError(400, "validation_error", message, { issues: [{ path: "cursor", message }] });
}

/** Builds a page from `limit + 1` fetched rows: the extra row only says that another page exists. */
export function toPage<R, T>(rows: R[], limit: number, item: (row: R) => T, cursorOf: (row: R) => string): Page<T> {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { data: page.map(item), nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}

/** Query parameters that are numbers. */
const NUMERIC = new Set(["limit", "wait"]);

/**
 * Copies a query string object for DTO validation, turning a numeric `limit` or `wait` into a
 * number. A non-numeric one stays a string so the DTO reports it.
 */
export function queryInput(query: unknown): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [name, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    input[name] = NUMERIC.has(name) && typeof value === "string" && /^[+-]?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  return input;
}

/**
 * A page of an in-memory list sorted by `keyOf` (what the manifest declares: code blocks,
 * workflows), with the same cursors as the database lists.
 */
export function pageOf<T>(items: readonly T[], input: PageQuery, kind: string, keyOf: (item: T) => string): Page<T> {
  const limit = input.limit ?? DEFAULT_LIMIT;
  const after = input.cursor === undefined ? undefined : decodeCursor(kind, input.cursor, "string");
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const rest = after === undefined ? sorted : sorted.filter((item) => keyOf(item) > after);
  return toPage(rest.slice(0, limit + 1), limit, (item) => item, (item) => encodeCursor(kind, keyOf(item)));
}
