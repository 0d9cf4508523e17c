import { beforeAll, describe, expect, it } from "vitest";
import {
  FlowConflictError,
  FlowConnectionError,
  FlowNotFoundError,
  FlowPermissionError,
  FlowSDK,
  FlowValidationError,
  type DatasetJsonValue,
  type DatasetRow,
  type DatasetRowOf,
  type DatasetSchema,
  type DatasetsQueryParams,
} from "../../src/index.js";
import { caught, expectCursorRefused, flowWithToken, sharedPlatform } from "../helpers/flows.js";

const { platform, flow, offline } = await sharedPlatform();

let counter = 0;
/** A dataset name no other test uses. */
const unique = (label: string): string => `${label}-${++counter}-${Date.now().toString(36)}`;

const people = { columns: { name: { type: "string" }, age: { type: "integer" }, score: { type: "number", nullable: true }, joined: { type: "timestamp", nullable: true } } } as const;
type Person = DatasetRowOf<typeof people>;

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe("datasets: create, get, list, delete", () => {
  it("create returns the dataset with its schema spelt out, and get finds it by name, id or object", async () => {
    const name = unique("people");
    const created = await flow.datasets.create({ name, schema: people, description: "who is who" });
    expect(created).toMatchObject({ name, description: "who is who", rowCount: 0 });
    expect(created.id).toMatch(/^ds_[0-9a-f]{24}$/);
    expect(created.schema.columns).toEqual({
      name: { type: "string", nullable: false },
      age: { type: "integer", nullable: false },
      score: { type: "number", nullable: true },
      joined: { type: "timestamp", nullable: true },
    });
    expect(Number.isNaN(Date.parse(created.createdAt))).toBe(false);
    expect(await flow.datasets.get(name)).toEqual(created);
    expect(await flow.datasets.get(created.id)).toEqual(created);
    expect(await flow.datasets.get(created)).toEqual(created);
  });

  it("a taken name is FlowConflictError", async () => {
    const name = unique("dup");
    await flow.datasets.create({ name, schema: people });
    const error = await caught(() => flow.datasets.create({ name, schema: { columns: { x: { type: "json" } } } }));
    expect(error).toBeInstanceOf(FlowConflictError);
    expect(error).toMatchObject({ status: 409, code: "already_exists" });
  });

  it("a missing dataset is FlowNotFoundError naming it, for get, insertRows and query", async () => {
    const name = unique("nowhere");
    for (const call of [() => flow.datasets.get(name), () => flow.datasets.insertRows(name, [{ a: 1 }]), () => flow.datasets.query(name)]) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(FlowNotFoundError);
      expect(error).toMatchObject({ status: 404, code: "not_found" });
      expect((error as Error).message).toContain(name);
    }
  });

  it("list pages through the workspace's datasets by name, each exactly once", async () => {
    const ws = flowWithToken(platform, await platform.mintToken({ workspaceId: "ws_list" }), "ws_list");
    const names = ["e", "b", "d", "a", "c"].map((n) => `list-${n}`);
    for (const name of names) await ws.datasets.create({ name, schema: people });
    const first = await ws.datasets.list({ limit: 2 });
    expect(first.data.map((d) => d.name)).toEqual(["list-a", "list-b"]);
    expect(first.nextCursor).not.toBeNull();
    expect((await all(ws.datasets.list({ limit: 2 }))).map((d) => d.name)).toEqual([...names].sort());
  });

  it("delete removes the dataset and its rows, and resolves to whether it existed", async () => {
    const name = unique("gone");
    await flow.datasets.create({ name, schema: people });
    await flow.datasets.insertRows(name, [{ name: "a", age: 1 }]);
    expect(await flow.datasets.delete(name)).toBe(true);
    expect(await flow.datasets.delete(name)).toBe(false);
    expect(await caught(() => flow.datasets.get(name))).toBeInstanceOf(FlowNotFoundError);
    // The name is free again, and the new dataset starts empty.
    await flow.datasets.create({ name, schema: people });
    expect((await flow.datasets.query(name)).data).toEqual([]);
  });
});

