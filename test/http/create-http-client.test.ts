import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  FlowAbortError,
  FlowAPIError,
  FlowAuthenticationError,
  FlowConfigError,
  FlowConnectionError,
  FlowNotFoundError,
  FlowRateLimitError,
  FlowServerError,
  FlowTimeoutError,
  type FlowLogger,
} from "../../src/index.js";
import { USER_AGENT } from "../../src/http/headers.js";
import { type Echo, sharedPlatform } from "../helpers/flows.js";
import { useScriptedServers } from "../helpers/scripted-server.js";

const { platform } = await sharedPlatform();
const scripted = useScriptedServers();

describe("request headers", () => {
  it("sends auth, ids from the configuration, and the User-Agent", async () => {
    const flow = platform.createFlow({ executionId: "exe_1", jobId: "job_1", serviceId: "svc_1", ringId: "ring_1", requestId: "req_env" });
    const echo = await flow.gateway.request<Echo>({ path: "/v1/_echo" });
    expect(echo.headers).toMatchObject({
      "x-request-id": "req_env",
      "x-execution-id": "exe_1",
      "x-job-id": "job_1",
      "x-service-id": "svc_1",
      "x-ring-id": "ring_1",
      "user-agent": USER_AGENT,
    });
    expect(USER_AGENT).toMatch(/^flow-sdk\/\d+\.\d+\.\d+ node\/\d+\.\d+\.\d+$/);
    expect(echo.headers["authorization"]).toBeUndefined(); // the echo route strips it; the server checked it
  });

  it("takes the request id, execution, service and trace context from the bound context first", async () => {
    const flow = platform.createFlow({ executionId: "exe_cfg", serviceId: "svc_cfg", requestId: "req_cfg" });
    const echo = await flow.runWithRequestContext(
      {
        headers: { "X-Request-Id": "req_bound", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", tracestate: "k=v" },
        execution: { id: "exe_bound" },
        service: { id: "svc_bound" },
      },
      () => flow.gateway.request<Echo>({ path: "/v1/_echo" }),
    );
    expect(echo.headers).toMatchObject({
      "x-request-id": "req_bound",
      "x-execution-id": "exe_bound",
      "x-service-id": "svc_bound",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      tracestate: "k=v",
    });
  });

  it("generates a request id per call when none is known, and leaves out unknown ids", async () => {
    const flow = platform.createFlow();
    const [a, b] = await Promise.all([flow.gateway.request<Echo>({ path: "/v1/_echo" }), flow.gateway.request<Echo>({ path: "/v1/_echo" })]);
    expect(a.headers["x-request-id"]).toMatch(/^req_[0-9a-f]{32}$/);
    expect(a.headers["x-request-id"]).not.toBe(b.headers["x-request-id"]);
    for (const name of ["x-execution-id", "x-job-id", "x-service-id", "x-ring-id", "traceparent"]) expect(a.headers[name]).toBeUndefined();
  });

  it("lets per-call headers win over the SDK's own, but never over Authorization", async () => {
    const flow = platform.createFlow();
    const echo = await flow.gateway.request<Echo>({ path: "/v1/_echo" }, { headers: { "X-Request-Id": "req_call", "X-Custom": "yes", Authorization: "Bearer nope" } });
    expect(echo.headers["x-request-id"]).toBe("req_call");
    expect(echo.headers["x-custom"]).toBe("yes");
  });

  it("sends an idempotency key on POST, the caller's when given", async () => {
    const flow = platform.createFlow();
    const generated = await flow.gateway.request<Echo>({ method: "POST", path: "/v1/_echo", body: { a: 1 } });
    expect(generated.headers["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
    const given = await flow.gateway.request<Echo>({ method: "POST", path: "/v1/_echo", body: { a: 1 } }, { idempotencyKey: "key-1" });
    expect(given.headers["idempotency-key"]).toBe("key-1");
    const get = await flow.gateway.request<Echo>({ path: "/v1/_echo" });
    expect(get.headers["idempotency-key"]).toBeUndefined();
  });
});

describe("token refresh", () => {
  it("20 concurrent requests meeting a 401 make exactly one tokenProvider call, and all succeed", async () => {
    let calls = 0;
    const flow = platform.createFlow({
      authToken: "stale-token-not-a-jwt",
      tokenProvider: async () => {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
        return platform.mintToken();
      },
    });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => flow.state.set(`refresh-${i}`, i)));
    expect(results.map((r) => r.value)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(calls).toBe(1);
  });

  it("refreshes proactively before a JWT expires, without meeting a 401", async () => {
    let calls = 0;
    const logs: string[] = [];
    const logger: FlowLogger = { debug: () => {}, info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) };
    const flow = platform.createFlow({
      authToken: await platform.mintToken({ ttlSeconds: 30 }), // inside the 60 s refresh window
      tokenProvider: () => {
        calls += 1;
        return platform.mintToken({ ttlSeconds: 3600 });
      },
      logger,
    });
    await flow.auth.whoami();
    await flow.auth.whoami();
    expect(calls).toBe(1);
    expect(logs).toEqual(["refreshing auth token"]);
  });

  it("re-reads AUTH_TOKEN_FILE after a 401", async () => {
    const flow = platform.createFlow({ authToken: "stale-token-not-a-jwt" }); // env has AUTH_TOKEN_FILE
    expect((await flow.auth.whoami()).subject).toBe("local-user");
  });

  it("retries a 401 once and then fails with FlowAuthenticationError saying what to do", async () => {
    let calls = 0;
    const flow = platform.createFlow({
      authToken: "stale-1",
      tokenProvider: () => `still-bad-${++calls}`,
    });
    const error = await flow.auth.whoami().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowAuthenticationError);
    expect((error as FlowAuthenticationError).status).toBe(401);
    expect((error as Error).message).toContain("refreshed once and is still rejected");
    expect(calls).toBe(1);
  });

  it("fails with FlowAuthenticationError and a hint when there is no way to refresh", async () => {
    const flow = platform.createFlow({ env: { ...platform.env, AUTH_TOKEN: "bad-token-value", AUTH_TOKEN_FILE: undefined } });
    const error = await flow.state.get("x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowAuthenticationError);
    expect((error as Error).message).toMatch(/set AUTH_TOKEN_FILE or tokenProvider/);
    expect((error as FlowAuthenticationError).code).toBe("invalid_token");
  });

  it("fails with FlowConfigError before sending when there is no token at all", async () => {
    const flow = platform.createFlow({ env: { ...platform.env, AUTH_TOKEN: undefined, AUTH_TOKEN_FILE: undefined } });
    await expect(flow.state.get("x")).rejects.toThrow(FlowConfigError);
    await expect(flow.state.get("x")).rejects.toThrow(/set AUTH_TOKEN or AUTH_TOKEN_FILE/);
  });
});

describe("retries", () => {
  it("retries 503 with the same request id and idempotency key, then succeeds", async () => {
    const server = await scripted({ status: 503, body: { error: { code: "unavailable", message: "busy" } } }, { status: 503 }, { status: 200, body: { ok: true } });
    const flow = platform.createFlow({ gatewayUrl: server.url });
    expect(await flow.gateway.request({ method: "POST", path: "/x", body: {} })).toEqual({ ok: true });
    expect(server.requests).toHaveLength(3);
    const ids = new Set(server.requests.map((r) => r.headers["x-request-id"]));
    const keys = new Set(server.requests.map((r) => r.headers["idempotency-key"]));
    expect(ids.size).toBe(1);
    expect(keys.size).toBe(1);
  });

  it("gives up after maxRetries with FlowServerError carrying status, code and request id", async () => {
    const server = await scripted({ status: 502, body: { error: { code: "bad_gateway", message: "upstream down" } }, headers: { "x-request-id": "req_srv" } });
    const flow = platform.createFlow({ gatewayUrl: server.url, maxRetries: 1 });
    const error = (await flow.gateway.request({ path: "/x" }).catch((e: unknown) => e)) as FlowServerError;
    expect(error).toBeInstanceOf(FlowServerError);
    expect(error).toMatchObject({ status: 502, code: "bad_gateway", requestId: "req_srv" });
    expect(error.message).toContain("upstream down");
    expect(server.requests).toHaveLength(2);
  });

  it("honours Retry-After on 429", async () => {
    const server = await scripted({ status: 429, headers: { "retry-after": "1" } }, { status: 200, body: { ok: 1 } });
    const flow = platform.createFlow({ gatewayUrl: server.url });
    const started = Date.now();
    await flow.gateway.request({ path: "/x" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it("surfaces FlowRateLimitError with retryAfter when retries run out", async () => {
    const server = await scripted({ status: 429, body: { error: { code: "rate_limited", message: "slow down" } }, headers: { "retry-after": "7" } });
    const flow = platform.createFlow({ gatewayUrl: server.url, maxRetries: 0 });
    const error = (await flow.gateway.request({ path: "/x" }).catch((e: unknown) => e)) as FlowRateLimitError;
    expect(error).toBeInstanceOf(FlowRateLimitError);
    expect(error.retryAfter).toBe(7);
  });

  it("does not retry a 4xx other than 408 and 429", async () => {
    const server = await scripted({ status: 400, body: { error: { code: "bad_request", message: "no" } } });
    const flow = platform.createFlow({ gatewayUrl: server.url });
    await expect(flow.gateway.request({ path: "/x" })).rejects.toBeInstanceOf(FlowAPIError);
    expect(server.requests).toHaveLength(1);
  });
});

describe("failures without an answer", () => {
  it("maps a refused connection to FlowConnectionError", async () => {
    const flow = platform.createFlow({ gatewayUrl: "http://127.0.0.1:9", maxRetries: 0 });
    const error = await flow.gateway.request({ path: "/x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowConnectionError);
    expect((error as Error).message).toContain("ECONNREFUSED");
  });

  it("maps a hanging server to FlowTimeoutError after timeoutMs", async () => {
    const server = await scripted("hang");
    const flow = platform.createFlow({ gatewayUrl: server.url, maxRetries: 0 });
    await expect(flow.gateway.request({ path: "/x" }, { timeoutMs: 200 })).rejects.toBeInstanceOf(FlowTimeoutError);
  });

  it("maps an aborted signal to FlowAbortError, also while waiting to retry", async () => {
    const hang = await scripted("hang");
    const flow = platform.createFlow({ gatewayUrl: hang.url });
    const controller = new AbortController();
    const pending = flow.gateway.request({ path: "/x" }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toBeInstanceOf(FlowAbortError);

    const busy = await scripted({ status: 503, headers: { "retry-after": "5" } });
    const flow2 = platform.createFlow({ gatewayUrl: busy.url });
    const controller2 = new AbortController();
    const pending2 = flow2.gateway.request({ path: "/x" }, { signal: controller2.signal });
    setTimeout(() => controller2.abort(), 100);
    await expect(pending2).rejects.toBeInstanceOf(FlowAbortError);
    expect(busy.requests).toHaveLength(1);
  });
});

describe("error mapping", () => {
  it("maps the platform's envelope to the fixed classes with status, code and request id", async () => {
    const flow = platform.createFlow();
    const error = (await flow.gateway.request({ path: "/v1/no-such-route" }, { headers: { "X-Request-Id": "req_404" } }).catch((e: unknown) => e)) as FlowNotFoundError;
    expect(error).toBeInstanceOf(FlowNotFoundError);
    expect(error).toMatchObject({ status: 404, code: "route_not_found", requestId: "req_404", name: "FlowNotFoundError" });
    expect(error.message).toContain("GET /v1/no-such-route");
  });

  it("never puts the token in an error message, its details, its cause or inspect output", async () => {
    const token = await platform.mintToken();
    const server = await scripted({ status: 400, body: { error: { code: "bad", message: `rejected ${token}`, details: { echoed: `Bearer ${token}` } } } });
    const flow = platform.createFlow({ authToken: token, gatewayUrl: server.url });
    const error = await flow.gateway.request({ path: "/x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowAPIError);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${token}`);
    const shown = [inspect(error, { depth: 10, showHidden: true }), JSON.stringify(error), String(error), (error as Error).stack ?? ""].join("\n");
    expect(shown).not.toContain(token);
    expect(shown).not.toContain(token.split(".")[2]);
  });

  it("never puts the token in a log line", async () => {
    const token = await platform.mintToken();
    const lines: string[] = [];
    const record = (m: string, f?: object) => lines.push(`${m} ${JSON.stringify(f ?? {})}`);
    const server = await scripted({ status: 503, body: { error: { code: "x", message: `token ${token}` } } }, { status: 200, body: {} });
    const flow = platform.createFlow({ authToken: token, gatewayUrl: server.url, logger: { debug: record, info: record, warn: record, error: record } });
    await flow.gateway.request({ path: "/x" });
    await flow.state.set("log-check", 1);
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.join("\n")).not.toContain(token);
  });
});
