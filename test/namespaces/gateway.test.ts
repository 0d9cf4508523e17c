import { describe, expect, it } from "vitest";
import { startScriptedServer } from "../helpers/scripted-server.js";
import {
  FlowConnectionError,
  FlowNotAvailableError,
  FlowNotFoundError,
  FlowValidationError,
  SDK_VERSION,
  type GatewayChatParams,
  type GatewayRequestParams,
} from "../../src/index.js";
import { caught, offlineFlow, sharedPlatform, type Echo } from "../helpers/flows.js";

const { platform, flow } = await sharedPlatform();

const chatParams: GatewayChatParams = { model: "local", messages: [{ role: "user", content: "hi" }] };

describe("gateway.request", () => {
  it("GET resolves to the parsed JSON echo: method, path, query, and headers without authorization", async () => {
    const echo = await flow.gateway.request<Echo>({ path: "/v1/_echo/anything", query: { x: 1, flag: true, skipped: undefined } });
    expect(echo.method).toBe("GET");
    expect(echo.path).toBe("/v1/_echo/anything");
    expect(echo.query).toEqual({ x: "1", flag: "true" });
    expect(echo.headers).not.toHaveProperty("authorization");
    expect(echo.headers["user-agent"]).toBe(`flow-sdk/${SDK_VERSION} node/${process.versions.node}`);
    expect(echo.headers["x-request-id"]).toMatch(/^req_/);
    expect(echo.body).toBeNull();
  });

  it("keeps a query string written in the path", async () => {
    const echo = await flow.gateway.request<Echo>({ path: "/v1/_echo/q?y=2", query: { x: 1 } });
    expect(echo.path).toBe("/v1/_echo/q");
    expect(echo.query).toEqual({ x: "1", y: "2" });
  });

  it("POST sends the body as JSON and the echo returns it", async () => {
    const body = { name: "widget", tags: ["a", "b"], count: 3, nested: { ok: true } };
    const echo = await flow.gateway.request<Echo>({ method: "POST", path: "/v1/_echo/items", body });
    expect(echo.method).toBe("POST");
    expect(echo.body).toEqual(body);
    expect(echo.headers["content-type"]).toMatch(/^application\/json/);
    expect(echo.headers["idempotency-key"]).toEqual(expect.any(String));
  });

  it("sends the custom headers given in params and in the call options", async () => {
    const echo = await flow.gateway.request<Echo>(
      { path: "/v1/_echo/h", headers: { "X-Custom": "from-params" } },
      { headers: { "X-Other": "from-options" } },
    );
    expect(echo.headers["x-custom"]).toBe("from-params");
    expect(echo.headers["x-other"]).toBe("from-options");
  });

  it("sends the bound context's request id, execution id and trace headers", async () => {
    const echo = await flow.runWithRequestContext(
      { headers: { "X-Request-Id": "req-gw", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }, execution: { id: "exe_gw" } },
      () => flow.gateway.request<Echo>({ path: "/v1/_echo" }),
    );
    expect(echo.headers).toMatchObject({
      "x-request-id": "req-gw",
      "x-execution-id": "exe_gw",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    });
  });

  it("reaches /v1/health", async () => {
    expect(await flow.gateway.request({ path: "/v1/health" })).toEqual({ ok: true, service: "flow-local", version: SDK_VERSION });
  });

  it("resolves to undefined for an empty answer (HEAD)", async () => {
    expect(await flow.gateway.request({ method: "HEAD", path: "/v1/health" })).toBeUndefined();
  });

  it("resolves to the text when the answer is not JSON", async () => {
    // Every route of the local platform answers JSON; a scripted loopback server plays a gateway
    // route that answers text.
    const server = await startScriptedServer([{ status: 200, body: "plain text answer" }]);
    try {
      const textFlow = platform.createFlow({ gatewayUrl: server.url });
      expect(await textFlow.gateway.request({ path: "/v1/text" })).toBe("plain text answer");
    } finally {
      await server.close();
    }
  });

  it("sends header values of visible Latin-1, spaces and tabs, and header names of any token characters, as given", async () => {
    const headers = { "X-Odd_Name!#$%&'*+.^`|~0": "café ÿ\tand  spaces" };
    const echo = await flow.gateway.request<Echo>({ path: "/v1/_echo/h", headers: { "x-from-params": "é" } }, { headers });
    expect(echo.headers["x-odd_name!#$%&'*+.^`|~0"]).toBe("café ÿ\tand  spaces");
    expect(echo.headers["x-from-params"]).toBe("é");
  });

  it("takes a lowercase method, query values of every allowed kind, and a JSON body with a property set to undefined", async () => {
    const echo = await flow.gateway.request<Echo>({
      method: "put",
      path: "/v1/_echo/é",
      query: { s: "é 😀", n: -1.5, t: true, f: false, gone: undefined },
      body: { keep: [null, 1, "x"], gone: undefined },
    });
    expect(echo.method).toBe("PUT");
    expect(echo.query).toEqual({ s: "é 😀", n: "-1.5", t: "true", f: "false" });
    expect(echo.body).toEqual({ keep: [null, 1, "x"] });
  });

  it("fails with FlowNotFoundError (route_not_found) for an unknown route", async () => {
    const error = await caught(() => flow.gateway.request({ path: "/v1/no-such-route" }));
    expect(error).toBeInstanceOf(FlowNotFoundError);
    expect(error).toMatchObject({ status: 404, code: "route_not_found" });
  });
});