describe("datasets: inserting rows", () => {
  it("stores rows in insertion order: missing nullable columns as null, timestamps as toISOString()", async () => {
    const dataset = await flow.datasets.create({ name: unique("insert"), schema: people });
    const result = await flow.datasets.insertRows(dataset, [
      { name: "Ada", age: 36, score: 9.5, joined: new Date("2026-01-31T09:00:00Z") },
      { name: "Bob", age: 41, joined: "2026-02-01T10:00:00+01:00" },
      { name: "Cy", age: 7, score: null },
    ]);
    expect(result).toEqual({ inserted: 3, rowCount: 3 });
    const page = await flow.datasets.query(dataset);
    const rows: Person[] = page.data;
    expect(rows).toEqual([
      { name: "Ada", age: 36, score: 9.5, joined: "2026-01-31T09:00:00.000Z" },
      { name: "Bob", age: 41, score: null, joined: "2026-02-01T09:00:00.000Z" },
      { name: "Cy", age: 7, score: null, joined: null },
    ]);
    expect(page.nextCursor).toBeNull();
    expect((await flow.datasets.insertRows(dataset.id, [{ name: "Di", age: 3 }])).rowCount).toBe(4);
    expect((await flow.datasets.get(dataset.id)).rowCount).toBe(4);
  });

  it("an insert repeated with the same idempotencyKey (a retry after a lost answer) stores its rows once", async () => {
    const dataset = await flow.datasets.create({ name: unique("once"), schema: people });
    const rows = [{ name: "a", age: 1 }, { name: "b", age: 2 }];
    const first = await flow.datasets.insertRows(dataset, rows, { idempotencyKey: `insert-${dataset.id}` });
    const again = await flow.datasets.insertRows(dataset, rows, { idempotencyKey: `insert-${dataset.id}` });
    expect(again).toEqual(first);
    expect((await flow.datasets.get(dataset)).rowCount).toBe(2);
    expect((await flow.datasets.insertRows(dataset, rows)).rowCount).toBe(4);
  });

  it("a json value nested deeper than 100 levels is refused (SQLite could not read the row back), 100 levels are kept", async () => {
    const nest = (depth: number): unknown => {
      let value: unknown = "core";
      for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { v: value };
      return value;
    };
    const dataset = await flow.datasets.create({ name: unique("deep"), schema: { columns: { n: { type: "integer" }, j: { type: "json" } } } });
    const error = await caught(() => flow.datasets.insertRows(dataset, [{ n: 1, j: nest(1) as DatasetJsonValue }, { n: 101, j: nest(101) as DatasetJsonValue }]));
    expect(error).toBeInstanceOf(FlowValidationError);
    // The SDK refuses it before sending; the platform checks too (below).
    expect((error as FlowValidationError).issues).toEqual([{ path: "rows[1].j", message: "rows[1].j nests arrays and objects deeper than 100 levels (or refers to itself)" }]);
    // 100 000 levels, sent raw (too deep for JSON.stringify): still a 400, not a stack overflow.
    const response = await fetch(`${platform.url}/v1/orgs/org_local/workspaces/ws_local/datasets/${dataset.id}/rows`, {
      method: "POST",
      headers: { authorization: `Bearer ${await platform.mintToken({ scopes: ["datasets:write"] })}`, "content-type": "application/json" },
      body: `{"rows":[{"n":1,"j":${"[".repeat(100_000)}1${"]".repeat(100_000)}}]}`,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { details: unknown } }).error.details).toEqual({ issues: [{ path: "rows[0].j", message: "rows[0].j nests arrays and objects deeper than 100 levels (or refers to itself)" }] });
    await flow.datasets.insertRows(dataset, [{ n: 100, j: nest(100) as DatasetJsonValue }, { n: 1, j: nest(1) as DatasetJsonValue }]);
    const page = await flow.datasets.query(dataset, { filter: { n: { $gte: 1 } }, orderBy: [{ column: "n" }] });
    expect(page.data.map((row) => row.n)).toEqual([1, 100]);
    expect(page.data[1]?.j).toEqual(nest(100));
  });

  it("a row that cannot be sent as JSON (a cycle, a bigint) is FlowValidationError before any request", async () => {
    const cyclic: Record<string, unknown> = { name: "a", age: 1 };
    cyclic["self"] = cyclic;
    for (const row of [cyclic, { name: "b", age: 10n }]) {
      const error = await caught(() => offline.datasets.insertRows("x", [row]));
      expect(error).toBeInstanceOf(FlowValidationError);
      expect((error as FlowValidationError).issues[0]).toMatchObject({ path: expect.stringMatching(/^rows\[0\]\.(self|age)$/), message: expect.stringMatching(/^rows\[0\]\.(self (nests arrays and objects deeper than 100 levels \(or refers to itself\))|age must be a JSON value)/) });
    }
  });

  it("concurrent inserts each land whole: row counts step by batch, none lost", async () => {
    const dataset = await flow.datasets.create({ name: unique("concurrent"), schema: { columns: { batch: { type: "integer" }, i: { type: "integer" } } } });
    const results = await Promise.all(Array.from({ length: 10 }, (_, batch) => flow.datasets.insertRows(dataset, Array.from({ length: 50 }, (_, i) => ({ batch, i })))));
    expect(results.map((r) => r.rowCount).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, k) => (k + 1) * 50));
    const rows = await all(flow.datasets.query(dataset, { limit: 1000 }));
    expect(rows).toHaveLength(500);
    // insertion order keeps each batch together
    const batches = rows.map((row) => row.batch).filter((batch, k, list) => k === 0 || list[k - 1] !== batch);
    expect(new Set(batches).size).toBe(10);
    expect(batches).toHaveLength(10);
  });

  it("one bad row refuses the whole batch with FlowValidationError naming each row and column; nothing is stored", async () => {
    const name = unique("atomic");
    await flow.datasets.create({ name, schema: people });
    const rows = [
      { name: "ok", age: 1 },
      { name: "ok", age: 2 },
      { name: "ok", age: 3 },
      { name: "bad", age: 4.5 },
      { name: "bad", age: 5, nickname: "x" },
      { age: 6 },
      { name: "bad", age: "7" },
      { name: "bad", age: 8, joined: "yesterday" },
      { name: null, age: 9 },
    ];
    const error = await caught(() => flow.datasets.insertRows(name, rows));
    expect(error).toBeInstanceOf(FlowValidationError);
    const issues = (error as FlowValidationError).issues;
    expect(issues.map((i) => i.path)).toEqual(["rows[3].age", "rows[4].nickname", "rows[5].name", "rows[6].age", "rows[7].joined", "rows[8].name"]);
    expect(issues[0]?.message).toMatch(/^rows\[3\]\.age must be an integer/);
    expect(issues[1]?.message).toMatch(/^rows\[4\]\.nickname is not a column/);
    expect(issues[2]?.message).toMatch(/^rows\[5\]\.name is missing/);
    expect((error as Error).message).toContain("rows[3].age must be an integer");
    expect((await flow.datasets.get(name)).rowCount).toBe(0);
    expect((await flow.datasets.query(name)).data).toEqual([]);
  });
});

