// Streams the internal client sends and receives: upload bodies made once per attempt, progress
// counting, a declared size held to its word, and guards that turn a stream's failure into the
// reader's FlowError. Private to the SDK (see README.md here).
import { Readable, Transform } from "node:stream";
import { isReadableStream } from "../dto/common.js";
import { invalidInput } from "../dto/validate.js";
import type { FlowValidationError } from "../errors.js";

/**
 * What an upload accepts: bytes, text (sent as UTF-8), a stream read to its end, or a function
 * returning a fresh stream for each attempt (which makes a streamed upload retryable).
 */
export type UploadBody = Buffer | Uint8Array | string | Readable | NodeJS.ReadableStream | (() => Readable | NodeJS.ReadableStream);

/** Progress of an upload or a download. */
export interface TransferProgress {
  /** Bytes sent (upload) or received (download) so far. */
  loaded: number;
  /** Total bytes, when known (not for an upload from a stream of unknown length). */
  total: number | undefined;
}

/** Called as bytes move; the last call has `loaded` equal to the whole size (an empty body: one call with 0). */
export type ProgressCallback = (progress: TransferProgress) => void;

/** An upload body, ready to be opened once per attempt (or once, for a stream given as is). */
export interface BodySource {
  /** Opens the body as a stream (again, when repeatable). */
  open: () => Readable;
  /** True when `open` may be called once per attempt. */
  repeatable: boolean;
  /** Size in bytes, when known. */
  size: number | undefined;
  /** True when `size` is the caller's word for a stream, to be checked as it flows. */
  declared: boolean;
}

/** Chunk size for Buffer bodies sent as a stream (so progress has steps). */
const CHUNK = 64 * 1024;

/**
 * Reads the caller's body and declared size into a {@link BodySource}.
 *
 * @throws {FlowValidationError} (worded for `what`) for a body of no known kind or a bad size.
 */
export function bodySource(body: UploadBody, size: number | undefined, what: string): BodySource {
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) {
    throw invalidInput(what, [{ path: "size", message: "size must be a whole number of bytes, 0 or more" }]);
  }
  if (typeof body === "string" || body instanceof Uint8Array) {
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return { open: () => Readable.from(chunksOf(bytes), { objectMode: false }), repeatable: true, size: bytes.length, declared: false };
  }
  if (typeof body === "function") {
    return {
      open: () => {
        const stream = body();
        if (!isReadableStream(stream)) throw invalidInput(what, [{ path: "body", message: "the body function must return a readable stream" }]);
        return toReadable(stream);
      },
      repeatable: true,
      size,
      declared: true,
    };
  }
  if (isReadableStream(body)) return { open: () => toReadable(body), repeatable: false, size, declared: true };
  throw invalidInput(what, [{ path: "body", message: "body must be a Buffer, Uint8Array, string, readable stream or a function returning one" }]);
}

function* chunksOf(bytes: Buffer): Generator<Buffer> {
  if (bytes.length === 0) return;
  for (let start = 0; start < bytes.length; start += CHUNK) yield bytes.subarray(start, start + CHUNK);
}

function toReadable(stream: Readable | NodeJS.ReadableStream): Readable {
  return stream instanceof Readable ? stream : new Readable().wrap(stream);
}

/** `stream` as is without a callback; else passed through a counter that reports each chunk as it goes by. */
export function counted(stream: Readable, total: number | undefined, onProgress: ProgressCallback | undefined): Readable {
  if (!onProgress) return stream;
  let loaded = 0;
  return through(stream, {
    chunk: (chunk) => {
      loaded += chunk.length;
      onProgress({ loaded, total });
    },
    end: () => {
      if (loaded === 0) onProgress({ loaded, total }); // an empty body still reports its (only) step
    },
  });
}

/** `stream` checked to give exactly `size` bytes; a mismatch fails it with a FlowValidationError, also handed to `fail`. */
export function exactly(stream: Readable, size: number, what: string, fail: (error: FlowValidationError) => void): Readable {
  let seen = 0;
  const check = (ended: boolean): void => {
    if (ended ? seen === size : seen <= size) return;
    const message = `the body stream gave ${ended ? "only " : "more than "}${seen} bytes, but size says ${size}`;
    const error = invalidInput(what, [{ path: "size", message }]);
    fail(error);
    throw error;
  };
  return through(stream, {
    chunk: (chunk) => {
      seen += chunk.length;
      check(false);
    },
    end: () => check(true),
  });
}

/** What {@link through} does along the way. */
export interface ThroughHooks {
  /** Called for each chunk; a throw fails the stream. */
  chunk: (chunk: Buffer) => void;
  /** Called at the end; a throw fails the stream. */
  end?: () => void;
  /** Turns an error of the source into the one the reader sees. */
  error?: (error: Error) => Error;
}

/**
 * `stream` piped through a Transform running `hooks`, with backpressure. Failure goes both ways: a
 * failing source fails the reader (with `hooks.error` of its error), and a reader that gives up or
 * fails destroys the source.
 */
export function through(stream: Readable, hooks: ThroughHooks): Readable {
  const guarded = (run: () => void, done: (error?: Error | null) => void): void => {
    try {
      run();
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  };
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      guarded(() => hooks.chunk(chunk), (error) => (error ? done(error) : done(null, chunk)));
    },
    flush(done) {
      guarded(() => hooks.end?.(), done);
    },
  });
  stream.on("error", (error) => transform.destroy(hooks.error ? hooks.error(error) : error));
  transform.on("close", () => {
    if (!stream.readableEnded) stream.destroy();
  });
  return stream.pipe(transform);
}

/** Checks that a progress callback, when given, is a function. @throws {FlowValidationError} otherwise. */
export function checkProgress(onProgress: unknown, what: string): void {
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw invalidInput(what, [{ path: "onProgress", message: "onProgress must be a function" }]);
  }
}
