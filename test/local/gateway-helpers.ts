// Shared by the gateway tests: raw calls to the platform, server-sent events read with
// eventsource-parser, and the scripted upstream (test/fixtures/gateway/upstream.mjs) as a child process.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createParser, type EventSourceMessage } from "eventsource-parser";

/** An answer read whole. */
export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

/** A JSON call to the platform with a token. */
export async function call(base: string, route: string, init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(new URL(route, base), { method: init.method ?? (init.body === undefined ? "GET" : "POST"), headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) };
}

/** The events of a streamed answer, one at a time as they arrive (parsed with eventsource-parser). */
export class EventReader {
  readonly #response: Response;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  readonly #queue: EventSourceMessage[] = [];
  readonly #parser = createParser({ onEvent: (event) => this.#queue.push(event) });
  readonly #decoder = new TextDecoder();
  /** True once the body ended. */
  ended = false;

  constructor(response: Response) {
    this.#response = response;
  }

  /** The next event, or undefined when the body ended first. */
  async next(): Promise<EventSourceMessage | undefined> {
    while (this.#queue.length === 0) {
      if (this.ended) return undefined;
      this.#reader ??= this.#response.body!.getReader(); // locked on the first read, so a test may read an error body instead
      const { done, value } = await this.#reader.read();
      if (done) this.ended = true;
      else this.#parser.feed(this.#decoder.decode(value, { stream: true }));
    }
    return this.#queue.shift();
  }

  /** Every event left. */
  async rest(): Promise<EventSourceMessage[]> {
    const events: EventSourceMessage[] = [];
    for (let event = await this.next(); event !== undefined; event = await this.next()) events.push(event);
    return events;
  }

  /** Stops reading (closes the connection). */
  async cancel(): Promise<void> {
    await (this.#reader ?? this.#response.body)?.cancel();
  }
}

/** A POST of `body` to `route` whose answer is read as events. */
export async function stream(base: string, route: string, token: string, body: unknown, init: { signal?: AbortSignal; headers?: Record<string, string> } = {}): Promise<{ response: Response; events: EventReader }> {
  const response = await fetch(new URL(route, base), {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
    body: JSON.stringify(body),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  return { response, events: new EventReader(response) };
}

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/gateway/upstream.mjs");

/** The scripted upstream running in its own process. */
export interface ScriptedUpstream {
  /** Its base URL, as the manifest's gateway.upstream.baseUrl takes it. */
  baseUrl: string;
  /** What it saw, in order. */
  log(): Promise<Array<{ path: string; authorization: string | null; keyOk: boolean; requestId: string; accept: string | null; body: any }>>;
  /** Lets its up-slow stream send the next chunk. */
  release(): Promise<void>;
  /** Resolves once the request with this X-Request-Id lost its connection before the upstream ended it. */
  closed(requestId: string): Promise<void>;
  /** Ends the process. */
  stop(): Promise<void>;
}

/** Starts the scripted upstream on a free port, checking for `key`. */
export async function startUpstream(key: string): Promise<ScriptedUpstream> {
  const child: ChildProcess = spawn(process.execPath, [FIXTURE], { env: { ...process.env, UPSTREAM_KEY: key }, stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the upstream fixture exited (${code}) before it listened`)));
    lines.once("line", (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  const control = `http://127.0.0.1:${port}/_control`;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    log: async () => (await (await fetch(`${control}/log`)).json()) as Awaited<ReturnType<ScriptedUpstream["log"]>>,
    release: async () => {
      await (await fetch(`${control}/release`, { method: "POST" })).text();
    },
    closed: async (requestId) => {
      await (await fetch(`${control}/closed?id=${encodeURIComponent(requestId)}`)).text();
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
