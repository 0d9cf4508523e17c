// Request and response bodies the HTTP layer must not misread: streams, bytes, broken JSON.
import { Readable } from "node:stream";
import type { AxiosInstance } from "axios";
import type { Agent } from "undici";
import { describe, expect, it } from "vitest";
import { sharedPlatform } from "../helpers/flows.js";
import { FlowClosedError, FlowError, FlowNotFoundError, FlowServerError, TOKENS } from "../../src/index.js";
import { useScriptedServers } from "../helpers/scripted-server.js";
import { MAX_CONNECTIONS_PER_ORIGIN } from "../../src/http/agents.js";

const { platform } = await sharedPlatform();
const scripted = useScriptedServers();

describe("request bodies", () => {
  it("never retries a streamed body, which the first attempt consumed", async () => {
    const server = await scripted({ status: 503 }, { status: 200, body: { ok: true } });
    const flow = platform.createFlow({ gatewayUrl: server.url });
    const body = Readable.from([Buffer.from("sixteen bytes!!!")]);
    await expect(flow.gateway.request({ method: "PUT", path: "/upload", body })).rejects.toBeInstanceOf(FlowServerError);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.body).toBe("sixteen bytes!!!");
  });
});

describe("body factories (flowBody)", () => {
  it("makes a fresh body for each attempt, sends each whole, and destroys the body of a failed attempt", async () => {
    const server = await scripted({ status: 503 }, { status: 502 }, { status: 200, body: { ok: true } });
    const flow = platform.createFlow({ platformUrl: server.url, maxRetries: 2 });
    const http = flow.container.resolve(TOKENS.PlatformHttp) as AxiosInstance;
    const made: Readable[] = [];
    const flowBody = (): Readable => {
      const body = Readable.from([Buffer.from("part one, "), Buffer.from("part two")]);
      made.push(body);
      return body;
    };
    const response = await http.request({ method: "PUT", url: "/upload", flowBody });
    expect(response.data).toEqual({ ok: true });
    expect(made).toHaveLength(3);
    expect(server.requests.map((r) => r.body)).toEqual(Array(3).fill("part one, part two"));
    // The same idempotency key on every attempt: one logical call.
    expect(new Set(server.requests.map((r) => r.headers["idempotency-key"])).size).toBe(1);
  });

  it("destroys the body of an attempt that failed part way, so a file behind it is closed", async () => {
    const server = await scripted({ status: 200, body: { ok: true } });
    const flow = platform.createFlow({ platformUrl: server.url, maxRetries: 1, timeoutMs: 300 });
    const http = flow.container.resolve(TOKENS.PlatformHttp) as AxiosInstance;
    const made: Readable[] = [];
    const flowBody = (): Readable => {
      // The first body stalls half way (the attempt times out); the second is whole.
      const body = made.length === 0 ? new Readable({ read() {} }) : Readable.from([Buffer.from("whole")]);
      if (made.length === 0) body.push("half");
      made.push(body);
      return body;
    };
    await http.request({ method: "PUT", url: "/upload", flowBody });
    expect(made).toHaveLength(2);
    expect(made[0]?.destroyed).toBe(true);
    expect(server.requests.map((r) => r.body)).toEqual(["whole"]);
  });

  it("is not called when the call fails before it is sent, and its failure is the call's", async () => {
    const flow = platform.createFlow();
    const http = flow.container.resolve(TOKENS.PlatformHttp) as AxiosInstance;
    await flow.close();
    let calls = 0;
    const error = await http.request({ method: "PUT", url: "/upload", flowBody: () => (calls++, Readable.from([])) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowClosedError);
    expect(calls).toBe(0);

    const open = platform.createFlow();
    const failing = await (open.container.resolve(TOKENS.PlatformHttp) as AxiosInstance)
      .request({ method: "PUT", url: "/upload", flowBody: () => { throw new FlowError("cannot open the body"); } })
      .catch((e: unknown) => e);
    expect(failing).toBeInstanceOf(FlowError);
    expect((failing as Error).message).toBe("cannot open the body");
  });
});

describe("response bodies", () => {
  it("reads the error envelope of a streamed or binary call, and frees its socket", async () => {
    const flow = platform.createFlow();
    const http = flow.container.resolve(TOKENS.PlatformHttp) as AxiosInstance;
    const path = "/v1/orgs/org_local/workspaces/ws_local/state/never-set";
    for (const responseType of ["stream", "arraybuffer"] as const) {
      const error = await http.get(path, { responseType }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FlowNotFoundError);
      expect((error as FlowNotFoundError).code).toBe("not_found");
    }
    for (let i = 0; i < 5; i++) await http.get(path, { responseType: "stream" }).catch(() => undefined);
    // Each error body was read to its end: no request still running, and its connection was
    // reused (seven calls left unread would hold seven connections).
    const stats = Object.values((flow.container.resolve(TOKENS.HttpAgents).dispatcher as Agent).stats);
    expect(stats.reduce((n, pool) => n + Number(pool.running), 0)).toBe(0);
    expect(stats.reduce((n, pool) => n + Number(pool.connected), 0)).toBeLessThan(3);
  });

  it.each([
    ["JSON that does not parse", { status: 200, body: "{oops", headers: { "content-type": "application/json" } }],
    ["an empty body", { status: 200, body: null }],
    ["JSON null", { status: 200, body: "null", headers: { "content-type": "application/json" } }],
  ])("turns a 2xx answer with %s into a FlowError instead of data", async (_label, answer) => {
    const server = await scripted(answer);
    const flow = platform.createFlow({ platformUrl: server.url, maxRetries: 0 });
    for (const call of [() => flow.state.get("k"), () => flow.state.delete("k"), () => flow.state.increment("k"), () => flow.state.list(), () => flow.auth.whoami()]) {
      const error = await Promise.resolve().then(call).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FlowError);
    }
  });

  it("lets a plugin read a non-2xx page itself when it asked for every status", async () => {
    const server = await scripted({ status: 404, body: "<html>not here</html>", headers: { "content-type": "text/html" } });
    const flow = platform.createFlow({ platformUrl: server.url });
    const http = flow.container.resolve(TOKENS.PlatformHttp) as AxiosInstance;
    const response = await http.get("/page", { validateStatus: () => true });
    expect(response.status).toBe(404);
    expect(response.data).toBe("<html>not here</html>");
  });
});

describe("close()", () => {
  it("also ends requests still queued for a socket, so none reaches the platform afterwards", async () => {
    const server = await scripted({ status: 200, body: { key: "k", value: 1, version: 1, expiresAt: null, updatedAt: "" }, delayMs: 100 });
    const flow = platform.createFlow({ platformUrl: server.url });
    const calls = Array.from({ length: 200 }, (_, i) => flow.state.set(`queued-${i}`, i));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await flow.close();
    const results = await Promise.allSettled(calls);
    expect(results.every((r) => r.status === "rejected" && r.reason instanceof FlowClosedError)).toBe(true);
    // Those sent before close() may still be read by the server; the 72 queued behind the pool's
    // 128 connections must never be sent.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(server.requests.length).toBeLessThanOrEqual(MAX_CONNECTIONS_PER_ORIGIN);
  });
});
