import { describe, expect, it } from "vitest";
import {
  FlowConflictError,
  FlowConnectionError,
  FlowNotFoundError,
  FlowPermissionError,
  FlowSDK,
  FlowValidationError,
  type VectorCreateCollectionParams,
  type VectorMetric,
  type VectorRecord,
} from "../../src/index.js";
import type { Filter } from "../../src/dto/filter.js";
import { seededRandom } from "../helpers/random.js";
import { caught, flowWithToken, sharedPlatform } from "../helpers/flows.js";

const { platform, flow, offline } = await sharedPlatform();

let counter = 0;
/** A collection name no other test uses. */
const unique = (label: string): string => `${label}-${++counter}-${Date.now().toString(36)}`;

function randomVector(random: () => number, dimensions: number): number[] {
  return Array.from({ length: dimensions }, () => random() * 2 - 1);
}

/** The reference: every score computed here, independently of the platform, sorted best first with ties by id. */
function bruteForce(records: readonly VectorRecord[], query: readonly number[], metric: VectorMetric, topK: number): Array<{ id: string; score: number }> {
  const length = (v: readonly number[]) => Math.hypot(...v);
  const score = (v: readonly number[]): number => {
    const d = v.reduce((sum, x, i) => sum + x * (query[i] ?? 0), 0);
    if (metric === "dot") return d;
    if (metric === "cosine") return d / (length(v) * length(query));
    return -Math.sqrt(v.reduce((sum, x, i) => sum + (x - (query[i] ?? 0)) ** 2, 0));
  };
  return records
    .map((r) => ({ id: r.id, score: score(r.vector) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, topK);
}

async function upsertAll(name: string, records: readonly VectorRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += 250) await flow.vector.upsert(name, records.slice(i, i + 250));
}

describe("vector ranking equals an exact brute-force ranking", () => {
  const DIMENSIONS = 24;
  const random = seededRandom(20261128);
  const records: VectorRecord[] = Array.from({ length: 1000 }, (_, i) => ({
    id: `v${String(i).padStart(4, "0")}`,
    vector: randomVector(random, DIMENSIONS),
    metadata: { group: i % 3, even: i % 2 === 0, tag: ["red", "green", "blue", "gold"][i % 4] as string },
  }));
  const queries = Array.from({ length: 5 }, () => randomVector(random, DIMENSIONS));

  it.each<VectorMetric>(["cosine", "dot", "euclidean"])("for %s over 1,000 random vectors: the whole ranking, same ids in the same order, scores within 1e-6", async (metric) => {
    const name = unique(`rank-${metric}`);
    await flow.vector.createCollection({ name, dimensions: DIMENSIONS, metric });
    await upsertAll(name, records);
    expect((await flow.vector.getCollection(name)).count).toBe(1000);
    for (const [q, query] of queries.entries()) {
      const topK = q === 0 ? 1000 : 10; // the whole ranking once, then the head of it
      const expected = bruteForce(records, query, metric, topK);
      const matches = await flow.vector.query(name, { vector: query, topK });
      expect(matches.map((m) => m.id)).toEqual(expected.map((e) => e.id));
      for (const [i, match] of matches.entries()) expect(Math.abs(match.score - (expected[i]?.score ?? Number.NaN))).toBeLessThan(1e-6);
    }
  });

  it.each<[string, Filter, (r: VectorRecord) => boolean]>([
    ["an equality", { group: 1 }, (r) => r.metadata?.["group"] === 1],
    ["$in and a boolean", { tag: { $in: ["red", "gold"] }, even: false }, (r) => ["red", "gold"].includes(r.metadata?.["tag"] as string) && r.metadata?.["even"] === false],
    ["$or of ranges", { $or: [{ group: { $lt: 1 } }, { tag: "blue" }] }, (r) => (r.metadata?.["group"] as number) < 1 || r.metadata?.["tag"] === "blue"],
  ])("a metadata filter (%s) ranks only the matching vectors, exactly as brute force over them does", async (_label, filter, keep) => {
    const name = unique("filter");
    await flow.vector.createCollection({ name, dimensions: DIMENSIONS, metric: "cosine" });
    await upsertAll(name, records);
    const query = queries[1] as number[];
    const matches = await flow.vector.query(name, { vector: query, topK: 20, filter });
    const expected = bruteForce(records.filter(keep), query, "cosine", 20);
    expect(matches.map((m) => m.id)).toEqual(expected.map((e) => e.id));
    const unfiltered = await flow.vector.query(name, { vector: query, topK: 20 });
    expect(unfiltered.map((m) => m.id)).not.toEqual(matches.map((m) => m.id));
    for (const match of matches) expect(keep({ id: match.id, vector: [], metadata: match.metadata })).toBe(true);
  });
});

describe("vector collections", () => {
  it("createCollection defaults to cosine and getCollection reports the vector count", async () => {
    const name = unique("create");
    const created = await flow.vector.createCollection({ name, dimensions: 3 });
    expect(created).toMatchObject({ name, dimensions: 3, metric: "cosine", count: 0 });
    expect(Number.isNaN(Date.parse(created.createdAt))).toBe(false);
    await flow.vector.upsert(name, [{ id: "a", vector: [1, 0, 0] }, { id: "b", vector: [0, 1, 0] }]);
    expect(await flow.vector.getCollection(name)).toEqual({ ...created, count: 2 });
  });

  it("a second collection with the same name is a FlowConflictError", async () => {
    const name = unique("twice");
    await flow.vector.createCollection({ name, dimensions: 2 });
    const error = await caught(() => flow.vector.createCollection({ name, dimensions: 2, metric: "dot" }));
    expect(error).toBeInstanceOf(FlowConflictError);
    expect(error).toMatchObject({ status: 409, code: "already_exists" });
  });

  it("listCollections pages by name with a small limit and for await reads every page", async () => {
    const ws = flowWithToken(platform, await platform.mintToken({ workspaceId: "ws_vector_list" }), "ws_vector_list");
    for (const name of ["e", "a", "d", "c", "b"]) await ws.vector.createCollection({ name, dimensions: 2, metric: "euclidean" });
    const first = await ws.vector.listCollections({ limit: 2 });
    expect(first.data.map((c) => c.name)).toEqual(["a", "b"]);
    expect(first.nextCursor).not.toBeNull();
    const names: string[] = [];
    for await (const collection of ws.vector.listCollections({ limit: 2 })) names.push(collection.name);
    expect(names).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("deleteCollection removes it and its vectors; a second delete resolves to false; then it is not found", async () => {
    const name = unique("drop");
    await flow.vector.createCollection({ name, dimensions: 2 });
    await flow.vector.upsert(name, [{ id: "x", vector: [1, 1] }]);
    expect(await flow.vector.deleteCollection(name)).toBe(true);
    expect(await flow.vector.deleteCollection(name)).toBe(false);
    expect(await caught(() => flow.vector.getCollection(name))).toBeInstanceOf(FlowNotFoundError);
    // Recreated under the same name, it starts empty.
    await flow.vector.createCollection({ name, dimensions: 2 });
    expect(await flow.vector.query(name, { vector: [1, 1] })).toEqual([]);
  });

  it.each<[string, (name: string) => Promise<unknown>]>([
    ["getCollection", (name) => flow.vector.getCollection(name)],
    ["upsert", (name) => flow.vector.upsert(name, [{ id: "a", vector: [1] }])],
    ["query", (name) => flow.vector.query(name, { vector: [1] })],
    ["delete", (name) => flow.vector.delete(name, ["a"])],
  ])("%s on a missing collection is a FlowNotFoundError naming it", async (_method, call) => {
    const name = unique("missing");
    const error = await caught(() => call(name));
    expect(error).toBeInstanceOf(FlowNotFoundError);
    expect(error).toMatchObject({ status: 404, code: "not_found" });
    expect((error as Error).message).toContain(name);
  });
});

describe("vector records", () => {
  it("upsert replaces a record by id; includeVectors returns exactly the stored numbers", async () => {
    const name = unique("replace");
    await flow.vector.createCollection({ name, dimensions: 3, metric: "dot" });
    expect(await flow.vector.upsert(name, [{ id: "a", vector: [1, 2, 3], metadata: { v: 1 } }, { id: "b", vector: [0, 0, 1] }])).toBe(2);
    const precise = [0.1, 1 / 3, -2.5e-7];
    expect(await flow.vector.upsert(name, [{ id: "a", vector: precise, metadata: { v: 2 } }])).toBe(1);
    expect((await flow.vector.getCollection(name)).count).toBe(2);
    const matches = await flow.vector.query(name, { vector: [1, 1, 1], topK: 5, includeVectors: true });
    const a = matches.find((m) => m.id === "a");
    expect(a).toMatchObject({ vector: precise, metadata: { v: 2 } });
    expect(matches.find((m) => m.id === "b")).toMatchObject({ metadata: {}, vector: [0, 0, 1] });
    expect((await flow.vector.query(name, { vector: [1, 1, 1] }))[0]).not.toHaveProperty("vector");
  });

  it("euclidean scores are negated distances, 0 for the same point, best first", async () => {
    const name = unique("euclid");
    await flow.vector.createCollection({ name, dimensions: 2, metric: "euclidean" });
    await flow.vector.upsert(name, [{ id: "far", vector: [3, 4] }, { id: "same", vector: [0, 0] }, { id: "near", vector: [1, 0] }]);
    expect(await flow.vector.query(name, { vector: [0, 0] })).toEqual([
      { id: "same", score: 0, metadata: {} },
      { id: "near", score: -1, metadata: {} },
      { id: "far", score: -5, metadata: {} },
    ]);
  });

  it("delete removes the named vectors, ignores unknown ids, and resolves to how many it removed", async () => {
    const name = unique("delete");
    await flow.vector.createCollection({ name, dimensions: 2 });
    await flow.vector.upsert(name, [{ id: "a", vector: [1, 0] }, { id: "b", vector: [0, 1] }, { id: "c", vector: [1, 1] }]);
    expect(await flow.vector.delete(name, ["a", "c", "nope"])).toBe(2);
    expect((await flow.vector.query(name, { vector: [1, 0] })).map((m) => m.id)).toEqual(["b"]);
  });

  it("a vector of the wrong dimension is a FlowValidationError naming expected and got, and nothing is written", async () => {
    const name = unique("dims");
    await flow.vector.createCollection({ name, dimensions: 3 });
    const upsert = await caught(() => flow.vector.upsert(name, [{ id: "a", vector: [1, 2] }, { id: "b", vector: [3, 4] }]));
    expect(upsert).toBeInstanceOf(FlowValidationError);
    expect((upsert as Error).message).toMatch(/has 2 dimensions.*expects 3/);
    expect((upsert as FlowValidationError).issues[0]?.path).toBe("records[0].vector");
    const query = await caught(() => flow.vector.query(name, { vector: [1, 2, 3, 4] }));
    expect(query).toBeInstanceOf(FlowValidationError);
    expect((query as Error).message).toMatch(/has 4 dimensions.*expects 3/);
    expect((await flow.vector.getCollection(name)).count).toBe(0);
  });

  it("a batch is all or none: a zero vector in a cosine collection fails it and writes no record", async () => {
    const name = unique("atomic");
    await flow.vector.createCollection({ name, dimensions: 2, metric: "cosine" });
    const error = await caught(() => flow.vector.upsert(name, [{ id: "ok", vector: [1, 2] }, { id: "zero", vector: [0, 0] }]));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as Error).message).toContain("records[1].vector");
    expect((await flow.vector.getCollection(name)).count).toBe(0);
  });

  it("equal scores come by ascending id, also where topK cuts through them; a topK above the count returns all", async () => {
    const name = unique("ties");
    await flow.vector.createCollection({ name, dimensions: 2, metric: "dot" });
    const tied = ["e", "b", "d", "a", "c"].map((id) => ({ id, vector: [1, 1] }));
    await flow.vector.upsert(name, [...tied, { id: "z", vector: [2, 2] }, { id: "A", vector: [-1, -1] }]);
    expect((await flow.vector.query(name, { vector: [1, 1], topK: 3 })).map((m) => m.id)).toEqual(["z", "a", "b"]);
    const all = await flow.vector.query(name, { vector: [1, 1], topK: 1000 });
    expect(all.map((m) => [m.id, m.score])).toEqual([["z", 4], ["a", 2], ["b", 2], ["c", 2], ["d", 2], ["e", 2], ["A", -2]]);
  });

  it("vectors far apart score a finite euclidean distance; tiny vectors keep their direction under cosine", async () => {
    const far = unique("far");
    await flow.vector.createCollection({ name: far, dimensions: 1, metric: "euclidean" });
    await flow.vector.upsert(far, [{ id: "a", vector: [1e154] }]);
    const [match] = await flow.vector.query(far, { vector: [-1e154] });
    expect(match?.score).toBeCloseTo(-2e154, -140);
    const tiny = unique("tiny");
    await flow.vector.createCollection({ name: tiny, dimensions: 2, metric: "cosine" });
    await flow.vector.upsert(tiny, [{ id: "a", vector: [1e-200, 0] }]);
    expect((await flow.vector.query(tiny, { vector: [1, 1] }))[0]?.score).toBeCloseTo(Math.SQRT1_2, 12);
  });

  it("a batch over the 8 MiB body limit is a FlowValidationError suggesting a batch size, and that size goes through", async () => {
    const name = unique("big");
    await flow.vector.createCollection({ name, dimensions: 1536, metric: "dot" });
    const random = seededRandom(7);
    const records = Array.from({ length: 1000 }, (_, i) => ({ id: `r${i}`, vector: randomVector(random, 1536) }));
    const error = await caught(() => offline.vector.upsert(name, records));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues[0]?.path).toBe("records");
    const fits = Number(/batches of about (\d+) records/.exec((error as Error).message)?.[1]);
    expect(fits).toBeGreaterThan(100);
    expect(fits).toBeLessThan(1000);
    expect(await flow.vector.upsert(name, records.slice(0, fits))).toBe(fits);
    expect((await flow.vector.getCollection(name)).count).toBe(fits);
  });

  it("numbers whose squares overflow are refused rather than scored as Infinity or NaN", async () => {
    const name = unique("huge");
    await flow.vector.createCollection({ name, dimensions: 2, metric: "dot" });
    const error = await caught(() => flow.vector.upsert(name, [{ id: "huge", vector: [1e200, 1] }]));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as Error).message).toContain("too large");
    expect((await flow.vector.getCollection(name)).count).toBe(0);
  });
});

