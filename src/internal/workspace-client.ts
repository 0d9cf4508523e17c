// The one internal client every built-in namespace talks to the platform through. A namespace
// method validates its input and names a verb and a route; everything else (JSON bodies, a 404
// that means "missing", cursor lists, streamed bodies both ways, long-poll waits) lives here, and
// every failure, also one in the middle of a stream, goes through the one error mapping of
// src/http/map-error.ts. Private: see README.md beside this file.
import type { Readable } from "node:stream";
import type { AxiosError, AxiosInstance, AxiosRequestConfig, AxiosResponse, Method } from "axios";
import { inject, injectable } from "tsyringe";
import type { FlowConfig } from "../container/config.js";
import type { Lifecycle } from "../container/lifecycle.js";
import { TOKENS } from "../container/tokens.js";
import { FlowAbortError, FlowClosedError, FlowError, FlowTimeoutError, FlowValidationError, type FlowValidationIssue } from "../errors.js";
import { isPlainObject } from "../dto/common.js";
import { invalidInput } from "../dto/validate.js";
import { anySignal, sleep } from "../http/abort.js";
import { callConfig } from "../http/call-options.js";
import { mapStreamError } from "../http/map-error.js";
import { pagedList, type ListRequest } from "../http/paged-list.js";
import { workspacePath } from "../http/paths.js";
import type { RequestOptions } from "../http/request-options.js";
import { objectBody } from "../http/response-body.js";
import type { Redactor } from "../logging/redactor.js";
import type { PagePromise } from "../pagination.js";
import { counted, exactly, through, type BodySource, type ProgressCallback } from "./streams.js";

/** What a call adds to the route and the caller's options. */
export interface CallInit {
  /** Query parameters. */
  query?: object | undefined;
  /** Headers of the route (a content type, say); the caller's `headers` option wins over them. */
  headers?: Record<string, string> | undefined;
  /** The body's content type when the route fixes it (bytes already serialized as JSON): it wins over the caller's. */
  contentType?: string | undefined;
  /** Whether a failed attempt may be sent again (`flowMayRetry`); for a call the platform does not replay, only one surely not done. @default every retryable failure */
  mayRetry?: ((error: AxiosError) => boolean) | undefined;
}

/** The caller's bounds on a wait: the whole wait's time limit and a signal that ends it. */
export interface WaitBounds {
  /** How long to wait in all, in milliseconds; without it, until done or aborted. */
  timeoutMs?: number | undefined;
  /** Ends the wait at once with `FlowAbortError`. */
  signal?: AbortSignal | undefined;
}

/** Longest a single long-poll asks the platform to hold the answer, in seconds. */
export const MAX_POLL_WAIT_SECONDS = 20;
/** A platform that answers a poll at once (no long-poll support) is asked again after this, growing to {@link MAX_POLL_GAP_MS}. */
const MIN_POLL_GAP_MS = 200;
/** Longest pause between two polls of a platform that does not hold them. */
const MAX_POLL_GAP_MS = 2_000;
/** Longest whole wait: what a timer can count (about 24.8 days). */
const MAX_WAIT_MS = 2_147_483_647;

/** How a wait names itself in errors: the method (`jobs.wait`), and the resource as last seen. */
export interface WaitNames<T> {
  /** The SDK method, e.g. `jobs.wait`, for a validation error. */
  method: string;
  /** The resource and what was last seen of it, e.g. `job job_1 (running)`. */
  describe: (last: T | undefined) => string;
}

/** @internal The SDK's client of the platform API; namespaces call it, users never do. */
@injectable()
export class WorkspaceClient {
  /** Built by the container. */
  constructor(
    @inject(TOKENS.PlatformHttp) private readonly http: AxiosInstance,
    @inject(TOKENS.Config) private readonly config: FlowConfig,
    @inject(TOKENS.Lifecycle) private readonly lifecycle: Lifecycle,
    @inject(TOKENS.Redactor) private readonly redactor: Redactor,
  ) {}

  /**
   * The workspace route `/v1/orgs/:org/workspaces/:ws/<area>/<segments...>`, each segment
   * percent-encoded.
   * @throws {FlowConfigError} when ORG_ID or WORKSPACE_ID is not configured.
   */
  path(area: string, ...segments: string[]): string {
    return workspacePath(this.config, area, ...segments);
  }

  /**
   * Checks the caller's options without sending anything (for a call the cache may answer).
   * @throws {FlowValidationError} for an invalid option.
   */
  checkOptions(options: RequestOptions | undefined): void {
    callConfig(options);
  }

