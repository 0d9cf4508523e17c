import { describe, expect, it } from "vitest";
import {
  FlowConflictError,
  FlowConnectionError,
  FlowNotFoundError,
  FlowPermissionError,
  FlowSDK,
  FlowValidationError,
  type StateEntry,
  type StateListParams,
  type StateSetParams,
} from "../../src/index.js";
import { ManualClock } from "../../local/testing.js";
import { caught, expectCursorRefused, flowWithToken, sharedPlatform } from "../helpers/flows.js";

// TTLs run out when the test moves this clock, not while it sleeps.
const clock = new ManualClock();
const { platform, flow, offline } = await sharedPlatform({ clock });

let counter = 0;
/** A key prefix no other test uses. */
const unique = (label: string): string => `${label}-${++counter}-${Date.now().toString(36)}:`;

async function keysOf(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of flow.state.list({ prefix })) keys.push(entry.key);
  return keys;
}

describe("state: reading and writing", () => {
  it("get resolves to undefined for a key that was never written", async () => {
    expect(await flow.state.get(`${unique("missing")}nothing`)).toBeUndefined();
    expect(await flow.state.getWithVersion(`${unique("missing")}nothing`)).toBeUndefined();
  });

  it("get fails, rather than answering undefined, when the 404 is for a route and not for the key", async () => {
    // A platform URL with a wrong path prefix: every route answers 404 route_not_found.
    const misrouted = platform.createFlow({ platformUrl: `${platform.url}/wrong-prefix` });
    const error = await caught(() => misrouted.state.get("k"));
    expect(error).toBeInstanceOf(FlowNotFoundError);
    expect(error).toMatchObject({ status: 404, code: "route_not_found" });
  });

  it.each([
    ["an object", { a: 1, nested: { b: [true, "x"] } }],
    ["an array", [1, "two", { three: 3 }, null]],
    ["a string", "hello"],
    ["an empty string", ""],
    ["a number", 42.5],
    ["zero", 0],
    ["a boolean", false],
    ["null", null],
  ])("set then get round-trips %s", async (_label, value) => {
    const key = `${unique("types")}value`;
    const entry = await flow.state.set(key, value);
    expect(entry.value).toEqual(value);
    expect(await flow.state.get(key)).toEqual(value);
  });

  it("getWithVersion returns the entry, and every write bumps the version by one", async () => {
    const key = `${unique("versions")}k`;
    const first = await flow.state.set(key, "a");
    expect(first).toMatchObject({ key, value: "a", version: 1, expiresAt: null });
    expect(Number.isNaN(Date.parse(first.updatedAt))).toBe(false);
    await flow.state.set(key, "b");
    const third = await flow.state.set(key, "c");
    expect(third.version).toBe(3);
    expect(await flow.state.getWithVersion(key)).toEqual(third);
  });

  it("set with a matching ifVersion writes", async () => {
    const key = `${unique("ifv-match")}k`;
    const { version } = await flow.state.set(key, "old");
    const entry = await flow.state.set(key, "new", { ifVersion: version });
    expect(entry).toMatchObject({ value: "new", version: version + 1 });
    expect(await flow.state.get(key)).toBe("new");
  });

  it("set with a stale ifVersion fails with version_conflict and writes nothing", async () => {
    const key = `${unique("ifv-stale")}k`;
    await flow.state.set(key, "v1");
    await flow.state.set(key, "v2");
    const error = await caught(() => flow.state.set(key, "lost", { ifVersion: 1 }));
    expect(error).toBeInstanceOf(FlowConflictError);
    expect(error).toMatchObject({ status: 409, code: "version_conflict", details: { currentVersion: 2 } });
    expect(await flow.state.getWithVersion(key)).toMatchObject({ value: "v2", version: 2 });
  });

  it("ifVersion 0 creates a key that does not exist", async () => {
    const key = `${unique("ifv0-new")}k`;
    expect(await flow.state.set(key, "created", { ifVersion: 0 })).toMatchObject({ value: "created", version: 1 });
  });

  it("ifVersion 0 on an existing key fails with version_conflict and leaves it alone", async () => {
    const key = `${unique("ifv0-old")}k`;
    await flow.state.set(key, "first");
    const error = await caught(() => flow.state.set(key, "second", { ifVersion: 0 }));
    expect(error).toBeInstanceOf(FlowConflictError);
    expect(error).toMatchObject({ code: "version_conflict", details: { currentVersion: 1 } });
    expect(await flow.state.get(key)).toBe("first");
  });

  it("a key written with ttlSeconds expires and is then absent from get and list", async () => {
    const prefix = unique("ttl");
    const entry = await flow.state.set(`${prefix}k`, "soon gone", { ttlSeconds: 1 });
    expect(entry.expiresAt).toBe(new Date(clock.now() + 1000).toISOString());
    clock.advance(999);
    expect(await flow.state.get(`${prefix}k`)).toBe("soon gone");
    expect(await keysOf(prefix)).toEqual([`${prefix}k`]);
    clock.advance(1);
    expect(await flow.state.get(`${prefix}k`)).toBeUndefined();
    expect(await keysOf(prefix)).toEqual([]);
  });

  it("set without ttlSeconds clears an earlier TTL", async () => {
    const key = `${unique("ttl-clear")}k`;
    await flow.state.set(key, "a", { ttlSeconds: 1 });
    expect((await flow.state.set(key, "b")).expiresAt).toBeNull();
    clock.advance(1000);
    expect(await flow.state.get(key)).toBe("b");
  });

  it("an expired key is absent to every call: delete answers false, increment starts at 0, set starts again at version 1", async () => {
    const prefix = unique("ttl-gone");
    await flow.state.set(`${prefix}a`, 5, { ttlSeconds: 1 });
    await flow.state.set(`${prefix}b`, 5, { ttlSeconds: 1 });
    await flow.state.set(`${prefix}c`, "x", { ttlSeconds: 1 });
    await flow.state.set(`${prefix}c`, "y", { ttlSeconds: 1 });
    clock.advance(1000);
    expect(await flow.state.delete(`${prefix}a`)).toBe(false);
    expect(await flow.state.increment(`${prefix}b`)).toBe(1);
    expect(await flow.state.set(`${prefix}c`, "z", { ifVersion: 0 })).toMatchObject({ value: "z", version: 1, expiresAt: null });
  });

  it("delete resolves to true for an existing key, then false", async () => {
    const key = `${unique("delete")}k`;
    await flow.state.set(key, 1);
    expect(await flow.state.delete(key)).toBe(true);
    expect(await flow.state.get(key)).toBeUndefined();
    expect(await flow.state.delete(key)).toBe(false);
  });
});