describe("vector validation, before any request", () => {
  it("the offline instance used below really fails once a request is sent", async () => {
    expect(await caught(() => offline.vector.getCollection("c"))).toBeInstanceOf(FlowConnectionError);
  });

  const cases: Array<{ name: string; call: (f: FlowSDK) => unknown; path: string }> = [
    { name: "NaN in a vector", call: (f) => f.vector.upsert("c", [{ id: "a", vector: [1, Number.NaN] }]), path: "records[0].vector[1]" },
    { name: "Infinity in a query vector", call: (f) => f.vector.query("c", { vector: [Number.POSITIVE_INFINITY] }), path: "vector[0]" },
    { name: "a string in a vector", call: (f) => f.vector.query("c", { vector: ["1"] as unknown as number[] }), path: "vector[0]" },
    { name: "an empty vector", call: (f) => f.vector.query("c", { vector: [] }), path: "vector" },
    { name: "vectors of different lengths in one batch", call: (f) => f.vector.upsert("c", [{ id: "a", vector: [1, 2] }, { id: "b", vector: [1] }]), path: "records[1].vector" },
    { name: "a repeated id in one batch", call: (f) => f.vector.upsert("c", [{ id: "a", vector: [1] }, { id: "a", vector: [2] }]), path: "records[1].id" },
    { name: "an empty batch", call: (f) => f.vector.upsert("c", []), path: "records" },
    { name: "an unknown record field", call: (f) => f.vector.upsert("c", [{ id: "a", vector: [1], meta: {} } as unknown as VectorRecord]), path: "records[0].meta" },
    { name: "metadata that is not an object", call: (f) => f.vector.upsert("c", [{ id: "a", vector: [1], metadata: [1] as unknown as Record<string, unknown> }]), path: "records[0].metadata" },
    { name: "metadata over 64 KiB as JSON", call: (f) => f.vector.upsert("c", [{ id: "a", vector: [1], metadata: { blob: "é".repeat(32_768) } }]), path: "records[0].metadata" },
    { name: "a collection name with a slash", call: (f) => f.vector.getCollection("a/b"), path: "name" },
    { name: "a collection name of '..'", call: (f) => f.vector.deleteCollection(".."), path: "name" },
    { name: "0 dimensions", call: (f) => f.vector.createCollection({ name: "c", dimensions: 0 }), path: "dimensions" },
    { name: "an unknown metric", call: (f) => f.vector.createCollection({ name: "c", dimensions: 2, metric: "manhattan" } as unknown as VectorCreateCollectionParams), path: "metric" },
    { name: "topK 0", call: (f) => f.vector.query("c", { vector: [1], topK: 0 }), path: "topK" },
    { name: "topK 1001", call: (f) => f.vector.query("c", { vector: [1], topK: 1001 }), path: "topK" },
    { name: "topK 2.5", call: (f) => f.vector.query("c", { vector: [1], topK: 2.5 }), path: "topK" },
    { name: "1001 records", call: (f) => f.vector.upsert("c", Array.from({ length: 1001 }, (_, i) => ({ id: `r${i}`, vector: [1] }))), path: "records" },
    { name: "a vector of 8193 numbers", call: (f) => f.vector.query("c", { vector: new Array<number>(8193).fill(1) }), path: "vector" },
    { name: "a filter with an unknown operator", call: (f) => f.vector.query("c", { vector: [1], filter: { a: { $like: "x" } } as unknown as Filter }), path: "filter.a.$like" },
    { name: "an empty id list", call: (f) => f.vector.delete("c", []), path: "ids" },
    { name: "list limit 0", call: (f) => f.vector.listCollections({ limit: 0 }), path: "limit" },
  ];

  it.each(cases)("$name is a FlowValidationError on `$path`", async ({ call, path }) => {
    const error = await caught(() => call(offline));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toContain(path);
  });
});

