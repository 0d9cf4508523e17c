import { createReadStream, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../local/db.js";
import { seedSecrets } from "../../local/store/secrets.js";
import type { TestPlatform } from "../../local/testing.js";
import {
  FlowAbortError,
  FlowAuthenticationError,
  FlowClosedError,
  FlowConfigError,
  FlowConflictError,
  FlowError,
  FlowConnectionError,
  FlowNotFoundError,
  FlowPermissionError,
  FlowServerError,
  FlowValidationError,
  MAX_CACHED_SECRETS,
  type FlowLogger,
  type FlowSDK,
  type Secret,
} from "../../src/index.js";
import { REDACTED } from "../../src/logging/redactor.js";
import { caught, expectCursorRefused, flowWithToken, sharedPlatform } from "../helpers/flows.js";
import { useScriptedServers } from "../helpers/scripted-server.js";

// Two canaries: a plain one, and one whose JSON and URL forms differ from the raw value.
const CANARY = "sk_canary_7f3a9c21e4b8";
const QUOTED_CANARY = 'canary "quoted" value/with spaces+';

const SEEDED: Record<string, string> = {
  API_KEY: "api-key-value-1",
  DB_USER: "db-user-value",
  DB_PASSWORD: "db-password-value",
  "service.token-2": "dotted-name-value",
  CANARY_SECRET: CANARY,
  QUOTED_CANARY: QUOTED_CANARY,
};

// A data dir rather than memory, so a test can change a value under the running platform.
const dataDir = mkdtempSync(path.join(os.tmpdir(), "flow-secrets-test-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true })); // runs after the platform's close (hooks unwind as a stack)
const { platform, flow, offline } = await sharedPlatform({ dataDir, secrets: SEEDED });
const scripted = useScriptedServers();

/** Changes secret values while the platform runs, through a second connection to its database. */
function reseed(values: Record<string, string>): void {
  const db = openDatabase(dataDir);
  try {
    seedSecrets(db, { orgId: "org_local", workspaceId: "ws_local" }, values);
  } finally {
    db.close();
  }
}

/** A logger that keeps every line at every level, fields included, as text. */
function recordingLogger(): { logger: FlowLogger; lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string, fields?: Record<string, unknown>) => lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  return { lines, logger: { debug: record("debug"), info: record("info"), warn: record("warn"), error: record("error") } };
}

/** A flow whose requests are counted: the HTTP layer logs one debug line per request sent. */
function countingFlow(options: Parameters<TestPlatform["createFlow"]>[0] = {}): { flow: FlowSDK; requests: (route: string) => number } {
  const { logger, lines } = recordingLogger();
  const counted = platform.createFlow({ ...options, logger });
  return { flow: counted, requests: (route) => lines.filter((line) => line.startsWith("debug request") && line.includes(route)).length };
}

let counter = 0;
const uniqueName = (label: string): string => `${label}_${++counter}_${Date.now().toString(36)}`;

describe("secrets: reading", () => {
  it("get resolves to the seeded value", async () => {
    expect(await flow.secrets.get("API_KEY")).toBe("api-key-value-1");
    expect(await flow.secrets.get("service.token-2")).toBe("dotted-name-value");
  });

  it("getMany resolves to every value keyed by name, in the order asked, reading duplicates once", async () => {
    const values = await flow.secrets.getMany(["DB_PASSWORD", "DB_USER", "DB_PASSWORD"]);
    expect(values).toEqual({ DB_PASSWORD: "db-password-value", DB_USER: "db-user-value" });
    expect(Object.keys(values)).toEqual(["DB_PASSWORD", "DB_USER"]);
    expect(await flow.secrets.getMany([])).toEqual({});
  });

  it("getMany's result is typed by the names given (checked by tsc)", async () => {
    const typed = await flow.secrets.getMany(["DB_USER", "DB_PASSWORD"]);
    const user: string = typed.DB_USER; // not `string | undefined`
    // @ts-expect-error API_KEY was not asked for
    expect(typed.API_KEY).toBeUndefined();
    expect(user).toBe("db-user-value");
  });

  it("getMany makes one request for all the names the cache does not hold", async () => {
    const { flow: counted, requests } = countingFlow();
    await counted.secrets.get("DB_USER");
    const values = await counted.secrets.getMany(["API_KEY", "DB_USER", "DB_PASSWORD"]);
    expect(values).toEqual({ API_KEY: "api-key-value-1", DB_USER: "db-user-value", DB_PASSWORD: "db-password-value" });
    expect(requests("secrets:batchGet")).toBe(1);
    expect(requests("/secrets/")).toBe(1);
    // Everything is cached now: no request at all.
    await counted.secrets.getMany(["API_KEY", "DB_PASSWORD"]);
    expect(requests("secrets:batchGet")).toBe(1);
  });

  it("a missing secret is FlowNotFoundError naming it", async () => {
    const error = await caught(() => flow.secrets.get("NO_SUCH_SECRET"));
    expect(error).toBeInstanceOf(FlowNotFoundError);
    expect(error).toMatchObject({ status: 404, code: "not_found" });
    expect((error as Error).message).toContain('"NO_SUCH_SECRET"');
  });

  it("getMany with missing names is FlowNotFoundError naming every missing one, and nothing is returned", async () => {
    const error = await caught(() => flow.secrets.getMany(["API_KEY", "MISSING_ONE", "MISSING_TWO"]));
    expect(error).toBeInstanceOf(FlowNotFoundError);
    expect((error as Error).message).toContain('"MISSING_ONE"');
    expect((error as Error).message).toContain('"MISSING_TWO"');
    expect((error as Error).message).not.toContain('"API_KEY"');
    expect(error).toMatchObject({ details: { missing: ["MISSING_ONE", "MISSING_TWO"] } });
  });
});

describe("secrets.list", () => {
  it("lists names and dates in name order, never values", async () => {
    const secrets: Secret[] = [];
    for await (const secret of flow.secrets.list()) secrets.push(secret);
    expect(secrets.map((s) => s.name)).toEqual(Object.keys(SEEDED).sort());
    for (const secret of secrets) {
      expect(Object.keys(secret).sort()).toEqual(["createdAt", "name", "updatedAt"]);
      expect(Number.isNaN(Date.parse(secret.createdAt))).toBe(false);
    }
    const text = JSON.stringify(secrets);
    for (const value of Object.values(SEEDED)) expect(text).not.toContain(value);
  });

  it("filters by prefix and pages with limit and cursor", async () => {
    const prefixed = await flow.secrets.list({ prefix: "DB_" });
    expect(prefixed.data.map((s) => s.name)).toEqual(["DB_PASSWORD", "DB_USER"]);

    const first = await flow.secrets.list({ limit: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const sizes: number[] = [];
    for await (const page of first.pages()) sizes.push(page.data.length);
    expect(sizes).toEqual([2, 2, 2]);

    const elsewhere = await caught(() => flow.secrets.list({ prefix: "DB_", cursor: first.nextCursor! }));
    expectCursorRefused(elsewhere); // a cursor belongs to its prefix
  });

  it("hands on only name and dates, even from a platform that answers with more", async () => {
    const date = "2026-01-01T00:00:00.000Z";
    const server = await scripted({ status: 200, body: { data: [{ name: "LEAKY", value: CANARY, createdAt: date, updatedAt: date, secretValue: CANARY }], nextCursor: null } });
    const listed = await platform.createFlow({ platformUrl: server.url }).secrets.list();
    expect(listed.data).toEqual([{ name: "LEAKY", createdAt: date, updatedAt: date }]);
  });

  it("moves updatedAt, not createdAt, when a value changes", async () => {
    const name = uniqueName("ROTATED");
    reseed({ [name]: "first-value" });
    const [before] = (await flow.secrets.list({ prefix: name })).data;
    await new Promise((resolve) => setTimeout(resolve, 5));
    reseed({ [name]: "second-value" });
    const [after] = (await flow.secrets.list({ prefix: name })).data;
    expect(after?.createdAt).toBe(before?.createdAt);
    expect(Date.parse(after?.updatedAt ?? "")).toBeGreaterThan(Date.parse(before?.updatedAt ?? ""));
  });
});

describe("secrets cache", () => {
  it("a second get within the TTL is answered from memory; fresh reads the new value and caches it", async () => {
    const name = uniqueName("CACHED");
    reseed({ [name]: "old-value" });
    const { flow: counted, requests } = countingFlow();
    expect(await counted.secrets.get(name)).toBe("old-value");
    reseed({ [name]: "new-value" });
    expect(await counted.secrets.get(name)).toBe("old-value");
    expect(requests(`/secrets/${name}`)).toBe(1);
    expect(await counted.secrets.get(name, { fresh: true })).toBe("new-value");
    expect(await counted.secrets.get(name)).toBe("new-value");
    expect(requests(`/secrets/${name}`)).toBe(2);
    expect(await counted.secrets.getMany([name], { fresh: true })).toEqual({ [name]: "new-value" });
    expect(requests("secrets:batchGet")).toBe(1);
  });

  it("concurrent gets of one name share one request", async () => {
    const { flow: counted, requests } = countingFlow();
    const values = await Promise.all(Array.from({ length: 20 }, () => counted.secrets.get("API_KEY")));
    expect(new Set(values)).toEqual(new Set(["api-key-value-1"]));
    expect(requests("/secrets/API_KEY")).toBe(1);
  });

  it("one caller's abort ends only its own wait on a shared read", async () => {
    const { flow: counted, requests } = countingFlow();
    const controller = new AbortController();
    const aborted = counted.secrets.get("DB_USER", {}, { signal: controller.signal });
    const other = counted.secrets.get("DB_USER");
    controller.abort();
    expect(await caught(() => aborted)).toBeInstanceOf(FlowAbortError);
    expect(await other).toBe("db-user-value");
    expect(requests("/secrets/DB_USER")).toBe(1);
    // A signal aborted before the call starts no read at all, and gets no cached value either.
    expect(await caught(() => counted.secrets.get("API_KEY", {}, { signal: AbortSignal.abort() }))).toBeInstanceOf(FlowAbortError);
    expect(requests("/secrets/API_KEY")).toBe(0);
    expect(await caught(() => counted.secrets.get("DB_USER", {}, { signal: AbortSignal.abort() }))).toBeInstanceOf(FlowAbortError);
    expect(await caught(() => counted.secrets.getMany(["DB_USER"], {}, { signal: AbortSignal.abort() }))).toBeInstanceOf(FlowAbortError);
  });

  it("a value is read again once the TTL has passed, and every time with secretsCacheTtlMs 0", async () => {
    const short = countingFlow({ secretsCacheTtlMs: 1 });
    await short.flow.secrets.get("API_KEY");
    await new Promise((resolve) => setTimeout(resolve, 10));
    await short.flow.secrets.get("API_KEY");
    expect(short.requests("/secrets/API_KEY")).toBe(2);

    const none = countingFlow({ secretsCacheTtlMs: 0 });
    await none.flow.secrets.get("API_KEY");
    await none.flow.secrets.get("API_KEY");
    expect(none.requests("/secrets/API_KEY")).toBe(2);
  });

  it("a read that started before a fresh one never puts its older value in the cache", async () => {
    const server = await scripted(
      { status: 200, body: { name: "RACED", value: "old-value" }, delayMs: 100 },
      { status: 200, body: { name: "RACED", value: "new-value" } },
    );
    const raced = platform.createFlow({ platformUrl: server.url });
    const slow = raced.secrets.get("RACED");
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(await raced.secrets.get("RACED", { fresh: true })).toBe("new-value");
    expect(await slow).toBe("old-value"); // what its own request read
    expect(await raced.secrets.get("RACED")).toBe("new-value");
    expect(await raced.secrets.getMany(["RACED"])).toEqual({ RACED: "new-value" });
    expect(server.requests).toHaveLength(2);
  });

  it(`holds at most ${MAX_CACHED_SECRETS} values, dropping the least recently stored`, async () => {
    const names = Array.from({ length: MAX_CACHED_SECRETS + 5 }, (_, i) => `BOUND_${String(i).padStart(4, "0")}`);
    reseed(Object.fromEntries(names.map((name) => [name, `bound-value-${name}`])));
    const { flow: counted, requests } = countingFlow();
    for (let i = 0; i < names.length; i += 100) await counted.secrets.getMany(names.slice(i, i + 100));
    expect(inspect(counted.secrets)).toContain(`cached: ${MAX_CACHED_SECRETS},`);
    const batches = requests("secrets:batchGet");
    expect(await counted.secrets.getMany(names.slice(-100))).toHaveProperty(names.at(-1) ?? "", `bound-value-${names.at(-1)}`);
    expect(requests("secrets:batchGet")).toBe(batches); // the newest 1000 were all cached
    expect(await counted.secrets.get(names[0] ?? "")).toBe(`bound-value-${names[0]}`);
    expect(requests(`/secrets/${names[0]}`)).toBe(1); // the oldest was dropped
  });

  it("close() empties the cache: a closed instance never answers from it", async () => {
    const closing = platform.createFlow();
    await closing.secrets.get("API_KEY");
    expect(inspect(closing.secrets)).toContain("cached: 1");
    await closing.close();
    expect(inspect(closing.secrets)).toContain("cached: 0");
    expect(await caught(() => closing.secrets.get("API_KEY"))).toBeInstanceOf(FlowClosedError);
  });

  it("secretsCacheTtlMs is validated by create()", () => {
    expect(() => platform.createFlow({ secretsCacheTtlMs: -1 })).toThrow(FlowConfigError);
    expect(() => platform.createFlow({ secretsCacheTtlMs: 3_600_001 })).toThrow(/secretsCacheTtlMs/);
    expect(platform.createFlow().config.secretsCacheTtlMs).toBe(60_000);
  });
});

describe("secret values never leak", () => {
  it("a canary read is absent from every log line, error and inspect output, and redacted where it would have been", async () => {
    const { logger, lines } = recordingLogger();
    const watched = platform.createFlow({ logger });
    expect(await watched.secrets.get("CANARY_SECRET")).toBe(CANARY);
    expect(await watched.secrets.getMany(["QUOTED_CANARY", "API_KEY"])).toMatchObject({ QUOTED_CANARY });

    const errors: unknown[] = [];
    // A server message quoting a key that holds each canary (the second one JSON-escaped by the server).
    for (const canary of [CANARY, QUOTED_CANARY]) {
      const key = `leak-test ${canary}`;
      await watched.state.set(key, "not a number"); // its URL is logged at debug
      const error = await caught(() => watched.state.increment(key));
      expect(error).toBeInstanceOf(FlowConflictError);
      errors.push(error);
    }
    // A 404 for a route whose path (percent-encoded) holds the canary.
    errors.push(await caught(() => watched.gateway.request({ method: "GET", path: `/v1/no-such-route/${encodeURIComponent(QUOTED_CANARY)}/${CANARY}` })));
    // A secret name that is not valid, and one that does not exist.
    errors.push(await caught(() => watched.secrets.get(`${CANARY}!`)));
    errors.push(await caught(() => watched.secrets.getMany(["CANARY_SECRET", "NOT_THERE"])));

    const texts = [
      ...lines,
      ...errors.flatMap((error) => [String(error), (error as Error).stack ?? "", JSON.stringify(error), inspect(error, { depth: 10, showHidden: true })]),
      inspect(watched, { depth: 10, showHidden: true }),
      inspect(watched.secrets, { depth: 10, showHidden: true }),
      JSON.stringify(watched.secrets),
      inspect(watched.container, { depth: 10 }),
      JSON.stringify(watched.config),
    ];
    const all = texts.join("\n");
    // The test can fail: the canaries were there to be removed.
    expect(lines.some((line) => line.startsWith("debug request") && line.includes("[REDACTED]"))).toBe(true);
    expect(String(errors[0])).toContain("[REDACTED]");
    expect(String(errors[1])).toContain("[REDACTED]");
    expect(String(errors[2])).toContain("[REDACTED]");
    for (const form of [CANARY, QUOTED_CANARY, JSON.stringify(QUOTED_CANARY).slice(1, -1), encodeURIComponent(QUOTED_CANARY)]) {
      expect(all).not.toContain(form);
    }
  });

  it("a canary stays out of warn and info lines (a retry, a failed token refresh), server messages and details, and the errors' causes", async () => {
    const { logger, lines } = recordingLogger();
    // A gateway that fails: 503 (retried), then 500 with the canaries in its message and details, then 401.
    const server = await scripted(
      { status: 503, body: { error: { code: "unavailable", message: `busy with ${CANARY}` } } },
      { status: 500, body: { error: { code: "internal", message: `failed on ${QUOTED_CANARY}`, details: { value: CANARY, [CANARY]: [JSON.stringify(QUOTED_CANARY)] } } } },
      { status: 401, body: { error: { code: "invalid_token", message: "token rejected" } } },
    );
    const watched = platform.createFlow({
      logger,
      gatewayUrl: server.url,
      maxRetries: 1,
      tokenProvider: () => {
        throw new Error(`the vault refused; its last answer was ${QUOTED_CANARY}`);
      },
    });
    await watched.secrets.getMany(["CANARY_SECRET", "QUOTED_CANARY"]);

    const serverError = await caught(() => watched.gateway.request({ method: "GET", path: `/v1/tools/${encodeURIComponent(QUOTED_CANARY)}/${CANARY}`, query: { q: QUOTED_CANARY } }));
    expect(serverError).toBeInstanceOf(FlowServerError);
    const authError = await caught(() => watched.gateway.request({ method: "POST", path: `/v1/tools/${CANARY}`, body: { key: CANARY } }));
    expect(authError).toBeInstanceOf(FlowAuthenticationError);
    expect(server.requests[0]?.url).toContain(CANARY); // the canaries really went out, and came back

    // Each kind of line was written, with the canary removed from it.
    for (const start of ["debug request", "warn retrying request", "info refreshing auth token", "warn token refresh"]) {
      expect(lines.some((line) => line.startsWith(start))).toBe(true);
    }
    expect(lines.some((line) => line.startsWith("warn retrying request") && line.includes(`/v1/tools/${REDACTED}/${REDACTED}`))).toBe(true);
    expect(String(serverError)).toContain(`failed on ${REDACTED}`);
    expect(String(authError)).toContain(`its last answer was ${REDACTED}`);
    const texts = [...lines, ...[serverError, authError].flatMap((error) => [String(error), (error as Error).stack ?? "", JSON.stringify(error), inspect(error, { depth: 10, showHidden: true }), inspect((error as Error).cause, { depth: 10, showHidden: true })])];
    const all = texts.join("\n");
    for (const form of [CANARY, QUOTED_CANARY, JSON.stringify(QUOTED_CANARY).slice(1, -1), encodeURIComponent(QUOTED_CANARY), new URLSearchParams({ q: QUOTED_CANARY }).toString().slice(2)]) {
      expect(all).not.toContain(form);
    }
  });

  it("a canary stays out of errors the SDK raises itself from the caller's input, their causes included", async () => {
    const reader = platform.createFlow();
    const canary = await reader.secrets.get("CANARY_SECRET");
    const errors = [
      // Validation messages that quote a key, an option name or a column name.
      await caught(() => reader.storage.put("a.txt", "x", { metadata: { [`${canary}!`]: "1" } })),
      await caught(() => reader.datasets.query("d", { [canary]: 1 } as never)),
      await caught(() => reader.datasets.create({ name: "d", schema: { columns: { [`${canary}.x`]: { type: "string" } } } })),
      await caught(() => reader.state.list({ [canary]: 1 } as never)),
      // A body that cannot be read: the fs error's message and its `path` hold the canary.
      await caught(() => reader.storage.put("a.txt", createReadStream(path.join(os.tmpdir(), `no-such-file-${canary}`)))),
    ];
    for (const error of errors) expect(error).toBeInstanceOf(FlowError);
    const texts = errors.flatMap((error) => [String(error), (error as Error).stack ?? "", JSON.stringify(error), inspect(error, { depth: 10, showHidden: true })]);
    expect(texts.join("\n")).toContain(REDACTED); // the canaries were there to be removed
    expect(texts.join("\n")).not.toContain(canary);
  });

  it("a secret read stays redacted however many tokens and other secrets come after it", async () => {
    const { logger, lines } = recordingLogger();
    const watched = platform.createFlow({ logger });
    await watched.secrets.get("CANARY_SECRET");
    const names = Array.from({ length: 150 }, (_, i) => `FILLER_${i}`);
    reseed(Object.fromEntries(names.map((name, i) => [name, `filler-value-${i}-${Date.now()}`])));
    for (let i = 0; i < names.length; i += 100) await watched.secrets.getMany(names.slice(i, i + 100));
    for (let i = 0; i < 100; i++) await watched.refreshAuthToken(`token-${i}-${"x".repeat(8)}`);
    await watched.refreshAuthToken(platform.env.AUTH_TOKEN ?? "");
    await watched.state.get(`after-fillers ${CANARY}`);
    expect(lines.join("\n")).not.toContain(CANARY);
    expect(lines.join("\n")).toContain("[REDACTED]");
  });

  it("the batch answer, which holds values, is not kept for idempotent replay", async () => {
    await flow.secrets.getMany(["DB_PASSWORD"], { fresh: true }, { idempotencyKey: `batch-${Date.now()}` });
    const db = openDatabase(dataDir);
    try {
      const rows = db.prepare("SELECT path, body FROM idempotency").all() as Array<{ path: string; body: string }>;
      expect(rows.length).toBeGreaterThan(0); // other POSTs and PUTs of this file are kept
      expect(rows.filter((row) => row.path.endsWith("secrets:batchGet") || row.body.includes("db-password-value"))).toEqual([]);
    } finally {
      db.close();
    }
  });
});

describe("secrets validation, before any request", () => {
  it("the offline instance used below really fails once a request is sent", async () => {
    expect(await caught(() => offline.secrets.get("API_KEY"))).toBeInstanceOf(FlowConnectionError);
  });

  it.each([
    ["an empty name", () => offline.secrets.get("")],
    ["a name starting with a digit", () => offline.secrets.get("1KEY")],
    ["a name with a slash", () => offline.secrets.get("a/b")],
    ["a name over 256 characters", () => offline.secrets.get(`K${"x".repeat(256)}`)],
    ["a non-boolean fresh", () => offline.secrets.get("API_KEY", { fresh: "yes" as unknown as boolean })],
    ["an unknown parameter", () => offline.secrets.get("API_KEY", { fersh: true } as never)],
    ["a bad name among many", () => offline.secrets.getMany(["API_KEY", "bad name"])],
    ["more than 100 names", () => offline.secrets.getMany(Array.from({ length: 101 }, (_, i) => `K${i}`))],
    ["names that are not an array", () => offline.secrets.getMany("API_KEY" as unknown as string[])],
    ["a list prefix with a slash", () => offline.secrets.list({ prefix: "a/" })],
    ["a list limit of 0", () => offline.secrets.list({ limit: 0 })],
  ])("%s is FlowValidationError", async (_label, call) => {
    expect(await caught(call)).toBeInstanceOf(FlowValidationError);
  });

  it("the local platform refuses a bad name with the same DTO (400 validation_error)", async () => {
    const error = await caught(() => flow.gateway.request({ method: "POST", path: "/v1/orgs/org_local/workspaces/ws_local/secrets:batchGet", body: { names: ["bad name"] } }));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as Error).message).toContain("HTTP 400 validation_error");
  });
});

describe("secrets tenancy and scopes", () => {
  it("a token for another workspace sees none of ws_local's secrets, and may not use its routes", async () => {
    const wsB = flowWithToken(platform, await platform.mintToken({ workspaceId: "ws_b" }), "ws_b");
    expect(await caught(() => wsB.secrets.get("API_KEY"))).toBeInstanceOf(FlowNotFoundError);
    expect((await wsB.secrets.list()).data).toEqual([]);
    const intruder = flowWithToken(platform, await platform.mintToken({ workspaceId: "ws_b" }), "ws_local");
    const error = await caught(() => intruder.secrets.get("API_KEY"));
    expect(error).toBeInstanceOf(FlowPermissionError);
    expect(error).toMatchObject({ code: "tenant_mismatch" });
  });

  it("every route needs secrets:read (403 missing_scope)", async () => {
    const noScope = flowWithToken(platform, await platform.mintToken({ scopes: ["state:read"] }));
    for (const call of [() => noScope.secrets.get("API_KEY"), () => noScope.secrets.getMany(["API_KEY"]), () => noScope.secrets.list()]) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(FlowPermissionError);
      expect(error).toMatchObject({ code: "missing_scope" });
    }
    const reader = flowWithToken(platform, await platform.mintToken({ scopes: ["secrets:read"] }));
    expect(await reader.secrets.get("API_KEY")).toBe("api-key-value-1");
  });
});

// After the list tests, which expect only the seeded names.
describe("secrets: unusual names", () => {
  it("seeding refuses a name the SDK could never read, or a value that is not a string, naming it and writing nothing", () => {
    const db = openDatabase();
    try {
      const tenant = { orgId: "org_local", workspaceId: "ws_local" };
      expect(() => seedSecrets(db, tenant, { GOOD: "good-value", "bad name": "bad-name-value" })).toThrow(/"bad name" is not valid/);
      expect(() => seedSecrets(db, tenant, { NUMERIC: 42 as unknown as string })).toThrow(/NUMERIC must have a string value, not number/);
      expect(db.prepare("SELECT count(*) AS n FROM secrets").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });

  it("names that are Object.prototype members (__proto__, constructor, toString) read their own values", async () => {
    const odd: Record<string, string> = Object.fromEntries([
      ["__proto__", "proto-value"],
      ["constructor", "constructor-value"],
    ]);
    reseed(odd);
    const fresh = platform.createFlow();
    expect(await fresh.secrets.getMany(["__proto__", "constructor"])).toEqual(odd);
    expect(Object.hasOwn(await fresh.secrets.getMany(["__proto__"]), "__proto__")).toBe(true); // now from the cache
    expect(await platform.createFlow().secrets.get("__proto__")).toBe("proto-value");
    expect(await caught(() => fresh.secrets.getMany(["toString"]))).toBeInstanceOf(FlowNotFoundError);
  });
});
