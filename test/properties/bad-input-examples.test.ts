// Examples beside the properties, for codeBlocks, jobs and workflows (their namespace test files
// belong to the compute tests) and for the own __proto__ and constructor keys of any parameters
// object: the cases a property says only as one draw among many, written out with the message the
// caller gets. Each was let through before: sent, a wait with no limit, or a raw TypeError.
import { describe, expect, it } from "vitest";
import { FlowValidationError } from "../../src/index.js";
import { countingFlow, refusalOf, startCountingServer } from "./harness.js";

const server = await startCountingServer();
const flow = countingFlow(server);

/** The FlowValidationError `run` rejects with, having sent nothing. */
async function refused(run: () => unknown): Promise<FlowValidationError> {
  const sent = server.requests.length;
  const error = await refusalOf(run, "promise");
  expect(error).toBeInstanceOf(FlowValidationError);
  expect(server.requests.slice(sent)).toEqual([]);
  return error as FlowValidationError;
}

describe("wait bounds are an object of timeoutMs and signal, nothing else", () => {
  it("a misspelt timeoutMS is refused, naming it, instead of waiting with no limit", async () => {
    const error = await refused(() => flow.jobs.wait("job_1", { timeoutMS: 5000 } as never));
    expect(error.issues).toEqual([{ path: "timeoutMS", message: "property timeoutMS should not exist (a wait takes timeoutMs and signal)" }]);
  });

  it.each([
    ["null", null],
    ["an array", [5000]],
    ["a number", 5000],
    ["an AbortController", new AbortController()],
  ])("bounds given as %s are refused by waitForExecution, jobs.wait and waitForRun", async (_label, bounds) => {
    for (const wait of [
      () => flow.codeBlocks.waitForExecution("exe_1", bounds as never),
      () => flow.jobs.wait("job_1", bounds as never),
      () => flow.workflows.waitForRun("run_1", bounds as never),
    ]) {
      expect((await refused(wait)).message).toContain("the wait parameters must be an object { timeoutMs?, signal? }, or left out");
    }
  });
});

describe("params that are not an object are refused, not dropped", () => {
  it("codeBlocks.invoke with params 0n does not start the block", async () => {
    const error = await refused(() => flow.codeBlocks.invoke("hello", { a: 1 }, 0n as never));
    expect(error.message).toBe("codeBlocks.invoke: invalid input (params must be an object of parameters, or left out; got a bigint)");
  });

  it("codeBlocks.invoke refuses an input key in params, where the input argument would have won unseen", async () => {
    const error = await refused(() => flow.codeBlocks.invoke("hello", { a: 1 }, { input: { a: 2 } } as never));
    expect(error.issues.map((issue) => issue.path)).toEqual(["input"]);
  });

  it("workflows.listRuns refuses params that are a string", async () => {
    const error = await refusalOf(() => flow.workflows.listRuns("onboard", "succeeded" as never), "page");
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as Error).message).toContain("params must be an object of parameters, or left out; got a string");
  });

  it("a list refuses a cursor with a lone surrogate instead of failing to reach the platform", async () => {
    const error = await refusalOf(() => flow.jobs.list({ cursor: "\ud800" }), "page");
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues).toEqual([{ path: "cursor", message: "cursor must be well-formed Unicode (it holds a lone surrogate)" }]);
  });
});

describe("an own __proto__ or constructor key, as JSON.parse makes them, is refused naming it", () => {
  it("serviceTokens.create with a __proto__ of 1 is not sent without it (it vanished on the way before)", async () => {
    const error = await refused(() => flow.serviceTokens.create(JSON.parse('{"__proto__":1,"name":"export","scopes":["state:read"]}') as never));
    expect(error.issues).toEqual([{ path: "__proto__", message: "property __proto__ should not exist" }]);
  });

  it("a __proto__ object does not become the parameters' prototype, and a constructor key is no TypeError", async () => {
    const proto = await refused(() => flow.serviceTokens.create(JSON.parse('{"__proto__":{"expiresInSeconds":0},"name":"export","scopes":["*"]}') as never));
    expect(proto.issues.map((issue) => issue.path)).toEqual(["__proto__"]);
    const ctor = await refused(() => flow.connectors.get("tracker", JSON.parse('{"constructor":{"timeoutMs":1}}') as never));
    expect(ctor.message).toBe("request options: invalid input (constructor: property constructor should not exist)");
  });

  it("connectors.invoke sends a parameter named __proto__ like any other: params are the action's data", async () => {
    const sent = server.requests.length;
    const error = await refusalOf(() => flow.connectors.invoke("tracker", "search", JSON.parse('{"__proto__":"x","constructor":"y"}') as never), "promise");
    expect(error).not.toBeInstanceOf(FlowValidationError);
    expect(server.requests.length).toBe(sent + 1);
  });
});