describe("vector tenancy and scopes", () => {
  it("a workspace the token is not for is refused with 403 tenant_mismatch", async () => {
    const error = await caught(() => platform.createFlow({ workspaceId: "ws_other" }).vector.listCollections());
    expect(error).toBeInstanceOf(FlowPermissionError);
    expect(error).toMatchObject({ status: 403, code: "tenant_mismatch" });
  });

  it("another workspace does not see this one's collection and can make its own of the same name", async () => {
    const name = unique("tenant");
    await flow.vector.createCollection({ name, dimensions: 2 });
    await flow.vector.upsert(name, [{ id: "local", vector: [1, 0] }]);
    const wsB = flowWithToken(platform, await platform.mintToken({ workspaceId: "ws_b" }), "ws_b");
    expect(await caught(() => wsB.vector.query(name, { vector: [1, 0] }))).toBeInstanceOf(FlowNotFoundError);
    await wsB.vector.createCollection({ name, dimensions: 2 });
    await wsB.vector.upsert(name, [{ id: "b-only", vector: [1, 0] }]);
    expect((await wsB.vector.query(name, { vector: [1, 0] })).map((m) => m.id)).toEqual(["b-only"]);
    expect((await flow.vector.query(name, { vector: [1, 0] })).map((m) => m.id)).toEqual(["local"]);
  });

  it("a token with only vector:read can query but not upsert (403 missing_scope)", async () => {
    const name = unique("scope");
    await flow.vector.createCollection({ name, dimensions: 2 });
    await flow.vector.upsert(name, [{ id: "a", vector: [1, 0] }]);
    const reader = flowWithToken(platform, await platform.mintToken({ scopes: ["vector:read"] }));
    expect((await reader.vector.query(name, { vector: [1, 0] })).map((m) => m.id)).toEqual(["a"]);
    const error = await caught(() => reader.vector.upsert(name, [{ id: "b", vector: [0, 1] }]));
    expect(error).toBeInstanceOf(FlowPermissionError);
    expect(error).toMatchObject({ status: 403, code: "missing_scope" });
    const writer = flowWithToken(platform, await platform.mintToken({ scopes: ["vector:write"] }));
    expect(await caught(() => writer.vector.query(name, { vector: [1, 0] }))).toMatchObject({ code: "missing_scope" });
  });
});
