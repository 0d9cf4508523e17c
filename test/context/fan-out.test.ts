import { describe, expect, it } from "vitest";
import type { FlowSDK } from "../../src/index.js";
import { RequestContextStore } from "../../src/context/request-context.js";
import { type Echo, sharedPlatform } from "../helpers/flows.js";

const { platform } = await sharedPlatform();

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the caller sees, and what its next request carries. */
async function callerView(flow: FlowSDK): Promise<{ context: unknown; sent: string | undefined; subject: unknown }> {
  // Read before anything is awaited: right where the caller resumes.
  const context = flow.requestContext;
  const subject = flow.auth.context()["subject"];
  const echo = await flow.gateway.request<Echo>({ path: "/v1/_echo" });
  return { context, sent: echo.headers["x-request-id"], subject };
}

type Task = (flow: FlowSDK, i: number) => Promise<{ sent: string | undefined; seen: unknown; subject: unknown }>;

/** Python style: bind before the first await, then calls, then reset. */
const bindFirst: Task = async (flow, i) => {
  const token = flow.bindRequestContext({ headers: { "X-Request-Id": `task-${i}` }, auth: { subject: `user-${i}` } });
  try {
    await pause(Math.random() * 10);
    const echo = await flow.gateway.request<Echo>({ path: "/v1/_echo" });
    return { sent: echo.headers["x-request-id"], seen: flow.requestContext.headers["x-request-id"], subject: flow.auth.context()["subject"] };
  } finally {
    flow.resetRequestContext(token);
  }
};

/** Bind after an await, as the probe did (no try/finally: the shape that leaked). */
const bindLater: Task = async (flow, i) => {
  await pause(Math.random() * 10);
  const token = flow.bindRequestContext({ headers: { "X-Request-Id": `task-${i}` }, auth: { subject: `user-${i}` } });
  const echo = await flow.gateway.request<Echo>({ path: "/v1/_echo" });
  const result = { sent: echo.headers["x-request-id"], seen: flow.requestContext.headers["x-request-id"], subject: flow.auth.context()["subject"] };
  flow.resetRequestContext(token);
  return result;
};

/** The leading form: nothing to reset. */
const runWith: Task = (flow, i) =>
  flow.runWithRequestContext({ headers: { "X-Request-Id": `task-${i}` }, auth: { subject: `user-${i}` } }, async () => {
    await pause(Math.random() * 10);
    const echo = await flow.gateway.request<Echo>({ path: "/v1/_echo" });
    return { sent: echo.headers["x-request-id"], seen: flow.requestContext.headers["x-request-id"], subject: flow.auth.context()["subject"] };
  });

describe("a context bound inside a task of a fan-out stays in that task", () => {
  for (const [name, task] of [
    ["bindRequestContext before the first await", bindFirst],
    ["bindRequestContext after an await", bindLater],
    ["runWithRequestContext", runWith],
  ] as const) {
    it(`${name}: 20 tasks each send their own ids, and the caller is unchanged afterwards (unbound, then bound)`, async () => {
      const flow = platform.createFlow();
      try {
        for (const callerBinds of [false, true]) {
          const own = callerBinds ? flow.bindRequestContext({ headers: { "X-Request-Id": "caller" }, auth: { subject: "caller" } }) : undefined;
          const before = await callerView(flow);
          const results = await Promise.all(Array.from({ length: 20 }, (_, i) => task(flow, i)));
          results.forEach((result, i) => expect(result).toEqual({ sent: `task-${i}`, seen: `task-${i}`, subject: `user-${i}` }));
          const after = await callerView(flow);
          expect(after.context).toEqual(before.context);
          expect(after.subject).toBe(callerBinds ? "caller" : undefined);
          if (callerBinds) expect(after.sent).toBe("caller");
          else expect(after.sent).toMatch(/^req_/); // a fresh id per call, not a task's
          // A later batch starts from the caller's context too.
          await Promise.all(Array.from({ length: 3 }, async () => {
            await pause(1);
            expect(flow.requestContext).toEqual(before.context);
          }));
          if (own) flow.resetRequestContext(own);
          expect(flow.requestContext.headers).toEqual({});
        }
      } finally {
        await flow.close();
      }
    });
  }

  it("the caller does not resume in the context of the task that finished last (Node 20 hands it over through Promise.all)", async () => {
    const store = new RequestContextStore();
    await Promise.all(
      Array.from({ length: 5 }, async (_, i) => {
        await pause(5 * (5 - i));
        const token = store.bind({ headers: { "x-request-id": `t${i}` } });
        await pause(1);
        expect(store.current().headers["x-request-id"]).toBe(`t${i}`);
        store.reset(token);
      }),
    );
    expect(store.current().headers).toEqual({});
  });

  it("a task that resets early no longer sees its binding, and its later calls carry the caller's context", async () => {
    const flow = platform.createFlow();
    try {
      await flow.runWithRequestContext({ headers: { "X-Request-Id": "caller" } }, async () => {
        const seen = await Promise.all(
          Array.from({ length: 20 }, async (_, i) => {
            await pause(Math.random() * 5);
            const token = flow.bindRequestContext({ headers: { "X-Request-Id": `task-${i}` } });
            await pause(Math.random() * 5);
            flow.resetRequestContext(token);
            await pause(Math.random() * 5);
            return (await flow.gateway.request<Echo>({ path: "/v1/_echo" })).headers["x-request-id"];
          }),
        );
        expect(new Set(seen)).toEqual(new Set(["caller"]));
      });
    } finally {
      await flow.close();
    }
  });

  it("the single Python-style flow keeps working: bind, calls, nested bind and reset; a reset binding never comes back", async () => {
    const flow = platform.createFlow();
    try {
      const outer = flow.bindRequestContext({ headers: { "X-Request-Id": "outer" } });
      expect((await flow.gateway.request<Echo>({ path: "/v1/_echo" })).headers["x-request-id"]).toBe("outer");
      const inner = flow.bindRequestContext({ headers: { "X-Request-Id": "inner" } });
      expect((await flow.gateway.request<Echo>({ path: "/v1/_echo" })).headers["x-request-id"]).toBe("inner");
      flow.resetRequestContext(outer); // like a ContextVar: back to what was there before `outer`
      expect(flow.requestContext.headers).toEqual({});
      // Unlike a ContextVar, a binding once reset never comes back: `inner` restores `outer`'s
      // binding, which reads through to what `outer` replaced. A reset binding may have been picked
      // up by other async contexts (see bind), and those must not see it again either.
      flow.resetRequestContext(inner);
      expect(flow.requestContext.headers).toEqual({});
    } finally {
      await flow.close();
    }
  });

  it("binds that are never reset do not chain without end", () => {
    const flow = platform.createFlow();
    for (let i = 0; i < 5_000; i += 1) flow.bindRequestContext({ headers: { "X-Request-Id": `loop-${i}` } });
    expect(flow.requestContext.headers["x-request-id"]).toBe("loop-4999");
    void flow.close();
  });
});
