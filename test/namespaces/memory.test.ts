import { describe, expect, it } from "vitest";
import {
  FlowConnectionError,
  FlowNotFoundError,
  FlowPermissionError,
  FlowSDK,
  FlowValidationError,
  type MemoryAddParams,
} from "../../src/index.js";
import type { Filter } from "../../src/dto/filter.js";
import { caught, expectCursorRefused, flowWithToken, sharedPlatform } from "../helpers/flows.js";

const { platform, flow, offline } = await sharedPlatform();

let counter = 0;
/** A scope no other test uses. */
const unique = (label: string): string => `${label}:${++counter}:${Date.now().toString(36)}`;

/** What a user's assistant might have remembered: one fact per topic. */
const FACTS = [
  "The user prefers dark mode in the editor",
  "The user's favourite food is sushi",
  "Deploys run every Friday afternoon",
  "The office is closed on public holidays",
  "Invoices are sent at the end of each month",
  "The editor crashed when opening large files",
  "The quarterly report is due next Tuesday",
];

async function remember(scope: string, facts: readonly string[] = FACTS, f: FlowSDK = flow): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const content of facts) ids.set(content, (await f.memory.add({ content, scope })).id);
  return ids;
}

async function contentsOf(scope: string, f: FlowSDK = flow): Promise<string[]> {
  const contents: string[] = [];
  for await (const record of f.memory.list({ scope })) contents.push(record.content);
  return contents;
}

describe("memory.search recalls by shared meaning", () => {
  it.each([
    ["which editor mode does the user prefer?", "The user prefers dark mode in the editor"],
    ["What food does the user like?", "The user's favourite food is sushi"],
    ["when do we deploy?", "Deploys run every Friday afternoon"],
    ["Is the office open on a public holiday?", "The office is closed on public holidays"],
    ["when are invoices sent out?", "Invoices are sent at the end of each month"],
    ["what happened when large files were opened in the editor", "The editor crashed when opening large files"],
  ])("%j finds %j first, ahead of the unrelated memories", async (query, expected) => {
    const scope = unique("recall");
    await remember(scope);
    const matches = await flow.memory.search(query, { scope });
    expect(matches[0]?.content).toBe(expected);
    // Clearly ahead, not a near-tie won by luck: every unrelated memory scores well below it.
    for (const other of matches.slice(1)) expect(other.score).toBeLessThan((matches[0]?.score ?? 0) * 0.75);
    // Memories sharing nothing with the query (score 0) are not matches at all.
    expect(matches.length).toBeLessThan(FACTS.length);
    for (let i = 1; i < matches.length; i++) expect(matches[i - 1]!.score).toBeGreaterThanOrEqual(matches[i]!.score);
  });

  it("scores are between 0 and 1, identical text scores 1, and limit keeps the best", async () => {
    const scope = unique("scores");
    await remember(scope);
    const matches = await flow.memory.search("Deploys run every Friday afternoon", { scope, limit: 2 });
    expect(matches).toHaveLength(2);
    expect(matches[0]).toMatchObject({ content: "Deploys run every Friday afternoon", scope, metadata: {} });
    expect(matches[0]?.score).toBeCloseTo(1, 12);
    for (const match of matches) expect(match.score).toBeGreaterThanOrEqual(0);
  });

  it("minScore leaves out weak matches", async () => {
    const scope = unique("min-score");
    await remember(scope);
    const matches = await flow.memory.search("which editor mode does the user prefer?", { scope, minScore: 0.5 });
    expect(matches.map((m) => m.content)).toEqual(["The user prefers dark mode in the editor"]);
  });

  it("a query as long as allowed (32 768 characters) still finds the memory it shares words with", async () => {
    const scope = unique("long-query");
    await remember(scope);
    const query = "Which editor mode does the user prefer at night? ".repeat(1000).slice(0, 32_768);
    const matches = await flow.memory.search(query, { scope, limit: 1 });
    expect(matches.map((m) => m.content)).toEqual(["The user prefers dark mode in the editor"]);
  });

  it("a query with no word in it shares nothing with any memory, so nothing matches", async () => {
    const scope = unique("no-words");
    await remember(scope, ["The user prefers dark mode in the editor", "Deploys run every Friday afternoon"]);
    expect(await flow.memory.search("?!", { scope })).toEqual([]);
    expect((await flow.memory.search("dark mode", { scope })).map((m) => m.content)).toEqual(["The user prefers dark mode in the editor"]);
  });

  it("a metadata filter keeps only the memories it matches", async () => {
    const scope = unique("filter");
    await flow.memory.add({ content: "Alice prefers tea in the morning", scope, metadata: { person: "alice", year: 2024 } });
    await flow.memory.add({ content: "Bob prefers coffee in the morning", scope, metadata: { person: "bob", year: 2025 } });
    await flow.memory.add({ content: "Carol prefers juice in the morning", scope, metadata: { person: "carol", year: 2026 } });
    const filter: Filter = { $or: [{ person: "bob" }, { year: { $gte: 2026 } }] };
    const matches = await flow.memory.search("what does Alice prefer in the morning?", { scope, filter });
    expect(matches.map((m) => m.metadata["person"]).sort()).toEqual(["bob", "carol"]);
    expect((await flow.memory.search("what does Alice prefer in the morning?", { scope }))[0]?.metadata).toEqual({ person: "alice", year: 2024 });
  });
});

