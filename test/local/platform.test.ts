import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { DB_FILE, MIGRATIONS, openDatabase } from "../../local/db.js";
import { ManualClock, startLocalPlatform, type LocalPlatform, type LocalPlatformMintOptions } from "../../local/index.js";
import { buildServer, listen } from "../../local/server.js";
import { TokenService } from "../../local/tokens.js";
import { FlowValidationError } from "../../src/errors.js";
import { FlowSDK } from "../../src/index.js";

// The protocol spoken raw, over plain fetch: no SDK between the test and the wire.

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(base: string, route: string, init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(new URL(route, base), {
    method: init.method ?? "GET",
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) };
}

const ws = (org: string, workspace: string): string => `/v1/orgs/${org}/workspaces/${workspace}`;
const LOCAL = ws("org_local", "ws_local");
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The `exp` claim of a JWT, in seconds. */
function expOf(jwt: string): number {
  const payload = JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8")) as { exp: number };
  return payload.exp;
}

function expectError(answer: Answer, status: number, code: string): void {
  expect(answer.status).toBe(status);
  expect(answer.body).toMatchObject({ error: { code, message: expect.any(String) } });
}

describe("startLocalPlatform on a shared in-memory platform", () => {
  // Tokens expire when a test moves this clock, not while it sleeps.
  const clock = new ManualClock();
  let platform: LocalPlatform;
  beforeAll(async () => {
    platform = await startLocalPlatform({ clock });
  });
  afterAll(async () => {
    await platform.close();
  });

  it("resolves a loopback url and an env for the default org and workspace", () => {
    expect(platform.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(platform.env).toMatchObject({
      PLATFORM_API_URL: platform.url,
      GATEWAY_URL: platform.url,
      ORG_ID: "org_local",
      WORKSPACE_ID: "ws_local",
      AUTH_TOKEN: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      AUTH_TOKEN_FILE: expect.any(String),
    });
  });

  it("writes a valid token to the token file", async () => {
    const fromFile = readFileSync(platform.env.AUTH_TOKEN_FILE, "utf8").trim();
    expect(fromFile).toBe(platform.env.AUTH_TOKEN);
    expect((await call(platform.url, "/v1/auth/whoami", { token: fromFile })).status).toBe(200);
  });

  it("answers /v1/health without a token", async () => {
    const answer = await call(platform.url, "/v1/health");
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ ok: true, service: "flow-local", version: expect.any(String) });
  });

  it("refuses a request without a token with 401 missing_token", async () => {
    expectError(await call(platform.url, "/v1/auth/whoami"), 401, "missing_token");
  });

  it("refuses a malformed or forged token with 401 invalid_token", async () => {
    expectError(await call(platform.url, "/v1/auth/whoami", { token: "abc.def.ghi" }), 401, "invalid_token");
    const basic = await call(platform.url, "/v1/auth/whoami", { headers: { authorization: "Basic dXNlcjpwYXNz" } });
    expectError(basic, 401, "invalid_token");
  });

  it("refuses a token with 401 token_expired from the second of its exp", async () => {
    const token = await platform.mintToken({ ttlSeconds: 1 });
    expect((await call(platform.url, "/v1/auth/whoami", { token })).status).toBe(200);
    clock.set(expOf(token) * 1000 - 1);
    expect((await call(platform.url, "/v1/auth/whoami", { token })).status).toBe(200);
    clock.set(expOf(token) * 1000);
    expectError(await call(platform.url, "/v1/auth/whoami", { token }), 401, "token_expired");
  });

  it("tells whoami the identity of the token", async () => {
    const token = platform.env.AUTH_TOKEN;
    const answer = await call(platform.url, "/v1/auth/whoami", { token });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ subject: "local-user", orgId: "org_local", workspaceId: "ws_local", scopes: ["*"], expiresAt: expect.any(String) });
    expect(answer.body.expiresAt).toBe(new Date(expOf(token) * 1000).toISOString());
    expect(Date.parse(answer.body.expiresAt)).toBeGreaterThan(clock.now());
  });

  it("puts the minted claims in the token whoami reads back", async () => {
    const token = await platform.mintToken({ orgId: "org_a", workspaceId: "ws_a", scopes: ["state:read", "audit:*"] });
    const answer = await call(platform.url, "/v1/auth/whoami", { token });
    expect(answer.body).toMatchObject({ orgId: "org_a", workspaceId: "ws_a", scopes: ["state:read", "audit:*"] });
  });

  it.each([
    ["ttlSeconds 0", { ttlSeconds: 0 }, "ttlSeconds"],
    ["ttlSeconds 1.5", { ttlSeconds: 1.5 }, "ttlSeconds"],
    ["scopes as a string", { scopes: "state:read" as unknown as string[] }, "scopes"],
  ])("rejects mintToken with %s with a FlowValidationError naming the field", async (_name, options: LocalPlatformMintOptions, field) => {
    const minting = platform.mintToken(options);
    await expect(minting).rejects.toBeInstanceOf(FlowValidationError);
    await expect(minting).rejects.toThrow(field);
  });

  it("refuses state and audit routes of another workspace with 403 tenant_mismatch", async () => {
    const token = platform.env.AUTH_TOKEN;
    const other = ws("org_local", "ws_other");
    expectError(await call(platform.url, `${other}/state/k`, { token }), 403, "tenant_mismatch");
    expectError(await call(platform.url, `${other}/state/k`, { method: "PUT", token, body: { value: 1 } }), 403, "tenant_mismatch");
    expectError(await call(platform.url, `${other}/audit/events`, { token }), 403, "tenant_mismatch");
    const event = { action: "a", resourceType: "r", resourceId: "1" };
    expectError(await call(platform.url, `${other}/audit/events`, { method: "POST", token, body: event }), 403, "tenant_mismatch");
  });

  it("refuses state and audit routes of another org with 403 tenant_mismatch", async () => {
    const token = platform.env.AUTH_TOKEN;
    const other = ws("org_other", "ws_local");
    expectError(await call(platform.url, `${other}/state`, { token }), 403, "tenant_mismatch");
    expectError(await call(platform.url, `${other}/audit/events`, { token }), 403, "tenant_mismatch");
  });

  it("keeps the data of one workspace from a token of another", async () => {
    const a = await platform.mintToken({ workspaceId: "ws_iso_a" });
    const b = await platform.mintToken({ workspaceId: "ws_iso_b" });
    expect((await call(platform.url, `${ws("org_local", "ws_iso_a")}/state/secret`, { method: "PUT", token: a, body: { value: "a" } })).status).toBe(200);
    expectError(await call(platform.url, `${ws("org_local", "ws_iso_a")}/state/secret`, { token: b }), 403, "tenant_mismatch");
    expectError(await call(platform.url, `${ws("org_local", "ws_iso_b")}/state/secret`, { token: b }), 404, "not_found");
  });

  it("refuses a token without the route's scope with 403 missing_scope", async () => {
    const token = await platform.mintToken({ scopes: ["audit:read"] });
    expectError(await call(platform.url, `${LOCAL}/state/k`, { token }), 403, "missing_scope");
    expect((await call(platform.url, `${LOCAL}/audit/events`, { token })).status).toBe(200);
  });

  it("does not let write scope imply read scope", async () => {
    const token = await platform.mintToken({ scopes: ["state:write"] });
    expect((await call(platform.url, `${LOCAL}/state/wo`, { method: "PUT", token, body: { value: 1 } })).status).toBe(200);
    expectError(await call(platform.url, `${LOCAL}/state/wo`, { token }), 403, "missing_scope");
  });

  it("answers a bad body with 400 validation_error listing the issues", async () => {
    const body = { value: 1, ttlSeconds: "x", colour: "red" };
    const answer = await call(platform.url, `${LOCAL}/state/k`, { method: "PUT", token: platform.env.AUTH_TOKEN, body });
    expectError(answer, 400, "validation_error");
    const issues = answer.body.error.details.issues as { path: string; message: string }[];
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(["ttlSeconds", "colour"]));
    for (const issue of issues) expect(issue.message).toEqual(expect.any(String));
  });

  it("answers a body that is not JSON with 400 bad_request", async () => {
    const response = await fetch(new URL(`${LOCAL}/state/k`, platform.url), {
      method: "PUT",
      headers: { authorization: `Bearer ${platform.env.AUTH_TOKEN}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "bad_request" } });
  });

  it("answers an unknown route with 404 route_not_found", async () => {
    expectError(await call(platform.url, "/v1/nowhere", { token: platform.env.AUTH_TOKEN }), 404, "route_not_found");
    expectError(await call(platform.url, "/v1/nowhere"), 404, "route_not_found");
  });

  it("puts an X-Request-Id on every response", async () => {
    const answers = [
      await call(platform.url, "/v1/health"),
      await call(platform.url, "/v1/auth/whoami"),
      await call(platform.url, "/v1/nowhere"),
      await call(platform.url, `${LOCAL}/state/missing`, { token: platform.env.AUTH_TOKEN }),
    ];
    for (const answer of answers) expect(answer.headers.get("x-request-id")).toMatch(/\S+/);
    expect(new Set(answers.map((a) => a.headers.get("x-request-id"))).size).toBe(answers.length);
  });

  it("echoes the X-Request-Id the client sent", async () => {
    const ok = await call(platform.url, "/v1/health", { headers: { "x-request-id": "req-from-client-1" } });
    expect(ok.headers.get("x-request-id")).toBe("req-from-client-1");
    const failed = await call(platform.url, "/v1/auth/whoami", { headers: { "x-request-id": "req-from-client-2" } });
    expect(failed.status).toBe(401);
    expect(failed.headers.get("x-request-id")).toBe("req-from-client-2");
  });

  it("answers a path that is not valid percent-encoding with 400 bad_request in the envelope, with an X-Request-Id", async () => {
    const answer = await call(platform.url, `${LOCAL}/state/%zz`, { token: platform.env.AUTH_TOKEN, headers: { "x-request-id": "req-bad-url" } });
    expectError(answer, 400, "bad_request");
    expect(answer.headers.get("x-request-id")).toBe("req-bad-url");
  });

  it("answers a path segment over the length limit with 414 uri_too_long in the envelope, with an X-Request-Id", async () => {
    const answer = await call(platform.url, `${LOCAL}/state/${"a".repeat(5000)}`, { token: platform.env.AUTH_TOKEN });
    expectError(answer, 414, "uri_too_long");
    expect(answer.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]+$/);
  });

  it("names the running platform in the X-Flow-Local-Instance header of /v1/health, the same on every call", async () => {
    const first = await call(platform.url, "/v1/health");
    const second = await call(platform.url, "/v1/health");
    expect(first.headers.get("x-flow-local-instance")).toMatch(/^[0-9a-f]{32}$/);
    expect(second.headers.get("x-flow-local-instance")).toBe(first.headers.get("x-flow-local-instance"));
  });

  it("pages with limit 1 through keys of 512 three-byte characters", async () => {
    const flow = FlowSDK.create({ env: platform.env });
    try {
      const keys = ["a", "b", "c"].map((last) => `€€${"€".repeat(509)}${last}`);
      for (const key of keys) await flow.state.set(key, key.slice(-1));
      const seen: string[] = [];
      for await (const entry of flow.state.list({ prefix: "€€", limit: 1 })) seen.push(entry.key);
      expect(seen).toEqual(keys);
    } finally {
      await flow.close();
    }
  });

  it.each([
    ["a week date", "2099-W05"],
    ["a date-time without a time zone", "2026-01-01T00:00:00"],
  ])("refuses an audit since that is %s with 400 validation_error", async (_kind, since) => {
    const answer = await call(platform.url, `${LOCAL}/audit/events?since=${encodeURIComponent(since)}`, { token: platform.env.AUTH_TOKEN });
    expectError(answer, 400, "validation_error");
    expect(answer.body.error.details.issues).toEqual([{ path: "since", message: expect.stringContaining("with a time zone") }]);
  });

  it("seeds secrets without error", async () => {
    const seeded = await startLocalPlatform({ secrets: { API_KEY: "test-value", OTHER: "" } });
    try {
      expect((await call(seeded.url, "/v1/health")).status).toBe(200);
    } finally {
      await seeded.close();
    }
  });
});

describe("startLocalPlatform lifecycle", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const started = async (options: Parameters<typeof startLocalPlatform>[0] = {}): Promise<LocalPlatform> => {
    const platform = await startLocalPlatform(options);
    cleanups.push(() => platform.close());
    return platform;
  };
  const tempDir = (): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "flow-local-test-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };

  it("rotates the token file and env.AUTH_TOKEN at half the TTL", async () => {
    const platform = await started({ tokenTtlSeconds: 2 });
    const startedAt = Date.now();
    const first = readFileSync(platform.env.AUTH_TOKEN_FILE, "utf8").trim();
    expect(first).toBe(platform.env.AUTH_TOKEN);
    // Rewritten just before each half TTL; a rewrite within the same second may carry the same
    // claims, hence the same JWT, so wait for the first token that differs.
    let second = first;
    while (second === first && Date.now() - startedAt < 3000) {
      await sleep(20);
      second = readFileSync(platform.env.AUTH_TOKEN_FILE, "utf8").trim();
    }
    expect(second).not.toBe(first);
    expect(Date.now() - startedAt).toBeLessThan(2000);
    expect(platform.env.AUTH_TOKEN).toBe(second);
    expect((await call(platform.url, "/v1/auth/whoami", { token: second })).status).toBe(200);
  });

  it("keeps data and tokens across a restart on the same data dir", async () => {
    const dataDir = tempDir();
    const first = await started({ dataDir });
    const token = await first.mintToken({ scopes: ["state:*"] });
    const put = await call(first.url, `${LOCAL}/state/kept`, { method: "PUT", token, body: { value: { n: 1 } } });
    expect(put.status).toBe(200);
    await first.close();

    const second = await started({ dataDir });
    const answer = await call(second.url, `${LOCAL}/state/kept`, { token });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ key: "kept", value: { n: 1 }, version: 1 });
  });

  it("replaces the idempotency table of a data dir made by the previous schema and serves idempotent POSTs", async () => {
    const dataDir = tempDir();
    // A data dir of schema version 1: idempotency keyed by org, workspace and key, no subject nor fingerprint.
    mkdirSync(dataDir, { recursive: true });
    const old = new Database(path.join(dataDir, DB_FILE));
    old.exec(MIGRATIONS[0] ?? "");
    old.prepare("INSERT INTO idempotency VALUES ('org_local', 'ws_local', 'old-key', 'POST', '/x', 200, '{}', ?)").run(Date.now());
    old.pragma("user_version = 1");
    old.close();

    const platform = await started({ dataDir });
    const route = `${LOCAL}/state/after-upgrade/increment`;
    const headers = { "idempotency-key": "old-key" };
    const first = await call(platform.url, route, { method: "POST", token: platform.env.AUTH_TOKEN, body: {}, headers });
    const second = await call(platform.url, route, { method: "POST", token: platform.env.AUTH_TOKEN, body: {}, headers });
    expect(first.status).toBe(200);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body).toEqual(first.body);
  });

  it("keeps in-memory platforms apart from each other", async () => {
    const a = await started();
    const b = await started();
    expect(a.url).not.toBe(b.url);
    await call(a.url, `${LOCAL}/state/only-in-a`, { method: "PUT", token: a.env.AUTH_TOKEN, body: { value: 1 } });
    expectError(await call(b.url, `${LOCAL}/state/only-in-a`, { token: b.env.AUTH_TOKEN }), 404, "not_found");
  });

  it("does not accept the tokens of another in-memory platform", async () => {
    const a = await started();
    const b = await started();
    expectError(await call(b.url, "/v1/auth/whoami", { token: a.env.AUTH_TOKEN }), 401, "invalid_token");
  });

  it("closes idempotently and stops answering on its port", async () => {
    const platform = await startLocalPlatform();
    expect((await call(platform.url, "/v1/health")).status).toBe(200);
    await Promise.all([platform.close(), platform.close()]);
    await platform.close();
    await expect(fetch(new URL("/v1/health", platform.url))).rejects.toThrow();
  });

  it("removes its temporary token file on close", async () => {
    const platform = await startLocalPlatform();
    const file = platform.env.AUTH_TOKEN_FILE;
    expect(readFileSync(file, "utf8")).not.toBe("");
    await platform.close();
    expect(() => readFileSync(file)).toThrow();
  });

  it("keeps at least half the TTL on the token in the file while it rotates a 1-second token", async () => {
    const platform = await started({ tokenTtlSeconds: 1 });
    let least = Infinity;
    for (const stop = Date.now() + 2500; Date.now() < stop; await sleep(10)) {
      const token = readFileSync(platform.env.AUTH_TOKEN_FILE, "utf8").trim();
      least = Math.min(least, expOf(token) * 1000 - Date.now());
    }
    expect(least).toBeGreaterThanOrEqual(500);
  });

  it("mints a token that lives at least its TTL, wherever in a second it is minted", async () => {
    // From a whole second through every 37th millisecond of it: iat rounds down, exp up.
    const clock = new ManualClock(Math.ceil(Date.now() / 1000) * 1000);
    const platform = await started({ clock });
    for (let i = 0; i < 28; i++) {
      const token = await platform.mintToken({ ttlSeconds: 1 });
      const left = expOf(token) * 1000 - clock.now();
      expect(left).toBeGreaterThanOrEqual(1000);
      expect(left).toBeLessThan(2000);
      clock.advance(37);
    }
  });

  it("does not rotate every millisecond a token whose half TTL is over the 24.8 days setInterval takes", async () => {
    const platform = await started({ tokenTtlSeconds: 60 * 24 * 3600 });
    const first = platform.env.AUTH_TOKEN;
    await sleep(1100); // a token minted in a later second differs
    expect(platform.env.AUTH_TOKEN).toBe(first);
    expect(readFileSync(platform.env.AUTH_TOKEN_FILE, "utf8").trim()).toBe(first);
  });

  it("refuses a second platform on a data dir in use, leaving the first's files alone", async () => {
    const dataDir = tempDir();
    const running = await started({ dataDir });
    await expect(startLocalPlatform({ dataDir })).rejects.toThrow(/another platform already uses the data dir/);
    expect(readFileSync(path.join(dataDir, "flow-local.token"), "utf8").trim()).toBe(running.env.AUTH_TOKEN);
    expect((await call(running.url, "/v1/auth/whoami", { token: running.env.AUTH_TOKEN })).status).toBe(200);
  });

  it("lets a platform use the data dir once the one before has closed, and removes its own token file on close", async () => {
    const dataDir = tempDir();
    const first = await started({ dataDir });
    await first.close();
    const second = await started({ dataDir });
    expect(readFileSync(path.join(dataDir, "flow-local.token"), "utf8").trim()).toBe(second.env.AUTH_TOKEN);
    await second.close();
    expect(existsSync(path.join(dataDir, "flow-local.token"))).toBe(false);
  });

  it("leaves the token file of a running platform when a launch on another data dir fails on its port", async () => {
    const dataDir = tempDir();
    const running = await started({ dataDir });
    const port = Number(new URL(running.url).port);
    await expect(startLocalPlatform({ dataDir: tempDir(), port })).rejects.toThrow(/in use/);
    expect(readFileSync(path.join(dataDir, "flow-local.token"), "utf8").trim()).toBe(running.env.AUTH_TOKEN);
  });
});

describe("the expiry sweep", () => {
  it("runs on a real interval but deletes what has expired by the platform's clock", async () => {
    const db = openDatabase();
    const clock = new ManualClock(Date.now() + 24 * 3600 * 1000);
    const server = buildServer({ db, tokens: new TokenService(new Uint8Array(32).fill(8), undefined, clock), adminKey: "admin", clock, sweepIntervalMs: 20 });
    try {
      const insert = db.prepare("INSERT INTO state (org, ws, key, value, version, expires_at, updated_at) VALUES ('o', 'w', ?, '1', 1, ?, 1)");
      // The first has expired by the clock, a day ahead, but not by the wall clock; the second by neither.
      insert.run("expired", Date.now() + 3600 * 1000);
      insert.run("live", clock.now() + 1000);
      const keys = (): unknown[] => db.prepare("SELECT key FROM state ORDER BY key").pluck().all();
      for (const stop = Date.now() + 2000; keys().includes("expired") && Date.now() < stop; ) await sleep(20);
      expect(keys()).toEqual(["live"]);
    } finally {
      await server.close();
      db.close();
    }
  });

  it("reports a failure through reportError and keeps serving", async () => {
    const db = openDatabase();
    const tokens = new TokenService(new Uint8Array(32).fill(9));
    const reported: unknown[] = [];
    const server = buildServer({ db, tokens, adminKey: "admin", reportError: (error) => reported.push(error), sweepIntervalMs: 20 });
    try {
      const url = await listen(server);
      // An expired row for the sweep to delete, and a real SQLite failure when it does.
      db.prepare("INSERT INTO state (org, ws, key, value, version, expires_at, updated_at) VALUES ('o', 'w', 'k', '1', 1, 1, 1)").run();
      db.exec("CREATE TRIGGER fail_sweep BEFORE DELETE ON state BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END;");
      for (const stop = Date.now() + 2000; reported.length === 0 && Date.now() < stop; ) await sleep(20);
      expect(String(reported[0])).toContain("simulated disk failure");
      expect((await call(url, "/v1/health")).status).toBe(200);
    } finally {
      await server.close();
      db.close();
    }
  });
});
