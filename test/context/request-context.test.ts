import { describe, expect, it } from "vitest";
import { FlowError } from "../../src/index.js";
import { normalizeContext } from "../../src/context/request-context.js";
import { type Echo, sharedPlatform } from "../helpers/flows.js";

const { platform } = await sharedPlatform();

describe("request context", () => {
  it("normalises headers like the Python SDK: trimmed, lower-cased, empty names dropped, values stringified", () => {
    const context = normalizeContext({ headers: { "  X-Request-Id ": "r1", "": "dropped", "   ": "dropped", "X-Count": 3, "X-Flag": true } });
    expect(context.headers).toEqual({ "x-request-id": "r1", "x-count": "3", "x-flag": "true" });
  });

  it("drops null and undefined header values instead of sending the text \"null\" or \"undefined\"", () => {
    const context = normalizeContext({ headers: { "x-request-id": undefined, traceparent: null, "x-kept": "" } });
    expect(context.headers).toEqual({ "x-kept": "" });
  });

  it("fills missing parts with empty objects and freezes the result", () => {
    const context = normalizeContext({ auth: { subject: "u1" } });
    expect(context).toEqual({ auth: { subject: "u1" }, execution: {}, headers: {}, service: {} });
    expect(Object.isFrozen(context)).toBe(true);
    expect(Object.isFrozen(context.auth)).toBe(true);
  });

  it("is empty when nothing is bound", () => {
    const flow = platform.createFlow();
    expect(flow.requestContext).toEqual({ auth: {}, execution: {}, headers: {}, service: {} });
  });

  it("binds a context and resets to what was bound before, also when nested", async () => {
    const flow = platform.createFlow();
    await (async () => {
      const outer = flow.bindRequestContext({ headers: { "X-Request-Id": "outer" } });
      const inner = flow.bindRequestContext({ headers: { "X-Request-Id": "inner" }, auth: { subject: "u" } });
      expect(flow.requestContext.headers["x-request-id"]).toBe("inner");
      expect(flow.auth.context()).toEqual({ subject: "u" });
      const echo = await flow.gateway.request<Echo>({ path: "/v1/_echo" });
      expect(echo.headers["x-request-id"]).toBe("inner");
      flow.resetRequestContext(inner);
      expect(flow.requestContext.headers["x-request-id"]).toBe("outer");
      flow.resetRequestContext(outer);
      expect(flow.requestContext.headers).toEqual({});
    })();
  });

  it("refuses a token from another instance", () => {
    const a = platform.createFlow();
    const b = platform.createFlow();
    const token = a.bindRequestContext({});
    expect(() => b.resetRequestContext(token)).toThrow(FlowError);
    a.resetRequestContext(token);
  });

  it("runWithRequestContext binds across awaits and restores afterwards, also after a throw", async () => {
    const flow = platform.createFlow();
    const seen = await flow.runWithRequestContext({ execution: { id: "exe_run" } }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return flow.requestContext.execution["id"];
    });
    expect(seen).toBe("exe_run");
    expect(flow.requestContext.execution).toEqual({});
    await expect(
      flow.runWithRequestContext({ execution: { id: "exe_throw" } }, async () => {
        throw new Error("handler failed");
      }),
    ).rejects.toThrow("handler failed");
    expect(flow.requestContext.execution).toEqual({});
  });

  it("keeps 200 concurrent contexts apart, each request carrying its own ids", async () => {
    const flow = platform.createFlow();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        flow.runWithRequestContext({ headers: { "X-Request-Id": `req-${i}` }, execution: { id: `exe-${i}` } }, async () => {
          // Interleave: yield at random so the 200 handlers overlap.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
          const echo = await flow.gateway.request<Echo>({ path: "/v1/_echo" });
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
          return { i, echo, after: flow.requestContext.headers["x-request-id"] };
        }),
      ),
    );
    for (const { i, echo, after } of results) {
      expect(echo.headers["x-request-id"]).toBe(`req-${i}`);
      expect(echo.headers["x-execution-id"]).toBe(`exe-${i}`);
      expect(after).toBe(`req-${i}`);
    }
  });

  it("keeps the contexts of two instances apart", () => {
    const a = platform.createFlow();
    const b = platform.createFlow();
    a.runWithRequestContext({ auth: { subject: "alice" } }, () => {
      expect(a.auth.context()).toEqual({ subject: "alice" });
      expect(b.auth.context()).toEqual({});
    });
  });
});
