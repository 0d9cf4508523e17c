import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../local/db.js";
import type { LocalPlatform } from "../../local/index.js";
// launchPlatform (internal) also gives the admin key, the only way to mint a token for another subject.
import { launchPlatform } from "../../local/platform.js";
import { buildServer, listen } from "../../local/server.js";
import { TokenService } from "../../local/tokens.js";

// Idempotency-Key as docs/protocol.md has it, over plain fetch.

interface Answer {
  status: number;
  replayed: string | null;
  text: string;
  body: any;
}

let platform: LocalPlatform;
let adminKey: string;
beforeAll(async () => {
  ({ platform, adminKey } = await launchPlatform());
});
afterAll(async () => {
  await platform.close();
});

const root = (workspace = "ws_local"): string => `/v1/orgs/org_local/workspaces/${workspace}`;
const event = (resourceId: string): Record<string, unknown> => ({ action: "visit", resourceType: "page", resourceId });

async function send(
  method: string,
  route: string,
  options: { token?: string; key?: string; body?: unknown; base?: string; signal?: AbortSignal } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${options.token ?? platform.env.AUTH_TOKEN}` };
  if (options.key !== undefined) headers["idempotency-key"] = options.key;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(new URL(route, options.base ?? platform.url), {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const text = await response.text();
  return { status: response.status, replayed: response.headers.get("idempotent-replayed"), text, body: text === "" ? undefined : JSON.parse(text) };
}

async function tokenFor(subject: string): Promise<string> {
  const response = await fetch(new URL("/v1/_local/tokens", platform.url), {
    method: "POST",
    headers: { "content-type": "application/json", "x-flow-local-admin": adminKey },
    body: JSON.stringify({ subject }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
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

  it("answers the same key with another body with 422 idempotency_key_reused and does not do the work", async () => {
    const key = randomUUID();
    const first = randomUUID();
    const second = randomUUID();
    expect((await send("POST", `${root()}/audit/events`, { key, body: event(first) })).status).toBe(201);
    const reused = await send("POST", `${root()}/audit/events`, { key, body: event(second) });
    expect(reused.status).toBe(422);
    expect(reused.replayed).toBeNull();
    expect(reused.body).toMatchObject({ error: { code: "idempotency_key_reused", message: expect.stringContaining("first used with other parameters") } });
    expect(await eventsOn(second)).toHaveLength(0);
  });

  it("answers the same key with another query string with 422 idempotency_key_reused", async () => {
    const key = randomUUID();
    const body = event(randomUUID());
    expect((await send("POST", `${root()}/audit/events?a=1&b=2`, { key, body })).status).toBe(201);
    expect((await send("POST", `${root()}/audit/events?b=2&a=1`, { key, body })).replayed).toBe("true");
    expect((await send("POST", `${root()}/audit/events?a=1&b=3`, { key, body })).status).toBe(422);
  });

  it("does the work when a call refused with 403 missing_scope is retried with the same key and a token that has the scope", async () => {
    const key = randomUUID();
    const id = randomUUID();
    const readOnly = await platform.mintToken({ scopes: ["audit:read"] });
    const refused = await send("POST", `${root()}/audit/events`, { token: readOnly, key, body: event(id) });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: "missing_scope" } });
    const writer = await platform.mintToken({ scopes: ["audit:*"] });
    const retried = await send("POST", `${root()}/audit/events`, { token: writer, key, body: event(id) });
    expect(retried.status).toBe(201);
    expect(retried.replayed).toBeNull();
    expect(await eventsOn(id)).toHaveLength(1);
  });

  it("does the work when a call refused with 400 validation_error is retried with the same key and a corrected body", async () => {
    const key = randomUUID();
    const id = randomUUID();
    const refused = await send("POST", `${root()}/audit/events`, { key, body: { ...event(id), resourceType: 42 } });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: "validation_error" } });
    const retried = await send("POST", `${root()}/audit/events`, { key, body: event(id) });
    expect(retried.status).toBe(201);
    expect(retried.replayed).toBeNull();
    expect(await eventsOn(id)).toHaveLength(1);
  });

  it("replays a 409 not_a_number answer instead of running the increment again", async () => {
    expect((await send("PUT", `${root()}/state/not-a-number`, { body: { value: "text" } })).status).toBe(200);
    const key = randomUUID();
    const first = await send("POST", `${root()}/state/not-a-number/increment`, { key, body: {} });
    expect(first.status).toBe(409);
    expect(first.replayed).toBeNull();
    expect((await send("PUT", `${root()}/state/not-a-number`, { body: { value: 5 } })).status).toBe(200);
    const second = await send("POST", `${root()}/state/not-a-number/increment`, { key, body: {} });
    expect(second.status).toBe(409);
    expect(second.replayed).toBe("true");
    expect(second.text).toBe(first.text);
    expect(await stateValue("not-a-number")).toBe(5);
  });

  it("keeps keys per token subject, so another caller in the same workspace with the same key does its own work", async () => {
    const key = randomUUID();
    const id = randomUUID();
    const alice = await tokenFor("alice");
    const bob = await tokenFor("bob");
    const a = await send("POST", `${root()}/audit/events`, { token: alice, key, body: event(id) });
    const b = await send("POST", `${root()}/audit/events`, { token: bob, key, body: event(id) });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect([a.replayed, b.replayed]).toEqual([null, null]);
    expect(b.body).toMatchObject({ actor: "bob" });
    expect(b.body.id).not.toBe(a.body.id);
    expect(await eventsOn(id)).toHaveLength(2);
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

  it("refuses a repeat from a token without the route's scope with 403 missing_scope instead of replaying the stored answer", async () => {
    const key = randomUUID();
    const id = randomUUID();
    const writer = await platform.mintToken({ scopes: ["audit:*"] });
    expect((await send("POST", `${root()}/audit/events`, { token: writer, key, body: event(id) })).status).toBe(201);
    // Same org, workspace and subject (local-user), so the same key slot: only the scope differs.
    const readOnly = await platform.mintToken({ scopes: ["audit:read"] });
    const repeat = await send("POST", `${root()}/audit/events`, { token: readOnly, key, body: event(id) });
    expect(repeat.status).toBe(403);
    expect(repeat.replayed).toBeNull();
    expect(repeat.body).toMatchObject({ error: { code: "missing_scope" } });
  });

  it("answers a GET carrying a key already used by a POST instead of 422 idempotency_key_reused", async () => {
    const key = randomUUID();
    expect((await send("POST", `${root()}/state/get-with-key/increment`, { key, body: {} })).status).toBe(200);
    const read = await send("GET", `${root()}/state/get-with-key`, { key });
    expect(read.status).toBe(200);
    expect(read.replayed).toBeNull();
    expect(read.body).toMatchObject({ key: "get-with-key", value: 1 });
  });

  it("answers a GET carrying an Idempotency-Key over 255 characters instead of 400", async () => {
    const read = await send("GET", `${root()}/state/never-written`, { key: "k".repeat(300) });
    expect(read.status).toBe(404);
    expect(read.body).toMatchObject({ error: { code: "not_found" } });
  });
});

describe("Idempotency-Key when storing the answer fails", () => {
  it("lets a retry with the same key do the work instead of hanging", async () => {
    const db = openDatabase();
    const tokens = new TokenService(new Uint8Array(32).fill(7));
    const reported: unknown[] = [];
    const server = buildServer({ db, tokens, adminKey: "admin", reportError: (error) => reported.push(error) });
    try {
      const base = await listen(server);
      const token = (await tokens.mint()).token;
      // A real SQLite failure inside store.save: inserts into the idempotency table abort.
      db.exec("CREATE TRIGGER fail_save BEFORE INSERT ON idempotency BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END;");
      const key = randomUUID();
      const first = await send("POST", "/v1/_echo", { base, token, key, body: { n: 1 } });
      expect(first.status).toBe(500);
      expect(String(reported[0])).toContain("simulated disk failure");

      db.exec("DROP TRIGGER fail_save");
      const retry = await send("POST", "/v1/_echo", { base, token, key, body: { n: 1 }, signal: AbortSignal.timeout(3000) });
      expect(retry.status).toBe(200);
      expect(retry.replayed).toBeNull();
      expect(retry.body).toMatchObject({ method: "POST", body: { n: 1 } });
    } finally {
      await server.close();
      db.close();
    }
  });
});