describe("state.increment", () => {
  it("starts a missing key at 0, adds 1 by default, `by` otherwise, and subtracts a negative", async () => {
    const key = `${unique("incr")}n`;
    expect(await flow.state.increment(key)).toBe(1);
    expect(await flow.state.increment(key, 5)).toBe(6);
    expect(await flow.state.increment(key, -10)).toBe(-4);
    expect(await flow.state.getWithVersion(key)).toMatchObject({ value: -4, version: 3 });
  });

  it("keeps the key's TTL unless given one", async () => {
    const key = `${unique("incr-ttl")}n`;
    const { expiresAt } = await flow.state.set(key, 1, { ttlSeconds: 3600 });
    await flow.state.increment(key);
    expect((await flow.state.getWithVersion(key))?.expiresAt).toBe(expiresAt);
  });

  it("fails with not_a_number on a non-numeric value and leaves it unchanged", async () => {
    const key = `${unique("incr-nan")}s`;
    await flow.state.set(key, "abc");
    const error = await caught(() => flow.state.increment(key));
    expect(error).toBeInstanceOf(FlowConflictError);
    expect(error).toMatchObject({ status: 409, code: "not_a_number" });
    expect(await flow.state.getWithVersion(key)).toMatchObject({ value: "abc", version: 1 });
  });
});

describe("state.list", () => {
  it("lists only the keys with the prefix, in key order", async () => {
    const prefix = unique("list");
    for (const key of ["b:2", "a:1", "b:1", "c"]) await flow.state.set(`${prefix}${key}`, key);
    const page = await flow.state.list({ prefix: `${prefix}b:` });
    expect(page.data.map((e) => e.key)).toEqual([`${prefix}b:1`, `${prefix}b:2`]);
    expect(page.data.map((e) => e.value)).toEqual(["b:1", "b:2"]);
    expect(page.nextCursor).toBeNull();
  });

  it("pages with limit and cursor: awaiting gives the first page, for await gives every entry", async () => {
    const prefix = unique("paging");
    const keys = Array.from({ length: 25 }, (_, i) => `${prefix}${String(i).padStart(2, "0")}`);
    for (const key of keys) await flow.state.set(key, key);

    const first = await flow.state.list({ prefix, limit: 10 });
    expect(first.data.map((e) => e.key)).toEqual(keys.slice(0, 10));
    expect(first.nextCursor).toEqual(expect.any(String));

    const second = await flow.state.list({ prefix, limit: 10, cursor: first.nextCursor ?? "" });
    expect(second.data.map((e) => e.key)).toEqual(keys.slice(10, 20));

    const sizes: number[] = [];
    for await (const page of first.pages()) sizes.push(page.data.length);
    expect(sizes).toEqual([10, 10, 5]);

    const all: StateEntry[] = [];
    for await (const entry of flow.state.list({ prefix, limit: 10 })) all.push(entry);
    expect(all.map((e) => e.key)).toEqual(keys);

    // A cursor belongs to its prefix: under another one it would skip keys, so it is refused.
    const elsewhere = await caught(() => flow.state.list({ prefix: `${prefix}1`, limit: 10, cursor: first.nextCursor ?? "" }));
    expectCursorRefused(elsewhere);
  });
});

