/**
 * The SDK's typed errors. Every failure a caller can see is one of these; the HTTP layer
 * (src/http/map-error.ts) is the only place that turns a transport failure into one.
 *
 * Messages never contain an auth token or a secret value: the HTTP layer redacts before it
 * builds a message, every message (and validation issue) passes `redactEverywhere` in the
 * constructor, and no error keeps a reference to a request config or headers.
 */
import { redactEverywhere } from "./logging/redactor.js";

const BRAND = Symbol.for("flow-sdk.FlowError");

/** Options shared by every FlowError constructor. */
export interface FlowErrorOptions {
  /** The underlying failure, already stripped of credentials. */
  cause?: unknown;
}

/** Base class of every error the SDK throws. */
export class FlowError extends Error {
  override name = "FlowError";

  /** Creates a FlowError with a message that says what to do. */
  constructor(message: string, options?: FlowErrorOptions) {
    // Scrubbed here, once for every error class: a message may quote the caller's input.
    super(redactEverywhere(message), options?.cause === undefined ? undefined : { cause: safeCause(options.cause) });
  }

  /** True for any FlowError, also one thrown by another copy of the SDK (its ESM and CJS builds). */
  static isFlowError(value: unknown): value is FlowError {
    return value instanceof FlowError || (typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true);
  }
}

/**
 * A cause other than a FlowError is kept as a plain copy (name, message, `code`), redacted: the
 * original may hold a token (an axios error's request config) or a secret value (an fs error's
 * `path`), and `inspect` shows a cause in full.
 */
function safeCause(cause: unknown): unknown {
  if (typeof cause === "string") return redactEverywhere(cause);
  if (!(cause instanceof Error)) return cause;
  const error: Error = cause; // FlowError adds no members, so the type guard below would narrow to never
  if (FlowError.isFlowError(cause)) return cause;
  const copy = new Error(redactEverywhere(error.message));
  copy.name = error.name;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === "string") (copy as NodeJS.ErrnoException).code = code;
  return copy;
}

// A registry symbol on the prototype: survives dual-package loading and stays out of inspect output.
Object.defineProperty(FlowError.prototype, BRAND, { value: true });

/** The configuration given to `FlowSDK.create()` is missing or malformed. */
export class FlowConfigError extends FlowError {
  override name = "FlowConfigError";

  /** One entry per bad setting, each naming the option and environment variable. */
  readonly problems: readonly string[];

  /** Creates a FlowConfigError listing every problem found. */
  constructor(message: string, problems: readonly string[] = [], options?: FlowErrorOptions) {
    super(message, options);
    // Like the message: a problem may quote a setting's value, and `problems` is shown whole.
    this.problems = Object.freeze(problems.map((problem) => redactEverywhere(problem)));
  }
}

/** One invalid field of a call's input. */
export interface FlowValidationIssue {
  /** Dotted path of the field, e.g. `ttlSeconds`. */
  path: string;
  /** What is wrong and what is accepted. */
  message: string;
}

/** A call's input is invalid; thrown before any request is sent. */
export class FlowValidationError extends FlowError {
  override name = "FlowValidationError";

  /** Every invalid field found. */
  readonly issues: readonly FlowValidationIssue[];

  /** The `X-Request-Id` of the request the platform refused (400 `validation_error`); `undefined` when the SDK refused the input before sending it. */
  readonly requestId: string | undefined;

  /** Creates a FlowValidationError from the issues found. */
  constructor(message: string, issues: readonly FlowValidationIssue[] = [], options?: FlowErrorOptions & { requestId?: string | undefined }) {
    super(message, options);
    this.issues = issues.map((issue) => ({ ...issue, path: redactEverywhere(issue.path), message: redactEverywhere(issue.message) }));
    this.requestId = options?.requestId;
  }
}

/** Fields the platform sends with an error response. */
export interface FlowAPIErrorInit {
  /** HTTP status code. */
  status: number;
  /** Machine-readable error code from the error envelope, e.g. `not_found`. */
  code: string;
  /** The request's `X-Request-Id`, for support and log correlation. */
  requestId?: string | undefined;
  /** The `Idempotency-Key` the call was sent with, if any. */
  idempotencyKey?: string | undefined;
  /** Extra structured details from the error envelope. */
  details?: unknown;
  /** Seconds to wait before retrying, from `Retry-After`. */
  retryAfter?: number | undefined;
}

/** The platform answered with an error status. */
export class FlowAPIError extends FlowError {
  override name = "FlowAPIError";
  /** HTTP status code. */
  readonly status: number;
  /** Machine-readable error code from the error envelope. */
  readonly code: string;
  /** The request's `X-Request-Id`. */
  readonly requestId: string | undefined;
  /**
   * The `Idempotency-Key` the call was sent with (every POST, PUT, PATCH and DELETE has one):
   * pass it as `options.idempotencyKey` to repeat the same logical call, done at most once.
   */
  readonly idempotencyKey: string | undefined;
  /** Extra structured details from the error envelope. */
  readonly details: unknown;

