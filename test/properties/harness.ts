// The harness of the bad-input properties: a loopback server that counts every request it gets
// (so a bad input that slipped through validation shows up as a request), a FlowSDK pointed at it
// with a recognisable token, and the check that a call refuses without throwing synchronously.
import http from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, expect, it } from "vitest";
import { FlowSDK, FlowServerError, FlowValidationError, PagePromise } from "../../src/index.js";

/** The token of every flow the properties use: it must never show in an error. Not JWT-shaped, so only the SDK's own redaction can hide it. */
export const CANARY = "canary-token-7c1e5a9f3b";

/** One seed for every property, so a failure replays; fast-check prints it with the counterexample. */
export const SEED = 20_260_131;

/** Runs per property: enough to meet every kind of bad value of a method, small enough to keep a file well under 10 s. */
export const RUNS = 50;

/** A loopback server that answers every request 500 and remembers it. */
export interface CountingServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** `METHOD url` of every request received, in order. */
  requests: string[];
}

/** What a method returns: a promise, a page promise (awaited and iterated), or an async iterable (a stream). */
export type Returns = "promise" | "page" | "stream";

/** Starts a {@link CountingServer} on a free port, closed after the calling file's last test. */
export async function startCountingServer(): Promise<CountingServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(500, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { code: "internal", message: "the counting server answers every request with 500" } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/**
 * A FlowSDK whose platform and gateway are `server`, with the canary token, a JOB_ID and a
 * SERVICE_ID (so that every method with good input sends a request: `reportProgress`,
 * `service.info` and `service.heartbeat` too), no retries, and nothing read from the environment.
 * Closed after the calling file's last test.
 */
export function countingFlow(server: CountingServer): FlowSDK {
  const flow = FlowSDK.create({
    platformUrl: server.url,
    gatewayUrl: server.url,
    authToken: CANARY,
    orgId: "org_props",
    workspaceId: "ws_props",
    jobId: "job_props",
    serviceId: "svc-props",
    maxRetries: 0,
    env: {},
  });
  afterAll(() => flow.close());
  return flow;
}

/** The error `promise` rejects with; fails when it resolves. */
async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to reject, but it resolved");
}

/**
 * Calls `run` and returns the error its result rejects with. Fails when `run` throws
 * synchronously, returns the wrong kind of thing, or resolves. A page promise must reject both
 * when awaited and when iterated, with the same error; a stream when iterated.
 */
export async function refusalOf(run: () => unknown, returns: Returns): Promise<unknown> {
  let returned: unknown;
  try {
    returned = run();
  } catch (error) {
    throw new Error(`expected a rejected ${returns}, but the call threw synchronously: ${String(error)}`);
  }
  if (returns === "page") {
    expect(returned).toBeInstanceOf(PagePromise);
    const page = returned as PagePromise<unknown>;
    const awaited = await rejection(page);
    const iterated = await rejection(
      (async () => {
        for await (const _item of page);
      })(),
    );
    expect(iterated).toBe(awaited);
    return awaited;
  }
  if (returns === "stream") {
    expect(typeof (returned as AsyncIterable<unknown>)[Symbol.asyncIterator]).toBe("function");
    return rejection((returned as AsyncIterable<unknown>)[Symbol.asyncIterator]().next());
  }
  expect(returned).toBeInstanceOf(Promise);
  return rejection(returned as Promise<unknown>);
}

/** A method of a namespace under test: how to call it, and for each argument a good and (where it has any) a bad arbitrary. */
export interface MethodUnderTest {
  /** `namespace.method`. */
  name: string;
  /** What the method returns. */
  returns: Returns;
  /** Calls the method on `flow` with `args`. */
  call: (flow: FlowSDK, args: unknown[]) => unknown;
  /** One entry per argument position, the last being `RequestOptions`. */
  args: Array<{ good: fc.Arbitrary<unknown>; bad?: fc.Arbitrary<unknown> }>;
}

/** Shorthand for a {@link MethodUnderTest}. */
export function method(name: string, returns: Returns, call: MethodUnderTest["call"], ...args: MethodUnderTest["args"]): MethodUnderTest {
  // A counterexample names the method instead of printing its arbitraries.
  return Object.defineProperty({ name, returns, call, args }, fc.toStringMethod, { value: () => name });
}

/** Argument lists of `m` with exactly one bad argument and every other one good. */
export function badArgs(m: MethodUnderTest): fc.Arbitrary<unknown[]> {
  const variants = m.args.flatMap((position, i) =>
    position.bad === undefined ? [] : [fc.tuple(...m.args.map((other, j) => (j === i ? (position.bad as fc.Arbitrary<unknown>) : other.good)))],
  );
  return fc.oneof(...variants);
}

/** Argument lists of `m` with every argument good. */
export function goodArgs(m: MethodUnderTest): fc.Arbitrary<unknown[]> {
  return fc.tuple(...m.args.map((position) => position.good));
}

/**
 * Registers, for each of `methods`, the property that bad input is refused (a FlowValidationError,
 * nothing sent to `server`), and its control: with every argument good the call does reach
 * `server` (which answers 500), so the good arbitraries are good and a bad value that slipped
 * through validation could not go unseen.
 */
export function itRefusesBadInput(methods: readonly MethodUnderTest[], flow: FlowSDK, server: CountingServer): void {
  it.each(methods.map((m) => [m.name, m] as const))("%s rejects every bad argument with a FlowValidationError and sends nothing", async (_name, m) => {
    await fc.assert(
      fc.asyncProperty(badArgs(m), async (args) => {
        const sent = server.requests.length;
        const error = await refusalOf(() => m.call(flow, args), m.returns);
        expect(error).toBeInstanceOf(FlowValidationError);
        expect(server.requests.slice(sent)).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it.each(methods.map((m) => [m.name, m] as const))("%s with good arguments sends its request", async (_name, m) => {
    await fc.assert(
      fc.asyncProperty(goodArgs(m), async (args) => {
        const sent = server.requests.length;
        const error = await refusalOf(() => m.call(flow, args), m.returns);
        expect(error).toBeInstanceOf(FlowServerError);
        expect(server.requests.length).toBeGreaterThan(sent);
      }),
      { seed: SEED, numRuns: 5 },
    );
  });
}
