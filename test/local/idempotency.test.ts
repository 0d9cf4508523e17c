import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalPlatform, type LocalPlatform } from "../../local/index.js";

// Idempotency-Key as docs/protocol.md has it, over plain fetch.

interface Answer {
  status: number;
  replayed: string | null;
  text: string;
  body: any;
}

let platform: LocalPlatform;
beforeAll(async () => {
  platform = await startLocalPlatform();
});
afterAll(async () => {
  await platform.close();
});

const root = (workspace = "ws_local"): string => `/v1/orgs/org_local/workspaces/${workspace}`;
const event = (resourceId: string): Record<string, unknown> => ({ action: "visit", resourceType: "page", resourceId });

async function send(method: string, route: string, options: { token?: string; key?: string; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${options.token ?? platform.env.AUTH_TOKEN}` };
  if (options.key !== undefined) headers["idempotency-key"] = options.key;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(new URL(route, platform.url), {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, replayed: response.headers.get("idempotent-replayed"), text, body: text === "" ? undefined : JSON.parse(text) };
}

async function eventsOn(resourceId: string, workspace = "ws_local", token?: string): Promise<unknown[]> {
  const answer = await send("GET", `${root(workspace)}/audit/events?resourceType=page&resourceId=${resourceId}`, token === undefined ? {} : { token });
  expect(answer.status).toBe(200);
  return answer.body.data as unknown[];
}

async function stateValue(key: string): Promise<unknown> {
  const answer = await send("GET", `${root()}/state/${key}`);
  expect(answer.status).toBe(200);
  return answer.body.value;
}

describe("Idempotency-Key", () => {
  it("replays the first answer to a repeated POST with Idempotent-Replayed and records one event", async () => {
    const key = randomUUID();
    const id = randomUUID();
    const first = await send("POST", `${root()}/audit/events`, { key, body: event(id) });
    const second = await send("POST", `${root()}/audit/events`, { key, body: event(id) });
    expect(first.status).toBe(201);
    expect(first.replayed).toBeNull();
    expect(second.status).toBe(201);
    expect(second.replayed).toBe("true");
    expect(second.body).toEqual(first.body);
    expect(await eventsOn(id)).toHaveLength(1);
  });

  it("answers the same key on another path with 422 idempotency_key_reused", async () => {
    const key = randomUUID();
    expect((await send("POST", `${root()}/audit/events`, { key, body: event(randomUUID()) })).status).toBe(201);
    const reused = await send("POST", `${root()}/state/reused-key/increment`, { key, body: {} });
    expect(reused.status).toBe(422);
    expect(reused.body).toMatchObject({ error: { code: "idempotency_key_reused", message: expect.any(String) } });
    expect((await send("GET", `${root()}/state/reused-key`)).status).toBe(404);
  });

  it("keeps keys per workspace, so the same key in two workspaces does the work in both", async () => {
    const key = randomUUID();
    const id = randomUUID();
    const tokenA = await platform.mintToken({ workspaceId: "ws_idem_a" });
    const tokenB = await platform.mintToken({ workspaceId: "ws_idem_b" });
    const a = await send("POST", `${root("ws_idem_a")}/audit/events`, { token: tokenA, key, body: event(id) });
    const b = await send("POST", `${root("ws_idem_b")}/audit/events`, { token: tokenB, key, body: event(id) });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect([a.replayed, b.replayed]).toEqual([null, null]);
    expect(b.body.id).not.toBe(a.body.id);
    expect(await eventsOn(id, "ws_idem_a", tokenA)).toHaveLength(1);
    expect(await eventsOn(id, "ws_idem_b", tokenB)).toHaveLength(1);
  });

  it("increments state once when the same key is sent twice", async () => {
    const key = randomUUID();
    const route = `${root()}/state/counter-once/increment`;
    const first = await send("POST", route, { key, body: { by: 1 } });
    const second = await send("POST", route, { key, body: { by: 1 } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ value: 1, version: 1 });
    expect(second.replayed).toBe("true");
    expect(second.body).toEqual(first.body);
    expect(await stateValue("counter-once")).toBe(1);
  });

  it("does the work twice for two POSTs without a key", async () => {
    const route = `${root()}/state/counter-twice/increment`;
    const first = await send("POST", route, { body: {} });
    const second = await send("POST", route, { body: {} });
    expect([first.replayed, second.replayed]).toEqual([null, null]);
    expect(second.body).toMatchObject({ value: 2, version: 2 });
    expect(await stateValue("counter-twice")).toBe(2);
  });

  it("does the work once for concurrent POSTs with the same key", async () => {
    const key = randomUUID();
    const route = `${root()}/state/counter-concurrent/increment`;
    const answers = await Promise.all(Array.from({ length: 5 }, () => send("POST", route, { key, body: { by: 5 } })));
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.text).toBe(answers[0]?.text);
    }
    expect(answers.filter((a) => a.replayed === "true")).toHaveLength(4);
    expect(await stateValue("counter-concurrent")).toBe(5);
  });

  it("records one event for concurrent audit POSTs with the same key", async () => {
    const key = randomUUID();
    const id = randomUUID();
    const answers = await Promise.all(Array.from({ length: 5 }, () => send("POST", `${root()}/audit/events`, { key, body: event(id) })));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([201]));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await eventsOn(id)).toHaveLength(1);
  });
});