describe("datasets: large inserts", () => {
  const schema = { columns: { n: { type: "integer" }, text: { type: "string" } } } as const;

  it("10 000 rows go in one call; a bad row 10 000 refuses the batch and the row count stays as it was", async () => {
    const dataset = await flow.datasets.create({ name: unique("big"), schema });
    await flow.datasets.insertRows(dataset, [{ n: -2, text: "before" }, { n: -1, text: "before" }]);
    const rows = Array.from({ length: 10_000 }, (_, n) => ({ n, text: `row ${n}` }));
    const bad = [...rows.slice(0, 9_999), { n: 9_999, text: 9_999 }];
    const error = await caught(() => flow.datasets.insertRows(dataset.id, bad));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toEqual(["rows[9999].text"]);
    expect((await flow.datasets.get(dataset)).rowCount).toBe(2);
    expect((await flow.datasets.query(dataset, { filter: { text: { $ne: "before" } } })).data).toEqual([]);
    expect(await flow.datasets.insertRows(dataset, rows)).toEqual({ inserted: 10_000, rowCount: 10_002 });
    const last = await flow.datasets.query(dataset, { orderBy: [{ column: "n", direction: "desc" }], limit: 1 });
    expect(last.data).toEqual([{ n: 9_999, text: "row 9999" }]);
  });

  it("rows over the 8 MiB request body limit are FlowValidationError before any request, saying to split them", async () => {
    const rows = Array.from({ length: 9_000 }, (_, n) => ({ n, text: "x".repeat(1_000) }));
    const error = await caught(() => offline.datasets.insertRows("big", rows));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues).toEqual([{ path: "rows", message: expect.stringMatching(/^rows are 8\.8 MiB as JSON, over the 8 MiB .*split them/) }]);
  });
});

