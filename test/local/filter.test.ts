import { describe, expect, it } from "vitest";
import { matchesFilter } from "../../local/filter.js";
import { filterIssue, type Filter } from "../../src/dto/filter.js";

const record = { status: "open", priority: 3, tags: ["a", "b"], owner: { team: "core" }, archived: null };

describe("filterIssue", () => {
  it.each<[unknown, RegExp]>([
    [[], /filter must be an object/],
    [{ "1bad": 1 }, /filter\.1bad: a field name/],
    [{ "a..b": 1 }, /filter\.a\.\.b: a field name/],
    [{ "a.": 1 }, /a field name/],
    [{ ["x".repeat(129)]: 1 }, /up to 128 characters/],
    [{ $or: [] }, /filter\.\$or must be a non-empty array/],
    [{ x: { $gt: true } }, /filter\.x\.\$gt must be a number or a string/],
    [{ x: { $regex: "a" } }, /filter\.x\.\$regex is not an operator/],
    [{ x: {} }, /must name at least one operator/],
    [{ x: { $in: [{}] } }, /filter\.x\.\$in\[0\] must be a string/],
    [{ x: Number.NaN }, /finite number/],
    [{ $or: [{ $or: [{ $or: [{ $or: [{ $or: [{ $or: [{ a: 1 }] }] }] }] }] }] }, /deeper than 4/],
  ])("refuses %j", (filter, message) => {
    expect(filterIssue(filter)).toMatch(message);
  });

  it("accepts the documented forms", () => {
    expect(filterIssue({ status: "open", priority: { $gte: 2, $lt: 5 }, $or: [{ a: null }, { b: { $in: [1, "x"] } }], c: { $exists: false } })).toBeUndefined();
  });
});

describe("matchesFilter", () => {
  it.each<[Filter, boolean]>([
    [{}, true],
    [{ status: "open" }, true],
    [{ status: "closed" }, false],
    [{ priority: { $gte: 3, $lt: 4 } }, true],
    [{ priority: { $gt: 3 } }, false],
    [{ priority: { $gt: "1" } }, false], // a number never compares with a string
    [{ tags: "b" }, true], // an array matches when an item does
    [{ tags: { $nin: ["c"] } }, true],
    [{ "owner.team": "core" }, true],
    [{ archived: null, missing: null }, true], // null matches null and absent
    [{ archived: { $exists: true }, missing: { $exists: false } }, true],
    [{ missing: { $ne: "x" } }, true],
    [{ $or: [{ status: "closed" }, { priority: { $in: [1, 3] } }] }, true],
    [{ $and: [{ status: "open" }, { priority: 2 }] }, false],
  ])("%j → %s", (filter, expected) => {
    expect(matchesFilter(filter, record)).toBe(expected);
  });
});
