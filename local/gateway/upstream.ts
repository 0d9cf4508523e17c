// Forwarding to the manifest's OpenAI-compatible upstream (docs/protocol.md, "Gateway: models"):
// the body as is, the workspace secret's value as the bearer key, the request id passed on, the
// upstream's errors mapped to the platform's (never its status as is), its stream relayed event
// by event as it comes. The key is masked in every text that leaves here.
import { createParser } from "eventsource-parser";
import { HttpError } from "../errors.js";
import { sseText } from "../sse.js";

/** Where a call goes and with which key. */
export interface UpstreamTarget {
  /** The manifest's `gateway.upstream.baseUrl`, without a trailing slash. */
  baseUrl: string;
  /** The name of the secret holding the key (named in errors; the value never is). */
  secretName: string;
  /** The key. */
  key: string;
}

/** An upstream's refusal, with the `Retry-After` of its 429 to pass on. */
export class UpstreamError extends HttpError {
  override name = "UpstreamError";

  /** Creates it; `retryAfter` is the upstream's header, when it sent one. */
  constructor(status: number, code: string, message: string, readonly retryAfter?: string) {
    super(status, code, message);
  }
}

/** Hides `key` (and its untrimmed form) in `text`. */
export function maskKey(text: string, key: string): string {
  return key === "" ? text : text.split(key).join("***");
}

/** How an error reads (with its cause's message), the key masked. */
export function describeError(error: unknown, key: string): string {
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  const message = error instanceof Error ? `${error.message}${cause}` : String(error);
  return maskKey(message, key);
}

/**
 * POSTs `body` to `<baseUrl><path>` and returns the upstream's answer once its status says it
 * accepted the request (2xx); the body is then the caller's to read (or cancel).
 * @throws {UpstreamError} 400 `upstream_rejected`, 429 `rate_limited` (with the upstream's Retry-After), 502 `upstream_auth_failed` or `upstream_unavailable`.
 */
export async function postUpstream(target: UpstreamTarget, path: "/chat/completions" | "/embeddings", body: unknown, requestId: string, signal: AbortSignal, stream: boolean): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`${target.baseUrl}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: stream ? "text/event-stream" : "application/json",
        // A compressed stream may be held back by the upstream or a proxy until a block fills.
        "accept-encoding": "identity",
        authorization: `Bearer ${target.key}`,
        "x-request-id": requestId,
      },
      body: JSON.stringify(body),
      signal,
    });
  } catch (error) {
    const why = signal.aborted ? "the call was cancelled (the caller went away)" : describeError(error, target.key);
    throw new UpstreamError(502, "upstream_unavailable", `Could not reach the model upstream at ${target.baseUrl}: ${why}`);
  }
  if (response.ok) return response;
  const detail = await errorText(response, target.key, signal);
  const status = response.status;
  const where = `The model upstream at ${target.baseUrl}`;
  if (status === 401 || status === 403) {
    throw new UpstreamError(502, "upstream_auth_failed", `${where} refused the key in the secret ${target.secretName} (its status ${status}): ${detail}; check the secret's value`);
  }
  if (status === 429) {
    const retryAfter = response.headers.get("retry-after") ?? undefined;
    throw new UpstreamError(429, "rate_limited", `${where} is rate-limiting (its status 429): ${detail}${retryAfter === undefined ? "" : `; retry after ${retryAfter}`}`, retryAfter);
  }
  if (status >= 400 && status < 500 && status !== 408) {
    throw new UpstreamError(400, "upstream_rejected", `${where} refused the request (its status ${status}): ${detail}`);
  }
  throw new UpstreamError(502, "upstream_unavailable", `${where} failed (its status ${status}): ${detail}`);
}

const MAX_ERROR_TEXT = 1000;

// The upstream's own words: its envelope's error.message when it has one, else the start of its body.
async function errorText(response: Response, key: string, signal: AbortSignal): Promise<string> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    return signal.aborted ? "(no answer read: the call was cancelled)" : `(its answer could not be read: ${describeError(error, key)})`;
  }
  let message = text.trim();
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const inner = typeof parsed.error === "string" ? parsed.error : parsed.error?.message ?? parsed.message;
    if (typeof inner === "string") message = inner;
  } catch {
    // not JSON: the text as it is
  }
  if (message === "") message = "(no message)";
  if (message.length > MAX_ERROR_TEXT) message = `${message.slice(0, MAX_ERROR_TEXT)}…`;
  return maskKey(message, key);
}

/**
 * The JSON answer of a call {@link postUpstream} let through.
 * @throws {UpstreamError} 502 `upstream_unavailable` when it is not JSON or fails `isShaped`.
 */
export async function readUpstreamJson(response: Response, target: UpstreamTarget, what: string, isShaped: (value: unknown) => boolean): Promise<unknown> {
  let value: unknown;
  try {
    // An upstream (or a proxy before it) that echoes the request must not hand the key back.
    value = JSON.parse(maskKey(await response.text(), target.key));
  } catch (error) {
    throw new UpstreamError(502, "upstream_unavailable", `The model upstream at ${target.baseUrl} answered with something that is not JSON: ${describeError(error, target.key)}`);
  }
  if (!isShaped(value)) throw new UpstreamError(502, "upstream_unavailable", `The model upstream at ${target.baseUrl} answered without the shape of ${what}`);
  return value;
}

/** One server-sent event, or a comment line (a keep-alive), as the upstream sent it. */
export type SseItem = { kind: "event"; event: string | undefined; data: string } | { kind: "comment"; comment: string };

/**
 * The events of an upstream's stream as they arrive, parsed with eventsource-parser. Stopping the
 * iteration cancels the body (which closes the upstream request); a read that fails (the upstream
 * broke off, or `signal` aborted) throws from the iteration.
 */
export async function* upstreamEvents(response: Response): AsyncGenerator<SseItem> {
  const body = response.body;
  if (body === null) return;
  const queue: SseItem[] = [];
  const parser = createParser({
    onEvent: (event) => queue.push({ kind: "event", event: event.event, data: event.data }),
    onComment: (comment) => queue.push({ kind: "comment", comment }),
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let ended = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      while (queue.length > 0) yield queue.shift() as SseItem;
    }
    ended = true;
    parser.feed(decoder.decode());
    while (queue.length > 0) yield queue.shift() as SseItem;
  } finally {
    if (!ended) await reader.cancel().catch(() => undefined);
  }
}


/** The last event of a stream that failed after it started (docs/protocol.md). */
export function errorEventText(message: string, code = "upstream_failed", status = 502): string {
  return sseText("error", JSON.stringify({ error: { code, message, status } }));
}

/** The error an upstream put in its stream (`event: error`, or data `{ "error": ... }` as OpenAI sends), masked; undefined for an ordinary event. */
export function streamedError(item: { event: string | undefined; data: string }, key: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(item.data);
  } catch {
    return item.event === "error" ? maskKey(item.data.slice(0, MAX_ERROR_TEXT), key) : undefined;
  }
  const error = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as { error?: unknown }).error : undefined;
  if (item.event !== "error" && (error === undefined || error === null)) return undefined;
  const message = typeof error === "string" ? error : typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string" ? (error as { message: string }).message : item.data;
  return maskKey(message.slice(0, MAX_ERROR_TEXT), key);
}
