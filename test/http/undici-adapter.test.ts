// The axios adapter on undici (src/http/undici-adapter.ts) against a real node:http server on a
// random loopback port: what it sends, what it hands back, and how it fails, in the shapes axios'
// Node adapter gave map-error.ts and retry.ts.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import type { AxiosError, AxiosInstance } from "axios";
import { MockAgent, request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { FlowError, FlowSDK, TOKENS } from "../../src/index.js";
import { createHttpAgents, destroyHttpAgents, proxyFromEnv, type InstanceHttpAgents } from "../../src/http/agents.js";
import { loadAxios } from "../../src/http/axios.js";

const axios = loadAxios();
import { mapError, surelyNotSent } from "../../src/http/map-error.js";
import { Redactor } from "../../src/logging/redactor.js";
import { isRetryable } from "../../src/http/retry.js";
import { undiciAdapter } from "../../src/http/undici-adapter.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];
const pools: InstanceHttpAgents[] = [];
afterEach(async () => {
  pools.splice(0).forEach(destroyHttpAgents);
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: Handler): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(baseURL: string, clarify = true): AxiosInstance {
  const agents = createHttpAgents();
  pools.push(agents);
  return axios.create({ baseURL, adapter: undiciAdapter(agents), transitional: { clarifyTimeoutError: clarify }, maxRedirects: 0 });
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const failure = (promise: Promise<unknown>): Promise<AxiosError> => promise.then(() => expect.unreachable("it should fail") as never, (error: AxiosError) => error);

describe("requests", () => {
  it("sends each kind of body axios hands over, byte for byte", async () => {
    const seen: string[] = [];
    const url = await serve(async (req, res) => {
      seen.push(`${req.method} ${req.headers["content-length"] ?? req.headers["transfer-encoding"] ?? "-"} ${(await bodyOf(req)).toString()}`);
      res.end();
    });
    const http = client(url);
    await http.post("/", "text");
    await http.post("/", Buffer.from("buffer"));
    await http.post("/", new TextEncoder().encode("uint8array"));
    await http.post("/", new TextEncoder().encode("arraybuffer").buffer);
    await http.post("/", Readable.from([Buffer.from("stre"), Buffer.from("amed")]));
    await http.post("/", { json: true });
    await http.get("/");
    expect(seen).toEqual(["POST 4 text", "POST 6 buffer", "POST 10 uint8array", "POST 11 arraybuffer", "POST chunked streamed", 'POST 13 {"json":true}', "GET - "]);
  });

  it("sends the caller's headers, axios' Accept-Encoding and a User-Agent, and never follows a redirect", async () => {
    const seen: IncomingMessage[] = [];
    const url = await serve((req, res) => {
      seen.push(req);
      res.writeHead(302, { location: "/elsewhere" }).end();
    });
    const response = await client(url).get("/start", { headers: { "User-Agent": "flow-sdk/test", "X-Multi": ["a", "b"] }, validateStatus: () => true });
    expect(response.status).toBe(302);
    expect(seen.map((r) => r.url)).toEqual(["/start"]);
    expect(seen[0]?.headers).toMatchObject({ "user-agent": "flow-sdk/test", "accept-encoding": "gzip, compress, deflate, br", "x-multi": "a, b" });
    expect(seen[0]?.headers.accept).toContain("application/json");
  });

  it.each([
    [{ a: "b c", d: 1, e: true, f: undefined, g: null, "h:i": "$,/?&=" }],
    [{ list: [1, 2], nested: { x: "y" }, when: new Date(0) }],
    [{}],
  ])("serializes params %j as axios does", async (params) => {
    const seen: string[] = [];
    const url = await serve((req, res) => {
      seen.push(req.url ?? "");
      res.end();
    });
    await client(`${url}/base/`).get("/path?x=1#frag", { params });
    expect(`${url}${seen[0]}`).toBe(axios.getUri({ baseURL: `${url}/base/`, url: "/path?x=1", params }));
  });

  it("streams a request body as it is read: the server has each part before the next is made", async () => {
    const parts = 64;
    const part = Buffer.alloc(1024 * 1024, 7);
    let received = 0;
    let waiting: (() => void) | undefined;
    const url = await serve(async (req, res) => {
      for await (const chunk of req) {
        received += (chunk as Buffer).length;
        waiting?.();
      }
      res.end(String(received));
    });
    // Part n is made only once the server has most of part n-1: a client that read the body
    // whole before sending (or kept it all) would wait here forever.
    async function* body(): AsyncGenerator<Buffer> {
      for (let n = 0; n < parts; n++) {
        while (received < (n - 1) * part.length) await new Promise<void>((resolve) => (waiting = resolve));
        yield part;
      }
    }
    const response = await client(url).put("/", Readable.from(body()), { responseType: "text" });
    expect(response.data).toBe(String(parts * part.length));
  });
});

describe("responses", () => {
  it("hands over json, text, arraybuffer and stream bodies as axios' Node adapter does", async () => {
    const url = await serve((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('\ufeff{"ok":true}'));
    const http = client(url);
    expect((await http.get("/")).data).toEqual({ ok: true });
    expect((await http.get("/", { responseType: "text" })).data).toBe('{"ok":true}');
    const bytes = (await http.get("/", { responseType: "arraybuffer" })).data as Buffer;
    expect(Buffer.isBuffer(bytes) && bytes.toString()).toBe('\ufeff{"ok":true}');
    const stream = (await http.get("/", { responseType: "stream" })).data as Readable;
    expect(Buffer.concat(await stream.toArray()).toString()).toBe('\ufeff{"ok":true}');
  });

  it("folds repeated response headers as Node does: set-cookie a list, others joined", async () => {
    const url = await serve((_req, res) => {
      res.setHeader("set-cookie", ["a=1", "b=2"]);
      res.setHeader("x-many", ["one", "two"]);
      res.end();
    });
    const response = await client(url).get("/");
    expect(response.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(response.headers["x-many"]).toBe("one, two");
    expect(response.statusText).toBe("OK");
  });

  it("decompresses a gzip answer, buffered or streamed", async () => {
    const url = await serve((_req, res) => res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" }).end(gzipSync('{"zipped":1}')));
    const http = client(url);
    const response = await http.get("/");
    expect(response.data).toEqual({ zipped: 1 });
    expect(response.headers["content-encoding"]).toBeUndefined();
    const stream = (await http.get("/", { responseType: "stream" })).data as Readable;
    expect(Buffer.concat(await stream.toArray()).toString()).toBe('{"zipped":1}');
  });

  it("decompresses deflate with a zlib header and raw deflate without one, as axios does", async () => {
    const url = await serve((req, res) => {
      const text = `{"deflated":"${req.url}"}`;
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "deflate" }).end(req.url === "/raw" ? deflateRawSync(text) : deflateSync(text));
    });
    const http = client(url);
    expect((await http.get("/zlib")).data).toEqual({ deflated: "/zlib" });
    expect((await http.get("/raw")).data).toEqual({ deflated: "/raw" });
    const stream = (await http.get("/raw", { responseType: "stream" })).data as Readable;
    expect(Buffer.concat(await stream.toArray()).toString()).toBe('{"deflated":"/raw"}');
  });

  it.each(["gzip", "deflate", "br"])("a corrupt %s stream read late fails its read, never the process", async (encoding) => {
    const url = await serve((_req, res) => res.writeHead(200, { "content-encoding": encoding }).end(Buffer.alloc(4096, "not compressed at all ")));
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): number => uncaught.push(error);
    process.on("uncaughtException", onUncaught);
    try {
      const stream = (await client(url).get("/", { responseType: "stream" })).data as Readable;
      await new Promise((resolve) => setTimeout(resolve, 200)); // the bytes came and failed to decode meanwhile
      const error = (await stream.toArray().catch((e: unknown) => e)) as NodeJS.ErrnoException;
      expect(error).toBeInstanceOf(Error);
      expect(typeof error.code).toBe("string"); // zlib's Z_DATA_ERROR, brotli's own
      expect(uncaught).toEqual([]);
    } finally {
      process.off("uncaughtException", onUncaught);
    }
  });

  it("closes a streamed body whose connection breaks while a read waits, for a reader with no 'error' listener", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { "content-length": "100" }).write("first bytes");
      setImmediate(() => res.socket?.destroy()); // 11 of 100 bytes, then the connection goes
    });
    const stream = (await client(url).get("/", { responseType: "stream" })).data as Readable;
    const seen: string[] = [];
    stream.on("data", (chunk: Buffer) => seen.push(chunk.toString()));
    await new Promise((resolve) => stream.on("close", resolve)); // never came before: the reader waited for ever
    expect(seen.join("")).toBe("first bytes");
    expect(stream.readableEnded).toBe(false); // closed, not ended: the body is incomplete
  });

  it("hands a streamed body's failure to an 'error' listener added after it failed", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { "content-length": "100" }).write("first bytes");
      setImmediate(() => res.socket?.destroy());
    });
    const stream = (await client(url).get("/", { responseType: "stream" })).data as Readable;
    await new Promise((resolve) => setTimeout(resolve, 100)); // the connection broke meanwhile, unread
    const [error] = (await once(stream, "error")) as [NodeJS.ErrnoException];
    expect(error).toBeInstanceOf(Error);
  });

  it("settles by validateStatus: 4xx ERR_BAD_REQUEST and 5xx ERR_BAD_RESPONSE, with the response", async () => {
    let status = 404;
    const url = await serve((_req, res) => res.writeHead(status, { "content-type": "application/json" }).end('{"error":{}}'));
    const http = client(url);
    const notFound = await failure(http.get("/"));
    expect([notFound.code, notFound.response?.status, notFound.response?.data]).toEqual(["ERR_BAD_REQUEST", 404, { error: {} }]);
    status = 503;
    const unavailable = await failure(http.get("/"));
    expect([unavailable.code, unavailable.response?.status]).toEqual(["ERR_BAD_RESPONSE", 503]);
    expect(isRetryable(unavailable)).toBe(true);
    expect((await http.get("/", { validateStatus: () => true })).status).toBe(503);
  });

  it("streams a response body as it is read: an unread stream holds the server back", async () => {
    const total = 256 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 1);
    let written = 0;
    let blocked: () => void = () => undefined;
    const firstBlock = new Promise<void>((resolve) => (blocked = resolve));
    const url = await serve(async (_req, res) => {
      res.writeHead(200, { "content-length": String(total) });
      while (written < total) {
        written += chunk.length;
        if (!res.write(chunk)) {
          blocked();
          await once(res, "drain");
        }
      }
      res.end();
    });
    const stream = (await client(url).get("/", { responseType: "stream" })).data as Readable;
    await firstBlock;
    await new Promise((resolve) => setTimeout(resolve, 200)); // room to run away, were nothing holding it
    expect(written).toBeLessThan(total / 8);
    let read = 0;
    for await (const part of stream) read += (part as Buffer).length;
    expect(read).toBe(total);
  });
});