describe("memory records", () => {
  it("add resolves to the stored record, in the default scope when none is given, and get reads it back", async () => {
    const record = await flow.memory.add({ content: "Remember the milk", metadata: { source: "chat", tags: ["shopping"] } });
    expect(record).toMatchObject({ content: "Remember the milk", scope: "default", metadata: { source: "chat", tags: ["shopping"] } });
    expect(record.id).toMatch(/^mem_[0-9a-f]{24}$/);
    expect(Number.isNaN(Date.parse(record.createdAt))).toBe(false);
    expect(await flow.memory.get(record.id)).toEqual(record);
    expect((await flow.memory.search("milk")).map((m) => m.id)).toContain(record.id);
  });

  it("list is newest first and pages with a small limit", async () => {
    const scope = unique("list");
    for (const n of [1, 2, 3, 4, 5]) await flow.memory.add({ content: `note ${n}`, scope });
    const first = await flow.memory.list({ scope, limit: 2 });
    expect(first.data.map((r) => r.content)).toEqual(["note 5", "note 4"]);
    expect(first.nextCursor).not.toBeNull();
    expect(await contentsOf(scope)).toEqual(["note 5", "note 4", "note 3", "note 2", "note 1"]);
    const pages: number[] = [];
    for await (const page of (await flow.memory.list({ scope, limit: 2 })).pages()) pages.push(page.data.length);
    expect(pages).toEqual([2, 2, 1]);
  });

  it("a cursor of one scope's list is refused by another scope's (400), not used as a position in it", async () => {
    const a = unique("cursor-a");
    const b = unique("cursor-b");
    await remember(a, ["one", "two", "three"]);
    await remember(b, ["four", "five"]);
    const cursor = (await flow.memory.list({ scope: a, limit: 1 })).nextCursor as string;
    expect((await flow.memory.list({ scope: a, cursor })).data.map((r) => r.content)).toEqual(["two", "one"]);
    expectCursorRefused(await caught(() => flow.memory.list({ scope: b, cursor })));
  });

  it("delete forgets one record and resolves to whether it existed; get then is a FlowNotFoundError", async () => {
    const scope = unique("delete");
    const ids = await remember(scope, ["keep me", "forget me"]);
    const id = ids.get("forget me") as string;
    expect(await flow.memory.delete(id)).toBe(true);
    expect(await flow.memory.delete(id)).toBe(false);
    expect(await contentsOf(scope)).toEqual(["keep me"]);
    const error = await caught(() => flow.memory.get(id));
    expect(error).toBeInstanceOf(FlowNotFoundError);
    expect(error).toMatchObject({ status: 404, code: "not_found" });
  });
});