  /** Creates a FlowAPIError; use {@link FlowAPIError.from} to get the right subclass. */
  constructor(message: string, init: FlowAPIErrorInit, options?: FlowErrorOptions) {
    super(message, options);
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.idempotencyKey = init.idempotencyKey;
    this.details = init.details;
  }

  /** Builds the subclass that matches `init.status`. */
  static from(message: string, init: FlowAPIErrorInit, options?: FlowErrorOptions): FlowAPIError {
    const s = init.status;
    if (s === 401) return new FlowAuthenticationError(message, init, options);
    if (s === 403) return new FlowPermissionError(message, init, options);
    if (s === 404) return new FlowNotFoundError(message, init, options);
    if (s === 409 || s === 412) return new FlowConflictError(message, init, options);
    if (s === 429) return new FlowRateLimitError(message, init, options);
    if (s >= 500) return new FlowServerError(message, init, options);
    return new FlowAPIError(message, init, options);
  }
}

/** 401: the token is missing, expired or invalid, and refreshing it did not help. */
export class FlowAuthenticationError extends FlowAPIError {
  override name = "FlowAuthenticationError";
}

/** 403: the token is valid but may not do this (wrong org/workspace, missing scope). */
export class FlowPermissionError extends FlowAPIError {
  override name = "FlowPermissionError";
}

/** 404: the resource does not exist. */
export class FlowNotFoundError extends FlowAPIError {
  override name = "FlowNotFoundError";
}

/** 409 or 412: the resource changed (version mismatch) or already exists. */
export class FlowConflictError extends FlowAPIError {
  override name = "FlowConflictError";
}

/** 429: too many requests. */
export class FlowRateLimitError extends FlowAPIError {
  override name = "FlowRateLimitError";
  /** Seconds the platform asked to wait, when it said. */
  readonly retryAfter: number | undefined;

  /** Creates a FlowRateLimitError. */
  constructor(message: string, init: FlowAPIErrorInit, options?: FlowErrorOptions) {
    super(message, init, options);
    this.retryAfter = init.retryAfter;
  }
}

/** 5xx: the platform failed. */
export class FlowServerError extends FlowAPIError {
  override name = "FlowServerError";
}

/** The ids of the call a transport failure ended, so that it can be repeated as the same call. */
export interface FlowCallIdsInit {
  /** The `X-Request-Id` sent. */
  requestId?: string | undefined;
  /** The `Idempotency-Key` sent. */
  idempotencyKey?: string | undefined;
}

/**
 * What is known of a call that ended without an answer: `"not_sent"`, nothing reached the platform
 * (refused, DNS, unreachable), so it did nothing; `"unknown"`, a request was sent and the
 * connection broke before the answer, so the platform may have done it.
 */
export type FlowCallOutcome = "not_sent" | "unknown";

/**
 * No answer came: the platform could not be reached (`outcome` `"not_sent"`), or the connection
 * broke after the request was sent (`"unknown"`: it may have been done). Repeat a call whose
 * outcome is unknown with `options.idempotencyKey` set to {@link FlowConnectionError.idempotencyKey}:
 * the platform then does it at most once.
 */
export class FlowConnectionError extends FlowError {
  override name = "FlowConnectionError";
  /** Whether the platform may have done the call. */
  readonly outcome: FlowCallOutcome;
  /** The `X-Request-Id` of the call, when it was made. */
  readonly requestId: string | undefined;
  /** The `Idempotency-Key` of the call (every POST, PUT, PATCH and DELETE has one), to repeat it safely. */
  readonly idempotencyKey: string | undefined;

  /** Creates a FlowConnectionError; the outcome is `"unknown"` unless told otherwise. */
  constructor(message: string, options?: FlowErrorOptions & FlowCallIdsInit & { outcome?: FlowCallOutcome | undefined }) {
    super(message, options);
    this.outcome = options?.outcome ?? "unknown";
    this.requestId = options?.requestId;
    this.idempotencyKey = options?.idempotencyKey;
  }
}

/** The request did not complete within `timeoutMs`; if it was sent, its outcome is unknown. */
export class FlowTimeoutError extends FlowError {
  override name = "FlowTimeoutError";
  /** The `X-Request-Id` of the call, when it was made. */
  readonly requestId: string | undefined;
  /** The `Idempotency-Key` of the call (every POST, PUT, PATCH and DELETE has one), to repeat it safely. */
  readonly idempotencyKey: string | undefined;

  /** Creates a FlowTimeoutError. */
  constructor(message: string, options?: FlowErrorOptions & FlowCallIdsInit) {
    super(message, options);
    this.requestId = options?.requestId;
    this.idempotencyKey = options?.idempotencyKey;
  }
}

/** The caller aborted the request through its `signal`. */
export class FlowAbortError extends FlowError {
  override name = "FlowAbortError";
}

/** The FlowSDK instance was closed; create a new one. */
export class FlowClosedError extends FlowError {
  override name = "FlowClosedError";
}

/** The namespace or method exists in the API but is not implemented in this release. */
export class FlowNotAvailableError extends FlowError {
  override name = "FlowNotAvailableError";
}
