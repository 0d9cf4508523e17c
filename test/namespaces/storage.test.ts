import { createHash } from "node:crypto";
import { closeSync, createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readlinkSync, readSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { inspect } from "node:util";
import type { Agent } from "undici";
import { describe, expect, it, vi } from "vitest";
import {
  FlowAbortError,
  FlowClosedError,
  FlowConnectionError,
  FlowNotFoundError,
  FlowPermissionError,
  FlowServerError,
  FlowValidationError,
  TOKENS,
  type StorageProgress,
} from "../../src/index.js";
import { ManualClock, startTestPlatform } from "../../local/testing.js";
import { caught, expectCursorRefused, flowWithToken, sharedPlatform } from "../helpers/flows.js";
import { useScriptedServers } from "../helpers/scripted-server.js";

// Signed URLs expire when the test moves this clock, not while it sleeps.
const clock = new ManualClock();
const { platform, flow, offline } = await sharedPlatform({ clock });

const scripted = useScriptedServers();

let counter = 0;
/** A path prefix no other test uses. */
const unique = (label: string): string => `${label}-${++counter}-${Date.now().toString(36)}/`;
const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

/** `size` bytes of a repeating pattern, produced in chunks: never one buffer of the whole. */
function patternStream(size: number, chunk = 256 * 1024): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const n = Math.min(chunk, size - sent);
      const bytes = Buffer.alloc(n);
      for (let i = 0; i < n; i++) bytes[i] = (sent + i) % 251;
      sent += n;
      this.push(bytes);
    },
  });
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A raw request to the platform (no SDK), with the default token unless `token` is null. */
function raw(method: string, urlPath: string, options: { token?: string | null; body?: Buffer; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  const url = new URL(platform.url);
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== null) headers["authorization"] = `Bearer ${options.token ?? platform.env.AUTH_TOKEN}`;
  return new Promise((resolve, reject) => {
    // node:http sends the path as given: no URL normalisation of `..` as fetch would do.
    const req = httpRequest({ host: url.hostname, port: url.port, method, path: urlPath, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

const W = "/v1/orgs/org_local/workspaces/ws_local";

/** Files under `dir` that this process (which also runs the platforms under test) holds open; Linux only. */
function openFilesUnder(dir: string): string[] {
  const open: string[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir + path.sep)) open.push(target);
    } catch {
      // closed while we looked
    }
  }
  return open;
}
const hasProcFds = existsSync("/proc/self/fd");

/** Temporary upload files left under a platform's objects dir. */
const uploadTemps = (dataDir: string): string[] =>
  readdirSync(path.join(dataDir, "objects"), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.startsWith(".upload-"))
    .map((e) => e.name);

/** A file read slowly (16 KiB per 5 ms) through its own descriptor, closed when the stream is destroyed. */
class SlowFile extends Readable {
  readonly #fd: number;
  /** True once the descriptor is closed. */
  fdClosed = false;
  constructor(file: string) {
    super({ highWaterMark: 16 * 1024 });
    this.#fd = openSync(file, "r");
  }
  override _read(): void {
    setTimeout(() => {
      if (this.destroyed) return;
      const bytes = Buffer.alloc(16 * 1024);
      const got = readSync(this.#fd, bytes);
      this.push(got > 0 ? bytes.subarray(0, got) : null);
    }, 5);
  }
  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    closeSync(this.#fd);
    this.fdClosed = true;
    done(error);
  }
}

/** Reads the first chunk of `stream`, runs `interrupt`, then reads on: resolves to the error the rest of the read fails with. */
async function interruptedRead(stream: Readable, interrupt: () => unknown): Promise<unknown> {
  const chunks = stream[Symbol.asyncIterator]();
  await chunks.next();
  await interrupt();
  return caught(async () => {
    for (let next = await chunks.next(); !next.done; next = await chunks.next());
  });
}

/** Runs `test` against a platform of its own on a fresh data dir, removed afterwards. */
async function withOwnPlatform(test: (own: Awaited<ReturnType<typeof startTestPlatform>>, dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "flow-storage-test-"));
  const own = await startTestPlatform({ dataDir });
  try {
    await test(own, dataDir);
  } finally {
    await own.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe("storage: put, get, head, delete", () => {
  it("stores a Buffer and reads back the same bytes, with size, sha256 etag, guessed content type and metadata", async () => {
    const p = `${unique("buf")}notes.txt`;
    const bytes = Buffer.from("héllo storage\n");
    const stored = await flow.storage.put(p, bytes, { metadata: { author: "ada", "x.y_z-1": "ünïcode" } });
    expect(stored).toMatchObject({ path: p, size: bytes.length, etag: sha256(bytes), contentType: "text/plain; charset=utf-8", metadata: { author: "ada", "x.y_z-1": "ünïcode" } });
    expect(stored.updatedAt).toBe(new Date(clock.now()).toISOString());
    expect((await flow.storage.get(p)).equals(bytes)).toBe(true);
    expect(await flow.storage.head(p)).toEqual(stored);
  });

  it("stores a string as UTF-8, a Readable as streamed, and a stream factory, each read back by getStream", async () => {
    const base = unique("kinds");
    await flow.storage.put(`${base}s`, "ünïcode text");
    expect((await flow.storage.get(`${base}s`)).toString("utf8")).toBe("ünïcode text");

    const size = 300_000;
    const expected = await collect(patternStream(size));
    const fromStream = await flow.storage.put(`${base}stream.bin`, patternStream(size));
    expect(fromStream).toMatchObject({ size, etag: sha256(expected), contentType: "application/octet-stream" });
    expect((await collect(await flow.storage.getStream(`${base}stream.bin`))).equals(expected)).toBe(true);

    const fromFactory = await flow.storage.put(`${base}factory.bin`, () => patternStream(size), { contentType: "application/x-test" });
    expect(fromFactory).toMatchObject({ size, etag: sha256(expected), contentType: "application/x-test" });
  });

  it("streams a body over the server's 8 MiB JSON limit, and stores a JSON-typed body as bytes without parsing it", async () => {
    const base = unique("big");
    const size = 12 * 1024 * 1024 + 7;
    const stored = await flow.storage.put(`${base}big.bin`, patternStream(size));
    expect(stored.size).toBe(size);
    const back = await flow.storage.getStream(`${base}big.bin`);
    let seen = 0;
    for await (const chunk of back) seen += (chunk as Buffer).length;
    expect(seen).toBe(size);

    const notJson = "{ this is not json";
    await flow.storage.put(`${base}data.json`, notJson);
    expect((await flow.storage.head(`${base}data.json`)).contentType).toBe("application/json");
    expect((await flow.storage.get(`${base}data.json`)).toString()).toBe(notJson);
  });

  it("put replaces the object, and the etag follows the content", async () => {
    const p = `${unique("replace")}x`;
    const first = await flow.storage.put(p, "one");
    const second = await flow.storage.put(p, "two", { metadata: { v: "2" } });
    expect(second.etag).not.toBe(first.etag);
    expect((await flow.storage.get(p)).toString()).toBe("two");
    expect((await flow.storage.head(p)).metadata).toEqual({ v: "2" });
  });

  it("delete resolves to true, then false; the object is gone for get, getStream and head", async () => {
    const p = `${unique("del")}gone`;
    await flow.storage.put(p, "bye");
    expect(await flow.storage.delete(p)).toBe(true);
    expect(await flow.storage.delete(p)).toBe(false);
    for (const call of [() => flow.storage.get(p), () => flow.storage.getStream(p), () => flow.storage.head(p)]) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(FlowNotFoundError);
      expect(error).toMatchObject({ status: 404, code: "not_found" });
      expect((error as Error).message).toContain(`No object at "${p}"`);
    }
  });

  it("an object at a and one at a/b live side by side", async () => {
    const base = unique("nest");
    await flow.storage.put(`${base}a`, "file a");
    await flow.storage.put(`${base}a/b`, "file a/b");
    expect((await flow.storage.get(`${base}a`)).toString()).toBe("file a");
    expect((await flow.storage.get(`${base}a/b`)).toString()).toBe("file a/b");
  });

  it("carries paths with spaces, %, #, ? and non-ASCII characters intact", async () => {
    const p = `${unique("odd")}dir with space/100% #1?.txt/ünï 名前`;
    await flow.storage.put(p, "odd");
    expect((await flow.storage.head(p)).path).toBe(p);
    expect((await flow.storage.get(p)).toString()).toBe("odd");
  });

  it("takes percent signs in a path literally: %2e%2e and a%2Fb are names, not .. or a/b", async () => {
    const base = unique("percent");
    await flow.storage.put(`${base}a/b`, "a real a/b");
    await flow.storage.put(`${base}%2e%2e`, "dots");
    await flow.storage.put(`${base}a%2Fb`, "one segment");
    expect((await flow.storage.list({ prefix: base })).data.map((o) => o.path)).toEqual([`${base}%2e%2e`, `${base}a%2Fb`, `${base}a/b`]);
    expect((await flow.storage.get(`${base}a%2Fb`)).toString()).toBe("one segment");
    expect((await flow.storage.get(`${base}a/b`)).toString()).toBe("a real a/b");
  });

  it("takes a path of 1024 characters, also non-ASCII ones", async () => {
    for (const p of ["x".repeat(1024), "é".repeat(1024), `${unique("long")}${"名".repeat(1000)}`]) {
      expect((await flow.storage.put(p, "long")).path).toBe(p);
      expect((await flow.storage.get(p)).toString()).toBe("long");
    }
  });
});

describe("storage: progress", () => {
  it("put reports bytes sent, ending at the whole size, for a Buffer and for a stream of known size", async () => {
    const base = unique("progress");
    const size = 1_000_000;
    const events: StorageProgress[] = [];
    await flow.storage.put(`${base}buf`, Buffer.alloc(size, 1), { onProgress: (p) => events.push(p) });
    expect(events.length).toBeGreaterThan(1);
    expect(events.at(-1)).toEqual({ loaded: size, total: size });
    expect(events.every((e, i) => i === 0 || e.loaded > events[i - 1]!.loaded)).toBe(true);

    const streamed: StorageProgress[] = [];
    await flow.storage.put(`${base}stream`, patternStream(size), { size, onProgress: (p) => streamed.push(p) });
    expect(streamed.at(-1)).toEqual({ loaded: size, total: size });
    const unknown: StorageProgress[] = [];
    await flow.storage.put(`${base}unknown`, patternStream(size), { onProgress: (p) => unknown.push(p) });
    expect(unknown.at(-1)).toEqual({ loaded: size, total: undefined });
  });

  it("an empty object reports one step of 0 bytes both ways, and reads back empty", async () => {
    const p = `${unique("empty")}nothing.txt`;
    const sent: StorageProgress[] = [];
    expect(await flow.storage.put(p, "", { onProgress: (e) => sent.push(e) })).toMatchObject({ size: 0, etag: sha256(Buffer.alloc(0)), contentType: "text/plain; charset=utf-8" });
    expect(sent).toEqual([{ loaded: 0, total: 0 }]);
    const received: StorageProgress[] = [];
    expect((await flow.storage.get(p, { onProgress: (e) => received.push(e) })).length).toBe(0);
    expect(received).toEqual([{ loaded: 0, total: 0 }]);
  });

  it("get reports bytes received; getStream reports them only as the stream is read", async () => {
    const p = `${unique("dl")}blob`;
    const size = 700_000;
    await flow.storage.put(p, patternStream(size));
    const events: StorageProgress[] = [];
    const bytes = await flow.storage.get(p, { onProgress: (e) => events.push(e) });
    expect(bytes.length).toBe(size);
    expect(events.at(-1)).toEqual({ loaded: size, total: size });

    const lazy: StorageProgress[] = [];
    const stream = await flow.storage.getStream(p, { onProgress: (e) => lazy.push(e) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = lazy.at(-1)?.loaded ?? 0;
    expect(before).toBeLessThan(size / 2); // nothing read yet: at most what fills the stream buffers
    await collect(stream);
    expect(lazy.at(-1)).toEqual({ loaded: size, total: size });
  });
});

describe("storage: streams left unread", () => {
  it("a getStream destroyed part way frees its connection", async () => {
    const p = `${unique("early")}blob`;
    await flow.storage.put(p, patternStream(2_000_000));
    const own = platform.createFlow();
    const stream = await own.storage.getStream(p, { onProgress: () => {} });
    for await (const _chunk of stream) break; // leaves the loop after one chunk: the stream is destroyed
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Aborted, not put back half read: no request running, and its connection closed.
    const stats = Object.values((own.container.resolve(TOKENS.HttpAgents).dispatcher as Agent).stats);
    expect(stats.reduce((n, pool) => n + Number(pool.running) + Number(pool.connected), 0)).toBe(0);
    expect((await own.storage.head(p)).size).toBe(2_000_000);
  });
});

describe("storage: list", () => {
  it("lists in path order, filtered by prefix, in pages that follow their cursors", async () => {
    const base = unique("list");
    const names = ["b", "a/2", "a/1", "c.txt", "a/10"];
    for (const name of names) await flow.storage.put(`${base}${name}`, name);
    await flow.storage.put(`${unique("other")}a`, "not listed");

    const first = await flow.storage.list({ prefix: base, limit: 2 });
    expect(first.data.map((o) => o.path)).toEqual([`${base}a/1`, `${base}a/10`]);
    expect(first.nextCursor).not.toBeNull();
    expect(first.data[0]).toMatchObject({ size: 3, contentType: "application/octet-stream" });

    const all: string[] = [];
    for await (const object of flow.storage.list({ prefix: base, limit: 2 })) all.push(object.path);
    expect(all).toEqual(["a/1", "a/10", "a/2", "b", "c.txt"].map((n) => `${base}${n}`));

    const sub = await flow.storage.list({ prefix: `${base}a/` });
    expect(sub.data.map((o) => o.path)).toEqual(["a/1", "a/10", "a/2"].map((n) => `${base}${n}`));
    expect(sub.nextCursor).toBeNull();
  });

  it("refuses a cursor from another list", async () => {
    await flow.state.set("storage-cursor-a", 1);
    await flow.state.set("storage-cursor-b", 1);
    const statePage = await flow.state.list({ prefix: "storage-cursor-", limit: 1 });
    const error = await caught(() => flow.storage.list({ cursor: statePage.nextCursor! }));
    expectCursorRefused(error);
  });

  it("refuses a cursor under another prefix, where it would skip objects", async () => {
    const base = unique("cursor-prefix");
    for (const name of ["a", "b", "c"]) await flow.storage.put(`${base}${name}`, name);
    const first = await flow.storage.list({ prefix: base, limit: 1 });
    const error = await caught(() => flow.storage.list({ prefix: `${base}c`, cursor: first.nextCursor! }));
    expectCursorRefused(error);
  });
});

describe("storage: paths that would leave the objects directory", () => {
  const bad: [string, string][] = [
    ["a .. segment", "a/../b"],
    ["a leading ..", "../etc/passwd"],
    ["a . segment", "a/./b"],
    ["an absolute path", "/etc/passwd"],
    ["a NUL", "a\u0000b"],
    ["an empty segment", "a//b"],
    ["a trailing slash", "a/"],
    ["a backslash", "a\\..\\b"],
    ["a drive letter", "C:/x"],
    ["the empty path", ""],
    ["an over-long path", "x".repeat(1025)],
  ];

  it.each(bad)("the SDK refuses %s before any request", async (_label, p) => {
    for (const call of [
      () => offline.storage.put(p, "x"),
      () => offline.storage.get(p),
      () => offline.storage.getStream(p),
      () => offline.storage.head(p),
      () => offline.storage.delete(p),
      () => offline.storage.signedUrl(p),
    ]) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(FlowValidationError);
      expect((error as FlowValidationError).issues[0]?.path).toBe("path");
    }
  });

  it.each([
    ["a .. segment", "a/%2E%2E/b"],
    ["a leading ..", "../x"],
    ["a . segment", "a/./b"],
    ["an empty segment", "a//b"],
    ["a trailing slash", "a/"],
    ["a backslash", "a%5C..%5Cb"],
    ["a NUL", "a%00b"],
    ["a lower-case encoded ..", "a/%2e%2e/b"],
    ["an encoded ../ prefix", "..%2Fetc%2Fpasswd"],
    ["an encoded . and slash", "a%2F.%2Fb"],
    ["an absolute path", "/etc/passwd"],
    ["an encoded absolute path", "%2Fetc%2Fpasswd"],
    ["an over-long path", "x".repeat(1025)],
  ])("the platform answers 400 validation_error to %s", async (_label, encoded) => {
    for (const method of ["PUT", "GET", "DELETE"]) {
      const answer = await raw(method, `${W}/storage/objects/${encoded}`, method === "PUT" ? { body: Buffer.from("x") } : {});
      expect(answer.status, `${method} ${encoded}`).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "validation_error" } });
    }
  });

  it("the SDK refuses bad metadata, content type, onProgress and body before any request", async () => {
    for (const call of [
      () => offline.storage.put("p", "x", { metadata: { "bad name": "v" } }),
      () => offline.storage.put("p", "x", { metadata: { n: 1 as unknown as string } }),
      () => offline.storage.put("p", "x", { metadata: { big: "x".repeat(5000) } }),
      () => offline.storage.put("p", "x", { contentType: "not a type" }),
      () => offline.storage.put("p", "x", { onProgress: "no" as unknown as () => void }),
      () => offline.storage.put("p", 42 as unknown as string),
      () => offline.storage.put("p", "x", { size: -1 }),
      () => offline.storage.put("p", "x", { contentTyp: "text/plain" } as never),
      () => offline.storage.get("p", { onProgres: () => {} } as never),
      () => offline.storage.list({ limit: 0 }),
      () => offline.storage.signedUrl("p", { expiresInSeconds: 0 }),
      () => offline.storage.signedUrl("p", { method: "DELETE" as "GET" }),
      // Params that are not an object: null was a TypeError, anything else was dropped and the call sent.
      () => offline.storage.put("p", "x", null as never),
      () => offline.storage.put("p", "x", "text/plain" as never),
      () => offline.storage.get("p", null as never),
      () => offline.storage.getStream("p", [] as never),
      () => offline.storage.signedUrl("p", 600 as never),
      () => offline.storage.signedUrl("p", { path: "other" } as never),
      () => offline.storage.list({ prefix: "reports/\ud800" }),
    ]) {
      expect(await caught(call)).toBeInstanceOf(FlowValidationError);
    }
    // The same calls, valid, do reach the network: the offline flow then fails to connect.
    expect(await caught(() => offline.storage.head("p"))).toBeInstanceOf(FlowConnectionError);
  });
});

describe("storage: tenants and scopes", () => {
  it("a token for another workspace gets 403 on this one, and its own workspace never sees these objects", async () => {
    const p = `${unique("tenant")}secret.txt`;
    await flow.storage.put(p, "ws_local only");
    const token = await platform.mintToken({ workspaceId: "ws_other" });
    const intruder = flowWithToken(platform, token, "ws_local");
    expect(await caught(() => intruder.storage.get(p))).toMatchObject({ status: 403, code: "tenant_mismatch" });
    expect(await caught(() => intruder.storage.put(p, "overwrite"))).toBeInstanceOf(FlowPermissionError);

    const other = flowWithToken(platform, token, "ws_other");
    expect(await caught(() => other.storage.head(p))).toBeInstanceOf(FlowNotFoundError);
    expect((await other.storage.list({ prefix: p })).data).toEqual([]);
    await other.storage.put(p, "ws_other's own");
    expect((await flow.storage.get(p)).toString()).toBe("ws_local only");
    expect((await other.storage.get(p)).toString()).toBe("ws_other's own");
  });

  it("reading needs storage:read, writing storage:write, and a PUT signed URL needs both", async () => {
    const p = `${unique("scope")}f`;
    await flow.storage.put(p, "x");
    const reader = flowWithToken(platform, await platform.mintToken({ scopes: ["storage:read"] }));
    expect((await reader.storage.get(p)).toString()).toBe("x");
    expect((await reader.storage.signedUrl(p)).method).toBe("GET");
    for (const call of [() => reader.storage.put(p, "y"), () => reader.storage.delete(p), () => reader.storage.signedUrl(p, { method: "PUT" })]) {
      expect(await caught(call)).toMatchObject({ status: 403, code: "missing_scope" });
    }
    const writer = flowWithToken(platform, await platform.mintToken({ scopes: ["storage:write"] }));
    await writer.storage.put(p, "y");
    for (const call of [() => writer.storage.get(p), () => writer.storage.head(p), () => writer.storage.list()]) {
      expect(await caught(call)).toMatchObject({ status: 403, code: "missing_scope" });
    }
  });
});

describe("storage: signed URLs", () => {
  it("a GET URL downloads without a token; a PUT URL uploads without one", async () => {
    const p = `${unique("signed")}report.csv`;
    await flow.storage.put(p, "a,b\n1,2\n");
    const get = await flow.storage.signedUrl(p, { expiresInSeconds: 60 });
    expect(get.method).toBe("GET");
    expect(get.expiresAt).toBe(new Date(Math.ceil((clock.now() + 60_000) / 1000) * 1000).toISOString());
    const downloaded = await fetch(get.url);
    expect(downloaded.status).toBe(200);
    expect(downloaded.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(await downloaded.text()).toBe("a,b\n1,2\n");

    const target = `${unique("signed-put")}upload.bin`;
    const put = await flow.storage.signedUrl(target, { method: "PUT" });
    const uploaded = await fetch(put.url, { method: "PUT", body: "uploaded via URL", headers: { "content-type": "text/plain" } });
    expect(uploaded.status).toBe(200);
    expect((await flow.storage.get(target)).toString()).toBe("uploaded via URL");
    expect((await flow.storage.head(target)).contentType).toBe("text/plain");
  });

  it("refuses a tampered URL: another path, another tenant, another expiry, another method, no signature", async () => {
    const p = `${unique("tamper")}doc`;
    await flow.storage.put(p, "x");
    const { url } = await flow.storage.signedUrl(p);
    const u = new URL(url);
    const variants = [
      url.replace(encodeURIComponent(p.split("/")[1]!), "other"),
      url.replace("/ws_local/", "/ws_other/"),
      (() => {
        const v = new URL(url);
        v.searchParams.set("expires", String(Number(u.searchParams.get("expires")) + 3600));
        return v.toString();
      })(),
      (() => {
        const v = new URL(url);
        v.searchParams.delete("signature");
        return v.toString();
      })(),
      (() => {
        const v = new URL(url);
        const signature = v.searchParams.get("signature")!;
        v.searchParams.set("signature", (signature[0] === "A" ? "B" : "A") + signature.slice(1));
        return v.toString();
      })(),
      url.replace("/org_local/", "/org_other/"),
    ];
    for (const variant of variants) {
      const answer = await fetch(variant);
      expect(answer.status, variant).toBe(403);
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("invalid_signature");
    }
    const wrongMethod = await fetch(url, { method: "PUT", body: "overwrite" });
    expect(wrongMethod.status).toBe(403);
    expect((await flow.storage.get(p)).toString()).toBe("x");
  });

  it("rounds the expiry up, as tokens do: a URL lives at least expiresInSeconds, never up to a second less", async () => {
    const p = `${unique("ceil")}doc`;
    await flow.storage.put(p, "x");
    clock.set(Math.floor(clock.now() / 1000) * 1000 + 1999); // late in a second: flooring would cut 0.999 s
    const asked = clock.now();
    const signed = await flow.storage.signedUrl(p, { expiresInSeconds: 10 });
    expect(Date.parse(signed.expiresAt)).toBeGreaterThanOrEqual(asked + 10_000);
    expect(Date.parse(signed.expiresAt) - asked).toBeLessThan(11_000);
    clock.set(asked + 10_000 - 1);
    expect((await fetch(signed.url)).status).toBe(200);
  });

  it("refuses a URL from the moment it expires", async () => {
    const p = `${unique("expire")}doc`;
    await flow.storage.put(p, "x");
    const signed = await flow.storage.signedUrl(p, { expiresInSeconds: 1 });
    expect((await fetch(signed.url)).status).toBe(200);
    clock.set(Date.parse(signed.expiresAt) - 1);
    expect((await fetch(signed.url)).status).toBe(200);
    clock.set(Date.parse(signed.expiresAt));
    const answer = await fetch(signed.url);
    expect(answer.status).toBe(403);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("url_expired");
  });
});

describe("storage: retries and broken uploads", () => {
  it("retries a Buffer or a stream-factory upload, sending the whole body again, but never a Readable", async () => {
    const answer = { status: 200, body: { path: "p", size: 4, contentType: "text/plain", etag: "e", metadata: {}, updatedAt: new Date(0).toISOString() } };
    for (const body of [Buffer.from("data"), () => Readable.from([Buffer.from("da"), Buffer.from("ta")])]) {
      const server = await scripted({ status: 503 }, answer);
      const retrying = platform.createFlow({ platformUrl: server.url, maxRetries: 1 });
      await retrying.storage.put("p", body);
      expect(server.requests.map((r) => r.body)).toEqual(["data", "data"]);
    }
    const server = await scripted({ status: 503 }, answer);
    const once = platform.createFlow({ platformUrl: server.url, maxRetries: 1 });
    expect(await caught(() => once.storage.put("p", Readable.from([Buffer.from("data")])))).toBeInstanceOf(FlowServerError);
    expect(server.requests).toHaveLength(1);
  });

  it("an upload that breaks off stores nothing and keeps the old object", async () => {
    await withOwnPlatform(async (own, dataDir) => {
      const ownFlow = own.createFlow();
      await ownFlow.storage.put("kept", "old content");
      const url = new URL(own.url);
      await new Promise<void>((resolve) => {
        const req = httpRequest({
          host: url.hostname,
          port: url.port,
          method: "PUT",
          path: `${W}/storage/objects/kept`,
          headers: { authorization: `Bearer ${own.env.AUTH_TOKEN}`, "content-length": "100000", "content-type": "text/plain" },
        });
        req.on("error", () => resolve());
        req.write(Buffer.alloc(1000, 65), () => setTimeout(() => req.destroy(), 50));
        req.on("close", () => resolve());
      });
      await vi.waitFor(() => expect(uploadTemps(dataDir)).toEqual([]));
      expect((await ownFlow.storage.get("kept")).toString()).toBe("old content");
      const files = readdirSync(path.join(dataDir, "objects"), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      expect(files).toHaveLength(1);
    });
  });

  it("a stream body whose size is wrong fails at once as bad input, and stores nothing", async () => {
    const p = `${unique("size")}x`;
    for (const [bytes, size] of [["abc", 10], ["abcdefghijkl", 3]] as const) {
      const error = await caught(() => flow.storage.put(p, Readable.from([Buffer.from(bytes)]), { size }, { timeoutMs: 5_000 }));
      expect(error).toBeInstanceOf(FlowValidationError);
      expect((error as FlowValidationError).issues[0]).toMatchObject({ path: "size", message: expect.stringContaining(`size says ${size}`) });
      const fromFactory = await caught(() => flow.storage.put(p, () => Readable.from([Buffer.from(bytes)]), { size }, { timeoutMs: 5_000 }));
      expect(fromFactory).toBeInstanceOf(FlowValidationError);
    }
    expect(await caught(() => flow.storage.head(p))).toBeInstanceOf(FlowNotFoundError);
  });

  it.runIf(hasProcFds)("close() during an upload destroys the body (factory or stream) and the platform keeps neither a temp file nor a half object", async () => {
    await withOwnPlatform(async (own, dataDir) => {
      const sources = path.join(dataDir, "sources");
      mkdirSync(sources);
      const file = path.join(sources, "source.bin");
      writeFileSync(file, Buffer.alloc(4 * 1024 * 1024, 7));
      const checker = own.createFlow();
      for (const kind of ["factory", "stream"] as const) {
        const uploader = own.createFlow();
        let source: SlowFile | undefined;
        const body = kind === "factory" ? () => (source = new SlowFile(file)) : (source = new SlowFile(file));
        const pending = caught(() => uploader.storage.put(`half-${kind}`, body, { size: 4 * 1024 * 1024 }));
        await vi.waitFor(() => expect(uploadTemps(dataDir)).toHaveLength(1)); // the platform is receiving it
        await uploader.close();
        expect(await pending).toBeInstanceOf(FlowClosedError);
        await vi.waitFor(() => expect(source?.fdClosed, kind).toBe(true));
        await vi.waitFor(() => expect(uploadTemps(dataDir)).toEqual([]));
        expect(await caught(() => checker.storage.head(`half-${kind}`))).toBeInstanceOf(FlowNotFoundError);
        await vi.waitFor(() => expect([...openFilesUnder(path.join(dataDir, "objects")), ...openFilesUnder(sources)], kind).toEqual([]));
      }
    });
  });

  it.runIf(hasProcFds)("downloads cut off by the client or by close() (FlowClosedError) free the platform's file descriptors", async () => {
    await withOwnPlatform(async (own, dataDir) => {
      const setup = own.createFlow();
      await setup.storage.put("big", patternStream(4 * 1024 * 1024));
      const url = new URL(own.url);
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((resolve, reject) => {
          const req = httpRequest({ host: url.hostname, port: url.port, path: `${W}/storage/objects/big`, headers: { authorization: `Bearer ${own.env.AUTH_TOKEN}` } }, (res) => {
            res.once("data", () => req.destroy());
            res.on("close", () => resolve());
          });
          req.on("error", () => resolve());
          req.on("timeout", () => reject(new Error("no answer")));
          req.end();
        });
      }
      const reader = own.createFlow();
      expect(await interruptedRead(await reader.storage.getStream("big"), () => reader.close())).toBeInstanceOf(FlowClosedError);
      await vi.waitFor(() => expect(openFilesUnder(path.join(dataDir, "objects"))).toEqual([]));
      expect((await setup.storage.head("big")).size).toBe(4 * 1024 * 1024);
    });
  });

  it("a platform started on a data dir removes the temp files of uploads a crash cut off", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "flow-storage-test-"));
    try {
      const tenantDir = path.join(dataDir, "objects", "0123456789abcdef0123456789abcdef");
      mkdirSync(tenantDir, { recursive: true });
      writeFileSync(path.join(tenantDir, ".upload-left-by-a-crash"), "half");
      const own = await startTestPlatform({ dataDir });
      await own.close();
      expect(uploadTemps(dataDir)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("keeps objects and signed URLs across a restart on the same data dir", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "flow-storage-test-"));
    try {
      const first = await startTestPlatform({ dataDir });
      await first.createFlow().storage.put("persist/me", "still here");
      const { url } = await first.createFlow().storage.signedUrl("persist/me");
      await first.close();
      const second = await startTestPlatform({ dataDir });
      try {
        expect((await second.createFlow().storage.get("persist/me")).toString()).toBe("still here");
        const moved = url.replace(new URL(url).origin, second.url);
        expect(await (await fetch(moved)).text()).toBe("still here");
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("a PUT repeated with the same Idempotency-Key does its work again (uploads are not replayed)", async () => {
    const p = `${unique("idem")}x`;
    await flow.storage.put(p, "first", {}, { idempotencyKey: "storage-key-1" });
    const second = await flow.storage.put(p, "second", {}, { idempotencyKey: "storage-key-1" });
    expect(second.size).toBe(6);
    expect((await flow.storage.get(p)).toString()).toBe("second");
  });
});

describe("storage: failures while streaming", () => {
  it("a body that fails to read rejects with its own error, not a connection error, and stores nothing", async () => {
    const p = `${unique("unreadable")}x`;
    const missing = path.join(os.tmpdir(), `flow-no-such-file-${Date.now()}`);
    const error = await caught(() => flow.storage.put(p, () => createReadStream(missing)));
    expect(error).not.toBeInstanceOf(FlowConnectionError);
    expect((error as Error).message).toMatch(/^storage\.put: reading the body failed \(ENOENT.*nothing was stored$/);
    const midway = new Readable({ read() {} });
    const pending = caught(() => flow.storage.put(p, midway));
    midway.push(Buffer.alloc(1000));
    setTimeout(() => midway.destroy(new Error("disk went away")), 20);
    expect((await pending as Error).message).toContain("reading the body failed (disk went away)");
    expect(await caught(() => flow.storage.head(p))).toBeInstanceOf(FlowNotFoundError);
  });

  it("an onProgress that throws fails the put or the download with its own error", async () => {
    const p = `${unique("progress-throws")}x`;
    const boom = new Error("progress callback failed");
    for (const body of [Buffer.alloc(200_000), () => patternStream(200_000), patternStream(200_000)]) {
      expect(await caught(() => flow.storage.put(p, body, { onProgress: () => { throw boom; } }))).toBe(boom);
    }
    expect(await caught(() => flow.storage.head(p))).toBeInstanceOf(FlowNotFoundError);
    await flow.storage.put(p, Buffer.alloc(200_000));
    expect(await caught(() => flow.storage.get(p, { onProgress: () => { throw boom; } }))).toBe(boom);
  });

  it("a download aborted by its signal while being read fails with FlowAbortError, whose inspect output carries no token", async () => {
    const p = `${unique("abort-read")}blob`;
    await flow.storage.put(p, patternStream(4 * 1024 * 1024));
    const controller = new AbortController();
    const error = await interruptedRead(await flow.storage.getStream(p, {}, { signal: controller.signal }), () => controller.abort());
    expect(error).toBeInstanceOf(FlowAbortError);
    expect((error as Error).message).toContain(`storage/objects/${p}`);
    expect(inspect(error, { depth: 10 })).not.toContain(platform.env.AUTH_TOKEN!);
  });
});
