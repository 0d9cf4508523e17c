import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, NotEquals, ValidateBy, ValidateIf, type ValidationArguments } from "./class-validator.js";

/** Largest page a list call may ask for. */
export const MAX_PAGE_SIZE = 1000;

/**
 * Longest cursor accepted. A cursor is opaque, but the local platform's holds the last key of the
 * page: base64url of `{"k":"state","a":<key as JSON>}`. A key is at most 512 UTF-16 code units;
 * each takes at most 3 bytes in UTF-8 (4 bytes for a surrogate pair, i.e. 2 per unit), or 6 when
 * JSON escapes it (`\uXXXX`), so the JSON is at most 512 × 6 + 32 bytes and its base64url at most
 * ⌈3104 / 3⌉ × 4 = 4140 characters. 8192 leaves room for the hosted platform's cursors.
 */
const MAX_CURSOR_LENGTH = 8192;

/** Cursor-page parameters shared by every list call. */
export class PageQuery {
  /** Items per page, 1 to 1000. */
  @IsOptional()
  @IsInt({ message: "limit must be a whole number" })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  /** The `nextCursor` of the previous page. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_CURSOR_LENGTH)
  @WellFormed("cursor")
  cursor?: string;
}

/** Longest TTL accepted: ten years. */
export const MAX_TTL_SECONDS = 10 * 365 * 24 * 3600;

/** Decorators for an optional lifetime in whole seconds, 1 to ten years. */
export function TtlSeconds(field = "ttlSeconds"): PropertyDecorator {
  return (target, property) => {
    IsOptional()(target, property);
    IsInt({ message: `${field} must be a whole number of seconds` })(target, property);
    Min(1, { message: `${field} must be at least 1` })(target, property);
    Max(MAX_TTL_SECONDS, { message: `${field} must be at most ${MAX_TTL_SECONDS} (ten years)` })(target, property);
  };
}

/**
 * Decorator: the property may be left out (`undefined`), but `null` is checked like any other
 * value, and so refused by a rule that wants a number or an object. `IsOptional` lets `null` by
 * unchecked, and a `null` sent on is not "left out" to the platform (`ifVersion: null` was
 * answered "not at version null", `filter: null` with a 500).
 */
export function OptionalNotNull(): PropertyDecorator {
  return (target, property) => ValidateIf((object: object) => (object as Record<PropertyKey, unknown>)[property] !== undefined)(target, property);
}

/** Decorator: a whole number within `Number.MAX_SAFE_INTEGER` (2**53 and above lose their last digits in JSON and SQLite). */
export function IsSafeInteger(message: string): PropertyDecorator {
  return ValidateBy({ name: "isSafeInteger", validator: { validate: (value) => typeof value !== "number" || Number.isSafeInteger(value), defaultMessage: () => message } });
}

/** Control characters (and NUL) are refused in keys and identifiers: they break logs and paths. */
// eslint-disable-next-line no-control-regex
export const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f]*$/;

// A lone UTF-16 surrogate cannot be stored as UTF-8 (SQLite would turn it into U+FFFD) nor
// percent-encoded into a URL (encodeURIComponent throws).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `value` holds half of a surrogate pair alone (no UTF-8 or URL can carry it). */
export function hasLoneSurrogate(value: string): boolean {
  return LONE_SURROGATE.test(value);
}

/** Decorator: a string with no lone surrogate, so it is stored and read back exactly; other types pass. */
export function WellFormed(field: string): PropertyDecorator {
  return ValidateBy({
    name: "isWellFormed",
    validator: {
      validate: (value) => typeof value !== "string" || !LONE_SURROGATE.test(value),
      defaultMessage: () => `${field} must be well-formed Unicode (it holds a lone surrogate)`,
    },
  });
}