describe("memory scopes never leak into each other", () => {
  it("search, list and clear in scope A never see or touch scope B", async () => {
    const a = unique("scope-a");
    const b = unique("scope-b");
    await remember(a, ["The user prefers dark mode in the editor", "Deploys run every Friday afternoon"]);
    await remember(b, ["The user prefers light mode in the editor", "Invoices are sent monthly"]);
    // B's "light mode" memory matches the query as well as A's; only A's comes back.
    const inA = await flow.memory.search("which editor mode does the user prefer?", { scope: a });
    expect(inA.map((m) => m.content)).toEqual(["The user prefers dark mode in the editor"]);
    expect(inA.every((m) => m.scope === a)).toBe(true);
    expect((await contentsOf(a)).sort()).toEqual(["Deploys run every Friday afternoon", "The user prefers dark mode in the editor"]);

    const idsOfB = [...(await flow.memory.list({ scope: b })).data.map((r) => r.id)];
    const idsOfA = [...(await flow.memory.list({ scope: a })).data.map((r) => r.id)];
    expect(await flow.memory.clear(a)).toBe(2);
    expect(await contentsOf(a)).toEqual([]);
    for (const id of idsOfA) expect(await caught(() => flow.memory.get(id))).toBeInstanceOf(FlowNotFoundError);
    for (const id of idsOfB) expect((await flow.memory.get(id)).scope).toBe(b);
    expect(await flow.memory.search("editor mode", { scope: a })).toEqual([]);
    expect((await contentsOf(b)).sort()).toEqual(["Invoices are sent monthly", "The user prefers light mode in the editor"]);
    expect((await flow.memory.search("editor mode", { scope: b }))[0]?.content).toBe("The user prefers light mode in the editor");
    expect(await flow.memory.clear(a)).toBe(0);
  });

  it("the default scope is a scope like any other: clearing another scope leaves it alone", async () => {
    const marker = `default-scope marker ${unique("d")}`;
    await flow.memory.add({ content: marker });
    const other = unique("other");
    await flow.memory.add({ content: marker, scope: other });
    expect(await flow.memory.clear(other)).toBe(1);
    expect(await contentsOf("default")).toContain(marker);
    expect((await flow.memory.search(marker, { scope: other }))).toEqual([]);
  });

  it("the same scope name in another workspace is another scope: search, list, get, delete and clear stay on their side", async () => {
    const scope = unique("shared-name");
    const wsB = flowWithToken(platform, await platform.mintToken({ workspaceId: "ws_mem_b" }), "ws_mem_b");
    const local = await remember(scope, ["The user prefers dark mode in the editor"]);
    await remember(scope, ["The user prefers light mode in the editor"], wsB);
    expect((await wsB.memory.search("editor mode", { scope })).map((m) => m.content)).toEqual(["The user prefers light mode in the editor"]);
    expect(await contentsOf(scope, wsB)).toEqual(["The user prefers light mode in the editor"]);
    const localId = local.get("The user prefers dark mode in the editor") as string;
    expect(await caught(() => wsB.memory.get(localId))).toBeInstanceOf(FlowNotFoundError);
    expect(await wsB.memory.delete(localId)).toBe(false);
    expect(await wsB.memory.clear(scope)).toBe(1);
    expect(await contentsOf(scope)).toEqual(["The user prefers dark mode in the editor"]);
  });

  it("a workspace the token is not for is refused with 403 tenant_mismatch", async () => {
    const error = await caught(() => platform.createFlow({ workspaceId: "ws_other" }).memory.search("x"));
    expect(error).toBeInstanceOf(FlowPermissionError);
    expect(error).toMatchObject({ status: 403, code: "tenant_mismatch" });
  });

  it("a token with only memory:read can search and list but not add or clear (403 missing_scope)", async () => {
    const scope = unique("read-only");
    await remember(scope, ["a fact"]);
    const reader = flowWithToken(platform, await platform.mintToken({ scopes: ["memory:read"] }));
    expect((await reader.memory.search("fact", { scope })).map((m) => m.content)).toEqual(["a fact"]);
    expect(await contentsOf(scope, reader)).toEqual(["a fact"]);
    for (const call of [() => reader.memory.add({ content: "nope", scope }), () => reader.memory.clear(scope)]) {
      expect(await caught(call)).toMatchObject({ status: 403, code: "missing_scope" });
    }
    expect(await contentsOf(scope)).toEqual(["a fact"]);
  });
});

