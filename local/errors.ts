import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { FlowValidationError } from "../src/errors.js";
import { pathOf } from "./url.js";

/** The wire error envelope of docs/protocol.md. */
export interface ErrorEnvelope {
  /** The error itself. */
  error: {
    /** Machine-readable code, e.g. `not_found`. */
    code: string;
    /** What went wrong and what to do; never holds a token or secret value. */
    message: string;
    /** Structured extra data, e.g. `{ issues }` or `{ currentVersion }`. */
    details?: unknown;
  };
}

/** An error a route throws on purpose; the error handler sends it as the envelope. */
export class HttpError extends Error {
  override name = "HttpError";

  /** Creates an HttpError for `status` with a protocol `code`. */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Builds the envelope body for a code and message. */
export function envelope(code: string, message: string, details?: unknown): ErrorEnvelope {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * Where unexpected errors are reported; the client only ever sees a generic 500. `request` is
 * undefined for errors outside a request, e.g. in the expiry sweep.
 */
export type InternalErrorReporter = (error: unknown, request: FastifyRequest | undefined) => void;

/** A fastify error handler. */
export type ErrorHandler = (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => FastifyReply;

/** Fastify error handler turning anything thrown into the protocol's error envelope. */
export function errorHandler(report: InternalErrorReporter): ErrorHandler {
  return (error, request, reply) => {
    if (error instanceof HttpError) {
      return reply.status(error.status).send(envelope(error.code, error.message, error.details));
    }
    if (error instanceof FlowValidationError) {
      return reply.status(400).send(envelope("validation_error", error.message, { issues: error.issues }));
    }
    const unavailable = databaseUnavailable(error);
    if (unavailable !== undefined) {
      // A full disk or an I/O error is the operator's to see; a busy database is routine.
      if (unavailable.code !== "database_busy") report(error, request);
      return reply.status(503).header("retry-after", String(RETRY_AFTER_SECONDS)).send(envelope(unavailable.code, unavailable.message));
    }
    // Fastify's own client errors (bad JSON, wrong content type, body too large) carry a 4xx
    // statusCode and a message safe to show.
    const status = (error as Partial<FastifyError>).statusCode;
    if (typeof status === "number" && status >= 400 && status < 500) {
      return reply.status(status).send(envelope("bad_request", error.message));
    }
    report(error, request);
    return reply.status(500).send(envelope("internal", "The local platform failed on this request; its stderr has the details"));
  };
}

/** Seconds a client is asked to wait (Retry-After) after a 503 from the database. */
export const RETRY_AFTER_SECONDS = 1;

// SQLite primary result codes of a database that cannot take the write now; extended codes
// (SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_WRITE, ...) start with them.
const BUSY_CODES = ["SQLITE_BUSY", "SQLITE_LOCKED"];
const DISK_CODES = ["SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_READONLY"];

/**
 * The 503 answer for a SQLite error meaning "not now": the write lock held elsewhere past the busy
 * timeout (`database_busy`), or a full disk or I/O error (`database_unavailable`). Each fails the
 * work's transaction, which rolls back, so nothing was done and a retry is safe; undefined for
 * other errors.
 */
export function databaseUnavailable(error: unknown): { code: string; message: string } | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !code.startsWith("SQLITE_")) return undefined;
  const is = (prefixes: string[]): boolean => prefixes.some((prefix) => code === prefix || code.startsWith(`${prefix}_`));
  if (is(BUSY_CODES)) {
    return { code: "database_busy", message: `The platform's database is busy (another process holds its write lock); nothing was done, retry after ${RETRY_AFTER_SECONDS} s` };
  }
  if (is(DISK_CODES)) {
    return { code: "database_unavailable", message: `The platform's database cannot write now (disk full or I/O error, ${code}); nothing was done, retry later` };
  }
  return undefined;
}

/** Fastify not-found handler answering 404 route_not_found. */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.status(404).send(envelope("route_not_found", `No route ${request.method} ${pathOf(request.url)} on the local platform; see docs/protocol.md`));
}

/**
 * Fastify's `frameworkErrors` option: errors fastify meets before routing (a path that is not valid
 * percent-encoding, a path parameter over the length limit) skip every hook, so this handler sets
 * X-Request-Id and the envelope itself. 414 is `uri_too_long`, other 4xx `bad_request`; the message
 * does not repeat the path, which may be kilobytes long.
 */
export function frameworkErrorHandler(
  report: InternalErrorReporter,
  maxParamLength: number,
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    const status = typeof error.statusCode === "number" ? error.statusCode : 500;
    reply.header("x-request-id", request.id);
    if (status === 414) {
      void reply.status(414).send(envelope("uri_too_long", `A path segment of the URL is over ${maxParamLength} characters long`));
    } else if (status >= 400 && status < 500) {
      const message = error.code === "FST_ERR_BAD_URL" ? "The URL path is not valid percent-encoding (e.g. a % not followed by two hex digits)" : error.message;
      void reply.status(status).send(envelope("bad_request", message));
    } else {
      report(error, request);
      void reply.status(500).send(envelope("internal", "The local platform failed on this request; its stderr has the details"));
    }
  };
}
