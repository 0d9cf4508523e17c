// Bad input to codeBlocks, jobs and workflows, as properties: whatever wrong value a caller passes
// in any argument (the wait bounds `timeoutMs` and `signal` included), the call rejects with a
// FlowValidationError and sends nothing to the counting server.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { FlowAbortError, FlowConfigError, FlowSDK } from "../../src/index.js";
import { COMPUTE_METHODS, WAITS } from "./compute-methods.js";
import { CANARY, countingFlow, itRefusesBadInput, refusalOf, RUNS, SEED, startCountingServer } from "./harness.js";

const server = await startCountingServer();
const flow = countingFlow(server);

describe("bad input to codeBlocks, jobs and workflows", () => {
  itRefusesBadInput(COMPUTE_METHODS, flow, server);
});

describe("the wait bounds of waitForExecution, jobs.wait and waitForRun", () => {
  const waits = fc.constantFrom(...(Object.keys(WAITS) as Array<keyof typeof WAITS>));

  it("a signal that has already aborted, in the bounds or the options, ends the wait with FlowAbortError before the first poll", async () => {
    await fc.assert(
      fc.asyncProperty(waits, fc.constantFrom("bounds", "options", "both"), async (wait, where) => {
        const signal = AbortSignal.abort();
        const sent = server.requests.length;
        const bounds = where === "options" ? {} : { signal };
        const error = await refusalOf(() => WAITS[wait](flow, "id_1", bounds, where === "bounds" ? undefined : { signal }), "promise");
        expect(error).toBeInstanceOf(FlowAbortError);
        expect(server.requests.slice(sent)).toEqual([]);
      }),
      { seed: SEED, numRuns: 20 },
    );
  });
});

describe("jobs.reportProgress outside a job", () => {
  const outside = FlowSDK.create({ platformUrl: server.url, authToken: CANARY, orgId: "org_props", workspaceId: "ws_props", maxRetries: 0, env: {} });
  afterAll(() => outside.close());

  it("rejects good progress with FlowConfigError naming JOB_ID, and sends nothing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.double({ min: 0, max: 100, noNaN: true }), fc.option(fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== ""), { nil: undefined }), async (percent, message) => {
        const sent = server.requests.length;
        const error = await refusalOf(() => outside.jobs.reportProgress(percent, message), "promise");
        expect(error).toBeInstanceOf(FlowConfigError);
        expect((error as Error).message).toContain("JOB_ID");
        expect(server.requests.slice(sent)).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
