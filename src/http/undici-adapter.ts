// The SDK's axios adapter: each request goes out through the instance's undici dispatcher (a
// keep-alive pool per origin) instead of axios' Node transport, and comes back shaped as axios'
// Node adapter shapes it, so the interceptors, map-error.ts and retry.ts see the same thing:
// - the URL: baseURL + url + params, serialized like axios (fast path for flat params);
// - request bodies: undefined, string, Buffer/Uint8Array, ArrayBuffer, a Node Readable (streamed);
// - responseType json/text (a BOM-stripped string), arraybuffer (a Buffer), stream (a Readable
//   read as it is consumed, with backpressure); gzip/deflate/br answers decompressed;
// - `timeout` bounds the attempt up to the answer's headers, and the reading of a body that is
//   not a stream (each wait for bytes); AxiosError ETIMEDOUT (ECONNABORTED without
//   `transitional.clarifyTimeoutError`); maxContentLength and (for bytes) maxBodyLength as axios;
// - `signal` aborts with CanceledError, also a stream being read; `validateStatus` settles with
//   ERR_BAD_REQUEST / ERR_BAD_RESPONSE and the response; redirects are never followed;
// - failures keep Node's codes: a connect failure keeps its own (ECONNREFUSED: nothing was sent),
//   a connection lost after the request went out is ECONNRESET (it may have been sent).
// Ignored, as the SDK's clients never set them: httpAgent/httpsAgent (the dispatcher is the
// instance's, TOKENS.HttpAgents), proxy (the environment's proxy is used: see agents.ts),
// socketPath, auth, onUploadProgress/onDownloadProgress, maxRate, maxRedirects (never followed).
import type { Readable as ReadableType, Transform } from "node:stream";
import { Readable } from "node:stream";
import type { AxiosAdapter, AxiosResponse, AxiosStatic, InternalAxiosRequestConfig } from "axios";
import type { Dispatcher } from "undici";
import { loadAxios } from "./axios.js";
import type { HttpAgents } from "./agents.js";
import { NOT_SENT_CODE } from "./map-error.js";

// axios' classes, taken from its runtime when the first adapter is made: axios is loaded with the
// first client (axios.ts), not when this module is imported.
let axios: AxiosStatic;
let AxiosError: AxiosStatic["AxiosError"];
let AxiosHeaders: AxiosStatic["AxiosHeaders"];
let CanceledError: AxiosStatic["CanceledError"];
let DEFAULT_USER_AGENT: string;

/** What axios' Node adapter asks for; the SDK decompresses what comes back. */
const ACCEPT_ENCODING = "gzip, compress, deflate, br";

/**
 * An axios adapter sending through `agents.dispatcher`, read at each request (so a replaced
 * dispatcher is used at once).
 */
export function undiciAdapter(agents: HttpAgents): AxiosAdapter {
  if (axios === undefined) {
    axios = loadAxios();
    ({ AxiosError, AxiosHeaders, CanceledError } = axios);
    DEFAULT_USER_AGENT = `axios/${axios.VERSION}`;
  }
  return (config) => new Promise<AxiosResponse>((resolve, reject) => new Exchange(config, resolve, reject).start(agents));
}

type Settle = (value: AxiosResponse) => void;
type Fail = (reason: unknown) => void;

/** One request and its answer: the undici handler (legacy callbacks: no wrapper per request). */
class Exchange implements Dispatcher.DispatchHandler {
  readonly #config: InternalAxiosRequestConfig;
  readonly #resolve: Settle;
  readonly #reject: Fail;
  #abort: ((reason: Error) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #signal: AbortSignal | undefined;
  /** Set once the exchange is over for undici (ended, failed or aborted). */
  #done = false;
  /** Set once the promise settled (a stream's body may still be flowing). */
  #settled = false;
  #response: AxiosResponse | undefined;
  #chunks: Buffer[] = [];
  #size = 0;
  #stream: UndiciBody | undefined;
  /** Set while the body is decoded: maxContentLength then counts decoded bytes, as axios. */
  #decoding = false;
  /** Set for a `deflate` answer until its first bytes: raw deflate gets a zlib header, as axios. */
  #deflate = false;
  #resume: (() => void) | undefined;
  /** Why the exchange ended before undici called onConnect: undici is told then. */
  #abortReason: Error | undefined;

