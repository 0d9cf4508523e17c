// Service tokens on the local platform: stored as a hash only, checked on every request (revoked
// and expired at the very next call), usable by another process as AUTH_TOKEN, never granting
// more than their creator holds, kept to their workspace, and scopes enforced on every route.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { fastify } from "fastify";
import { afterAll, describe, expect, it } from "vitest";
import { authenticate, authorizeWorkspace } from "../../local/auth.js";
import { Compute } from "../../local/compute/compute.js";
import { DB_FILE, openDatabase } from "../../local/db.js";
import { errorHandler } from "../../local/errors.js";
import { Gateway } from "../../local/gateway/gateway.js";
import { emptyManifest } from "../../local/manifest.js";
import { buildServer, WORKSPACE_PREFIX } from "../../local/server.js";
import { SecretsStore } from "../../local/store/secrets.js";
import { ServiceTokensStore } from "../../local/store/service-tokens.js";
import { ManualClock, startTestPlatform } from "../../local/testing.js";
import { TokenService } from "../../local/tokens.js";
import { scopeCovers } from "../../src/dto/scopes.js";
import { FlowAuthenticationError, FlowNotFoundError, FlowPermissionError, type CreatedServiceToken } from "../../src/index.js";
import { caught, flowWithToken } from "../helpers/flows.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(path.join(ROOT, "package.json")).resolve("tsx")).href;
const CHILD = path.join(ROOT, "test/fixtures/service-tokens/child.mjs");
const ADMIN = { subject: "admin-user", orgId: "org_local", workspaceId: "ws_local", scopes: ["*"], expiresAt: null };
const HOME = { orgId: "org_local", workspaceId: "ws_local" };

// One platform on a data dir (so the test can read its database file), moved in time by hand.
const clock = new ManualClock();
const dataDir = mkdtempSync(path.join(os.tmpdir(), "flow-service-tokens-"));
const platform = await startTestPlatform({ clock, dataDir, manifest: { codeBlocks: { whoami: "test/fixtures/service-tokens/whoami.mjs" } } });
afterAll(async () => {
  await platform.close();
  rmSync(dataDir, { recursive: true, force: true });
});
const flow = platform.createFlow();

let counter = 0;
const uniqueName = (label: string): string => `${label}-${++counter}`;

/** Every text in every row of every table of the platform's database file. */
function databaseTexts(): string[] {
  const db = new Database(path.join(dataDir, DB_FILE), { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
    const texts: string[] = [];
    for (const { name } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Array<Record<string, unknown>>) {
        for (const value of Object.values(row)) {
          if (typeof value === "string") texts.push(value);
          else if (Buffer.isBuffer(value)) texts.push(value.toString("latin1"));
        }
      }
    }
    return texts;
  } finally {
    db.close();
  }
}