describe("state keys", () => {
  const odd = ["a/b/c", "100%", "50%25", "with space", "?q=1&x#frag", "+plus+", "ключ", "日本語", "emoji 🎉"];

  it("keys with /, %, spaces, query characters and unicode round-trip through set, get, list and delete", async () => {
    const prefix = unique("odd");
    for (const [i, key] of odd.entries()) {
      expect((await flow.state.set(`${prefix}${key}`, i)).key).toBe(`${prefix}${key}`);
    }
    for (const [i, key] of odd.entries()) {
      expect(await flow.state.getWithVersion(`${prefix}${key}`)).toMatchObject({ key: `${prefix}${key}`, value: i });
    }
    expect((await keysOf(prefix)).sort()).toEqual(odd.map((k) => `${prefix}${k}`).sort());
    for (const key of odd) expect(await flow.state.delete(`${prefix}${key}`)).toBe(true);
  });

  // URL parsing turns a "." or ".." path segment (even as %2E) into a move to another route, so
  // such a key must either really round-trip or be refused up front; it must never be sent.
  it.each([".", ".."])("the key %j round-trips, or is refused with FlowValidationError before any request", async (key) => {
    const outcome = await flow.state.set(key, "dot").then(
      () => "stored",
      (error: unknown) => error,
    );
    if (outcome === "stored") {
      expect(await flow.state.get(key)).toBe("dot");
      expect(await flow.state.delete(key)).toBe(true);
    } else {
      expect(outcome).toBeInstanceOf(FlowValidationError);
      expect(await caught(() => offline.state.get(key))).toBeInstanceOf(FlowValidationError);
    }
  });
});

