// Input of a raw request (`gateway.request`, and plugins calling `rawRequest`): what may go to any
// route of a Flow base URL. Checked before anything is sent, so bad input is a FlowValidationError
// rather than a TypeError from axios, a RangeError from JSON, or a request altered on the way.
import { hasLoneSurrogate, isJsonValue, isPlainObject, isReadableStream, Located, MAX_JSON_DEPTH, NO_CONTROL_CHARS } from "./common.js";
import { headersIssue } from "./request-options.js";

/** The HTTP methods a raw request may use (in any case). */
export const RAW_REQUEST_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** What is wrong with `value` as a raw request's method, or `undefined` (left out means GET). */
export function rawMethodIssue(value: unknown, where = "method"): string | undefined {
  if (value === undefined) return undefined;
  // ASCII letters first: "poſt" and "optıons" upper-case to POST and OPTIONS, but are not methods.
  if (typeof value === "string" && /^[A-Za-z]+$/.test(value) && (RAW_REQUEST_METHODS as readonly string[]).includes(value.toUpperCase())) return undefined;
  return `${where} must be one of ${RAW_REQUEST_METHODS.join(", ")} (or left out for GET)`;
}

/**
 * What is wrong with `value` as a raw request's path, or `undefined`. Only a path on the base URL
 * is sent, so the bearer token never leaves for another host: not a URL, not `//host`, and no
 * backslash (URL parsing reads it as `/`); nor control characters or a lone surrogate, which a
 * URL cannot carry as they are.
 */
export function rawPathIssue(value: unknown, where = "path"): string | undefined {
  if (typeof value !== "string") return `${where} must be a string starting with "/", a path on the base URL such as /v1/models`;
  if (!value.startsWith("/") || value.startsWith("//")) return `${where} must start with a single "/": a path on the base URL such as /v1/models, not a URL`;
  if (value.includes("\\")) return `${where} must not contain a backslash (URLs read it as "/"); percent-encode it as %5C`;
  if (!NO_CONTROL_CHARS.test(value)) return `${where} must not contain control characters; percent-encode them`;
  if (hasLoneSurrogate(value)) return `${where} must be well-formed Unicode (it holds a lone surrogate)`;
  return undefined;
}

/**
 * True when the path part of `path` (before any `?`) holds a `.` or `..` segment, also
 * percent-encoded (`%2e`): URL resolution collapses them, so such a path can leave the route
 * prefix it is appended to.
 */
export function hasDotSegment(path: string): boolean {
  const pathPart = path.split("?")[0] ?? "";
  return pathPart.split("/").some((segment) => {
    const plain = segment.replace(/%2e/gi, ".");
    return plain === "." || plain === "..";
  });
}

/** What is wrong with `value` as the path of a call to a service, or `undefined`: a raw path without dot segments or a fragment. */
export function servicePathIssue(value: unknown, where = "path"): string | undefined {
  const issue = rawPathIssue(value, where);
  if (issue !== undefined) return issue;
  if (hasDotSegment(value as string)) return `${where} must not hold . or .. segments (also percent-encoded): they would leave the service's routes`;
  if ((value as string).includes("#")) return `${where} must not hold a fragment (#); percent-encode it as %23`;
  return undefined;
}

/** What is wrong with `value` as a raw request's query parameters, or `undefined`. */
export function rawQueryIssue(value: unknown, where = "query"): string | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) return `${where} must be a plain object of names to strings, numbers or booleans`;
  for (const [name, item] of Object.entries(value)) {
    // encodeURIComponent throws on a lone surrogate, which would surface as a connection error.
    if (hasLoneSurrogate(name)) return `${where} has a name that is not well-formed Unicode (it holds a lone surrogate)`;
    if (item === undefined || typeof item === "boolean" || (typeof item === "number" && Number.isFinite(item))) continue;
    if (typeof item === "string") {
      if (hasLoneSurrogate(item)) return `${where}.${name} must be well-formed Unicode (it holds a lone surrogate)`;
      continue;
    }
    // An object would go out as name[key]=..., a null or NaN as nothing or "NaN": none is what was meant.
    return `${where}.${name} must be a string, a finite number, a boolean, or undefined to leave it out`;
  }
  return undefined;
}

/**
 * What is wrong with `value` as a raw request's body, or `undefined` (no body): a JSON value, or
 * bytes or a readable stream sent as they are. Anything else would go out as something else
 * (a Map as `{}`, NaN as `null`) or fail inside axios (a cycle, a bigint).
 */
export function rawBodyIssue(value: unknown, where = "body"): string | undefined {
  if (value === undefined || value instanceof Uint8Array || isReadableStream(value) || isJsonValue(value, { undefinedProperties: true })) return undefined;
  return `${where} must be a JSON value (no functions, symbols, bigints, NaN, Infinity, class instances, undefined inside arrays or cycles; nested at most ${MAX_JSON_DEPTH} levels), or bytes or a readable stream to send as they are`;
}


/** Input of a raw request; every field is checked by the function of its name above. */
export class RawRequestInput {
  /** HTTP method; GET when absent. */
  @Located("isRawMethod", (value, where) => rawMethodIssue(value, where))
  method?: string;

  /** Path on the base URL, starting with a single `/`. */
  @Located("isRawPath", (value, where) => rawPathIssue(value, where))
  path!: string;

  /** Query parameters. */
  @Located("isRawQuery", (value, where) => rawQueryIssue(value, where))
  query?: Record<string, string | number | boolean | undefined>;

  /** Extra headers, by the rule of `RequestOptions.headers`. */
  @Located("isRawHeaders", (value, where) => (value === undefined ? undefined : headersIssue(value, where)))
  headers?: Record<string, string>;

  /** JSON body, or bytes or a stream sent as they are. */
  @Located("isRawBody", (value, where) => rawBodyIssue(value, where))
  body?: unknown;
}