/** Decorators for a key-like string: 1 to `max` characters, no control characters, well-formed Unicode. */
export function KeyString(field: string, max: number): PropertyDecorator {
  return (target, property) => {
    IsString({ message: `${field} must be a string` })(target, property);
    MinLength(1, { message: `${field} must not be empty` })(target, property);
    MaxLength(max, { message: `${field} must be at most ${max} characters` })(target, property);
    Matches(NO_CONTROL_CHARS, { message: `${field} must not contain control characters` })(target, property);
    WellFormed(field)(target, property);
  };
}

/**
 * A path segment that URLs cannot carry: WHATWG URL parsing collapses `.` and `..` (also when
 * percent-encoded), so such a key would address another route.
 */
export function NotDotSegment(field: string): PropertyDecorator {
  return (target, property) => {
    NotEquals(".", { message: `${field} must not be "." (URLs cannot carry it)` })(target, property);
    NotEquals("..", { message: `${field} must not be ".." (URLs cannot carry it)` })(target, property);
  };
}

/** Largest JSON request body the protocol accepts (the local platform answers 413 above it). */
export const MAX_JSON_BODY_BYTES = 8 * 1024 * 1024;

/**
 * Deepest nesting of arrays and objects accepted in a JSON value. SQLite's JSON functions stop at
 * 1000 levels, and a recursive walk of a value nested far deeper would overflow the stack.
 */
export const MAX_JSON_DEPTH = 100;

/** Largest free-form `metadata` object (memory, vector records, conversations, messages), as JSON text. */
export const MAX_METADATA_BYTES = 64 * 1024;

/** True for an object literal (`{}` or `Object.create(null)`), not an array, class instance or null. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return true;
  // An object literal from another realm (a vm context, a test sandbox) has that realm's
  // Object.prototype: a prototype whose own prototype is null, and the tag "Object".
  return Object.getPrototypeOf(proto) === null && Object.prototype.toString.call(value) === "[object Object]";
}

/**
 * True when arrays and objects in `value` nest deeper than `max` levels. Iterative, so a value
 * nested a million levels deep is measured without a deep stack (and a cycle ends as "too deep").
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<{ item: unknown; depth: number }> = [{ item: value, depth: 1 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (typeof next.item !== "object" || next.item === null) continue;
    if (next.depth > max) return true;
    for (const child of Object.values(next.item)) stack.push({ item: child, depth: next.depth + 1 });
  }
  return false;
}

/**
 * True when `value` survives a JSON round trip unchanged in kind: no undefined, functions, symbols,
 * bigints, non-finite numbers or cycles, and nested at most {@link MAX_JSON_DEPTH} levels.
 */
export function isJsonValue(value: unknown, options: { undefinedProperties?: boolean } = {}): boolean {
  return !nestsDeeperThan(value, MAX_JSON_DEPTH) && isJsonTree(value, new Set<object>(), options.undefinedProperties === true);
}

// `undefinedProperties`: an object property set to undefined is fine, as JSON leaves it out.
function isJsonTree(value: unknown, seen: Set<object>, undefinedProperties = false): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (typeof value !== "object") return false;
  if (seen.has(value)) return false;
  seen.add(value);
  const ok = Array.isArray(value)
    ? value.every((item) => isJsonTree(item, seen, undefinedProperties))
    : isPlainObject(value)
      ? Object.values(value).every((item) => (undefinedProperties && item === undefined) || isJsonTree(item, seen, undefinedProperties))
      : value instanceof Date && !Number.isNaN(value.getTime()); // a valid Date serialises as an ISO string; an invalid one as null
  seen.delete(value);
  return ok;
}

/** What is wrong with `value` as free-form metadata, or `undefined`: a plain object of JSON values, at most `maxBytes` as JSON. */
export function metadataIssue(value: unknown, where = "metadata", maxBytes = MAX_METADATA_BYTES): string | undefined {
  if (!isPlainObject(value) || !isJsonValue(value)) return `${where} must be a plain object of JSON values (nested at most ${MAX_JSON_DEPTH} levels)`;
  if (Buffer.byteLength(JSON.stringify(value)) > maxBytes) return `${where} must be at most ${maxBytes} bytes as JSON`;
  return undefined;
}

