import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DB_FILE } from "../../local/db.js";
import { startLocalPlatform, type LocalPlatform } from "../../local/index.js";
import { FlowSDK } from "../../src/index.js";

// A busy database: another process holds the SQLite write lock of the platform's data dir
// (test/fixtures/busy-db/hold-lock.mjs). Writes answer 503 database_busy with Retry-After at
// once instead of blocking the event loop, /v1/health answers, and the SDK's retry succeeds
// once the lock is released.

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const HOLDER = path.join(ROOT, "test/fixtures/busy-db/hold-lock.mjs");
const ROOT_PATH = "/v1/orgs/org_local/workspaces/ws_local";

/** The outside process and the lines it printed, in order. */
interface Holder {
  child: ChildProcess;
  /** Resolves at the next line the holder prints. */
  nextLine: () => Promise<string>;
  release: () => Promise<void>;
}

let dataDir: string;
let platform: LocalPlatform;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), "flow-busy-db-"));
  platform = await startLocalPlatform({ dataDir });
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await platform?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function holdLock(): Promise<Holder> {
  const child = spawn(process.execPath, [HOLDER, path.join(dataDir, DB_FILE)], { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
  children.add(child);
  child.once("exit", () => children.delete(child));
  const waiting: ((line: string) => void)[] = [];
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  const nextLine = (): Promise<string> =>
    lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise<string>((resolve, reject) => {
      waiting.push(resolve);
      child.once("exit", (code) => reject(new Error(`the lock holder exited (${code})`)));
    });
  expect(await nextLine()).toBe("locked");
  return {
    child,
    nextLine,
    release: async () => {
      child.stdin!.write("go\n");
      expect(await nextLine()).toBe("released");
    },
  };
}

async function send(method: string, route: string, body?: unknown, key?: string): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${platform.env.AUTH_TOKEN}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (key !== undefined) headers["idempotency-key"] = key;
  const response = await fetch(new URL(route, platform.url), { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) };
}

describe("a database whose write lock another process holds", () => {
  it("answers a write 503 database_busy with Retry-After, does none of it, and answers /v1/health meanwhile", async () => {
    const holder = await holdLock();
    try {
      const id = randomUUID();
      const [write, health] = await Promise.all([
        send("POST", `${ROOT_PATH}/audit/events`, { action: "visit", resourceType: "page", resourceId: id }, randomUUID()),
        fetch(new URL("/v1/health", platform.url)),
      ]);
      expect(write.status).toBe(503);
      expect(write.headers.get("retry-after")).toBe("1");
      expect(write.body).toMatchObject({ error: { code: "database_busy", message: expect.stringContaining("nothing was done") } });
      expect(write.headers.get("x-request-id")).toEqual(expect.any(String));
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true });
      // A write without a key is refused the same way; reads go on (WAL).
      const unkeyed = await send("PUT", `${ROOT_PATH}/state/busy`, { value: 1 });
      expect(unkeyed.status).toBe(503);
      expect((await send("GET", `${ROOT_PATH}/audit/events?resourceType=page&resourceId=${id}`)).body.data).toEqual([]);
    } finally {
      await holder.release();
    }
  });

  it("answers many writes in flight 503 at once, asking SQLite only once per backoff, and health answers among them", async () => {
    const holder = await holdLock();
    try {
      const writes = Array.from({ length: 30 }, (_, i) => send("PUT", `${ROOT_PATH}/state/many-${i}`, { value: i }, randomUUID()));
      const [health, ...answers] = await Promise.all([fetch(new URL("/v1/health", platform.url)), ...writes]);
      expect(health.status).toBe(200);
      for (const answer of answers) {
        expect(answer.status).toBe(503);
        expect(answer.body).toMatchObject({ error: { code: "database_busy" } });
        expect(answer.headers.get("retry-after")).toBe("1");
      }
    } finally {
      await holder.release();
    }
  });

  it("lets the SDK's retry of the same call succeed once the lock is released, the work done once", async () => {
    const holder = await holdLock();
    let released: Promise<void> | undefined;
    const flow = FlowSDK.create({
      env: platform.env,
      maxRetries: 2,
      logger: {
        debug() {},
        info() {},
        error() {},
        // The first attempt was answered 503: release the lock while the SDK waits Retry-After.
        warn(message, fields) {
          if (message === "retrying request" && fields?.["status"] === 503) released ??= holder.release();
        },
      },
    });
    try {
      const id = randomUUID();
      const event = await flow.audit.log({ action: "visit", resourceType: "page", resourceId: id });
      expect(released).toBeDefined();
      await released;
      expect(event.resourceId).toBe(id);
      const listed = await send("GET", `${ROOT_PATH}/audit/events?resourceType=page&resourceId=${id}`);
      expect(listed.body.data).toHaveLength(1);
    } finally {
      if (released === undefined) await holder.release();
      await flow.close();
    }
  });
});
