import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateBy } from "./class-validator.js";
import { isPlainObject, Located } from "./common.js";

// RFC 9110 §5.6.2: a field name is a token, one or more `tchar`s.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// RFC 9110 §5.5: visible ASCII, spaces, tabs and (as obs-text) Latin-1 beyond the C1 controls.
// axios would otherwise strip a CR or LF and send the rest (`"a\r\nx-injected: 1"` went out as
// `"ax-injected: 1"`), and Node sends a string as Latin-1, so a character above U+00FF arrives
// as another one.
const HEADER_VALUE = /^[\t\x20-\x7e\u00a0-\u00ff]*$/;

/** Most extra headers one call may carry (8,000 of them held the event loop for 18 s, and no server takes them). */
export const MAX_CALLER_HEADERS = 100;

/** Longest extra header name accepted. */
export const MAX_HEADER_NAME = 256;

/** Longest extra header value accepted (servers refuse a header block much over 8 to 16 KiB). */
export const MAX_HEADER_VALUE = 8192;

/**
 * What is wrong with `value` as a set of extra headers, naming the header, or `undefined`: a plain
 * object of at most {@link MAX_CALLER_HEADERS} HTTP token names (up to {@link MAX_HEADER_NAME}
 * characters) to string values of visible Latin-1 characters, spaces and tabs (up to
 * {@link MAX_HEADER_VALUE} characters).
 */
export function headersIssue(value: unknown, where = "headers"): string | undefined {
  if (!isPlainObject(value)) return `${where} must be a plain object of header names to string values, e.g. { "x-trace": "abc" } (not a Map, a Headers object or a function)`;
  const names = Object.keys(value);
  if (names.length > MAX_CALLER_HEADERS) return `${where} must hold at most ${MAX_CALLER_HEADERS} headers (got ${names.length})`;
  for (const name of names) {
    const item = value[name];
    if (name.length > MAX_HEADER_NAME) return `${where}: a name of ${name.length} characters is not a header name; at most ${MAX_HEADER_NAME} characters`;
    if (!HEADER_NAME.test(name)) {
      // Quoted whole (at most MAX_HEADER_NAME characters): a cut-off quote would slip past redaction.
      return `${where}: ${JSON.stringify(name)} is not a header name; use letters, digits and ! # $ % & ' * + - . ^ _ \` | ~ only`;
    }
    if (typeof item !== "string") return `${where}: the value of header ${name} must be a string`;
    if (item.length > MAX_HEADER_VALUE) return `${where}: the value of header ${name} must be at most ${MAX_HEADER_VALUE} characters (got ${item.length})`;
    if (!HEADER_VALUE.test(item)) {
      return `${where}: the value of header ${name} may hold only visible characters up to U+00FF, spaces and tabs (no CR, LF, NUL or other control characters); encode other text first, e.g. with encodeURIComponent`;
    }
  }
  return undefined;
}

/** Checks the caller's per-call options before any request; see `RequestOptions`. */
export class RequestOptionsInput {
  /** Aborts the call. */
  @IsOptional()
  @ValidateBy({
    name: "isAbortSignal",
    validator: { validate: (v) => v instanceof AbortSignal, defaultMessage: () => "signal must be an AbortSignal" },
  })
  signal?: AbortSignal;

  /** Per-attempt time limit. */
  @IsOptional()
  @IsInt({ message: "timeoutMs must be a whole number of milliseconds" })
  @Min(1, { message: "timeoutMs must be at least 1 (there is no 'no limit' value)" })
  @Max(3_600_000, { message: "timeoutMs must be at most 3600000 (one hour)" })
  timeoutMs?: number;

  /** Key that makes the call safe to repeat. */
  @IsOptional()
  @IsString({ message: "idempotencyKey must be a string" })
  @MinLength(1, { message: "idempotencyKey must not be empty" })
  @MaxLength(255, { message: "idempotencyKey must be at most 255 characters" })
  @Matches(/^[\x21-\x7e]+$/, { message: "idempotencyKey must be printable ASCII without spaces (it is a header value)" })
  idempotencyKey?: string;

  /** Extra headers: see {@link headersIssue}. */
  @IsOptional()
  @Located("isHeaderRecord", (value, where) => headersIssue(value, where))
  headers?: Record<string, string>;
}
