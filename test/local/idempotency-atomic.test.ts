import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { startLocalPlatform, type LocalPlatform } from "../../local/index.js";
import { IdempotencyStore, PENDING_STATUS, type IdempotencyScope, type StoredAnswer } from "../../local/store/idempotency.js";
import { FlowSDK } from "../../src/index.js";

// The work and its stored answer are one: whatever fails while the answer is recorded, a retry
// with the same Idempotency-Key never does the work a second time. The failure seam is the
// store's save, made to throw once like a full disk.

const ROOT_PATH = "/v1/orgs/org_local/workspaces/ws_local";
const platforms: LocalPlatform[] = [];
const dirs: string[] = [];

afterEach(() => {
  vi.restoreAllMocks();
});
afterAll(async () => {
  await Promise.allSettled(platforms.map((platform) => platform.close()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

// An upstream for a connector: a handler that awaits (the call) before it answers.
let upstreamCalls = 0;
const upstream = http.createServer((req, res) => {
  upstreamCalls++;
  req.resume();
  req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true })));
});
await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
afterAll(() => new Promise<void>((resolve) => upstream.close(() => resolve())));
const CONNECTORS = {
  connectors: { api: { type: "http" as const, baseUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, actions: { ping: { method: "POST", path: "/ping" } } } },
};

async function start(dataDir?: string, withConnector = false): Promise<LocalPlatform> {
  const platform = await startLocalPlatform({ ...(dataDir === undefined ? {} : { dataDir }), ...(withConnector ? { manifest: CONNECTORS } : {}) });
  platforms.push(platform);
  return platform;
}

/** Makes the next save of an answer (not of a pending claim) throw as a full disk would. */
function failNextAnswerSave(): { failed: () => number } {
  const save = IdempotencyStore.prototype.save;
  let failed = 0;
  vi.spyOn(IdempotencyStore.prototype, "save").mockImplementation(function (this: IdempotencyStore, scope: IdempotencyScope, key: string, answer: StoredAnswer, now?: number) {
    if (answer.status !== PENDING_STATUS && failed === 0) {
      failed++;
      throw Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    }
    return save.call(this, scope, key, answer, now);
  });
  return { failed: () => failed };
}