describe("limits", () => {
  it("applies maxContentLength to a body read whole or streamed, and maxBodyLength to bytes sent", async () => {
    const url = await serve((_req, res) => res.end("0123456789"));
    const http = client(url);
    const whole = await failure(http.get("/", { maxContentLength: 5 }));
    expect([whole.code, whole.message]).toEqual(["ERR_BAD_RESPONSE", "maxContentLength size of 5 exceeded"]);
    // The body came with the headers, so the stream failed before anyone listened: like Node's
    // IncomingMessage it emits no error then (that would crash the process), but fails the read.
    const stream = (await http.get("/", { responseType: "stream", maxContentLength: 5 })).data as Readable;
    expect(((await stream.toArray().catch((e: unknown) => e)) as AxiosError).code).toBe("ERR_BAD_RESPONSE");
    expect((await failure(http.post("/", "too long", { maxBodyLength: 3 }))).code).toBe("ERR_BAD_REQUEST");
    expect((await http.get("/", { maxContentLength: 10 })).data).toBe("0123456789");
  });

  it("applies maxContentLength to the decoded bytes of a compressed body, read whole or streamed", async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, "a"));
    expect(bomb.length).toBeLessThan(100_000);
    const url = await serve((_req, res) => res.writeHead(200, { "content-encoding": "gzip" }).end(bomb));
    const http = client(url);
    const whole = await failure(http.get("/", { maxContentLength: 100_000 }));
    expect([whole.code, whole.message]).toEqual(["ERR_BAD_RESPONSE", "maxContentLength size of 100000 exceeded"]);
    const stream = (await http.get("/", { responseType: "stream", maxContentLength: 100_000 })).data as Readable;
    let read = 0;
    const error = await new Promise<AxiosError>((resolve) => {
      stream.on("data", (chunk: Buffer) => (read += chunk.length));
      stream.on("error", resolve);
      stream.on("end", () => resolve(expect.unreachable("the stream should fail") as never));
    });
    expect([error.code, error.message]).toEqual(["ERR_BAD_RESPONSE", "maxContentLength size of 100000 exceeded"]);
    expect(read).toBeLessThanOrEqual(100_000);
    // Under the limit, the decoded size is what counts: 10 KB sent, 1 MB decoded.
    const small = gzipSync(Buffer.alloc(1024 * 1024, "b"));
    const ok = await serve((_req, res) => res.writeHead(200, { "content-encoding": "gzip" }).end(small));
    expect(((await client(ok).get("/", { maxContentLength: 1024 * 1024, responseType: "arraybuffer" })).data as Buffer).length).toBe(1024 * 1024);
    await failure(client(ok).get("/", { maxContentLength: small.length * 2 }));
  });
});