/** `levels` arrays, each holding the next. */
function nested(levels: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

describe("state validation, before any request", () => {
  it("a value nested 100 levels deep is stored", async () => {
    const key = `${unique("deep")}k`;
    await flow.state.set(key, nested(100));
    expect(JSON.stringify(await flow.state.get(key))).toBe(JSON.stringify(nested(100)));
  });

  it("the offline instance used below really fails once a request is sent", async () => {
    expect(await caught(() => offline.state.get("k"))).toBeInstanceOf(FlowConnectionError);
  });

  const cases: Array<{ name: string; call: (f: FlowSDK) => unknown; path: string }> = [
    { name: "an empty key", call: (f) => f.state.get(""), path: "key" },
    { name: "a key with a control character", call: (f) => f.state.set("a\u0007b", 1), path: "key" },
    { name: "a key with a newline", call: (f) => f.state.delete("a\nb"), path: "key" },
    { name: "a key with a lone surrogate", call: (f) => f.state.get("half \ud83d of an emoji"), path: "key" },
    { name: "a key longer than 512 characters", call: (f) => f.state.getWithVersion("k".repeat(513)), path: "key" },
    { name: "a value nested 101 levels deep", call: (f) => f.state.set("k", nested(101)), path: "value" },
    { name: "a value nested a million levels deep", call: (f) => f.state.set("k", nested(1_000_000)), path: "value" },
    { name: "an undefined value", call: (f) => f.state.set("k", undefined), path: "value" },
    { name: "ttlSeconds 0", call: (f) => f.state.set("k", 1, { ttlSeconds: 0 }), path: "ttlSeconds" },
    { name: "ttlSeconds 1.5", call: (f) => f.state.set("k", 1, { ttlSeconds: 1.5 }), path: "ttlSeconds" },
    { name: "ttlSeconds as a string", call: (f) => f.state.set("k", 1, { ttlSeconds: "5" } as unknown as StateSetParams), path: "ttlSeconds" },
    { name: "ifVersion -1", call: (f) => f.state.set("k", 1, { ifVersion: -1 }), path: "ifVersion" },
    { name: "an unknown option", call: (f) => f.state.set("k", 1, { ttl: 5 } as unknown as StateSetParams), path: "ttl" },
    { name: "a non-finite increment", call: (f) => f.state.increment("k", Number.NaN), path: "by" },
    { name: "list limit 0", call: (f) => f.state.list({ limit: 0 }), path: "limit" },
    { name: "list limit 5000", call: (f) => f.state.list({ limit: 5000 }), path: "limit" },
    { name: "an unknown list option", call: (f) => f.state.list({ prefx: "a" } as unknown as StateListParams), path: "prefx" },
    { name: "set params that are a bigint", call: (f) => f.state.set("k", 1, 0n as unknown as StateSetParams), path: "" },
    { name: "set params that are null", call: (f) => f.state.set("k", 1, null as unknown as StateSetParams), path: "" },
    { name: "increment params that are a number", call: (f) => f.state.increment("k", 1, 60 as never), path: "" },
    { name: "a key in the params beside the key argument", call: (f) => f.state.set("k", 1, { key: "other" } as unknown as StateSetParams), path: "key" },
    { name: "list params that are a Map", call: (f) => f.state.list(new Map([["prefix", "a"]]) as unknown as StateListParams), path: "" },
    { name: "a list prefix with a lone surrogate", call: (f) => f.state.list({ prefix: "\ud800" }), path: "prefix" },
    { name: "a list cursor with a lone surrogate", call: (f) => f.state.list({ cursor: "c\udc00" }), path: "cursor" },
    { name: "a header value with CR LF", call: (f) => f.state.get("k", { headers: { "x-note": "a\r\nx-injected: 1" } }), path: "headers" },
    { name: "a header value above U+00FF", call: (f) => f.state.get("k", { headers: { "x-note": "€" } }), path: "headers" },
    { name: "a header name with a space", call: (f) => f.state.get("k", { headers: { "x note": "1" } }), path: "headers" },
    { name: "headers given as a Map", call: (f) => f.state.get("k", { headers: new Map([["x-note", "1"]]) as unknown as Record<string, string> }), path: "headers" },
  ];

  it.each(cases)("refuses $name with FlowValidationError naming $path", async ({ call, path }) => {
    const error = await caught(() => call(offline));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toContain(path);
    expect((error as FlowValidationError).requestId).toBeUndefined(); // refused before any request
  });

  it("a write whose params are not an object writes nothing (a spread would have dropped them)", async () => {
    const key = `${unique("params")}k`;
    const error = await caught(() => flow.state.set(key, 1, 0n as unknown as StateSetParams));
    expect((error as Error).message).toBe("state.set: invalid input (params must be an object of parameters, or left out; got a bigint)");
    expect(await flow.state.get(key)).toBeUndefined();
  });

  it("a refused header value is named, with what a value may hold", async () => {
    const error = await caught(() => flow.state.get("k", { headers: { "x-note": "a\r\nx-injected: 1" } }));
    expect((error as Error).message).toContain("the value of header x-note may hold only visible characters up to U+00FF, spaces and tabs (no CR, LF, NUL or other control characters)");
  });
});

describe("state tenancy and scopes", () => {
  it("a workspace the token is not for is refused with 403 tenant_mismatch", async () => {
    const other = platform.createFlow({ workspaceId: "ws_other" });
    const error = await caught(() => other.state.get("k"));
    expect(error).toBeInstanceOf(FlowPermissionError);
    expect(error).toMatchObject({ status: 403, code: "tenant_mismatch" });
  });

  it("a token for another workspace cannot read ws_local data and has its own keyspace", async () => {
    const key = `${unique("tenant")}shared-name`;
    await flow.state.set(key, "local value");
    const wsB = flowWithToken(platform, await platform.mintToken({ workspaceId: "ws_b" }), "ws_b");
    expect(await wsB.state.get(key)).toBeUndefined();
    await wsB.state.set(key, "b value");
    expect(await wsB.state.get(key)).toBe("b value");
    expect(await flow.state.get(key)).toBe("local value");

    const intruder = flowWithToken(platform, await platform.mintToken({ workspaceId: "ws_b" }), "ws_local");
    expect(await caught(() => intruder.state.get(key))).toMatchObject({ status: 403, code: "tenant_mismatch" });
  });

  it("a token with only state:read can get but not set (403 missing_scope)", async () => {
    const key = `${unique("scope")}k`;
    await flow.state.set(key, "readable");
    const reader = flowWithToken(platform, await platform.mintToken({ scopes: ["state:read"] }));
    expect(await reader.state.get(key)).toBe("readable");
    const error = await caught(() => reader.state.set(key, "nope"));
    expect(error).toBeInstanceOf(FlowPermissionError);
    expect(error).toMatchObject({ status: 403, code: "missing_scope" });
    expect(await flow.state.get(key)).toBe("readable");
  });
});