async function send(platform: LocalPlatform, method: string, route: string, body?: unknown, key?: string): Promise<{ status: number; replayed: string | null; body: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${platform.env.AUTH_TOKEN}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (key !== undefined) headers["idempotency-key"] = key;
  const response = await fetch(new URL(`${ROOT_PATH}${route}`, platform.url), { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, replayed: response.headers.get("idempotent-replayed"), body: text === "" ? undefined : JSON.parse(text) };
}

async function messagesOf(platform: LocalPlatform, conversationId: string): Promise<unknown[]> {
  const answer = await send(platform, "GET", `/conversations/${conversationId}/messages`);
  expect(answer.status).toBe(200);
  return answer.body.data as unknown[];
}

async function memoriesIn(platform: LocalPlatform, scope: string): Promise<unknown[]> {
  const answer = await send(platform, "GET", `/memory?scope=${scope}`);
  expect(answer.status).toBe(200);
  return answer.body.data as unknown[];
}

describe("an answer that cannot be saved (work in one transaction with it)", () => {
  it("rolls the work back with it: 503, nothing stored; the retry with the same key does the work once, and the next replays it", async () => {
    const platform = await start();
    const conversation = await send(platform, "POST", "/conversations", {});
    expect(conversation.status).toBe(201);
    const id = conversation.body.id as string;
    const seam = failNextAnswerSave();
    const key = randomUUID();
    const message = { role: "user", content: "hello once" };

    const first = await send(platform, "POST", `/conversations/${id}/messages`, message, key);
    expect(seam.failed()).toBe(1);
    expect(first.status).toBe(503);
    expect(first.body).toMatchObject({ error: { code: "database_unavailable" } });
    expect(await messagesOf(platform, id)).toHaveLength(0);

    const retry = await send(platform, "POST", `/conversations/${id}/messages`, message, key);
    expect(retry.status).toBe(201);
    expect(retry.replayed).toBeNull();
    const again = await send(platform, "POST", `/conversations/${id}/messages`, message, key);
    expect(again.replayed).toBe("true");
    expect(again.body).toEqual(retry.body);
    expect(await messagesOf(platform, id)).toHaveLength(1);
  });

  it("lets the SDK's own retry of conversations.addMessage and audit.log succeed with each stored once", async () => {
    const platform = await start();
    const flow = FlowSDK.create({ env: platform.env, maxRetries: 2 });
    try {
      const thread = await flow.conversations.create({});
      const seam = failNextAnswerSave();
      const message = await flow.conversations.addMessage(thread.id, { role: "user", content: "stored once" });
      expect(seam.failed()).toBe(1);
      expect(message.content).toBe("stored once");
      expect(await messagesOf(platform, thread.id)).toHaveLength(1);

      vi.restoreAllMocks();
      const audited = failNextAnswerSave();
      const resourceId = randomUUID();
      await flow.audit.log({ action: "visit", resourceType: "page", resourceId });
      expect(audited.failed()).toBe(1);
      const events = await send(platform, "GET", `/audit/events?resourceType=page&resourceId=${resourceId}`);
      expect(events.body.data).toHaveLength(1);
    } finally {
      await flow.close();
    }
  });

  it("keeps memory.add with the local embedding atomic too: nothing awaits, so a failed save rolls the memory back", async () => {
    const platform = await start();
    failNextAnswerSave();
    const key = randomUUID();
    const scope = `s${randomUUID().slice(0, 8)}`;
    expect((await send(platform, "POST", "/memory", { content: "remember once", scope }, key)).status).toBe(503);
    expect(await memoriesIn(platform, scope)).toHaveLength(0);
    expect((await send(platform, "POST", "/memory", { content: "remember once", scope }, key)).status).toBe(201);
    expect((await send(platform, "POST", "/memory", { content: "remember once", scope }, key)).replayed).toBe("true");
    expect(await memoriesIn(platform, scope)).toHaveLength(1);
  });

  it("keeps a handler that awaits (a connector call) from running twice: the client gets its answer, a retry gets 409 idempotency_outcome_unknown", async () => {
    const platform = await start(undefined, true);
    const seam = failNextAnswerSave();
    const key = randomUUID();
    const before = upstreamCalls;
    const first = await send(platform, "POST", "/connectors/api/invoke", { action: "ping" }, key);
    expect(seam.failed()).toBe(1);
    expect(first.status).toBe(200);
    const retry = await send(platform, "POST", "/connectors/api/invoke", { action: "ping" }, key);
    expect(retry.status).toBe(409);
    expect(retry.body).toMatchObject({ error: { code: "idempotency_outcome_unknown", message: expect.stringContaining("not done again") } });
    expect(upstreamCalls - before).toBe(1);
  });

  it("still refuses a key whose pending claim came from another call with 422 idempotency_key_reused", async () => {
    const platform = await start(undefined, true);
    failNextAnswerSave();
    const key = randomUUID();
    expect((await send(platform, "POST", "/connectors/api/invoke", { action: "ping", params: { n: 1 } }, key)).status).toBe(200);
    expect((await send(platform, "POST", "/connectors/api/invoke", { action: "ping", params: { n: 2 } }, key)).status).toBe(422);
  });

  it("keeps answers and pending claims across a restart on the same data dir: a replay, and a 409 rather than the work again", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "flow-idem-atomic-"));
    dirs.push(dataDir);
    let platform = await start(dataDir, true);
    const answeredKey = randomUUID();
    const pendingKey = randomUUID();
    const answered = await send(platform, "POST", "/connectors/api/invoke", { action: "ping", params: { n: "answered" } }, answeredKey);
    expect(answered.status).toBe(200);
    failNextAnswerSave();
    expect((await send(platform, "POST", "/connectors/api/invoke", { action: "ping", params: { n: "pending" } }, pendingKey)).status).toBe(200);
    vi.restoreAllMocks();
    await platform.close();

    platform = await start(dataDir, true);
    const before = upstreamCalls;
    const replayed = await send(platform, "POST", "/connectors/api/invoke", { action: "ping", params: { n: "answered" } }, answeredKey);
    expect(replayed.replayed).toBe("true");
    expect(replayed.body).toEqual(answered.body);
    expect((await send(platform, "POST", "/connectors/api/invoke", { action: "ping", params: { n: "pending" } }, pendingKey)).body).toMatchObject({
      error: { code: "idempotency_outcome_unknown" },
    });
    expect(upstreamCalls).toBe(before);
  });
});