  /** GET a JSON object. */
  get<T extends object>(path: string, options?: RequestOptions, init?: CallInit): Promise<T> {
    return this.#json<T>("get", path, undefined, options, init);
  }

  /** GET a JSON object, or `undefined` when the platform says 404 `not_found` (not a wrong route). */
  async find<T extends object>(path: string, options?: RequestOptions, init?: CallInit): Promise<T | undefined> {
    const response = await this.http.get(path, this.#config(callConfig(options, { allowNotFound: true }), init));
    return response.status === 404 ? undefined : objectBody<T>(response);
  }

  /** POST a JSON body (or bytes already serialized, with their content type in `init.headers`); resolves to the JSON object answered. */
  post<T extends object>(path: string, body: unknown, options?: RequestOptions, init?: CallInit): Promise<T> {
    return this.#json<T>("post", path, body, options, init);
  }

  /** PUT a JSON body. */
  put<T extends object>(path: string, body: unknown, options?: RequestOptions, init?: CallInit): Promise<T> {
    return this.#json<T>("put", path, body, options, init);
  }

  /** PATCH a JSON body. */
  patch<T extends object>(path: string, body: unknown, options?: RequestOptions, init?: CallInit): Promise<T> {
    return this.#json<T>("patch", path, body, options, init);
  }

  /** DELETE, resolving to the JSON object answered. */
  delete<T extends object>(path: string, options?: RequestOptions, init?: CallInit): Promise<T> {
    return this.#json<T>("delete", path, undefined, options, init);
  }

  /** DELETE a resource whose route answers `{ deleted }`; resolves to whether it existed. */
  async deleted(path: string, options?: RequestOptions): Promise<boolean> {
    return (await this.delete<{ deleted?: unknown }>(path, options)).deleted === true;
  }

  /**
   * A cursor-paged list. `prepare` validates and names the route; it runs inside the first fetch,
   * so bad input rejects the returned page (before any request) rather than throwing.
   */
  list<T>(prepare: () => ListRequest, options?: RequestOptions, toItem?: (raw: T) => T): PagePromise<T> {
    return pagedList<T>(this.http, prepare, options, toItem);
  }

  /**
   * GETs a body as a stream, read from the platform as it is consumed. A transfer that breaks off
   * fails the stream with the FlowError of {@link mapStreamError}, never a transport error (its
   * config holds the bearer token).
   */
  async download(path: string, onProgress: ProgressCallback | undefined, options: RequestOptions | undefined): Promise<Readable> {
    const config = callConfig(options);
    const response: AxiosResponse<Readable> = await this.http.get(path, { ...config, responseType: "stream", maxContentLength: -1 });
    const length = Number(response.headers["content-length"]);
    const total = Number.isSafeInteger(length) ? length : undefined;
    let loaded = 0;
    return through(response.data, {
      chunk: (chunk) => {
        loaded += chunk.length;
        onProgress?.({ loaded, total });
      },
      end: () => {
        if (loaded === 0) onProgress?.({ loaded, total });
      },
      error: (error) =>
        mapStreamError(
          error,
          {
            method: "GET",
            path,
            requestId: undefined,
            closed: this.lifecycle.closed,
            aborted: config.signal?.aborted === true,
            received: `after ${loaded}${total === undefined ? "" : ` of ${total}`} bytes`,
            retry: "fetch it again",
          },
          this.redactor,
        ),
    });
  }

  /**
   * Sends `source` as the streamed body of a `method` request and resolves to the JSON object
   * answered. A repeatable source (bytes, a stream factory) is opened once per attempt, so the
   * call is retried like any other; a stream given as is is sent once. When the upload fails, the
   * caller learns why in this order: closing or aborting, a stream that broke its declared size,
   * the caller's own `onProgress` throwing, the body failing to read, then the transport.
   */
  async upload<T extends object>(
    method: Method,
    path: string,
    source: BodySource,
    init: CallInit & { onProgress?: ProgressCallback | undefined; what: string },
    options: RequestOptions | undefined,
  ): Promise<T> {
    const headers: Record<string, string> = { ...init.headers };
    if (source.size !== undefined) headers["Content-Length"] = String(source.size);
    const config = this.#config(callConfig(options), { headers });
    let mismatch: FlowValidationError | undefined; // the stream broke its declared size
    let thrown: { error: unknown } | undefined; // onProgress threw: the caller gets that error back
    let unreadable: Error | undefined; // the body's own failure (a file that cannot be read, say)
    const onProgress = init.onProgress;
    const report =
      onProgress &&
      ((progress: Parameters<ProgressCallback>[0]): void => {
        try {
          onProgress(progress);
        } catch (error) {
          thrown ??= { error };
          throw error;
        }
      });
    const open = (): Readable => {
      const raw = source.open();
      raw.on("error", (error) => (unreadable ??= error));
      // A stream that breaks its declared size would leave the platform waiting for bytes that
      // never come (or read its excess as a next request): it fails the upload at once, as bad input.
      const stream = source.declared && source.size !== undefined ? exactly(raw, source.size, init.what, (error) => (mismatch = error)) : raw;
      return counted(stream, source.size, report);
    };
    const oneShot = source.repeatable ? undefined : open();
    try {
      const response = await this.http.request({
        ...config,
        method,
        url: path,
        ...(oneShot ? { data: oneShot } : { flowBody: open }),
        // -1 is axios' "no limit" (its default; repeated so an instance-wide limit cannot cut an
        // upload or its answer short).
        maxBodyLength: -1,
        maxContentLength: -1,
      });
      return objectBody<T>(response);
    } catch (error) {
      // A failed upload leaves the caller's stream half read and useless: destroy it, so an open
      // file behind it is closed (the HTTP layer does the same for each body a factory made).
      oneShot?.destroy();
      if (error instanceof FlowClosedError || error instanceof FlowAbortError) throw error;
      if (mismatch) throw mismatch;
      if (thrown) throw thrown.error;
      if (unreadable) throw new FlowError(`${init.what}: reading the body failed (${unreadable.message}); nothing was stored`, { cause: unreadable });
      throw error;
    }
  }

  /**
   * Long-polls `path` (a GET answering the resource, held by the platform up to `?wait=` seconds
   * until it changes) until `done` says so, and resolves to that answer. One deadline spans every
   * poll; the caller's signal, and `close()`, end the wait at once.
   *
   * @throws {FlowValidationError} for bad bounds, before any request.
   * @throws {FlowTimeoutError} when `bounds.timeoutMs` passes first; the message says what was last seen.
   * @throws {FlowAbortError} when a signal aborts; {@link FlowClosedError} when the instance closes.
   */
  waitFor<T extends object>(path: string, done: (value: T) => boolean, bounds: WaitBounds, options: RequestOptions | undefined, what: WaitNames<T>): Promise<T> {
    return this.startAndWait(undefined, () => path, done, bounds, options, what);
  }

  /**
   * Makes a resource with `start` (a POST, say) and then waits for it like {@link waitFor}, the
   * deadline and the signals bounding the start too: nothing is sent when a signal has already
   * aborted, and `timeoutMs` counts from before the start. Without `start`, only waits.
   */
  async startAndWait<T extends object>(
    start: ((options: RequestOptions) => Promise<T>) | undefined,
    pathOf: (resource: T | undefined) => string,
    done: (value: T) => boolean,
    bounds: WaitBounds,
    options: RequestOptions | undefined,
    what: WaitNames<T>,
  ): Promise<T> {
    const base = callConfig(options);
    const timeoutMs = checkWaitBounds(bounds, what.method);
    const started = Date.now();
    const deadline = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    const signals = [base.signal as AbortSignal | undefined, bounds.signal];
    const linked = anySignal([...signals, deadline, this.lifecycle.signal]);
    const perAttempt = base.timeout ?? this.config.timeoutMs;
    let last: T | undefined;
    let gap = MIN_POLL_GAP_MS;
    try {
      if (start) {
        linked.signal.throwIfAborted();
        last = await start({ ...options, signal: linked.signal });
        if (done(last)) return last;
      }
      for (;;) {
        const left = timeoutMs === undefined ? Infinity : timeoutMs - (Date.now() - started);
        const waitSeconds = Math.max(0, Math.min(MAX_POLL_WAIT_SECONDS, Math.ceil(left / 1000)));
        const asked = Date.now();
        const response = await this.http.get(pathOf(last), {
          ...this.#config(base, { query: { wait: waitSeconds } }),
          signal: linked.signal,
          // The platform holds the answer up to waitSeconds: the attempt gets that on top of its
          // own limit, which alone still bounds the wait for a token.
          timeout: perAttempt + waitSeconds * 1000,
          flowAttemptTimeoutMs: perAttempt,
        });
        last = objectBody<T>(response);
        if (done(last)) return last;
        // An unfinished answer that came back well before the hold it was asked for: the platform
        // does not hold polls (or the resource changed but is not done). It is not hammered.
        if (Date.now() - asked < Math.max(MIN_POLL_GAP_MS, waitSeconds * 500)) {
          await sleep(gap, [linked.signal]);
          gap = Math.min(gap * 2, MAX_POLL_GAP_MS);
        } else gap = MIN_POLL_GAP_MS;
      }
    } catch (error) {
      // One wording whatever was under way (the start, a poll, the pause between polls); the
      // HTTP layer's own error, if any, stays as the cause.
      const cause = FlowError.isFlowError(error) ? error : undefined;
      if (this.lifecycle.closed) throw new FlowClosedError(`${what.describe(last)}: the wait was cut off because this FlowSDK instance was closed`, { cause });
      if (signals.some((signal) => signal?.aborted)) throw new FlowAbortError(`${what.describe(last)}: the wait was aborted by its signal`, { cause });
      if (deadline?.aborted) {
        throw new FlowTimeoutError(`${what.describe(last)} did not finish within timeoutMs ${timeoutMs}; it goes on: wait for it again, or cancel it`, { cause });
      }
      throw error;
    } finally {
      linked.dispose();
    }
  }

  /**
   * Checks a wait's `timeoutMs` and `signal` without sending anything and returns the time limit.
   * @throws {FlowValidationError} for a bad one.
   */
  checkWait(bounds: WaitBounds, what: string): number | undefined {
    return checkWaitBounds(bounds, what);
  }

  // Through axios' verb methods (not request()), so a stand-in for TOKENS.PlatformHttp in a
  // user's unit test needs only the verbs it is called with (uploads use request()).
  async #json<T extends object>(method: "get" | "post" | "put" | "patch" | "delete", path: string, body: unknown, options: RequestOptions | undefined, init: CallInit | undefined): Promise<T> {
    const config = this.#config(callConfig(options), init);
    const response = method === "get" || method === "delete" ? await this.http[method](path, config) : await this.http[method](path, body, config);
    return objectBody<T>(response);
  }