describe("memory validation, before any request", () => {
  it("the offline instance used below really fails once a request is sent", async () => {
    expect(await caught(() => offline.memory.search("x"))).toBeInstanceOf(FlowConnectionError);
  });

  const cases: Array<{ name: string; call: (f: FlowSDK) => unknown; path: string }> = [
    { name: "empty content", call: (f) => f.memory.add({ content: "" }), path: "content" },
    { name: "whitespace content", call: (f) => f.memory.add({ content: "  \n " }), path: "content" },
    { name: "content over 32768 characters", call: (f) => f.memory.add({ content: "x".repeat(32_769) }), path: "content" },
    { name: "metadata that is an array", call: (f) => f.memory.add({ content: "x", metadata: [] as unknown as Record<string, unknown> }), path: "metadata" },
    { name: "an empty scope", call: (f) => f.memory.add({ content: "x", scope: "" }), path: "scope" },
    { name: "a scope with a control character", call: (f) => f.memory.list({ scope: "a\u0000b" }), path: "scope" },
    { name: "an unknown field", call: (f) => f.memory.add({ content: "x", score: 1 } as unknown as MemoryAddParams), path: "score" },
    { name: "an empty query", call: (f) => f.memory.search(""), path: "query" },
    { name: "a whitespace query", call: (f) => f.memory.search(" \t\n"), path: "query" },
    { name: "a query over 32768 characters", call: (f) => f.memory.search("x".repeat(32_769)), path: "query" },
    { name: "metadata over 64 KiB as JSON", call: (f) => f.memory.add({ content: "x", metadata: { blob: "é".repeat(32_768) } }), path: "metadata" },
    { name: "search limit 0", call: (f) => f.memory.search("x", { limit: 0 }), path: "limit" },
    { name: "search limit 101", call: (f) => f.memory.search("x", { limit: 101 }), path: "limit" },
    { name: "minScore 2", call: (f) => f.memory.search("x", { minScore: 2 }), path: "minScore" },
    { name: "a bad filter", call: (f) => f.memory.search("x", { filter: { $or: [] } }), path: "filter.$or" },
    { name: "clear without a scope", call: (f) => f.memory.clear(undefined as unknown as string), path: "scope" },
    { name: "clear with an empty scope", call: (f) => f.memory.clear(""), path: "scope" },
    { name: "clear with a lone surrogate in the scope, as add refuses it", call: (f) => f.memory.clear("user:\ud800"), path: "scope" },
    { name: "search params that are a number", call: (f) => f.memory.search("x", 5 as never), path: "" },
    { name: "search params holding the query argument", call: (f) => f.memory.search("x", { query: "y" } as never), path: "query" },
    { name: "an empty id", call: (f) => f.memory.get(""), path: "id" },
    { name: "list limit 0", call: (f) => f.memory.list({ limit: 0 }), path: "limit" },
  ];

  it.each(cases)("$name is a FlowValidationError on `$path`", async ({ call, path }) => {
    const error = await caught(() => call(offline));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toContain(path);
  });
});
