// flow.serviceTokens: create (the secret shown once), list and get (never a secret), revoke, bad
// input refused before any request, and the new secret kept out of the creating instance's log
// lines, errors and inspect output.
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { TOKENS } from "../../src/container/tokens.js";
import { REDACTED } from "../../src/logging/redactor.js";
import {
  FlowAuthenticationError,
  FlowConflictError,
  FlowConnectionError,
  FlowNotFoundError,
  FlowValidationError,
  type CreatedServiceToken,
  type FlowLogger,
  type ServiceToken,
} from "../../src/index.js";
import { caught, expectCursorRefused, flowWithToken, sharedPlatform } from "../helpers/flows.js";

const { platform, flow, offline } = await sharedPlatform();

let counter = 0;
const uniqueName = (label: string): string => `${label}-${++counter}`;

/** A logger that keeps every line at every level, fields included, as text. */
function recordingLogger(): { logger: FlowLogger; lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string, fields?: Record<string, unknown>) => lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  return { lines, logger: { debug: record("debug"), info: record("info"), warn: record("warn"), error: record("error") } };
}

describe("serviceTokens: create, get, list, revoke", () => {
  it("create resolves to the record with its secret; get and list give the same record without one", async () => {
    const before = Date.now();
    const created = await flow.serviceTokens.create({ name: uniqueName("export"), scopes: ["state:read", "datasets:read"], expiresInSeconds: 3600 });
    expect(created).toEqual({
      id: expect.stringMatching(/^stk_[0-9a-f]{24}$/),
      name: created.name,
      scopes: ["state:read", "datasets:read"],
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
      lastUsedAt: null,
      revokedAt: null,
      createdBy: "local-user",
      token: expect.stringMatching(/^fst_/),
    });
    expect(Date.parse(created.expiresAt!) - Date.parse(created.createdAt)).toBe(3_600_000);
    expect(Date.parse(created.createdAt)).toBeGreaterThanOrEqual(before - 1000);

    const { token, ...record } = created;
    const got = await flow.serviceTokens.get(created.id);
    expect(got).toEqual(record);
    expect(Object.keys(got)).not.toContain("token");
    expect(JSON.stringify(got)).not.toContain(token);
    const listed = (await flow.serviceTokens.list()).data.find((t) => t.id === created.id);
    expect(listed).toEqual(record);
    expect(JSON.stringify((await flow.serviceTokens.list()).data)).not.toContain(token);
  });

  it("the created record is a plain object: JSON shows its token, the one time it can be kept", async () => {
    const created = await flow.serviceTokens.create({ name: uniqueName("plain"), scopes: ["state:read"] });
    expect(Object.getPrototypeOf(created)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(created))).toMatchObject({ id: created.id, token: created.token });
  });

  it("without expiresInSeconds a token never expires; duplicate scopes are kept once", async () => {
    const created = await flow.serviceTokens.create({ name: uniqueName("forever"), scopes: ["state:read", "state:read", "audit:read"] });
    expect(created.expiresAt).toBeNull();
    expect(created.scopes).toEqual(["state:read", "audit:read"]);
    expect((await flowWithToken(platform, created.token).auth.whoami()).expiresAt).toBeNull();
  });

  it("list is newest first, revoked tokens included, and pages with limit and for await", async () => {
    const names = [uniqueName("page"), uniqueName("page"), uniqueName("page")];
    const ids: string[] = [];
    for (const name of names) ids.push((await flow.serviceTokens.create({ name, scopes: ["state:read"] })).id);
    await flow.serviceTokens.revoke(ids[1]!);
    const first = await flow.serviceTokens.list({ limit: 2 });
    expect(first.data.map((t) => t.id)).toEqual([ids[2], ids[1]]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const all: ServiceToken[] = [];
    for await (const token of flow.serviceTokens.list({ limit: 1 })) all.push(token);
    const mine = all.filter((t) => ids.includes(t.id));
    expect(mine.map((t) => t.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect(mine.map((t) => t.revokedAt === null)).toEqual([true, false, true]);
    expect(new Set(all.map((t) => t.id)).size).toBe(all.length);
  });

  it("a cursor of another list is refused on cursor", async () => {
    await flow.conversations.create();
    await flow.conversations.create();
    const { nextCursor } = await flow.conversations.list({ limit: 1 });
    expectCursorRefused(await caught(() => flow.serviceTokens.list({ cursor: nextCursor! })));
  });

  it("revoke resolves to the record with revokedAt; revoking again keeps the first revokedAt; the token is refused at once", async () => {
    const created = await flow.serviceTokens.create({ name: uniqueName("revoke"), scopes: ["state:read"] });
    const user = flowWithToken(platform, created.token);
    await user.state.get("k");
    const revoked = await flow.serviceTokens.revoke(created.id);
    expect(revoked).toMatchObject({ id: created.id, revokedAt: expect.any(String) });
    expect(revoked).not.toHaveProperty("token");
    expect(revoked.lastUsedAt).toEqual(expect.any(String));
    expect(await flow.serviceTokens.revoke(created.id)).toEqual(revoked);
    expect(await flow.serviceTokens.get(created.id)).toEqual(revoked);
    const error = await caught(() => user.state.get("k"));
    expect(error).toBeInstanceOf(FlowAuthenticationError);
    expect(error).toMatchObject({ status: 401, code: "invalid_token" });
  });

  it("a revoked service token stays revoked beside AUTH_TOKEN_FILE: it is never refreshed into the file's token", async () => {
    const created = await flow.serviceTokens.create({ name: uniqueName("beside-file"), scopes: ["state:read"] });
    // A process the platform starts gets AUTH_TOKEN_FILE (a full-scope token); the service token given to act as must win, also after a 401.
    const user = platform.createFlow({ authToken: created.token, env: { AUTH_TOKEN: undefined, AUTH_TOKEN_FILE: platform.env.AUTH_TOKEN_FILE } });
    expect((await user.auth.whoami()).subject).toBe(`serviceToken:${created.id}`);
    await flow.serviceTokens.revoke(created.id);
    const error = await caught(() => user.auth.whoami());
    expect(error).toBeInstanceOf(FlowAuthenticationError);
    expect(error).toMatchObject({ status: 401, code: "invalid_token" });
  });

  it("get and revoke of an unknown id are FlowNotFoundError naming it", async () => {
    for (const call of [() => flow.serviceTokens.get("stk_ffffffffffffffffffffffff"), () => flow.serviceTokens.revoke("stk_ffffffffffffffffffffffff")]) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(FlowNotFoundError);
      expect(error).toMatchObject({ status: 404, code: "not_found" });
      expect((error as Error).message).toContain("stk_ffffffffffffffffffffffff");
    }
  });

  it("an opaque service token works as the SDK's only token: no refresh source, no expiry read from it", async () => {
    const created = await flow.serviceTokens.create({ name: uniqueName("opaque"), scopes: ["state:read", "state:write"], expiresInSeconds: 120 });
    const user = flowWithToken(platform, created.token);
    await user.state.set("opaque-k", 1);
    expect(await user.state.get("opaque-k")).toBe(1);
    expect(await user.auth.hasScope("state:write")).toBe(true);
    expect(await user.auth.hasScope("state:delete")).toBe(false);
  });
});

describe("serviceTokens: bad input is a FlowValidationError before any request", () => {
  const tooMany = Array.from({ length: 101 }, (_, i) => `area${i}:read`);
  it.each<[string, unknown, string]>([
    ["no name", { scopes: ["state:read"] }, "name"],
    ["an empty name", { name: "", scopes: ["state:read"] }, "name"],
    ["a name of 201 characters", { name: "n".repeat(201), scopes: ["state:read"] }, "name"],
    ["a name with a control character", { name: "a\nb", scopes: ["state:read"] }, "name"],
    ["a name with a lone surrogate", { name: "a\uD800", scopes: ["state:read"] }, "name"],
    ["a name that is a number", { name: 7, scopes: ["state:read"] }, "name"],
    ["no scopes", { name: "n" }, "scopes"],
    ["empty scopes", { name: "n", scopes: [] }, "scopes"],
    ["scopes as a string", { name: "n", scopes: "state:read" }, "scopes"],
    ["101 scopes", { name: "n", scopes: tooMany }, "scopes"],
    ["a scope without an action", { name: "n", scopes: ["state"] }, "scopes"],
    ["a scope with an empty action", { name: "n", scopes: ["state:"] }, "scopes"],
    ["a scope with a space", { name: "n", scopes: ["state: read"] }, "scopes"],
    ["a scope of two colons", { name: "n", scopes: ["state:read:all"] }, "scopes"],
    ["a scope that is not a string", { name: "n", scopes: ["state:read", 3] }, "scopes"],
    ["an area wildcard without an area", { name: "n", scopes: ["*:read"] }, "scopes"],
    ["expiresInSeconds 0", { name: "n", scopes: ["state:read"], expiresInSeconds: 0 }, "expiresInSeconds"],
    ["expiresInSeconds over a year", { name: "n", scopes: ["state:read"], expiresInSeconds: 31_536_001 }, "expiresInSeconds"],
    ["expiresInSeconds not whole", { name: "n", scopes: ["state:read"], expiresInSeconds: 1.5 }, "expiresInSeconds"],
    ["expiresInSeconds as a string", { name: "n", scopes: ["state:read"], expiresInSeconds: "60" }, "expiresInSeconds"],
    ["the old expiresIn spelling", { name: "n", scopes: ["state:read"], expiresIn: 60 }, "expiresIn"],
    ["an unknown property", { name: "n", scopes: ["state:read"], owner: "me" }, "owner"],
    ["null parameters", null, ""],
    ["an array of parameters", [], ""],
  ])("create with %s", async (_label, params, path) => {
    const error = await caught(() => offline.serviceTokens.create(params as never));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((issue) => issue.path)).toContain(path);
  });

  it("create accepts the bounds: a 200-character name, 100 scopes, 1 and 31536000 seconds (it fails only on the network)", async () => {
    const scopes = Array.from({ length: 100 }, (_, i) => `area${i}:read`);
    for (const params of [
      { name: "n".repeat(200), scopes, expiresInSeconds: 1 },
      { name: "nightly export ✓", scopes: ["*"], expiresInSeconds: 31_536_000 },
      { name: "n", scopes: ["state:*", "codeBlocks:write", "gateway:invoke", "services:call"] },
    ]) {
      expect(await caught(() => offline.serviceTokens.create(params))).toBeInstanceOf(FlowConnectionError);
    }
  });

  it.each<[string, unknown]>([
    ["an empty id", ""],
    ["a number", 42],
    ["undefined", undefined],
    ["a dot segment", ".."],
    ["a control character", "stk_\u0001"],
    ["the token's secret instead of its id", "fst_stk_0123456789abcdef01234567_c2VjcmV0c2VjcmV0c2VjcmV0"],
  ])("get and revoke of %s", async (_label, id) => {
    for (const call of [() => offline.serviceTokens.get(id as string), () => offline.serviceTokens.revoke(id as string)]) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(FlowValidationError);
      expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["id"]);
      if (typeof id === "string" && id.startsWith("fst_")) expect((error as Error).message).not.toContain(id);
    }
  });

  it.each<[string, unknown, string]>([
    ["limit 0", { limit: 0 }, "limit"],
    ["limit 1001", { limit: 1001 }, "limit"],
    ["an empty cursor", { cursor: "" }, "cursor"],
    ["an unknown property", { includeRevoked: true }, "includeRevoked"],
    ["null parameters", null, ""],
  ])("list with %s", async (_label, params, path) => {
    const error = await caught(() => offline.serviceTokens.list(params as never));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((issue) => issue.path)).toContain(path);
  });

  it("the platform refuses the same bad input with 400 validation_error (what another client might send)", async () => {
    const post = (body: unknown) =>
      fetch(`${platform.url}/v1/orgs/org_local/workspaces/ws_local/service-tokens`, { method: "POST", headers: { authorization: `Bearer ${platform.env.AUTH_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    for (const [body, path] of [
      [{ name: "n", scopes: [] }, "scopes"],
      [{ name: "", scopes: ["state:read"] }, "name"],
      [{ name: "n", scopes: ["state:read"], expiresInSeconds: 0 }, "expiresInSeconds"],
    ] as const) {
      const response = await post(body);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: "validation_error", details: { issues: [{ path }] } } });
    }
  });
});

describe("serviceTokens: the secret never leaks from the creating instance", () => {
  it("a canary token is absent from every log line, error and inspect output of the instance that created it, and redacted where it would have been", async () => {
    const { logger, lines } = recordingLogger();
    const watched = platform.createFlow({ logger });
    const redactor = watched.container.resolve(TOKENS.Redactor);
    const knownBefore = JSON.stringify(redactor);
    const canary: CreatedServiceToken = await watched.serviceTokens.create({ name: uniqueName("canary"), scopes: ["state:read"] });
    const secret = canary.token;
    // The instance's own redactor learnt it (pinned, with its encoded forms) the moment it arrived.
    expect(JSON.stringify(redactor)).not.toBe(knownBefore);
    expect(redactor.text(`token=${secret}.`)).toBe(`token=${REDACTED}.`);

    const errors: unknown[] = [];
    // A key that holds the secret: logged in the request's URL at debug, quoted by the platform's 409.
    const key = `leak ${secret}`;
    await watched.state.set(key, "not a number");
    errors.push(await caught(() => watched.state.increment(key)));
    expect(errors[0]).toBeInstanceOf(FlowConflictError);
    // A 404 for a route and a resource whose paths hold it.
    errors.push(await caught(() => watched.gateway.request({ method: "GET", path: `/v1/no-such-route/${secret}` })));
    errors.push(await caught(() => watched.conversations.get(secret)));
    // The secret given where the id belongs: refused before any request.
    errors.push(await caught(() => watched.serviceTokens.get(secret)));

    const texts = [
      ...lines,
      ...errors.flatMap((error) => [String(error), (error as Error).stack ?? "", JSON.stringify(error), inspect(error, { depth: 10, showHidden: true }), inspect((error as Error).cause, { depth: 10 })]),
      inspect(watched, { depth: 10, showHidden: true }),
      inspect(watched.serviceTokens, { depth: 10, showHidden: true }),
      JSON.stringify(watched.serviceTokens),
      inspect(watched.container, { depth: 10 }),
      inspect(redactor, { depth: 10, showHidden: true }),
      JSON.stringify(watched.config),
    ];
    // The test can fail: the canary was there to be removed.
    expect(lines.some((line) => line.startsWith("debug request") && line.includes(REDACTED))).toBe(true);
    expect(String(errors[0])).toContain(REDACTED);
    expect(String(errors[2])).toContain(REDACTED);
    expect(texts.join("\n")).not.toContain(secret);
    expect(texts.join("\n")).not.toContain(secret.slice(-43));
  });
});
