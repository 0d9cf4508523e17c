// The SQL translation of the filter language (local/store/datasets-sql.ts) must keep exactly the
// rows that local/filter.ts's matchesFilter keeps: random rows, hand-picked and random filters.
// Also the store's one transaction per insert, with a failure injected in the database itself.
import { beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../local/db.js";
import { matchesFilter } from "../../local/filter.js";
import { DatasetsStore } from "../../local/store/datasets.js";
import type { DatasetCreateInput, DatasetQueryInput } from "../../src/dto/datasets.js";
import { filterIssue, type Filter, type FilterScalar } from "../../src/dto/filter.js";
import type { DatasetRow } from "../../src/namespaces/datasets.js";
import { seededRandom } from "../helpers/random.js";

const tenant = { orgId: "org_t", workspaceId: "ws_t" };
const store = new DatasetsStore(openDatabase());

const rand = seededRandom(20261128);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;

const strings = ["a", "b", "ab", "B", "", "é", "😀", "\uE000", "a😀", "10", "true"];
const numbers = [-2, -1.5, 0, 1, 2.5, 3, 10, 100];
const times = ["2026-01-01T00:00:00.000Z", "2026-06-30T12:00:00.000Z", "1999-12-31T23:59:59.999Z"];
const scalars: FilterScalar[] = [...strings, ...numbers, true, false, null];
const jsonValues = (): unknown => {
  const kind = Math.floor(rand() * 6);
  if (kind === 0) return pick(scalars);
  if (kind === 1) return Array.from({ length: Math.floor(rand() * 4) }, () => pick(scalars));
  if (kind === 2) return { x: pick(scalars), y: { z: pick(scalars) } };
  if (kind === 3) return { x: Array.from({ length: 3 }, () => pick(scalars)) };
  if (kind === 4) return [[pick(numbers)], { x: 1 }];
  return { y: pick(scalars) };
};

const schema = {
  columns: {
    id: { type: "integer" },
    s: { type: "string", nullable: true },
    n: { type: "number", nullable: true },
    i: { type: "integer", nullable: true },
    b: { type: "boolean", nullable: true },
    t: { type: "timestamp", nullable: true },
    j: { type: "json", nullable: true },
  },
} as const;

const maybe = <T>(value: () => T): T | null | undefined => (rand() < 0.15 ? null : rand() < 0.1 ? undefined : value());
const inserted = Array.from({ length: 300 }, (_, id) => {
  const row: Record<string, unknown> = {
    id,
    s: maybe(() => pick(strings)),
    n: maybe(() => pick(numbers)),
    i: maybe(() => Math.round(pick(numbers))),
    b: maybe(() => rand() < 0.5),
    t: maybe(() => pick(times)),
    j: maybe(jsonValues),
  };
  for (const key of Object.keys(row)) if (row[key] === undefined) delete row[key];
  return row;
});

/** The stored rows, as the platform returns them (missing nullable columns are null). */
let rows: DatasetRow[] = [];

beforeAll(() => {
  store.create(tenant, { name: "oracle", schema } as DatasetCreateInput);
  store.insert(tenant, "oracle", inserted);
  rows = query(undefined);
  expect(rows).toHaveLength(inserted.length);
});

function query(filter: Filter | undefined): DatasetRow[] {
  const out: DatasetRow[] = [];
  let cursor: string | undefined;
  do {
    const input = { dataset: "oracle", limit: 1000, ...(filter === undefined ? {} : { filter }), ...(cursor === undefined ? {} : { cursor }) };
    const page = store.query(tenant, input as DatasetQueryInput);
    out.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return out;
}

function expectSameAsOracle(filter: Filter): number {
  expect(filterIssue(filter)).toBeUndefined();
  const want = rows.filter((row) => matchesFilter(filter, row)).map((row) => row["id"]);
  const got = query(filter).map((row) => row["id"]);
  expect(got, JSON.stringify(filter)).toEqual(want);
  return want.length;
}

const fields = ["s", "n", "i", "b", "t", "j", "j.x", "j.y", "j.y.z"];
// A typed column compares with values of its type (or null); a json column with anything.
function operandFor(field: string): FilterScalar {
  if (rand() < 0.1) return null;
  if (field === "s") return pick(strings);
  if (field === "n" || field === "i") return pick(numbers);
  if (field === "b") return rand() < 0.5;
  if (field === "t") return pick(times);
  return rand() < 0.3 ? pick(times) : pick(scalars);
}
function orderable(field: string): number | string {
  if (field === "s") return pick(strings);
  if (field === "n" || field === "i") return pick(numbers);
  if (field === "t") return pick(times);
  return pick([...strings, ...numbers]);
}
function randomCondition(field: string): unknown {
  const ordered = field !== "b"; // a boolean column has no order to compare in
  const op = pick(["plain", "$eq", "$ne", "$in", "$nin", "$exists", ...(ordered ? ["$gt", "$gte", "$lt", "$lte", "two"] : [])]);
  switch (op) {
    case "plain":
      return operandFor(field);
    case "$in":
    case "$nin":
      return { [op]: Array.from({ length: Math.floor(rand() * 4) }, () => operandFor(field)) };
    case "$exists":
      return { $exists: rand() < 0.5 };
    case "$gt":
    case "$gte":
    case "$lt":
    case "$lte":
      return { [op]: orderable(field) };
    case "two":
      return { $gte: orderable(field), $ne: operandFor(field) };
    default:
      return { [op]: operandFor(field) };
  }
}
function randomFilter(depth = 0): Filter {
  const filter: Record<string, unknown> = {};
  const terms = 1 + Math.floor(rand() * 2);
  for (let k = 0; k < terms; k++) {
    if (depth < 2 && rand() < 0.25) {
      filter[pick(["$and", "$or"])] = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => randomFilter(depth + 1));
    } else {
      const field = pick(fields);
      filter[field] = randomCondition(field);
    }
  }
  return filter as Filter;
}

describe("dataset filters in SQL agree with matchesFilter", () => {
  it.each<[string, Filter]>([
    ["equality on a string", { s: "a" }],
    ["equality on a number across integer and real", { n: 3 }],
    ["equality on a boolean (not 1)", { b: true }],
    ["a number never equals a boolean in a json value", { j: 1, "j.x": { $ne: true } }],
    ["null matches null and missing", { s: null }],
    ["$ne null", { j: { $ne: null } }],
    ["$exists on a json path", { "j.x": { $exists: true } }],
    ["$exists false on a json path", { "j.y.z": { $exists: false } }],
    ["an array matches when one item does", { j: 1 }],
    ["array items by type: a string", { "j.x": "a" }],
    ["array items: booleans", { j: false }],
    ["strings compare in UTF-16 order", { s: { $gt: "\uE000" } }],
    ["strings compare in UTF-16 order, below", { s: { $lt: "😀" } }],
    ["numbers never compare with strings in a json value", { "j.x": { $gt: "1" } }],
    ["a range", { n: { $gte: 0, $lt: 10 } }],
    ["$in with null", { i: { $in: [1, null, 3] } }],
    ["$in empty", { s: { $in: [] } }],
    ["$nin empty", { s: { $nin: [] } }],
    ["$nin with null", { s: { $nin: ["a", null] } }],
    ["timestamps by time", { t: { $gte: "2026-01-01T00:00:00.000Z" } }],
    ["$or of fields", { $or: [{ s: "b" }, { n: { $lt: 0 } }, { "j.y.z": true }] }],
    ["$and inside $or", { $or: [{ $and: [{ b: true }, { i: { $gt: 1 } }] }, { s: "" }], n: { $ne: 100 } }],
  ])("%s", (_label, filter) => {
    expectSameAsOracle(filter);
  });

  it("300 random filters keep the same rows as the oracle, and select neither nothing nor everything throughout", () => {
    const sizes = new Set<number>();
    for (let k = 0; k < 300; k++) sizes.add(expectSameAsOracle(randomFilter()));
    // the filters are not all trivially empty or full
    expect(sizes.size).toBeGreaterThan(30);
  });

  it("the largest filter the grammar allows runs (100 terms, $in and $nin of 1000 values each)", () => {
    const values = (field: string, k: number): FilterScalar[] =>
      Array.from({ length: 1000 }, (_, v) => (v % 3 === 0 || field === "i" || field === "n" ? v - k : v % 3 === 1 ? pick(strings) : pick(scalars)));
    const filter: Filter = {
      $and: Array.from({ length: 99 }, (_, k) => {
        const field = pick(["i", "n", "j", "j.x"]);
        return { [field]: { $in: values(field, k), $nin: values(field, k + 1) } };
      }),
    };
    expect(filterIssue(filter)).toBeUndefined();
    expectSameAsOracle(filter);
    expect(expectSameAsOracle({ i: { $in: Array.from({ length: 1000 }, (_, v) => v - 500) } })).toBeGreaterThan(0);
  });

  it.each<[string, Filter, string]>([
    ["a string for an integer column", { i: "1" }, "filter.i"],
    ["a number for a string column", { s: { $in: ["a", 1] } }, "filter.s.$in[1]"],
    ["a number for a boolean column", { $or: [{ b: 1 }] }, "filter.$or[0].b"],
    ["an order on a boolean column", { b: { $gt: 0 } }, "filter.b.$gt"],
    ["a string for a number column", { n: { $gt: "1" } }, "filter.n.$gt"],
    ["a number for a timestamp column", { t: { $lt: 5 } }, "filter.t.$lt"],
  ])("an operand of a type the column cannot hold is refused, naming it: %s", (_label, filter, path) => {
    expect(filterIssue(filter)).toBeUndefined();
    let error: unknown;
    try {
      query(filter);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ status: 400, code: "validation_error", details: { issues: [{ path }] } });
    expect((error as Error).message).toMatch(/ column; compare it with /);
  });

  it("null compares with a column of any type", () => {
    expect(expectSameAsOracle({ $or: [{ i: null }, { b: { $ne: null } }, { t: { $in: [null] } }] })).toBeGreaterThan(0);
  });

  it("a timestamp operand is compared as a time, in any zone", () => {
    const asTime = query({ t: { $gte: "2026-01-01T01:00:00+01:00" } }).map((r) => r["id"]);
    expect(asTime).toEqual(query({ t: { $gte: "2026-01-01T00:00:00.000Z" } }).map((r) => r["id"]));
    expect(asTime.length).toBeGreaterThan(0);
  });
});

describe("an insert that fails in the database part way is undone", () => {
  it("a failure at row 5000 of 10 000 leaves no row and the row count unchanged", () => {
    const db = openDatabase();
    const own = new DatasetsStore(db);
    own.create(tenant, { name: "atomic", schema: { columns: { n: { type: "integer" } } } } as DatasetCreateInput);
    own.insert(tenant, "atomic", [{ n: -1 }]);
    // A write the schema check cannot foresee (a full disk, say): the database refuses row 5000.
    db.exec(`CREATE TRIGGER refuse_5000 BEFORE INSERT ON dataset_rows WHEN json_extract(NEW.data, '$.n') = 5000 BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    expect(() => own.insert(tenant, "atomic", Array.from({ length: 10_000 }, (_, n) => ({ n })))).toThrow(/disk full/);
    const count = (db.prepare("SELECT COUNT(*) AS c FROM dataset_rows").get() as { c: number }).c;
    expect(count).toBe(1);
    expect(own.get(tenant, "atomic").rowCount).toBe(1);
    db.exec("DROP TRIGGER refuse_5000");
    expect(own.insert(tenant, "atomic", [{ n: 1 }])).toEqual({ inserted: 1, rowCount: 2 });
    db.close();
  });
});
