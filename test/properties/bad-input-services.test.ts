// Bad input to connectors, serviceTokens, services and service, as properties: whatever wrong
// value a caller passes in any argument, the call rejects with a FlowValidationError and sends
// nothing to the counting server. The request-binding helpers of service (bind, run, handler) are
// synchronous: they throw a FlowValidationError, never a TypeError, and send nothing either.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { FlowConfigError, FlowSDK, FlowValidationError } from "../../src/index.js";
import { goodOptions, notObject, notStringNorNullish } from "./arbitraries.js";
import { CANARY, countingFlow, itRefusesBadInput, refusalOf, RUNS, SEED, startCountingServer } from "./harness.js";
import { CONNECTOR_AND_TOKEN_METHODS, SERVICE_METHODS } from "./service-methods.js";

const server = await startCountingServer();
const flow = countingFlow(server);

describe("bad input to connectors and serviceTokens", () => {
  itRefusesBadInput(CONNECTOR_AND_TOKEN_METHODS, flow, server);
});

describe("bad input to services and service", () => {
  itRefusesBadInput(SERVICE_METHODS, flow, server);
});

describe("service.info and service.heartbeat outside a service", () => {
  const outside = FlowSDK.create({ platformUrl: server.url, authToken: CANARY, orgId: "org_props", workspaceId: "ws_props", maxRetries: 0, env: {} });
  afterAll(() => outside.close());

  it("reject good input with FlowConfigError naming SERVICE_ID, and send nothing", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          goodOptions.map((options) => () => outside.service.info(options as never)),
          fc.tuple(fc.constantFrom<unknown>(undefined, {}, { status: "degraded", details: { queue: 3 } }), goodOptions).map(([params, options]) => () => outside.service.heartbeat(params as never, options as never)),
        ),
        async (call) => {
          const sent = server.requests.length;
          const error = await refusalOf(call, "promise");
          expect(error).toBeInstanceOf(FlowConfigError);
          expect((error as Error).message).toContain("SERVICE_ID");
          expect(server.requests.slice(sent)).toEqual([]);
        },
      ),
      { seed: SEED, numRuns: 20 },
    );
  });
});

/** The error `run` throws synchronously; fails when it returns. */
function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to throw, but it returned");
}

/** A `req` that is not an incoming request: not an object, or one without a headers object. */
const badReq: fc.Arbitrary<unknown> = fc.oneof(
  notObject.filter((value) => typeof value !== "object" || value === null || Array.isArray(value)),
  fc.constant(undefined),
  fc.constantFrom<unknown>({}, { headers: null }, { headers: "x-request-id: 1" }, { headers: 5 }, { raw: {} }),
  notStringNorNullish.filter((value) => typeof value !== "object" && typeof value !== "function").map((headers) => ({ headers })),
);

/** A `res` that is not a response: not an object (`undefined` leaves it out). */
const badRes: fc.Arbitrary<unknown> = fc.oneof(fc.constant(null), notStringNorNullish.filter((value) => typeof value !== "object" && typeof value !== "function"));

/** Anything but a function, for `run`'s fn and `handler`'s listener. */
const notFunction: fc.Arbitrary<unknown> = fc.oneof(notObject.filter((value) => typeof value !== "function"), fc.constant(undefined));

describe("the request-binding helpers of service", () => {
  it("bind, run and handler throw a FlowValidationError for a bad req, res, fn or listener, and send nothing", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          badReq.map((req) => ({ what: "bind", call: () => flow.service.bind(req as never) })),
          badReq.map((req) => ({ what: "run", call: () => flow.service.run(req as never, () => "ran") })),
          badRes.map((res) => ({ what: "bind", call: () => flow.service.bind({ headers: {} }, res as never) })),
          notFunction.map((fn) => ({ what: "run", call: () => flow.service.run({ headers: {} }, fn as never) })),
          notFunction.map((listener) => ({ what: "handler", call: () => flow.service.handler(listener as never) })),
        ),
        ({ call }) => {
          const sent = server.requests.length;
          const error = thrownBy(call);
          expect(error).toBeInstanceOf(FlowValidationError);
          expect(server.requests.slice(sent)).toEqual([]);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("service.request is a getter that never throws: outside a request, the empty context", async () => {
    const descriptor = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(flow.service) as object, "request");
    expect(typeof descriptor?.get).toBe("function");
    // A fresh async context: the binds above entered theirs into this test's own.
    const context = await new Promise((resolve) => setImmediate(() => resolve(flow.service.request)));
    expect(context).toMatchObject({ headers: {}, auth: {}, execution: {} });
  });

  it("middleware and fastify take no arguments and return functions", () => {
    expect(typeof flow.service.middleware()).toBe("function");
    expect(typeof flow.service.fastify()).toBe("function");
  });
});
