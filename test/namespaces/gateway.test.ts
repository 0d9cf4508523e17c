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
  ])("refuses %s with FlowValidationError", async (_label, path) => {
    const error = await caught(() => offline().gateway.request({ path } as GatewayRequestParams));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toContain("path");
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