describe("datasets: validation before any request", () => {
  it("the offline instance used below really fails once a request is sent", async () => {
    expect(await caught(() => offline.datasets.get("x"))).toBeInstanceOf(FlowConnectionError);
  });

  const bad = <T>(value: unknown): T => value as T;
  const cases: Array<{ name: string; call: (f: FlowSDK) => unknown; path: string }> = [
    { name: "a name with a slash", call: (f) => f.datasets.create({ name: "a/b", schema: people }), path: "name" },
    { name: "a name of ..", call: (f) => f.datasets.get(".."), path: "dataset" },
    { name: "a name that looks like an id", call: (f) => f.datasets.create({ name: "ds_0123456789abcdef01234567", schema: people }), path: "name" },
    { name: "an empty schema", call: (f) => f.datasets.create({ name: "x", schema: { columns: {} } }), path: "schema.columns" },
    { name: "an unknown column type", call: (f) => f.datasets.create({ name: "x", schema: bad<DatasetSchema>({ columns: { a: { type: "date" } } }) }), path: "schema.columns.a.type" },
    { name: "a column name with a dot", call: (f) => f.datasets.create({ name: "x", schema: { columns: { "a.b": { type: "string" } } } }), path: "schema.columns.a.b" },
    { name: "no rows", call: (f) => f.datasets.insertRows("x", []), path: "rows" },
    { name: "more than 10 000 rows", call: (f) => f.datasets.insertRows("x", Array.from({ length: 10_001 }, () => ({ a: 1 }))), path: "rows" },
    { name: "NaN, which JSON would turn into null", call: (f) => f.datasets.insertRows("x", [{ a: 1 }, { a: Number.NaN }]), path: "rows[1].a" },
    { name: "Infinity, which JSON would turn into null", call: (f) => f.datasets.insertRows("x", [{ a: Number.POSITIVE_INFINITY }]), path: "rows[0].a" },
    { name: "an invalid Date, which JSON would turn into null", call: (f) => f.datasets.insertRows("x", [{ at: new Date("garbage") }]), path: "rows[0].at" },
    { name: "a row that is not an object", call: (f) => f.datasets.insertRows("x", bad<DatasetRow[]>([{ a: 1 }, [1, 2]])), path: "rows[1]" },
    { name: "a filter with an unknown operator", call: (f) => f.datasets.query("x", { filter: bad({ age: { $like: "a%" } }) }), path: "filter.age.$like" },
    { name: "a sort direction that is not asc or desc", call: (f) => f.datasets.query("x", { orderBy: bad([{ column: "age", direction: "up" }]) }), path: "orderBy[0].direction" },
    { name: "query limit 0", call: (f) => f.datasets.query("x", { limit: 0 }), path: "limit" },
    { name: "an unknown query option", call: (f) => f.datasets.query("x", bad<DatasetsQueryParams>({ pageSize: 5 })), path: "pageSize" },
    { name: "query params that are a number (were dropped, and every row read)", call: (f) => f.datasets.query("x", bad<DatasetsQueryParams>(10)), path: "" },
    { name: "query params holding the dataset argument", call: (f) => f.datasets.query("x", bad<DatasetsQueryParams>({ dataset: "y" })), path: "dataset" },
    { name: "a query cursor with a lone surrogate", call: (f) => f.datasets.query("x", { cursor: "\ud800" }), path: "cursor" },
  ];

  it.each(cases)("refuses $name with FlowValidationError naming $path", async ({ call, path }) => {
    const error = await caught(() => call(offline));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toContain(path);
  });
});