  #config(base: AxiosRequestConfig, init: CallInit | undefined): AxiosRequestConfig {
    if (!init) return base;
    const config: AxiosRequestConfig = { ...base };
    if (init.mayRetry !== undefined) config.flowMayRetry = init.mayRetry;
    if (init.query !== undefined) config.params = init.query;
    if (init.headers !== undefined || init.contentType !== undefined) {
      const headers: Record<string, string> = { ...init.headers, ...(base.headers as Record<string, string> | undefined) };
      if (init.contentType !== undefined) {
        for (const name of Object.keys(headers)) if (name.toLowerCase() === "content-type") delete headers[name];
        headers["Content-Type"] = init.contentType;
      }
      config.headers = headers;
    }
    return config;
  }
}

/** The keys a wait's bounds may have. */
const WAIT_KEYS = new Set(["timeoutMs", "signal"]);

/**
 * Checks a wait's own bounds (a `RequestOptions`' are checked by callConfig) and returns its time
 * limit. Only a plain object is bounds, and only its two keys: `null`, an array or a misspelt
 * `timeoutMS` read as "no bounds" would wait with no limit.
 */
function checkWaitBounds(bounds: unknown, what: string): number | undefined {
  if (!isPlainObject(bounds)) {
    throw new FlowValidationError(`${what}: invalid input (the wait parameters must be an object { timeoutMs?, signal? }, or left out)`, [
      { path: "", message: "expected an object { timeoutMs?, signal? }" },
    ]);
  }
  const issues: FlowValidationIssue[] = Object.keys(bounds)
    .filter((key) => !WAIT_KEYS.has(key))
    .map((key) => ({ path: key, message: `property ${key} should not exist (a wait takes timeoutMs and signal)` }));
  const { timeoutMs, signal } = bounds as WaitBounds;
  if (timeoutMs !== undefined && (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_WAIT_MS)) {
    issues.push({ path: "timeoutMs", message: `timeoutMs must be a whole number of milliseconds from 1 to ${MAX_WAIT_MS} (about 24.8 days; leave it out for no limit)` });
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) issues.push({ path: "signal", message: "signal must be an AbortSignal" });
  if (issues.length > 0) throw invalidInput(what, issues);
  return timeoutMs;
}