/** Decorators for optional free-form `metadata` (see {@link metadataIssue}). */
export function IsMetadata(maxBytes = MAX_METADATA_BYTES): PropertyDecorator {
  return (target, property) => {
    IsOptional()(target, property);
    Located("isMetadata", (value, where) => metadataIssue(value, where, maxBytes))(target, property);
  };
}

/**
 * A decorator from a check that says where the input is wrong: `check(value, property)` returns
 * the message (e.g. `records[3].vector has 2 numbers, not 3`), or `undefined` when it is fine.
 */
export function Located(name: string, check: (value: unknown, where: string) => string | undefined): PropertyDecorator {
  return ValidateBy({
    name,
    validator: {
      validate: (value: unknown, args?: ValidationArguments) => check(value, args?.property ?? name) === undefined,
      defaultMessage: (args?: ValidationArguments) => check(args?.value, args?.property ?? name) ?? `${name} is not valid`,
    },
  });
}

/** What a check found wrong, and exactly where: `path` is the wrong part (`records[1].vector`), the message says what. */
export interface LocatedIssue {
  path: string;
  message: string;
}

// The exact path each LocatedExact constraint found, per validated instance, property and
// constraint: class-validator keeps only a message per constraint, so toIssues reads it here.
const exactPaths = new WeakMap<object, Map<string, string>>();

/**
 * Like {@link Located}, for a check that knows the exact place of the fault: the issue's `path` is
 * the wrong part (`rows[0].t`, `filter.t.$gt`), as the platform reports it, not the property.
 * `check(value, property)` returns the issue or `undefined`.
 */
export function LocatedExact(name: string, check: (value: unknown, where: string) => LocatedIssue | undefined): PropertyDecorator {
  return ValidateBy({
    name,
    validator: {
      validate: (value: unknown, args?: ValidationArguments) => check(value, args?.property ?? name) === undefined,
      defaultMessage: (args?: ValidationArguments) => {
        const issue = check(args?.value, args?.property ?? name);
        if (issue === undefined) return `${name} is not valid`;
        const target: unknown = args?.object;
        if (typeof target === "object" && target !== null && args !== undefined) {
          let paths = exactPaths.get(target);
          if (paths === undefined) exactPaths.set(target, (paths = new Map()));
          paths.set(`${args.property}\u0000${name}`, issue.path);
        }
        return issue.message;
      },
    },
  });
}

/** The exact path a {@link LocatedExact} constraint `name` of `property` reported on `target`, if it did. */
export function exactPathOf(target: unknown, property: string, name: string): string | undefined {
  return typeof target === "object" && target !== null ? exactPaths.get(target)?.get(`${property}\u0000${name}`) : undefined;
}

/** Decorator: the property must be a JSON value (null included, undefined not). */
export function IsJsonValue(message: string): PropertyDecorator {
  return ValidateBy({ name: "isJsonValue", validator: { validate: (value) => isJsonValue(value), defaultMessage: () => message } });
}