describe("gateway.request path validation, before any request", () => {
  const offline = () => offlineFlow(platform);

  it("the offline instance used below really fails once a request is sent", async () => {
    expect(await caught(() => offline().gateway.request({ path: "/v1/health" }))).toBeInstanceOf(FlowConnectionError);
  });

  it.each([
    ["an absolute http URL", "http://evil.example/x"],
    ["an absolute https URL", "https://evil.example/x"],
    ["a protocol-relative URL", "//evil"],
    ["a relative path", "v1/health"],
    ["an empty path", ""],
    ["a missing path", undefined as unknown as string],
    ["a backslash that URL parsing reads as a slash", "/\\evil.example/x"],
    ["a control character", "/v1/a\r\nb"],
    ["a lone surrogate", "/v1/\ud800"],
  ])("refuses %s with FlowValidationError", async (_label, path) => {
    const error = await caught(() => offline().gateway.request({ path } as GatewayRequestParams));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toContain("path");
  });

  const selfReferring = (): Record<string, unknown> => {
    const node: Record<string, unknown> = { name: "loop" };
    node["self"] = node;
    return node;
  };

  it.each([
    ["a method that is a symbol (was a TypeError)", { path: "/v1/x", method: Symbol("GET") }, "method"],
    ["a method that is not an HTTP method", { path: "/v1/x", method: "PURGE" }, "method"],
    ["a misspelt key (was ignored)", { path: "/v1/x", qeury: { a: "1" } }, "qeury"],
    ["a query value that is an object (was sent as a[b]=1)", { path: "/v1/x", query: { a: { b: 1 } } }, "query"],
    ["a query value that is null", { path: "/v1/x", query: { a: null } }, "query"],
    ["a query value that is NaN", { path: "/v1/x", query: { a: NaN } }, "query"],
    ["a query value with a lone surrogate (was a FlowConnectionError)", { path: "/v1/x", query: { a: "\ud800" } }, "query"],
    ["query given as URLSearchParams", { path: "/v1/x", query: new URLSearchParams("a=1") }, "query"],
    ["a header value that is a number (was sent as text)", { path: "/v1/x", headers: { "x-n": 1 } }, "headers"],
    ["a header value with CR LF (was sent altered)", { path: "/v1/x", headers: { "x-n": "a\r\nx-injected: 1" } }, "headers"],
    ["a header name that is not a token", { path: "/v1/x", headers: { "x:n": "1" } }, "headers"],
    ["a body that refers to itself (was a RangeError)", { method: "POST", path: "/v1/x", body: selfReferring() }, "body"],
    ["a body holding a bigint", { method: "POST", path: "/v1/x", body: { n: 1n } }, "body"],
    ["a body holding a function", { method: "POST", path: "/v1/x", body: { f: () => 1 } }, "body"],
    ["a body that is a Map (was sent as {})", { method: "POST", path: "/v1/x", body: new Map([["a", 1]]) }, "body"],
    ["a body holding NaN (was sent as null)", { method: "POST", path: "/v1/x", body: { n: NaN } }, "body"],
  ])("refuses %s with FlowValidationError naming it", async (_label, params, field) => {
    const error = await caught(() => offline().gateway.request(params as unknown as GatewayRequestParams));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toContain(field);
  });

  it("names the allowed methods when the method is not one", async () => {
    const error = await caught(() => offline().gateway.request({ path: "/v1/x", method: "TRACE" } as unknown as GatewayRequestParams));
    expect((error as Error).message).toBe("gateway.request: invalid input (method: method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS (or left out for GET))");
  });
});

describe("gateway URL", () => {
  it("honours a gateway URL given separately from the platform URL", async () => {
    const separate = platform.createFlow({ platformUrl: "http://127.0.0.1:9", gatewayUrl: platform.url, maxRetries: 0 });
    expect(separate.config.gatewayUrl).toBe(platform.url);
    expect(await separate.gateway.request({ path: "/v1/health" })).toMatchObject({ ok: true });
  });

  it("sends gateway calls to GATEWAY_URL only: an unreachable gateway fails while state still works", async () => {
    const split = platform.createFlow({ gatewayUrl: "http://127.0.0.1:9", maxRetries: 0 });
    expect(await caught(() => split.gateway.request({ path: "/v1/health" }))).toBeInstanceOf(FlowConnectionError);
    await split.state.set("gateway-split:k", "ok");
    expect(await split.state.get("gateway-split:k")).toBe("ok");
  });
});

describe("gateway LLM calls (not shipped yet)", () => {
  it("chat rejects with FlowNotAvailableError", async () => {
    expect(await caught(() => flow.gateway.chat(chatParams))).toBeInstanceOf(FlowNotAvailableError);
  });

  it("chatStream rejects with FlowNotAvailableError when iterated", async () => {
    const error = await caught(async () => {
      for await (const chunk of flow.gateway.chatStream(chatParams)) void chunk;
    });
    expect(error).toBeInstanceOf(FlowNotAvailableError);
  });

  it("embed rejects with FlowNotAvailableError", async () => {
    expect(await caught(() => flow.gateway.embed({ model: "local", input: ["a", "b"] }))).toBeInstanceOf(FlowNotAvailableError);
  });
});