  constructor(config: InternalAxiosRequestConfig, resolve: Settle, reject: Fail) {
    this.#config = config;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  start(agents: HttpAgents): void {
    const config = this.#config;
    let options: Dispatcher.DispatchOptions;
    try {
      options = dispatchOptions(config);
    } catch (error) {
      this.#fail(isAxiosErrorLike(error) ? error : AxiosError.from(error as Error, AxiosError.ERR_BAD_REQUEST, config));
      return;
    }
    const signal = config.signal as AbortSignal | undefined;
    if (signal) {
      if (signal.aborted) return this.#fail(new CanceledError(undefined, undefined, config));
      this.#signal = signal;
      signal.addEventListener("abort", this.#onAbort);
    }
    const timeout = config.timeout;
    if (timeout && timeout > 0) this.#timer = setTimeout(this.#onTimeout, timeout);
    try {
      const dispatcher = agents.dispatcher as Dispatcher | undefined;
      if (typeof dispatcher?.dispatch !== "function") {
        throw new TypeError("TOKENS.HttpAgents must provide { dispatcher }: an undici Dispatcher (an Agent, a ProxyAgent, a MockAgent); Node's { http, https } agents are no longer used");
      }
      dispatcher.dispatch(options, this);
    } catch (error) {
      // Thrown before undici took the request (making the pool, a bad proxy URL, a replacement
      // that is not a dispatcher): nothing was sent.
      this.#fail(isAxiosErrorLike(error) ? error : AxiosError.from(error as Error, NOT_SENT_CODE, config));
    }
  }

  // --- undici's callbacks ---

  /**
   * undici hands over the request's abort when it is about to write it (after its queue and its
   * connect): an exchange that ended before (a timeout, an abort, a failure) drops it here, so
   * nothing is sent and the connection goes back idle to the pool.
   */
  onConnect(abort: (reason?: Error) => void): void {
    if (this.#done) abort(this.#abortReason ?? new Error("aborted before it was sent"));
    else this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null, resume: () => void, statusText: string): boolean {
    if (this.#done) return false;
    this.#resume = resume;
    const config = this.#config;
    const headers = responseHeaders(rawHeaders);
    const method = (config.method ?? "get").toUpperCase();
    const encoding = config.decompress !== false ? headers["content-encoding"] : undefined;
    let decoder: Transform | undefined;
    if (typeof encoding === "string") {
      if (method === "HEAD" || statusCode === 204) delete headers["content-encoding"];
      else {
        decoder = decompressor(encoding);
        if (decoder) {
          delete headers["content-encoding"];
          this.#decoding = true;
          this.#deflate = encoding.toLowerCase() === "deflate";
        }
      }
    }
    const response: AxiosResponse = { status: statusCode, statusText, headers: new AxiosHeaders(headers), config, request: null, data: undefined };
    this.#response = response;
    if (config.responseType === "stream" || decoder) {
      // A stream has no time limit once the answer started; a decoded body is read as one.
      if (config.responseType === "stream") this.#clearTimer();
      const stream = new UndiciBody(this);
      this.#stream = stream;
      if (config.responseType === "stream") {
        const data: ReadableType = decoder ? new DecodedBody(stream, decoder, config) : stream;
        data.once("close", () => this.#unlisten());
        response.data = data;
        this.#settle(response);
      } else {
        this.#collect(decoded(stream, decoder!));
      }
    } else if (this.#timer) this.#timer.refresh(); // from here, each wait for body bytes
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#done) return false;
    this.#size += chunk.length;
    if (!this.#decoding && tooLong(this.#size, this.#config)) {
      this.#fail(contentLengthError(this.#config));
      return false;
    }
    const stream = this.#stream;
    if (stream) {
      if (this.#deflate) {
        this.#deflate = false;
        if (!hasZlibHeader(chunk)) stream.push(ZLIB_HEADER);
      }
      return stream.push(chunk);
    }
    this.#chunks.push(chunk);
    this.#timer?.refresh();
    return true;
  }

  onComplete(): void {
    if (this.#done) return;
    this.#done = true;
    const stream = this.#stream;
    if (stream) {
      stream.push(null);
      if (this.#settled) this.#clearTimer(); // a stream: its signal listener goes when it closes
      return;
    }
    this.#finish();
    const response = this.#response!;
    const body = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#size);
    this.#chunks = [];
    try {
      response.data = bodyAs(body, this.#config);
    } catch (error) {
      this.#reject(AxiosError.from(error as Error, undefined, this.#config, null, response));
      return;
    }
    this.#settle(response);
  }

  onError(error: Error): void {
    if (this.#done && this.#settled && !this.#stream) return;
    this.#fail(transportError(error, this.#config, this.#response));
  }

  // --- the stream's own hooks ---

  /** The consumer wants more: let undici read on. */
  read(): void {
    this.#resume?.();
  }

  /** The consumer destroyed the body before its end: the connection goes (never back half read). */
  destroyed(error: Error | null): void {
    if (this.#done) return;
    this.#done = true;
    this.#finish();
    this.#abort?.(error ?? new Error("the response body was destroyed before its end"));
  }

  // --- helpers ---

  #settle(response: AxiosResponse): void {
    this.#settled = true;
    const validate = response.config.validateStatus;
    if (!response.status || !validate || validate(response.status)) this.#resolve(response);
    else {
      const code = [AxiosError.ERR_BAD_REQUEST, AxiosError.ERR_BAD_RESPONSE][Math.floor(response.status / 100) - 4];
      this.#reject(new AxiosError(`Request failed with status code ${response.status}`, code, response.config, null, response));
    }
  }

  /** Ends the exchange with `error`: rejects while unsettled, else fails the body being read. */
  #fail(error: unknown): void {
    const first = !this.#done;
    this.#done = true;
    this.#finish();
    if (first) {
      const reason = error instanceof Error ? error : new Error(String(error));
      if (this.#abort) this.#abort(reason);
      else this.#abortReason = reason; // for onConnect, if undici still holds the request
    }
    if (!this.#settled) {
      this.#settled = true;
      this.#reject(error);
    } else this.#stream?.fail(error as Error);
  }

  /** A body to decode, read whole: as axios reads a compressed answer. */
  #collect(stream: ReadableType): void {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (chunk: Buffer) => {
      if (this.#done && this.#settled) return;
      chunks.push(chunk);
      size += chunk.length;
      if (tooLong(size, this.#config)) {
        chunks.length = 0;
        this.#fail(contentLengthError(this.#config));
        stream.destroy();
        return;
      }
      this.#timer?.refresh();
    });
    stream.once("error", (error) => this.#fail(transportError(error, this.#config, this.#response)));
    stream.once("end", () => {
      this.#clearTimer();
      this.#unlisten();
      const response = this.#response!;
      try {
        response.data = bodyAs(Buffer.concat(chunks, size), this.#config);
      } catch (error) {
        this.#settled = true;
        this.#reject(AxiosError.from(error as Error, undefined, this.#config, null, response));
        return;
      }
      this.#settle(response);
    });
  }

  #finish(): void {
    this.#clearTimer();
    this.#unlisten();
  }

  #clearTimer(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #unlisten(): void {
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#signal = undefined;
  }

  readonly #onAbort = (): void => {
    this.#fail(new CanceledError(undefined, undefined, this.#config));
  };

  readonly #onTimeout = (): void => {
    this.#timer = undefined;
    if (this.#settled && this.#stream) return;
    const config = this.#config;
    const message = config.timeoutErrorMessage || `timeout of ${config.timeout}ms exceeded`;
    const clarify = config.transitional?.clarifyTimeoutError === true;
    this.#fail(new AxiosError(message, clarify ? AxiosError.ETIMEDOUT : AxiosError.ECONNABORTED, config));
  };
}

/**
 * The response body as a stream: filled by undici, paused when the consumer lags. Like Node's
 * IncomingMessage, it emits `error` only to a listener: a failure that comes while nobody listens
 * (the answer was just handed over, say) waits for the next read, after the bytes that came
 * before it; a consumer that never listens for errors sees the stream close without its end.
 */
class UndiciBody extends Readable {
  readonly #exchange: Exchange;
  #pending: Error | undefined;

  constructor(exchange: Exchange) {
    super();
    this.#exchange = exchange;
    this.on("newListener", (event) => {
      if (event === "error" && this.#pending) process.nextTick(() => this.#surface());
    });
  }

  /**
   * Fails the body now if someone listens for its errors or consumes it as it flows (a 'data'
   * handler, a pipe): then, with no 'error' listener, it closes without its end, as Node's
   * IncomingMessage does, so a reader with only a 'data' handler sees 'close' rather than waiting
   * for ever. Otherwise the failure waits for the next read or the first 'error' listener.
   */
  fail(error: Error): void {
    if (this.destroyed || this.#pending) return;
    if (this.listenerCount("error") > 0 || this.readableFlowing === true) this.destroy(error);
    else this.#pending = error;
  }

  override _read(): void {
    if (this.#pending) this.#surface();
    else this.#exchange.read();
  }

  #surface(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending && !this.destroyed) this.destroy(pending);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#exchange.destroyed(error);
    callback(this.listenerCount("error") > 0 ? error : null);
  }
}

/**
 * A decoded response body (responseType "stream" of a gzip, deflate or br answer): the decoder's
 * output, counted against maxContentLength as axios counts it. Like UndiciBody, it emits `error`
 * only to a listener: a failure (corrupt data, the connection lost, the limit) while nobody
 * listens and nobody reads waits for the next read or the first `error` listener; one that comes
 * while a read waits and nobody listens closes the stream without its end, as Node's
 * IncomingMessage does. The decoder itself always has a listener: it never throws.
 */
class DecodedBody extends Readable {
  readonly #source: UndiciBody;
  readonly #decoder: Transform;
  readonly #config: InternalAxiosRequestConfig;
  #size = 0;
  #wanting = false;
  #pending: Error | undefined;

  constructor(source: UndiciBody, decoder: Transform, config: InternalAxiosRequestConfig) {
    super();
    this.#source = source;
    this.#decoder = decoder;
    this.#config = config;
    decoder.on("readable", () => this.#pump());
    decoder.once("end", () => this.push(null));
    decoder.on("error", (error) => this.fail(error));
    decoder.once("close", () => source.destroy());
    source.on("error", (error) => this.fail(error));
    this.on("newListener", (event) => {
      if (event === "error" && this.#pending) process.nextTick(() => this.#surface());
    });
    source.pipe(decoder);
  }

  /** Fails the body now if someone listens for its errors or waits for bytes, else later. */
  fail(error: Error): void {
    if (this.destroyed || this.#pending) return;
    if (this.listenerCount("error") > 0 || this.#wanting) this.destroy(error);
    else {
      this.#pending = error;
      this.#decoder.destroy(); // and with it the source: the connection goes
    }
  }

  override _read(): void {
    if (this.#pending) this.#surface();
    else {
      this.#wanting = true;
      this.#pump();
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#decoder.destroy();
    this.#source.destroy();
    callback(this.listenerCount("error") > 0 ? error : null);
  }

  #surface(): void {
    const pending = this.#pending;
    if (pending && !this.destroyed) this.destroy(pending);
  }

  #pump(): void {
    while (this.#wanting && !this.#pending && !this.destroyed) {
      const chunk = this.#decoder.read() as Buffer | null;
      if (chunk === null) return;
      this.#size += chunk.length;
      if (tooLong(this.#size, this.#config)) return this.fail(contentLengthError(this.#config));
      this.#wanting = this.push(chunk);
    }
  }
}

function tooLong(size: number, config: InternalAxiosRequestConfig): boolean {
  const max = config.maxContentLength;
  return max !== undefined && max > -1 && size > max;
}

function contentLengthError(config: InternalAxiosRequestConfig): Error {
  return new AxiosError(`maxContentLength size of ${config.maxContentLength} exceeded`, AxiosError.ERR_BAD_RESPONSE, config);
}

/** What axios puts before a `deflate` body without a zlib header (raw deflate), so it decodes. */
const ZLIB_HEADER = Buffer.from([0x78, 0x9c]);

/** A zlib header: deflate as its method (CM = 8), and a valid check of its two bytes. */
function hasZlibHeader(chunk: Buffer): boolean {
  return (chunk[0]! & 0x0f) === 8 && (chunk.length < 2 || ((chunk[0]! << 8) | chunk[1]!) % 31 === 0);
}

/** undici's dispatch options for an axios config. */
function dispatchOptions(config: InternalAxiosRequestConfig): Dispatcher.DispatchOptions {
  const url = new URL(fullPath(config.baseURL, config.url ?? "", config.allowAbsoluteUrls));
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new AxiosError(`Unsupported protocol ${url.protocol}`, AxiosError.ERR_BAD_REQUEST, config);
  }
  const path = withParams(url.pathname + url.search, config);
  const method = (config.method ?? "get").toUpperCase() as Dispatcher.HttpMethod;
  return { origin: url.origin, path, method, headers: requestHeaders(config), body: requestBody(config.data, config) };
}

/** axios' buildFullPath: `url` on `baseURL` unless it is absolute (and absolute URLs are allowed). */
function fullPath(baseURL: string | undefined, url: string, allowAbsoluteUrls: boolean | undefined): string {
  const absolute = /^([a-z][a-z\d+\-.]*:)?\/\//i.test(url);
  if (baseURL && (!absolute || allowAbsoluteUrls === false)) return url ? `${baseURL.replace(/\/?\/$/, "")}/${url.replace(/^\/+/, "")}` : baseURL;
  return url;
}

/** axios' parameter encoding: encodeURIComponent, keeping `:`, `$`, `,` and spaces as `+`. */
function encode(value: string): string {
  return encodeURIComponent(value).replace(/%3A/gi, ":").replace(/%24/g, "$").replace(/%2C/gi, ",").replace(/%20/g, "+");
}

/**
 * The path with `config.params` appended as axios appends them. Flat params (strings, numbers,
 * booleans; null and undefined left out), the only kind the SDK sends, are serialized here;
 * anything else (arrays, objects, dates, a paramsSerializer) goes to axios' own buildURL.
 */
function withParams(path: string, config: InternalAxiosRequestConfig): string {
  const params: unknown = config.params;
  if (!params) return path;
  let query = "";
  if (config.paramsSerializer || typeof params !== "object" || Object.getPrototypeOf(params) !== Object.prototype) {
    return stripOrigin(axios.getUri({ url: `http://h${path}`, params, paramsSerializer: config.paramsSerializer! }));
  }
  for (const key of Object.keys(params)) {
    const value = (params as Record<string, unknown>)[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
      return stripOrigin(axios.getUri({ url: `http://h${path}`, params }));
    }
    query += `${query ? "&" : ""}${encode(key)}=${encode(String(value))}`;
  }
  if (!query) return path;
  const hash = path.indexOf("#");
  const base = hash === -1 ? path : path.slice(0, hash);
  return `${base}${base.includes("?") ? "&" : "?"}${query}`;
}

function stripOrigin(url: string): string {
  return url.slice("http://h".length);
}

/** The request headers as undici takes them, with what axios' Node adapter adds. */
function requestHeaders(config: InternalAxiosRequestConfig): Record<string, string | string[]> {
  const source = config.headers as unknown as Record<string, unknown>;
  const headers: Record<string, string | string[]> = {};
  let userAgent = false;
  let acceptEncoding = false;
  for (const name of Object.keys(source)) {
    const value = source[name];
    if (value === undefined || value === null || value === false) continue;
    headers[name] = Array.isArray(value) ? value.map(String) : String(value);
    if (name.length === 10 && name.toLowerCase() === "user-agent") userAgent = true;
    else if (name.length === 15 && name.toLowerCase() === "accept-encoding") acceptEncoding = true;
  }
  if (!userAgent) headers["User-Agent"] = DEFAULT_USER_AGENT;
  if (!acceptEncoding) headers["Accept-Encoding"] = ACCEPT_ENCODING;
  return headers;
}

/** The request body as undici takes it; the kinds axios' Node adapter sends, and no other. */
function requestBody(data: unknown, config: InternalAxiosRequestConfig): string | Uint8Array | ReadableType | null {
  if (data === undefined || data === null || data === "") return null;
  if (isReadable(data)) return data; // maxBodyLength is not applied to a stream (the SDK sets none)
  const body = typeof data === "string" ? Buffer.from(data, "utf8") : data instanceof Uint8Array ? data : data instanceof ArrayBuffer ? Buffer.from(data) : undefined;
  if (body === undefined) throw new AxiosError("Data after transformation must be a string, an ArrayBuffer, a Buffer, or a Stream", AxiosError.ERR_BAD_REQUEST, config);
  const max = config.maxBodyLength;
  if (max !== undefined && max > -1 && body.length > max) throw new AxiosError("Request body larger than maxBodyLength limit", AxiosError.ERR_BAD_REQUEST, config);
  return body;
}

function isReadable(value: unknown): value is ReadableType {
  return typeof value === "object" && value !== null && typeof (value as { pipe?: unknown }).pipe === "function";
}

/** Header names Node's http module keeps once (the first), and joins otherwise with ", ". */
const SINGLE = new Set([
  "age", "authorization", "content-length", "content-type", "etag", "expires", "from", "host", "if-modified-since", "if-unmodified-since",
  "last-modified", "location", "max-forwards", "proxy-authorization", "referer", "retry-after", "server", "user-agent",
]);

/** Response headers as Node's http module gives them: lower-case names, duplicates folded its way. */
function responseHeaders(raw: Buffer[] | string[] | null): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  if (!raw) return headers;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString("latin1").toLowerCase();
    const value = raw[i + 1]!.toString("latin1");
    const seen = headers[name];
    if (seen === undefined) headers[name] = name === "set-cookie" ? [value] : value;
    else if (Array.isArray(seen)) seen.push(value);
    else if (name === "cookie") headers[name] = `${seen}; ${value}`;
    else if (!SINGLE.has(name)) headers[name] = `${seen}, ${value}`;
  }
  return headers;
}

/** A body read whole, as axios' Node adapter hands it over for the config's responseType. */
function bodyAs(body: Buffer, config: InternalAxiosRequestConfig): string | Buffer {
  if (config.responseType === "arraybuffer") return body;
  const encoding = config.responseEncoding as BufferEncoding | undefined;
  const text = body.toString(encoding);
  return (!encoding || encoding === "utf8") && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The zlib stream for a content encoding axios decodes, or undefined for one it leaves alone. */
function decompressor(encoding: string): Transform | undefined {
  // Loaded only for a compressed answer: the platform's own are not.
  const zlib = process.getBuiltinModule("node:zlib") as typeof import("node:zlib");
  switch (encoding.toLowerCase()) {
    case "gzip":
    case "x-gzip":
    case "compress":
    case "x-compress":
    case "deflate":
      return zlib.createUnzip({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    case "br":
      return zlib.createBrotliDecompress({ flush: zlib.constants.BROTLI_OPERATION_FLUSH, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
    default:
      return undefined;
  }
}

function decoded(source: ReadableType, decoder: Transform): ReadableType {
  source.once("error", (error) => decoder.destroy(decoder.listenerCount("error") > 0 ? error : undefined));
  decoder.once("close", () => source.destroy());
  return source.pipe(decoder);
}

/** undici codes for a connection lost after the request may have gone out: Node says ECONNRESET. */
const RESET_CODES = new Set(["UND_ERR_SOCKET", "UND_ERR_RES_CONTENT_LENGTH_MISMATCH", "UND_ERR_ABORTED"]);

/**
 * An undici failure as axios' Node adapter reports it: an AxiosError with Node's code (the
 * connect errors keep theirs), the original as `cause`. Before an answer, that is the error; once
 * a body is being read, it is the error the body fails with.
 */
function transportError(error: Error, config: InternalAxiosRequestConfig, response: AxiosResponse | undefined): unknown {
  if (isAxiosErrorLike(error)) return error;
  const code = (error as { code?: unknown }).code;
  const nodeCode = typeof code === "string" && RESET_CODES.has(code) ? "ECONNRESET" : undefined;
  if (response && config.responseType !== "stream") {
    // A body read whole that broke off: axios' "stream has been aborted", with the answer.
    return new AxiosError("stream has been aborted", AxiosError.ERR_BAD_RESPONSE, config, null, response);
  }
  if (response) return Object.assign(new Error(error.message, { cause: error }), { code: nodeCode ?? code });
  return AxiosError.from(error, nodeCode, config);
}

function isAxiosErrorLike(error: unknown): boolean {
  return (error as { isAxiosError?: unknown } | null)?.isAxiosError === true;
}
