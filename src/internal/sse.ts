// Server-sent events over the SDK's HTTP layer: the request goes out through an axios instance
// (so with its auth, context headers, retries before the answer starts, and error mapping), the
// answer's body is read as it comes and parsed with eventsource-parser. Once the answer has
// started, nothing is retried: a stream that breaks off fails with the FlowError of
// mapStreamError, and `break` (or `close()`) ends the HTTP request at once.
import type { Readable } from "node:stream";
import type { AxiosError, AxiosInstance, AxiosResponse } from "axios";
import type { EventSourceMessage, createParser as CreateParser } from "eventsource-parser";
import { sourceRequire } from "../http/source-require.js";
import type { Lifecycle } from "../container/lifecycle.js";
import { FlowError } from "../errors.js";
import { callConfig } from "../http/call-options.js";
import { mapStreamError } from "../http/map-error.js";
import type { RequestOptions } from "../http/request-options.js";
import type { Redactor } from "../logging/redactor.js";

/** One server-sent event: its `event` field (absent: `message`) and its data. */
export interface ServerEvent {
  /** The event's type; `message` when the server named none. */
  event: string;
  /** Its data lines, joined with newlines. */
  data: string;
  /** The `X-Request-Id` the answer carried, for errors. */
  requestId: string | undefined;
}

/** What an event stream is opened with. */
export interface EventStreamRequest {
  /** The client the request goes through. */
  http: AxiosInstance;
  /** The route. */
  path: string;
  /** The JSON body of the POST. */
  body: unknown;
  /** The caller's options. */
  options: RequestOptions | undefined;
  /** Open or closed: a stream cut by `close()` says so. */
  lifecycle: Lifecycle;
  /** Strips credentials from error text. */
  redactor: Redactor;
  /** What to do when the stream breaks off, for the message, e.g. `ask again`. */
  retry: string;
  /**
   * Whether a failed attempt may be sent again before the answer starts (`flowMayRetry`): for a
   * request that starts work the platform cannot replay (an agent run), only one surely not done.
   * @default every retryable failure
   */
  mayRetry?: ((error: AxiosError) => boolean) | undefined;
}

/**
 * POSTs `request.body` asking for `text/event-stream` and yields the answer's events as they
 * arrive. The request is sent when the first event is asked for. Leaving the loop early (`break`,
 * `return`, a throw) destroys the response, which closes the connection at once.
 *
 * @throws {FlowError} mapped by the HTTP layer when the request fails before the answer starts
 * (after its retries), or by {@link mapStreamError} when the answer breaks off.
 */
export async function* serverEvents(request: EventStreamRequest): AsyncGenerator<ServerEvent, void, undefined> {
  const config = callConfig(request.options);
  const headers = { ...(config.headers as Record<string, string> | undefined) };
  if (!Object.keys(headers).some((name) => name.toLowerCase() === "accept")) headers["Accept"] = "text/event-stream";
  const response: AxiosResponse<Readable> = await request.http.post(request.path, request.body, {
    ...config,
    headers,
    responseType: "stream",
    maxContentLength: -1,
    ...(request.mayRetry ? { flowMayRetry: request.mayRetry } : {}),
  });
  const body = response.data;
  const requestId = typeof response.headers["x-request-id"] === "string" ? response.headers["x-request-id"] : undefined;
  const type = response.headers["content-type"];
  if (typeof type === "string" && type !== "" && !/^text\/event-stream\b/i.test(type)) {
    // A JSON answer (a server that ignored `stream: true`, or a URL that is not the Flow platform)
    // has no events: say so, rather than that the stream broke off.
    body.destroy();
    throw new FlowError(`POST ${request.path} answered ${type.split(";")[0]} instead of a stream of events (text/event-stream); check that the URL points at the Flow platform or gateway${requestId ? ` (request ${requestId})` : ""}`);
  }
  const queue: ServerEvent[] = [];
  const parser = loadParser()({
    onEvent: (message: EventSourceMessage) => queue.push({ event: message.event ?? "message", data: message.data, requestId }),
  });
  const decoder = new TextDecoder("utf-8");
  let received = 0;
  // Once the answer has started, the HTTP client's timeout no longer applies: `timeoutMs` bounds
  // each wait for the next bytes here instead (keep-alive comments count; the time the caller
  // spends on an event does not).
  const idleMs = config.timeout ?? request.http.defaults.timeout;
  let idle: NodeJS.Timeout | undefined;
  const arm = (): void => {
    if (!idleMs) return;
    idle = setTimeout(() => body.destroy(Object.assign(new Error(`no bytes for ${idleMs} ms`), { code: "ETIMEDOUT" })), idleMs);
    idle.unref();
  };
  const disarm = (): void => clearTimeout(idle);
  try {
    try {
      arm();
      for await (const chunk of body as AsyncIterable<Buffer>) {
        disarm();
        received += chunk.length;
        parser.feed(decoder.decode(chunk, { stream: true }));
        while (queue.length > 0) yield queue.shift()!;
        arm();
      }
      disarm();
      parser.feed(decoder.decode());
      // A last event without its closing blank line is not an event (the spec drops it).
      parser.reset({ consume: false });
      while (queue.length > 0) yield queue.shift()!;
    } catch (error) {
      if (error instanceof FlowError) throw error;
      throw mapStreamError(
        error,
        {
          method: "POST",
          path: request.path,
          requestId,
          closed: request.lifecycle.closed,
          aborted: config.signal?.aborted === true,
          received: `after ${received} bytes of events`,
          retry: request.retry,
        },
        request.redactor,
      );
    }
  } finally {
    disarm();
    // Ended early or failed: the connection goes with the response (never back to the pool half read).
    if (!body.readableEnded) body.destroy();
  }
}

/**
 * eventsource-parser's createParser, loaded with the first stream rather than at import (a cold
 * start need not pay for it). A literal require(), so that bundlers see and include it.
 */
function loadParser(): typeof CreateParser {
  const parser: { createParser: typeof CreateParser } =
    typeof require === "function" ? require("eventsource-parser") : sourceRequire("eventsource-parser");
  return parser.createParser;
}
