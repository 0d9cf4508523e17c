// What a refusal of bad input looks like, across every method of every namespace: a
// FlowValidationError lists its issues as { path, message } strings, and no form of the error
// (message, String, JSON, inspect) shows the auth token, even when the bad input quotes it. No
// namespace rejects with FlowNotAvailableError any more: whatever the arguments, a method of
// the last to ship (connectors, serviceTokens, services, service) or of the model namespaces
// rejects, never throws, with a FlowValidationError having sent nothing, or the server's error.
import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FlowNotAvailableError, FlowServerError, FlowValidationError } from "../../src/index.js";
import { badOptions } from "./arbitraries.js";
import { COMPUTE_METHODS } from "./compute-methods.js";
import { COLLECTION_METHODS } from "./collection-methods.js";
import { MODEL_METHODS } from "./model-methods.js";
import { CONNECTOR_AND_TOKEN_METHODS, SERVICE_METHODS } from "./service-methods.js";
import { STORE_METHODS } from "./store-methods.js";
import { badArgs, CANARY, goodArgs, countingFlow, refusalOf, SEED, startCountingServer, type MethodUnderTest } from "./harness.js";

const server = await startCountingServer();
const flow = countingFlow(server);

/** The methods of connectors, serviceTokens, services and service (its binding helpers aside). */
const SHIPPED_METHODS = [...CONNECTOR_AND_TOKEN_METHODS, ...SERVICE_METHODS];

/** Every method that takes caller input. */
const ALL_METHODS = [...STORE_METHODS, ...COLLECTION_METHODS, ...COMPUTE_METHODS, ...MODEL_METHODS, ...SHIPPED_METHODS];

/** Any method of any namespace with bad arguments for it. */
const anyBadCall = fc.constantFrom(...ALL_METHODS).chain((m) => badArgs(m).map((args) => ({ m, args })));

async function refusal({ m, args }: { m: MethodUnderTest; args: unknown[] }): Promise<FlowValidationError> {
  const error = await refusalOf(() => m.call(flow, args), m.returns);
  expect(error).toBeInstanceOf(FlowValidationError);
  return error as FlowValidationError;
}

describe("a FlowValidationError", () => {
  it("lists at least one issue, each a { path, message } of strings with a message", async () => {
    await fc.assert(
      fc.asyncProperty(anyBadCall, async (call) => {
        const { issues } = await refusal(call);
        expect(Array.isArray(issues)).toBe(true);
        expect(issues.length).toBeGreaterThan(0);
        for (const issue of issues) {
          expect(typeof issue.path).toBe("string");
          expect(typeof issue.message).toBe("string");
          expect(issue.message.trim()).not.toBe("");
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("shows [REDACTED] where the bad input quotes the auth token", async () => {
    const error = await refusal({ m: STORE_METHODS.find((m) => m.name === "state.list")!, args: [{ [CANARY]: 1 }, undefined] });
    expect(error.issues).toEqual([{ path: "[REDACTED]", message: "property [REDACTED] should not exist" }]);
    expect(error.message).toContain("[REDACTED]");
  });

  it("never shows the auth token in its message, String, JSON or inspect output", async () => {
    // Half the calls have good arguments but options with the token as an unknown key, which the
    // refusal names: so the property meets many messages that would show the token unredacted.
    const quotingCall = fc.constantFrom(...ALL_METHODS).chain((m) => goodArgs(m).map((args) => ({ m, args: [...args.slice(0, -1), { [CANARY]: true }] })));
    let quoted = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyBadCall, quotingCall), async (call) => {
        const error = await refusal(call);
        if (error.message.includes("[REDACTED]")) quoted++;
        for (const shown of [error.message, String(error), JSON.stringify(error), inspect(error, { depth: 10 }), error.stack ?? ""]) {
          expect(shown).not.toContain(CANARY);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
    expect(quoted).toBeGreaterThan(100);
  });
});

// ---- every namespace has shipped ----

/** The methods of a namespace object, from its prototype: a method added later is covered without editing this file. */
function methodsOf(namespace: object): string[] {
  const prototype = Object.getPrototypeOf(namespace) as object;
  return Object.entries(Object.getOwnPropertyDescriptors(prototype))
    .filter(([name, descriptor]) => name !== "constructor" && typeof descriptor.value === "function")
    .map(([name]) => name)
    .sort();
}

/** Any argument at all: JSON, bigints, maps, dates, null-prototype objects, symbols, functions, bad options. */
const anyArgument = fc.oneof(
  fc.anything({ maxDepth: 2, withBigInt: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withTypedArray: true, withSparseArray: true, withBoxedValues: true }),
  fc.string().map((d) => Symbol(d)),
  fc.constantFrom<unknown>(() => 1, class Thing {}, CANARY),
  badOptions,
);

/** service's request-binding helpers: synchronous, with their own properties in bad-input-services.test.ts. */
const BINDING_HELPERS = ["bind", "run", "handler", "middleware", "fastify"];

describe("connectors, serviceTokens, services and service have shipped", () => {
  it("every public method of each (service's binding helpers aside) is under the bad-input properties", () => {
    const covered = new Set(SHIPPED_METHODS.map((m) => m.name));
    const namespaces = { connectors: flow.connectors, serviceTokens: flow.serviceTokens, services: flow.services, service: flow.service };
    const methods = Object.entries(namespaces).flatMap(([name, namespace]) => methodsOf(namespace).map((verb) => `${name}.${verb}`));
    expect(methods.filter((name) => !covered.has(name) && !BINDING_HELPERS.some((helper) => name === `service.${helper}`))).toEqual([]);
    expect([...covered].filter((name) => !methods.includes(name))).toEqual([]);
  });

  it("service.request is a getter, not a method", () => {
    const descriptor = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(flow.service) as object, "request");
    expect(typeof descriptor?.get).toBe("function");
    expect(() => flow.service.request).not.toThrow();
  });
});

describe("the model namespaces and the last four have shipped", () => {
  it("every public method of agents, and gateway's chat, chatStream and embed, is under the bad-input properties", () => {
    const covered = new Set(MODEL_METHODS.map((m) => m.name));
    for (const verb of methodsOf(flow.agents)) expect(covered).toContain(`agents.${verb}`);
    for (const verb of methodsOf(flow.gateway).filter((v) => v !== "request")) expect(covered).toContain(`gateway.${verb}`);
  });

  it.each([...MODEL_METHODS, ...SHIPPED_METHODS].map((m) => [m.name, m] as const))(
    "%s, whatever the arguments, rejects (never throws) with a FlowValidationError having sent nothing, or the server's error",
    async (_name, m) => {
      await fc.assert(
        fc.asyncProperty(fc.array(anyArgument, { maxLength: 3 }), async (args) => {
          const sent = server.requests.length;
          // The counting server answers 500 to anything that reaches it, so nothing resolves.
          const error = await refusalOf(() => m.call(flow, args), m.returns);
          expect(error).not.toBeInstanceOf(FlowNotAvailableError);
          if (error instanceof FlowValidationError) expect(server.requests.slice(sent)).toEqual([]);
          else expect(error).toBeInstanceOf(FlowServerError);
        }),
        { seed: SEED, numRuns: 30 },
      );
    },
  );
});
