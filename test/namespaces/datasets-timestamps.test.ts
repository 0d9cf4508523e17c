import { describe, expect, it } from "vitest";
import { FlowValidationError, type DatasetsQueryParams } from "../../src/index.js";
import { canonicalTimestamp } from "../../src/dto/datasets.js";
import { caught, sharedPlatform } from "../helpers/flows.js";

const { platform, flow } = await sharedPlatform();

let counter = 0;
const unique = (label: string): string => `${label}-${++counter}-${Date.now().toString(36)}`;

/** A Date in `year` (0–9999), which `new Date(Date.UTC(year, …))` cannot make for years 0–99. */
function dateIn(year: number, month = 0, day = 1): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  return date;
}

describe("datasets: timestamps in years 0000–9999", () => {
  it("reads years 0000–0099 as written (Date.UTC would make them 1900–1999), checking days, times and zones by hand", () => {
    expect(canonicalTimestamp("0000-01-01T00:00:00Z")).toBe("0000-01-01T00:00:00.000Z");
    expect(canonicalTimestamp("0050-06-15T12:30:00.25Z")).toBe("0050-06-15T12:30:00.250Z");
    expect(canonicalTimestamp("0099-12-31T23:59:59+01:00")).toBe("0099-12-31T22:59:59.000Z");
    expect(canonicalTimestamp("0004-02-29T00:00:00Z")).toBe("0004-02-29T00:00:00.000Z");
    expect(canonicalTimestamp("2000-02-29T12:00:00.123456-05:30")).toBe("2000-02-29T17:30:00.123Z");
    expect(canonicalTimestamp(dateIn(7))).toBe("0007-01-01T00:00:00.000Z");
    for (const wrong of ["0100-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-31T24:00:00Z", "2026-01-31T09:60:00Z", "2026-01-31T09:00:00+24:00", "2026-01-31T09:00:00", "2026-W05", "0000-01-01T00:30:00+01:00", "9999-12-31T23:59:59-00:01"]) {
      expect(canonicalTimestamp(wrong), wrong).toBeUndefined();
    }
  });

  it("stores and queries a timestamp of year 0000–0099, as an ISO string and as a Date alike", async () => {
    const name = unique("ancient");
    await flow.datasets.create({ name, schema: { columns: { n: { type: "integer" }, at: { type: "timestamp" } } } });
    await flow.datasets.insertRows(name, [
      { n: 1, at: "0000-01-01T00:00:00Z" },
      { n: 2, at: dateIn(50) },
      { n: 3, at: "0099-12-31T23:59:59.999Z" },
      { n: 4, at: "2026-01-31T09:00:00Z" },
    ]);
    const page = await flow.datasets.query(name, { orderBy: [{ column: "at" }] });
    expect(page.data.map((row) => row["at"])).toEqual(["0000-01-01T00:00:00.000Z", "0050-01-01T00:00:00.000Z", "0099-12-31T23:59:59.999Z", "2026-01-31T09:00:00.000Z"]);
    const before100 = await flow.datasets.query(name, { filter: { at: { $lt: dateIn(100) } }, orderBy: [{ column: "n" }] });
    expect(before100.data.map((row) => row["n"])).toEqual([1, 2, 3]);
  });
});

describe("datasets: a Date in a filter on a timestamp column", () => {
  it("is accepted where insertRows accepts it, in $eq, $gt…$lte, $in and as a plain value, and compares as a time", async () => {
    const name = unique("dates");
    await flow.datasets.create({ name, schema: { columns: { n: { type: "integer" }, at: { type: "timestamp", nullable: true } } } });
    const times = [new Date("2026-01-01T00:00:00Z"), new Date("2026-01-02T00:00:00Z"), new Date("2026-01-03T00:00:00Z")];
    await flow.datasets.insertRows(name, times.map((at, i) => ({ n: i, at })));
    const ns = async (params: DatasetsQueryParams): Promise<unknown[]> => (await flow.datasets.query(name, { ...params, orderBy: [{ column: "n" }] })).data.map((row) => row["n"]);
    expect(await ns({ filter: { at: times[1]! } })).toEqual([1]);
    expect(await ns({ filter: { at: { $eq: times[2]! } } })).toEqual([2]);
    expect(await ns({ filter: { at: { $gt: times[0]!, $lte: times[2]! } } })).toEqual([1, 2]);
    expect(await ns({ filter: { at: { $in: [times[0]!, "2026-01-03T01:00:00+01:00"] } } })).toEqual([0, 2]);
    expect(await ns({ filter: { at: { $nin: [times[0]!] } } })).toEqual([1, 2]);
  });

  it("an invalid Date is refused before any request, at its exact path", async () => {
    const error = await caught(() => flow.datasets.query("x", { filter: { at: { $gt: new Date("garbage") } } }));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues).toEqual([{ path: "filter.at.$gt", message: "filter.at.$gt is an invalid Date (it would arrive as null)" }]);
  });
});

describe("issue paths: the SDK names the exact place, as the platform does", () => {
  const bodyOf = async (route: string, body: unknown, scope: string): Promise<Array<{ path: string; message: string }>> => {
    const response = await fetch(`${platform.url}/v1/orgs/org_local/workspaces/ws_local/${route}`, {
      method: "POST",
      headers: { authorization: `Bearer ${await platform.mintToken({ scopes: [scope] })}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    return ((await response.json()) as { error: { details: { issues: Array<{ path: string; message: string }> } } }).error.details.issues;
  };

  it.each([
    ["a row value JSON cannot carry", () => flow.datasets.insertRows("x", [{ a: 1 }, { a: Number.NaN }]), "rows[1].a"],
    ["a record's vector of another length", () => flow.vector.upsert("c", [{ id: "a", vector: [1, 2] }, { id: "b", vector: [1] }]), "records[1].vector"],
    ["a record's id repeated", () => flow.vector.upsert("c", [{ id: "a", vector: [1] }, { id: "a", vector: [1] }]), "records[1].id"],
    ["a filter operand", () => flow.datasets.query("x", { filter: { t: { $gt: true as unknown as string } } }), "filter.t.$gt"],
    ["a filter inside $or", () => flow.vector.query("c", { vector: [1], filter: { $or: [{ a: 1 }, { b: { $in: "x" as unknown as string[] } }] } }), "filter.$or[1].b.$in"],
    ["a schema column type", () => flow.datasets.create({ name: "x", schema: { columns: { a: { type: "date" as "string" } } } }), "schema.columns.a.type"],
  ])("%s", async (_label, call, path) => {
    const error = await caught(call);
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual([path]);
    expect((error as FlowValidationError).issues[0]!.message.startsWith(path)).toBe(true);
  });

  it("the platform's own check of a body gives the same path and message as the SDK's", async () => {
    const sdk = (await caught(() => flow.vector.upsert("c", [{ id: "a", vector: [1, 2] }, { id: "b", vector: [1] }]))) as FlowValidationError;
    const local = await bodyOf("vector/collections/c/upsert", { records: [{ id: "a", vector: [1, 2] }, { id: "b", vector: [1] }] }, "vector:write");
    expect(local).toEqual(sdk.issues);
    const sdkFilter = (await caught(() => flow.datasets.query("x", { filter: { t: { $gt: true as unknown as string } } }))) as FlowValidationError;
    expect(await bodyOf("datasets/x/query", { filter: { t: { $gt: true } } }, "datasets:read")).toEqual(sdkFilter.issues);
  });
});