/** Runs test/fixtures/service-tokens/child.mjs with the platform's environment and `token` as AUTH_TOKEN; resolves to its exit code and output. */
function runChild(token: string, key: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...platform.env, AUTH_TOKEN: token, TSX_TSCONFIG_PATH: path.join(ROOT, "tsconfig.json") };
  delete env.AUTH_TOKEN_FILE; // only the service token: no file to fall back on after a 401
  const child = spawn(process.execPath, ["--import", TSX_LOADER, CHILD, key], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("service tokens: what the platform keeps", () => {
  it("keeps only the SHA-256 of a token: the secret is in no row of any table, the idempotency store included", async () => {
    const created = await flow.serviceTokens.create({ name: uniqueName("hashed"), scopes: ["state:read"] }, { idempotencyKey: uniqueName("key") });
    expect(created.token).toMatch(/^fst_stk_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$/);
    expect(created.token.startsWith(`fst_${created.id}_`)).toBe(true);
    // Used once, so that a request with it has gone through every layer that could write it down.
    await flowWithToken(platform, created.token).state.get("anything");
    const secret = created.token.slice(`fst_${created.id}_`.length);
    const texts = databaseTexts();
    expect(texts.filter((text) => text.includes(secret))).toEqual([]);
    expect(texts).toContain(createHash("sha256").update(created.token).digest("hex"));
  });

  it("a create is not replayed by its Idempotency-Key (the answer holds the secret): a repeat makes a second token", async () => {
    const key = uniqueName("repeat");
    const name = uniqueName("repeated");
    const first = await flow.serviceTokens.create({ name, scopes: ["state:read"] }, { idempotencyKey: key });
    const second = await flow.serviceTokens.create({ name, scopes: ["state:read"] }, { idempotencyKey: key });
    expect(second.id).not.toBe(first.id);
    expect(second.token).not.toBe(first.token);
  });
});

describe("service tokens: authentication on every request", () => {
  it("authenticates as serviceToken:<id> in its workspace with exactly its scopes, and records its last use by the platform's clock", async () => {
    const created = await flow.serviceTokens.create({ name: uniqueName("who"), scopes: ["state:read", "state:write"], expiresInSeconds: 600 });
    expect(created.lastUsedAt).toBeNull();
    const user = flowWithToken(platform, created.token);
    expect(await user.auth.whoami()).toEqual({
      subject: `serviceToken:${created.id}`,
      orgId: "org_local",
      workspaceId: "ws_local",
      scopes: ["state:read", "state:write"],
      expiresAt: created.expiresAt,
    });
    clock.advance(5_000);
    await user.state.set(uniqueName("k"), 1);
    expect((await flow.serviceTokens.get(created.id)).lastUsedAt).toBe(new Date(clock.now()).toISOString());
  });

  it("a revoked token fails its very next call with 401 invalid_token, and the platform's message holds no secret", async () => {
    const created = await flow.serviceTokens.create({ name: uniqueName("revoked"), scopes: ["state:read"] });
    const user = flowWithToken(platform, created.token);
    await user.state.get("k");
    await flow.serviceTokens.revoke(created.id);
    const error = await caught(() => user.state.get("k"));
    expect(error).toBeInstanceOf(FlowAuthenticationError);
    expect(error).toMatchObject({ status: 401, code: "invalid_token" });
    // The raw answer, before any SDK redaction.
    const response = await fetch(`${platform.url}/v1/auth/whoami`, { headers: { authorization: `Bearer ${created.token}` } });
    const text = await response.text();
    expect(response.status).toBe(401);
    expect(JSON.parse(text)).toMatchObject({ error: { code: "invalid_token" } });
    expect(text).toContain(created.id);
    expect(text).not.toContain(created.token.slice(-43));
  });

  it("an expired token fails with 401 token_expired once the platform's clock passes expiresAt (not a second before)", async () => {
    const created = await flow.serviceTokens.create({ name: uniqueName("expiring"), scopes: ["state:read"], expiresInSeconds: 60 });
    expect(created.expiresAt).toBe(new Date(clock.now() + 60_000).toISOString());
    const user = flowWithToken(platform, created.token);
    clock.advance(59_999);
    await user.state.get("k");
    clock.advance(1);
    const error = await caught(() => user.state.get("k"));
    expect(error).toBeInstanceOf(FlowAuthenticationError);
    expect(error).toMatchObject({ status: 401, code: "token_expired" });
    expect((error as Error).message).toContain(created.id);
  });

  it("an unknown or mangled fst_ token is 401 invalid_token", async () => {
    const created = await flow.serviceTokens.create({ name: uniqueName("mangled"), scopes: ["state:read"] });
    for (const token of [`${created.token}x`, created.token.slice(0, -1), "fst_stk_000000000000000000000000_nothing"]) {
      const error = await caught(() => flowWithToken(platform, token).auth.whoami());
      expect(error).toMatchObject({ status: 401, code: "invalid_token" });
    }
  });

  it("work a token starts (a code block it invokes) acts as that token with its scopes, and stops being accepted once it is revoked", async () => {
    const created = await flow.serviceTokens.create({ name: uniqueName("invoker"), scopes: ["codeBlocks:read", "codeBlocks:write"] });
    const run = await flowWithToken(platform, created.token).codeBlocks.invoke("whoami", {});
    expect(run.status).toBe("succeeded");
    expect(run.output).toMatchObject({ subject: `serviceToken:${created.id}`, scopes: ["codeBlocks:read", "codeBlocks:write"] });
    // A token the platform signs on its behalf, like that execution's, dies with it.
    const derived = await platform.mintToken({ subject: `serviceToken:${created.id}`, scopes: ["codeBlocks:read"] });
    await flowWithToken(platform, derived).codeBlocks.list();
    await flow.serviceTokens.revoke(created.id);
    expect(await caught(() => flowWithToken(platform, derived).codeBlocks.list())).toMatchObject({ status: 401, code: "invalid_token" });
  });
});

describe("service tokens: used by another process as AUTH_TOKEN", () => {
  it("a child process reads with a read-only token, is refused a write, and after revoke is refused at its first call; the secret is in none of its output", { timeout: 60_000 }, async () => {
    const key = uniqueName("shared");
    await flow.state.set(key, { report: 42 });
    const created = await flow.serviceTokens.create({ name: uniqueName("child"), scopes: ["state:read"] });

    const before = await runChild(created.token, key);
    expect(before.code, before.stderr).toBe(0);
    expect(JSON.parse(before.stdout)).toEqual({
      subject: `serviceToken:${created.id}`,
      scopes: ["state:read"],
      workspaceId: "ws_local",
      value: { report: 42 },
      write: "FlowPermissionError 403 missing_scope",
    });
    expect(await flow.state.get(key)).toEqual({ report: 42 });

    await flow.serviceTokens.revoke(created.id);
    const after = await runChild(created.token, key);
    expect(after.code).toBe(1);
    expect(JSON.parse(after.stdout)).toMatchObject({ error: "FlowAuthenticationError 401 invalid_token" });
    for (const output of [before.stdout, before.stderr, after.stdout, after.stderr]) expect(output).not.toContain(created.token);
  });
});

describe("service tokens: never more than the creator holds", () => {
  /** A FlowSDK whose token holds exactly `scopes`. */
  async function creatorWith(scopes: string[]) {
    return flowWithToken(platform, await platform.mintToken({ scopes }));
  }

  it.each([
    [["state:read", "serviceTokens:write"], ["state:read"]],
    [["state:*", "serviceTokens:write"], ["state:read", "state:write", "state:*"]],
    [["*"], ["*"]],
    [["*"], ["gateway:invoke", "services:call"]],
  ])("a creator holding %j may create %j", async (held, asked) => {
    const creator = await creatorWith(held);
    const created = await creator.serviceTokens.create({ name: uniqueName("subset"), scopes: asked });
    expect(created.scopes).toEqual(asked);
    expect(created.createdBy).toBe("local-user");
  });

  it.each([
    [["state:read", "serviceTokens:write"], ["state:write"], ["state:write"]],
    [["state:read", "serviceTokens:write"], ["state:read", "state:*"], ["state:*"]],
    [["state:*", "serviceTokens:write"], ["*"], ["*"]],
    [["state:*", "serviceTokens:*"], ["audit:read", "state:read", "vector:write"], ["audit:read", "vector:write"]],
  ])("a creator holding %j is refused %j with 403 missing_scope naming %j", async (held, asked, lacking) => {
    const creator = await creatorWith(held);
    const error = await caught(() => creator.serviceTokens.create({ name: uniqueName("superset"), scopes: asked }));
    expect(error).toBeInstanceOf(FlowPermissionError);
    expect(error).toMatchObject({ status: 403, code: "missing_scope", details: { scopes: lacking } });
    for (const scope of lacking) expect((error as Error).message).toContain(scope);
  });

  it("a service token may create a token with a subset of its own scopes, not more, and the record says who created it", async () => {
    const parent = await flow.serviceTokens.create({ name: uniqueName("parent"), scopes: ["state:read", "serviceTokens:write"] });
    const asParent = flowWithToken(platform, parent.token);
    const child = await asParent.serviceTokens.create({ name: uniqueName("child"), scopes: ["state:read"] });
    expect(child.createdBy).toBe(`serviceToken:${parent.id}`);
    expect(await caught(() => asParent.serviceTokens.create({ name: uniqueName("escalate"), scopes: ["state:write"] }))).toMatchObject({ status: 403, code: "missing_scope" });
  });

  it("a token without serviceTokens:write cannot create one, and without serviceTokens:read cannot list them", async () => {
    const created = await flow.serviceTokens.create({ name: uniqueName("plain"), scopes: ["state:read"] });
    const user = flowWithToken(platform, created.token);
    expect(await caught(() => user.serviceTokens.create({ name: "x", scopes: ["state:read"] }))).toMatchObject({ status: 403, code: "missing_scope" });
    expect(await caught(() => user.serviceTokens.list())).toMatchObject({ status: 403, code: "missing_scope" });
    expect(await caught(() => user.serviceTokens.revoke(created.id))).toMatchObject({ status: 403, code: "missing_scope" });
  });
});

describe("service tokens: a state:read token is refused everything else, through the SDK", () => {
  it.each<[string, string, (f: ReturnType<typeof flowWithToken>) => unknown]>([
    ["state.set", "state:write", (f) => f.state.set("k", 1)],
    ["state.delete", "state:write", (f) => f.state.delete("k")],
    ["codeBlocks.list", "codeBlocks:read", (f) => f.codeBlocks.list()],
    ["codeBlocks.invoke", "codeBlocks:write", (f) => f.codeBlocks.invoke("whoami", {})],
    ["gateway.chat (POST /v1/chat/completions)", "gateway:invoke", (f) => f.gateway.chat({ model: "flow-local-chat", messages: [{ role: "user", content: "hi" }] })],
    ["gateway.embed", "gateway:invoke", (f) => f.gateway.embed({ model: "flow-local-hash-v2", input: "hi" })],
    ["secrets.list", "secrets:read", (f) => f.secrets.list()],
    ["audit.log", "audit:write", (f) => f.audit.log({ action: "a", resourceType: "r", resourceId: "i" })],
    ["conversations.create", "conversations:write", (f) => f.conversations.create()],
    ["jobs.list", "jobs:read", (f) => f.jobs.list()],
    ["serviceTokens.get", "serviceTokens:read", (f) => f.serviceTokens.get("stk_000000000000000000000000")],
  ])("%s: 403 missing_scope naming %s", async (_name, scope, call) => {
    const created = await flow.serviceTokens.create({ name: uniqueName("reader"), scopes: ["state:read"] });
    const error = await caught(() => call(flowWithToken(platform, created.token)));
    expect(error).toBeInstanceOf(FlowPermissionError);
    expect(error).toMatchObject({ status: 403, code: "missing_scope" });
    expect((error as Error).message).toContain(scope);
  });
});

describe("service tokens: tenant isolation", () => {
  it("a token of workspace A is 403 tenant_mismatch on B's routes; B's list never shows A's tokens, nor its get or revoke finds them", async () => {
    const created = await flow.serviceTokens.create({ name: uniqueName("of-a"), scopes: ["*"] });
    const aInB = flowWithToken(platform, created.token, "ws_other");
    for (const call of [() => aInB.state.get("k"), () => aInB.serviceTokens.list(), () => aInB.serviceTokens.create({ name: "x", scopes: ["state:read"] })]) {
      expect(await caught(call)).toMatchObject({ status: 403, code: "tenant_mismatch" });
    }
    const b = flowWithToken(platform, await platform.mintToken({ workspaceId: "ws_other" }), "ws_other");
    const ofB = await b.serviceTokens.create({ name: uniqueName("of-b"), scopes: ["state:read"] });
    const listedInB: string[] = [];
    for await (const token of b.serviceTokens.list()) listedInB.push(token.id);
    expect(listedInB).toEqual([ofB.id]);
    for (const call of [() => b.serviceTokens.get(created.id), () => b.serviceTokens.revoke(created.id)]) expect(await caught(call)).toBeInstanceOf(FlowNotFoundError);
    // A's token is untouched by B's attempt, and B's token is no key to A.
    expect((await flow.serviceTokens.get(created.id)).revokedAt).toBeNull();
    expect(await caught(() => flowWithToken(platform, ofB.token).state.get("k"))).toMatchObject({ status: 403, code: "tenant_mismatch" });
  });
});

describe("scopes on every route: a walk over the whole server", () => {
  // The full server (compute and gateway routes included), served in-process with inject.
  const db = openDatabase();
  const walkClock = new ManualClock();
  const tokens = TokenService.fromDatabase(db, 3600, walkClock);
  const store = new ServiceTokensStore(db, walkClock);
  const secrets = new SecretsStore(db);
  const report = (): void => {};
  const gateway = new Gateway({ manifest: () => compute.manifest, secrets });
  const compute: Compute = new Compute({ db, clock: walkClock, tokens, secrets, gateway, manifest: emptyManifest(), graceMs: 0, maxLogBytes: 1024, report });
  const app = buildServer({ db, tokens, adminKey: "admin", clock: walkClock, compute, gateway });
  const routes: Array<{ method: string; url: string; scope: unknown }> = [];
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) routes.push({ method, url: route.url, scope: (route.config as { scope?: unknown } | undefined)?.scope });
  });
  afterAll(async () => {
    await compute.close();
    await app.close();
    db.close();
  });

  // Routes outside the workspace prefix that need no scope: health, the admin mint, whoami and the echo (any valid token), signed storage URLs (the signature).
  const UNSCOPED = /^\/v1\/(health|_local\/tokens|auth\/whoami|_echo(\/\*)?|storage\/signed\/.*)$/;

  /** The route's URL with every parameter filled in, in org_local / ws_local. */
  const concrete = (url: string): string =>
    url
      .replace(/::/g, "\u0000") // an escaped, literal colon (`secrets::batchGet`)
      .replace(":orgId", "org_local")
      .replace(":workspaceId", "ws_local")
      .replace(/:[A-Za-z]+/g, "x")
      .replace(/\*$/, "x")
      .replace(/\u0000/g, ":");

  it("every route the server registers, but the few that need none, declares a scope; the workspace and gateway routes are all there", async () => {
    await app.ready();
    expect(routes.length).toBeGreaterThan(50);
    const unscoped = routes.filter((route) => typeof route.scope !== "string" && !UNSCOPED.test(route.url));
    expect(unscoped).toEqual([]);
    const urls = new Set(routes.map((route) => `${route.method} ${route.url}`));
    for (const expected of [
      `POST ${WORKSPACE_PREFIX}/service-tokens`,
      `GET ${WORKSPACE_PREFIX}/service-tokens`,
      `GET ${WORKSPACE_PREFIX}/service-tokens/:id`,
      `POST ${WORKSPACE_PREFIX}/service-tokens/:id/revoke`,
      `POST ${WORKSPACE_PREFIX}/code-blocks/:id/invoke`,
      `PUT ${WORKSPACE_PREFIX}/state/:key`,
      "POST /v1/chat/completions",
      "POST /v1/embeddings",
      "GET /v1/models",
    ]) {
      expect(urls, expected).toContain(expected);
    }
  });

  it("a state:read service token gets 403 missing_scope on every route whose scope it lacks, and passes the check on the rest", async () => {
    await app.ready();
    const { token } = store.create(HOME, { name: "reader", scopes: ["state:read"] }, ADMIN);
    const scoped = routes.filter((route) => typeof route.scope === "string");
    const refused: string[] = [];
    for (const route of scoped) {
      const response = await app.inject({ method: route.method as "GET", url: concrete(route.url), headers: { authorization: `Bearer ${token}` } });
      const where = `${route.method} ${route.url} (${String(route.scope)})`;
      if (scopeCovers(["state:read"], route.scope as string)) {
        expect([401, 403], where).not.toContain(response.statusCode);
      } else {
        expect(response.statusCode, where).toBe(403);
        if (route.method !== "HEAD") expect(response.json(), where).toMatchObject({ error: { code: "missing_scope" } });
        refused.push(where);
      }
    }
    expect(refused.length).toBeGreaterThan(40);
  });

  it("a service token of another workspace, even with every scope, gets 403 tenant_mismatch on every workspace route", async () => {
    await app.ready();
    const { token } = store.create({ orgId: "org_local", workspaceId: "ws_other" }, { name: "other", scopes: ["*"] }, { ...ADMIN, workspaceId: "ws_other" });
    const workspaceRoutes = routes.filter((route) => route.url.startsWith(WORKSPACE_PREFIX));
    expect(workspaceRoutes.length).toBeGreaterThan(40);
    for (const route of workspaceRoutes) {
      const response = await app.inject({ method: route.method as "GET", url: concrete(route.url), headers: { authorization: `Bearer ${token}` } });
      const where = `${route.method} ${route.url}`;
      expect(response.statusCode, where).toBe(403);
      if (route.method !== "HEAD") expect(response.json(), where).toMatchObject({ error: { code: "tenant_mismatch" } });
    }
  });

  it("a workspace route that forgot to declare its scope fails closed: 500, and its handler never runs", async () => {
    const { token } = store.create(HOME, { name: "everything", scopes: ["*"] }, ADMIN);
    const reported: unknown[] = [];
    const small = fastify();
    small.setErrorHandler(errorHandler((error) => reported.push(error)));
    small.addHook("onRequest", authenticate(tokens));
    let ran = false;
    await small.register(
      async (workspace) => {
        workspace.addHook("onRequest", authorizeWorkspace());
        workspace.get("/forgot", async () => {
          ran = true;
          return { ok: true };
        });
      },
      { prefix: WORKSPACE_PREFIX },
    );
    try {
      const response = await small.inject({ method: "GET", url: concrete(`${WORKSPACE_PREFIX}/forgot`), headers: { authorization: `Bearer ${token}` } });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toMatchObject({ error: { code: "internal" } });
      expect(ran).toBe(false);
      expect(String(reported[0])).toContain("declares no scope");
    } finally {
      await small.close();
    }
  });

  it("a TokenService without a service token store refuses fst_ tokens as invalid_token", async () => {
    const bare = new TokenService(new Uint8Array(32).fill(3));
    const { token } = store.create(HOME, { name: "bare", scopes: ["*"] }, ADMIN) satisfies CreatedServiceToken;
    await expect(bare.verify(token)).rejects.toMatchObject({ status: 401, code: "invalid_token" });
  });
});