describe("failures", () => {
  it("a refused connection keeps ECONNREFUSED: nothing was sent, worth a retry", async () => {
    const url = await serve(() => undefined);
    const server = servers.pop()!;
    await new Promise((resolve) => server.close(resolve));
    const error = await failure(client(url).get("/"));
    expect(error.isAxiosError).toBe(true);
    expect(error.code).toBe("ECONNREFUSED");
    expect(surelyNotSent(error)).toBe(true);
    expect(isRetryable(error)).toBe(true);
  });

  it("a connection lost after the request was read is ECONNRESET: it may have been sent", async () => {
    const url = await serve((req) => req.socket.destroy());
    const error = await failure(client(url).post("/", "work"));
    expect(error.code).toBe("ECONNRESET");
    expect(surelyNotSent(error)).toBe(false);
    expect(isRetryable(error)).toBe(true);
  });

  it("a streamed answer that breaks off fails its stream with ECONNRESET", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { "content-length": "1000" });
      res.write("partial", () => res.socket?.destroy());
    });
    const stream = (await client(url).get("/", { responseType: "stream" })).data as Readable;
    const error = (await stream.toArray().catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(error.code).toBe("ECONNRESET");
  });

  /** A FlowSDK (2 retries) on a server that answers `{}` and counts the requests that reach it. */
  async function countingFlow(): Promise<{ url: string; flow: FlowSDK; seen: () => number }> {
    let seen = 0;
    const url = await serve((_req, res) => {
      seen++;
      res.end("{}");
    });
    const flow = FlowSDK.create({ env: { PLATFORM_API_URL: url, GATEWAY_URL: url, AUTH_TOKEN: "token" }, maxRetries: 2 });
    return { url, flow, seen: () => seen };
  }

  it("a header the client manages itself is refused before anything is sent, and says so", async () => {
    const { flow, seen } = await countingFlow();
    for (const headers of [{ "Transfer-Encoding": "chunked" }, { Expect: "100-continue" }, { Upgrade: "websocket" }]) {
      const error = (await flow.gateway.request({ method: "POST", path: "/x", body: { a: 1 }, headers }).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(FlowError);
      expect(error.message).toContain("nothing was sent");
    }
    expect(seen()).toBe(0);
    await flow.close();
  });

  it("a header refused for its value is not sent either, without the managed-headers hint", async () => {
    const { url, flow, seen } = await countingFlow();
    const managed = (await flow.gateway.request({ method: "POST", path: "/x", body: {}, headers: { "Keep-Alive": "timeout=5" } }).catch((e: unknown) => e)) as Error;
    expect(managed.message).toContain("sets Connection, Keep-Alive");
    // The same code for a bad value of another header (here a content-length that is no number).
    const bad = await failure(client(url).post("/", "x", { headers: { "Content-Length": "many" } }));
    expect(bad.code).toBe("UND_ERR_INVALID_ARG");
    const call = { method: "POST", path: "/", requestId: undefined, closed: false, aborted: false };
    const mapped = mapError(bad, call, new Redactor());
    expect(mapped.message).toContain("nothing was sent");
    expect(mapped.message).not.toContain("sets Connection");
    expect(seen()).toBe(0);
    await flow.close();
  });

  it("a failure before the request reaches undici (no dispatcher, a throwing one) is not_sent, never 'sent, outcome unknown'", async () => {
    const oldShape = FlowSDK.create({
      env: { PLATFORM_API_URL: "http://platform.invalid", AUTH_TOKEN: "token", ORG_ID: "o", WORKSPACE_ID: "w" },
      providers: [{ provide: TOKENS.HttpAgents, useValue: { http: {}, https: {} } }],
      maxRetries: 2,
    });
    const error = (await oldShape.state.get("k").catch((e: unknown) => e)) as Error & { outcome?: string };
    expect(error.outcome).toBe("not_sent");
    expect(error.message).toContain("TOKENS.HttpAgents must provide { dispatcher }");
    expect(error.message).not.toContain("after the request was sent");
    await oldShape.close();
    const throwing = axios.create({
      adapter: undiciAdapter({
        get dispatcher(): never {
          throw new TypeError("Invalid URL");
        },
      }),
    });
    const thrown = await failure(throwing.get("http://platform.invalid/"));
    expect(thrown.code).toBe("ERR_FLOW_NOT_SENT");
    expect(surelyNotSent(thrown)).toBe(true);
    expect(isRetryable(thrown)).toBe(false);
  });

  it("a timeout before the answer is ETIMEDOUT with clarifyTimeoutError, else ECONNABORTED", async () => {
    const url = await serve(() => undefined);
    const clarified = await failure(client(url).get("/", { timeout: 50 }));
    expect([clarified.code, clarified.message]).toEqual(["ETIMEDOUT", "timeout of 50ms exceeded"]);
    const plain = await failure(client(url, false).get("/", { timeout: 50 }));
    expect(plain.code).toBe("ECONNABORTED");
  });

  it("a timeout does not cut a stream once its answer started", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200);
      res.write("first");
      setTimeout(() => res.end("last"), 150);
    });
    const stream = (await client(url).get("/", { responseType: "stream", timeout: 50 })).data as Readable;
    expect(Buffer.concat(await stream.toArray()).toString()).toBe("firstlast");
  });

  it("an aborted signal is a CanceledError, before the answer and while a stream is read", async () => {
    const url = await serve((req, res) => {
      if (req.url === "/stream") res.writeHead(200).write("some");
    });
    const http = client(url);
    const before = new AbortController();
    const pending = failure(http.get("/hang", { signal: before.signal }));
    before.abort();
    expect((await pending).code).toBe("ERR_CANCELED");
    expect((await failure(http.get("/hang", { signal: AbortSignal.abort() }))).code).toBe("ERR_CANCELED");
    const during = new AbortController();
    const stream = (await http.get("/stream", { responseType: "stream", signal: during.signal })).data as Readable;
    const read = stream.toArray().catch((e: unknown) => e);
    during.abort();
    expect(((await read) as AxiosError).code).toBe("ERR_CANCELED");
  });

  it("closing the pool fails a request in flight and one queued behind it", async () => {
    const url = await serve(() => undefined);
    const agents = createHttpAgents();
    const http = axios.create({ baseURL: url, adapter: undiciAdapter(agents) });
    const calls = Array.from({ length: 130 }, () => failure(http.get("/")));
    await new Promise((resolve) => setTimeout(resolve, 50));
    destroyHttpAgents(agents);
    const errors = await Promise.all(calls);
    expect(errors.every((e) => e.isAxiosError && e.code === "ERR_FLOW_CLOSED")).toBe(true);
    expect((await failure(http.get("/"))).code).toBe("UND_ERR_DESTROYED"); // and nothing new is sent
  });

  it("lets the process exit at once after close(), with a stream and a call in flight", async () => {
    const url = await serve((req, res) => {
      if (req.url === "/stream") res.writeHead(200).write("first bytes");
    });
    const child = spawn(process.execPath, ["--import", "tsx", "test/http/fixtures/exit-after-close.ts"], {
      env: { ...process.env, PLATFORM_API_URL: url, AUTH_TOKEN: "token" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const [code] = (await once(child, "exit")) as [number | null];
    expect(output).toContain("stream: reading");
    expect(output).toContain("stream: ERR_FLOW_CLOSED");
    expect(output).toContain("hanging: FlowClosedError");
    expect(output).toContain("closed");
    expect(code).toBe(0);
  });

  it("drops a request whose call timed out or was aborted while it was still connecting: never sent, and the process exits", async () => {
    const seen: string[] = [];
    const url = await serve((req) => seen.push(req.url ?? "")); // never answers
    const child = spawn(process.execPath, ["--import", "tsx", "test/http/fixtures/exit-after-queued-timeout.ts"], {
      env: { ...process.env, TARGET_URL: url },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    // Generous: it exits about 1 s in (when the connections are made); the bug kept it alive for good.
    const kill = setTimeout(() => child.kill(), 10_000);
    const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
    clearTimeout(kill);
    expect(output).toContain("timed out: ETIMEDOUT");
    expect(output).toContain("aborted: ERR_CANCELED");
    expect(output).toContain("exited");
    expect([code, signal]).toEqual([0, null]);
    expect(seen).toEqual([]);
  }, 15_000);
});

describe("the instance's dispatcher", () => {
  it("is replaceable through TOKENS.HttpAgents, e.g. by undici's MockAgent, and a replacement is not closed by the SDK", async () => {
    const mock = new MockAgent();
    mock.disableNetConnect();
    const origin = "http://platform.invalid";
    mock
      .get(origin)
      .intercept({ path: "/v1/orgs/o/workspaces/w/state/k", method: "GET" })
      .reply(200, { key: "k", value: 42, version: 1, expiresAt: null, updatedAt: "2026-01-01T00:00:00Z" }, { headers: { "content-type": "application/json" } });
    const flow = FlowSDK.create({
      env: { PLATFORM_API_URL: origin, AUTH_TOKEN: "token", ORG_ID: "o", WORKSPACE_ID: "w" },
      providers: [{ provide: TOKENS.HttpAgents, useValue: { dispatcher: mock } }],
    });
    expect(await flow.state.get("k")).toBe(42);
    await flow.close();
    mock.get(origin).intercept({ path: "/after", method: "GET" }).reply(200, "still open");
    expect(await (await request(`${origin}/after`, { dispatcher: mock })).body.text()).toBe("still open");
    await mock.close();
  });
});

describe("proxy settings", () => {
  it("reads the environment as axios' Node build did (proxy-from-env)", () => {
    expect(proxyFromEnv({})).toBeUndefined();
    expect(proxyFromEnv({ HTTPS_PROXY: "http://p:1", no_proxy: "localhost" })).toEqual({ httpsProxy: "http://p:1", noProxy: "localhost" });
    expect(proxyFromEnv({ http_proxy: "http://lower:1", HTTP_PROXY: "http://upper:1" })).toEqual({ httpProxy: "http://lower:1" });
    expect(proxyFromEnv({ ALL_PROXY: "http://all:1", npm_config_https_proxy: "http://npm:1" })).toEqual({ httpProxy: "http://all:1", httpsProxy: "http://npm:1" });
  });
});