describe("datasets: query errors the platform finds", () => {
  let name: string;
  beforeAll(async () => {
    name = unique("errors");
    await flow.datasets.create({ name, schema: { columns: { a: { type: "string" }, meta: { type: "json", nullable: true }, at: { type: "timestamp", nullable: true } } } });
    await flow.datasets.insertRows(name, [{ a: "x" }, { a: "y" }, { a: "z" }]);
  });

  it.each([
    ["a sort key that is not a column", { orderBy: [{ column: "nope" }] }, "orderBy[0].column"],
    ["a sort key on a json column", { orderBy: [{ column: "meta" }] }, "orderBy[0].column"],
    ["a filter on a column the schema lacks", { filter: { $or: [{ a: "x" }, { nope: 1 }] } }, "filter.$or[1].nope"],
    ["a path into a column that is not json", { filter: { "a.b": 1 } }, "filter.a.b"],
    ["a string that is not a time, compared with a timestamp column", { filter: { at: { $gt: "yesterday" } } }, "filter.at.$gt"],
    ["a number compared with a string column (it could never match)", { filter: { a: { $in: ["x", 1] } } }, "filter.a.$in[1]"],
  ])("refuses %s with FlowValidationError naming it", async (_label, params, path) => {
    const error = await caught(() => flow.datasets.query(name, params as DatasetsQueryParams));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toEqual([path]);
  });

  it.each([
    ["a sort direction that is not asc or desc", { orderBy: [{ column: "a", direction: "up" }] }, "orderBy[0].direction"],
    ["a filter that is not an object", { filter: "{a" }, "filter"],
    ["a filter with an unknown operator", { filter: { a: { $regex: "x" } } }, "filter.a.$regex"],
    ["an unknown body property", { where: { a: "x" } }, "where"],
  ])("the platform checks the query body itself: %s is 400 validation_error", async (_label, body, path) => {
    const response = await fetch(`${platform.url}/v1/orgs/org_local/workspaces/ws_local/datasets/${name}/query`, {
      method: "POST",
      headers: { authorization: `Bearer ${await platform.mintToken({ scopes: ["datasets:read"] })}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { error: { code: string; details: { issues: Array<{ path: string }> } } };
    expect(answer.error.code).toBe("validation_error");
    expect(answer.error.details.issues.map((i) => i.path)).toContain(path);
  });

  it("a query is a POST body, so a filter far longer than a URL may be works (1000 values, 40 kB)", async () => {
    const values = Array.from({ length: 999 }, (_, i) => `${"v".repeat(36)}${i}`);
    const page = await flow.datasets.query(name, { filter: { a: { $in: [...values, "y"] } } });
    expect(page.data).toEqual([{ a: "y", meta: null, at: null }]);
  });

  it("refuses the cursor of another order, filter, dataset or list with FlowValidationError on cursor; the same order spelt out is accepted", async () => {
    const page = await flow.datasets.query(name, { limit: 1, orderBy: [{ column: "a" }], filter: { a: { $ne: "q" } } });
    const cursor = page.nextCursor!;
    expect(cursor).not.toBeNull();
    const other = unique("other");
    await flow.datasets.create({ name: other, schema: { columns: { a: { type: "string" } } } });
    await flow.datasets.insertRows(other, [{ a: "x" }, { a: "y" }]);
    const misuses = [
      () => flow.datasets.query(name, { limit: 1, orderBy: [{ column: "a", direction: "desc" }], filter: { a: { $ne: "q" } }, cursor }),
      () => flow.datasets.query(name, { limit: 1, orderBy: [{ column: "a" }], cursor }),
      () => flow.datasets.query(name, { limit: 1, orderBy: [{ column: "a" }], filter: { a: { $ne: "r" } }, cursor }),
      () => flow.datasets.query(other, { limit: 1, orderBy: [{ column: "a" }], filter: { a: { $ne: "q" } }, cursor }),
      () => flow.datasets.list({ cursor }),
      () => flow.datasets.query(name, { cursor: "bm90IGEgY3Vyc29y" }),
    ];
    for (const misuse of misuses) {
      expectCursorRefused(await caught(misuse));
    }
    const next = await flow.datasets.query(name, { limit: 1, orderBy: [{ column: "a", direction: "asc" }], filter: { a: { $ne: "q" } }, cursor });
    expect(next.data).toEqual([{ a: "y", meta: null, at: null }]);
  });

  it("a query's answer is never replayed for its Idempotency-Key: the same key sees rows inserted since", async () => {
    const fresh = unique("live");
    await flow.datasets.create({ name: fresh, schema: { columns: { a: { type: "string" } } } });
    await flow.datasets.insertRows(fresh, [{ a: "one" }]);
    expect((await flow.datasets.query(fresh, {}, { idempotencyKey: `q-${fresh}` })).data).toHaveLength(1);
    await flow.datasets.insertRows(fresh, [{ a: "two" }]);
    expect((await flow.datasets.query(fresh, {}, { idempotencyKey: `q-${fresh}` })).data).toHaveLength(2);
  });

  it("a cursor of a deleted dataset is refused by the new dataset of the same name", async () => {
    const reused = unique("reused");
    await flow.datasets.create({ name: reused, schema: { columns: { a: { type: "string" } } } });
    await flow.datasets.insertRows(reused, [{ a: "old1" }, { a: "old2" }]);
    const cursor = (await flow.datasets.query(reused, { limit: 1 })).nextCursor!;
    expect(await flow.datasets.delete(reused)).toBe(true);
    await flow.datasets.create({ name: reused, schema: { columns: { a: { type: "string" } } } });
    await flow.datasets.insertRows(reused, [{ a: "new1" }, { a: "new2" }]);
    expectCursorRefused(await caught(() => flow.datasets.query(reused, { limit: 1, cursor })));
    expect((await all(flow.datasets.query(reused, { limit: 1 }))).map((r) => r["a"])).toEqual(["new1", "new2"]);
  });
});

describe("datasets: tenancy and scopes", () => {
  it("another workspace neither sees the dataset nor may address this one", async () => {
    const name = unique("tenant");
    const mine = await flow.datasets.create({ name, schema: people });
    await flow.datasets.insertRows(mine, [{ name: "a", age: 1 }, { name: "b", age: 2 }]);
    const cursor = (await flow.datasets.query(mine, { limit: 1 })).nextCursor!;
    const wsB = flowWithToken(platform, await platform.mintToken({ workspaceId: "ws_b" }), "ws_b");
    for (const call of [() => wsB.datasets.get(name), () => wsB.datasets.get(mine.id), () => wsB.datasets.query(mine.id), () => wsB.datasets.insertRows(mine.id, [{ name: "x", age: 0 }])]) {
      expect(await caught(call)).toBeInstanceOf(FlowNotFoundError);
    }
    expect(await wsB.datasets.delete(mine.id)).toBe(false);
    const theirs = await wsB.datasets.create({ name, schema: people }); // its own namespace of names
    await wsB.datasets.insertRows(theirs, [{ name: "c", age: 3 }, { name: "d", age: 4 }]);
    expectCursorRefused(await caught(() => wsB.datasets.query(name, { limit: 1, cursor })));
    const intruder = flowWithToken(platform, await platform.mintToken({ workspaceId: "ws_b" }), "ws_local");
    for (const call of [() => intruder.datasets.query(name), () => intruder.datasets.get(mine.id), () => intruder.datasets.insertRows(name, [{ name: "x", age: 0 }]), () => intruder.datasets.delete(name)]) {
      expect(await caught(call)).toMatchObject({ status: 403, code: "tenant_mismatch" });
    }
    expect((await flow.datasets.get(mine)).rowCount).toBe(2);
  });

  it("datasets:read may get and query but not create, insert or delete; datasets:write alone may not query", async () => {
    const name = unique("scopes");
    await flow.datasets.create({ name, schema: people });
    await flow.datasets.insertRows(name, [{ name: "a", age: 1 }]);
    const reader = flowWithToken(platform, await platform.mintToken({ scopes: ["datasets:read"] }));
    expect((await reader.datasets.query(name)).data).toHaveLength(1);
    for (const call of [() => reader.datasets.create({ name: unique("r"), schema: people }), () => reader.datasets.insertRows(name, [{ name: "b", age: 2 }]), () => reader.datasets.delete(name)]) {
      expect(await caught(call)).toMatchObject({ status: 403, code: "missing_scope" });
    }
    const writer = flowWithToken(platform, await platform.mintToken({ scopes: ["datasets:write"] }));
    expect(await writer.datasets.insertRows(name, [{ name: "c", age: 3 }])).toEqual({ inserted: 1, rowCount: 2 });
    const error = await caught(() => writer.datasets.query(name));
    expect(error).toBeInstanceOf(FlowPermissionError);
  });
});

describe("datasets: keyset pages", () => {
  // Ties (group has 4 values and nulls), and strings JavaScript and SQLite order differently
  // ("😀" is before "\uE000" in UTF-16 code units, after it in UTF-8 bytes).
  const labels = ["b", "a", "😀", "\uE000", "B", "", null, "ab"];
  const amounts = [2.5, -1, null, 0, 2, -0.5, 10];
  const times = ["2026-03-01T00:00:00.000Z", null, "1999-12-31T23:59:59.999Z", "2026-03-01T00:00:00.001Z"];
  const schema = {
    columns: {
      id: { type: "integer" },
      group: { type: "integer", nullable: true },
      label: { type: "string", nullable: true },
      amount: { type: "number", nullable: true },
      flag: { type: "boolean", nullable: true },
      at: { type: "timestamp", nullable: true },
    },
  } as const;
  type Row = DatasetRowOf<typeof schema>;
  const rows: Row[] = Array.from({ length: 25 }, (_, id) => ({
    id,
    group: id % 5 === 4 ? null : (id * 7) % 4,
    label: labels[(id * 3) % labels.length] ?? null,
    amount: amounts[id % amounts.length] ?? null,
    flag: id % 3 === 2 ? null : id % 2 === 0,
    at: times[(id * 5) % times.length] ?? null,
  }));
  let name: string;

  beforeAll(async () => {
    name = unique("pages");
    await flow.datasets.create({ name, schema });
    await flow.datasets.insertRows(name, rows);
  });

  // null first ascending, last descending; ties in insertion order (id)
  type SortColumn = "group" | "label" | "amount" | "flag" | "at";
  function expected(orderBy: ReadonlyArray<{ column: SortColumn; direction: "asc" | "desc" }>): number[] {
    const cmp = (a: number | string | boolean | null, b: number | string | boolean | null): number => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
    return [...rows]
      .sort((x, y) => {
        for (const { column, direction } of orderBy) {
          const c = cmp(x[column], y[column]);
          if (c !== 0) return direction === "asc" ? c : -c;
        }
        return x.id - y.id;
      })
      .map((r) => r.id);
  }

  it.each([
    { label: "group asc", orderBy: [{ column: "group", direction: "asc" }] },
    { label: "group desc", orderBy: [{ column: "group", direction: "desc" }] },
    { label: "label asc (UTF-16 order)", orderBy: [{ column: "label", direction: "asc" }] },
    { label: "label desc", orderBy: [{ column: "label", direction: "desc" }] },
    { label: "group desc, label asc", orderBy: [{ column: "group", direction: "desc" }, { column: "label", direction: "asc" }] },
    { label: "label asc, group desc", orderBy: [{ column: "label", direction: "asc" }, { column: "group", direction: "desc" }] },
    { label: "amount asc (integers and reals)", orderBy: [{ column: "amount", direction: "asc" }] },
    { label: "flag desc, at asc", orderBy: [{ column: "flag", direction: "desc" }, { column: "at", direction: "asc" }] },
    { label: "at desc, amount desc, group asc", orderBy: [{ column: "at", direction: "desc" }, { column: "amount", direction: "desc" }, { column: "group", direction: "asc" }] },
  ] as const)("orderBy $label, 7 rows a page: every row exactly once, in order", async ({ orderBy }) => {
    const want = expected([...orderBy]);
    const sizes: number[] = [];
    const ids: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await flow.datasets.query<Row>(name, { orderBy: [...orderBy], limit: 7, ...(cursor === undefined ? {} : { cursor }) });
      sizes.push(page.data.length);
      ids.push(...page.data.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(sizes).toEqual([7, 7, 7, 4]);
    expect(ids).toEqual(want);
    expect((await all(flow.datasets.query<Row>(name, { orderBy: [...orderBy], limit: 7 }))).map((r) => r.id)).toEqual(want);
  });

  it("without orderBy, rows come in insertion order; a filter and a sort page together", async () => {
    expect((await all(flow.datasets.query<Row>(name, { limit: 4 }))).map((r) => r.id)).toEqual(rows.map((r) => r.id));
    const got = await all(flow.datasets.query<Row>(name, { filter: { group: { $in: [1, null] } }, orderBy: [{ column: "label", direction: "desc" }], limit: 2 }));
    const want = expected([{ column: "label", direction: "desc" }]).filter((id) => rows[id]?.group === 1 || rows[id]?.group === null);
    expect(got.map((r) => r.id)).toEqual(want);
    expect(want.length).toBeGreaterThan(5);
  });

  it("a Dataset object types the rows from its schema, for insertRows and query", async () => {
    const dataset = await flow.datasets.create({ name: unique("typed"), schema });
    await flow.datasets.insertRows(dataset, rows.slice(0, 3));
    // Checked by tsc (test files are type-checked): a wrong type or an unknown column does not compile.
    // @ts-expect-error id is an integer column
    await expect(flow.datasets.insertRows(dataset, [{ id: "3" }])).rejects.toBeInstanceOf(FlowValidationError);
    // @ts-expect-error there is no column "nope"
    await expect(flow.datasets.insertRows(dataset, [{ id: 3, nope: 1 }])).rejects.toBeInstanceOf(FlowValidationError);
    // @ts-expect-error "nope" is not a column to sort by
    await expect(flow.datasets.query(dataset, { orderBy: [{ column: "nope" }] })).rejects.toBeInstanceOf(FlowValidationError);
    const page = await flow.datasets.query(dataset, { orderBy: [{ column: "id", direction: "desc" }] });
    const ids: number[] = page.data.map((row) => row.id);
    expect(ids).toEqual([2, 1, 0]);
    // get<S> claims the schema of a dataset found by name, with the same effect.
    const found = await flow.datasets.get<typeof schema>(dataset.name);
    const labels: Array<string | null> = (await flow.datasets.query(found)).data.map((row) => row.label);
    expect(labels).toEqual(rows.slice(0, 3).map((row) => row.label));
    // @ts-expect-error flag is boolean | null, not a string
    const wrong: string = (await flow.datasets.query(found)).data[0]!.flag;
    expect(typeof wrong).toBe("boolean");
  });
});
