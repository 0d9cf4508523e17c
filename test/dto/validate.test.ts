import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { isPlainObject, MemoryClearInput, StateKeyInput, StateListInput, validateInput } from "../../src/dto/index.js";
import { FlowValidationError } from "../../src/errors.js";

function issuesOf(run: () => unknown): Array<{ path: string; message: string }> {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FlowValidationError);
    return [...(error as FlowValidationError).issues];
  }
  throw new Error("expected a FlowValidationError");
}

describe("validateInput", () => {
  it("gives a missing value one issue saying what is expected, not one per rule", () => {
    expect(issuesOf(() => validateInput(MemoryClearInput, {}, "memory.clear"))).toEqual([
      { path: "scope", message: expect.stringMatching(/^scope must be a string/) },
    ]);
    expect(issuesOf(() => validateInput(StateKeyInput, {}, "state.get"))).toEqual([{ path: "key", message: "key must be a string" }]);
  });

  it("gives a value of the wrong kind one issue saying what kind is expected", () => {
    expect(issuesOf(() => validateInput(MemoryClearInput, { scope: 42 }, "memory.clear"))).toEqual([
      { path: "scope", message: expect.stringMatching(/^scope must be a string/) },
    ]);
    expect(issuesOf(() => validateInput(StateKeyInput, { key: {} }, "state.get"))).toEqual([{ path: "key", message: "key must be a string" }]);
  });

  it("still lists every rule a given value breaks", () => {
    const paths = issuesOf(() => validateInput(StateKeyInput, { key: "a\u0001".repeat(300) }, "state.get"));
    expect(paths.map((issue) => issue.message)).toEqual(["key must be at most 512 characters", "key must not contain control characters"]);
  });

  it("refuses unknown properties, naming them", () => {
    expect(issuesOf(() => validateInput(StateKeyInput, { key: "k", kee: 1 }, "state.get")).map((issue) => issue.path)).toEqual(["kee"]);
  });

  it("takes an object literal made in another realm (a vm context) as parameters, and refuses a class instance", () => {
    const foreign = vm.runInNewContext("({ prefix: 'a', limit: 5 })") as unknown;
    expect(isPlainObject(foreign)).toBe(true);
    expect(validateInput(StateListInput, foreign, "state.list")).toMatchObject({ prefix: "a", limit: 5 });
    class Params {
      prefix = "a";
    }
    expect(isPlainObject(new Params())).toBe(false);
    expect(isPlainObject(vm.runInNewContext("new Map()"))).toBe(false);
    expect(isPlainObject(vm.runInNewContext("[]"))).toBe(false);
  });
});