// RFC 3339 date-time: a full date, a time, and a time zone (Z or ±hh:mm). Week and ordinal dates
// (2026-W05, 2026-031) and times without a zone (read in whatever zone the server is in) are out.
const DATE_TIME_FIELDS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * Reads an RFC 3339 date-time with a zone, checking it is a real date and time, by hand: years
 * 0000–0099 included. (`Date.UTC` and `new Date(y, m, d)` read years 0–99 as 1900–1999, so
 * class-validator's strict `isISO8601` refused them, and `setUTCFullYear` is used here.) Digits
 * beyond milliseconds are cut off, as `Date.parse` does.
 */
export function parseDateTime(text: string): Date | undefined {
  const match = DATE_TIME_FIELDS.exec(text);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  const offsetHours = match[9] === undefined ? 0 : Number(match[9]);
  const offsetMinutes = match[10] === undefined ? 0 : Number(match[10]);
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const millis = match[7] === undefined ? 0 : Number(match[7].padEnd(3, "0").slice(0, 3));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const sign = match[8] === "-" ? -1 : 1;
  return new Date(date.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}


/** True for an RFC 3339 date-time with a time zone that is a real date and that Date.parse reads. */
export function isDateTimeWithZone(value: unknown): boolean {
  return typeof value === "string" && parseDateTime(value) !== undefined && !Number.isNaN(Date.parse(value));
}

/** Decorator: the property must be an RFC 3339 date-time with a `Z` or `±hh:mm` time zone. */
export function IsDateTimeWithZone(message: string): PropertyDecorator {
  return ValidateBy({ name: "isDateTimeWithZone", validator: { validate: (value) => isDateTimeWithZone(value), defaultMessage: () => message } });
}

/** The shape of an id the manifest gives a code block, job type or workflow: a letter or digit, then letters, digits, `_ . -` (up to 128). */
export const RESOURCE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Decorators for a manifest id (a code block, job type or workflow): see {@link RESOURCE_ID}. */
export function ResourceId(field: string): PropertyDecorator {
  return (target, property) => {
    IsString({ message: `${field} must be a string` })(target, property);
    Matches(RESOURCE_ID, { message: `${field} must be 1 to 128 letters, digits, '_', '.' or '-', starting with a letter or digit` })(target, property);
  };
}

/** Decorators for an id the platform made (an execution, a job, a run): a key-like string that URLs can carry. */
export function PlatformId(field: string): PropertyDecorator {
  return (target, property) => {
    KeyString(field, 256)(target, property);
    NotDotSegment(field)(target, property);
  };
}

/** Longest a long-poll may ask the platform to hold its answer, in seconds. */
export const MAX_WAIT_SECONDS = 60;

/** The `?wait=` of a long-poll route: how long the platform may hold the answer until the resource finishes. */
export class WaitQuery {
  /** Seconds to hold the answer, 0 to 60. */
  @IsOptional()
  @IsInt({ message: "wait must be a whole number of seconds" })
  @Min(0, { message: "wait must be at least 0" })
  @Max(MAX_WAIT_SECONDS, { message: `wait must be at most ${MAX_WAIT_SECONDS} seconds` })
  wait?: number;
}

/**
 * Decorators for an optional JSON value sent as a block's input (a job's payload, say): any JSON
 * value, nested at most {@link MAX_JSON_DEPTH} levels, and small enough that its request fits in
 * {@link MAX_JSON_BODY_BYTES}.
 */
export function JsonPayload(field: string): PropertyDecorator {
  return (target, property) => {
    IsOptional()(target, property);
    Located(`is${field}`, (value) => {
      // A property set to undefined is left out, as JSON.stringify does: `{ name, nickname: maybe }` is fine.
      if (!isJsonValue(value, { undefinedProperties: true })) return `${field} must be a JSON value (no undefined inside arrays, functions, bigints, NaN, Infinity, class instances or cycles; nested at most ${MAX_JSON_DEPTH} levels)`;
      if (Buffer.byteLength(JSON.stringify(value)) > MAX_JSON_BODY_BYTES - 1024) return `${field} must be under 8 MiB as JSON; pass a reference (a storage path, a dataset) instead`;
      return undefined;
    })(target, property);
  };
}

/**
 * True for a Node readable stream (a `Readable`, or an old-style `NodeJS.ReadableStream`): what
 * an upload or a raw request body may be, sent as it is.
 */
export function isReadableStream(value: unknown): value is NodeJS.ReadableStream {
  return typeof value === "object" && value !== null && typeof (value as { pipe?: unknown }).pipe === "function" && typeof (value as { on?: unknown }).on === "function";
}

/** The statuses after which an execution, a job or a workflow run never changes again. */
const FINAL_STATUSES: ReadonlySet<string> = new Set(["succeeded", "failed", "cancelled"]);

/** True once an execution, a job or a workflow run has finished: `succeeded`, `failed` or `cancelled`. Shared by the SDK's waits and the platform's long-polls. */
export function isFinalStatus(status: string): boolean {
  return FINAL_STATUSES.has(status);
}
