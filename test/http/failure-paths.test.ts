// Failure paths found in review: each test names the bug it keeps fixed.
import { describe, expect, it } from "vitest";
import {
  FlowAuthenticationError,
  FlowClosedError,
  FlowConfigError,
  FlowError,
  FlowTimeoutError,
  FlowValidationError,
  TOKENS,
} from "../../src/index.js";
import { ManualClock } from "../../local/testing.js";
import { offlineFlow, sharedPlatform } from "../helpers/flows.js";
import { useScriptedServers } from "../helpers/scripted-server.js";

const { platform } = await sharedPlatform();
const scripted = useScriptedServers();

describe("token provider failures", () => {
  it("asks a provider again after it threw synchronously, instead of caching the failure", async () => {
    let calls = 0;
    const clock = new ManualClock();
    const flow = platform.createFlow({
      authToken: "stale-token",
      providers: [{ provide: TOKENS.Clock, useValue: clock }],
      tokenProvider: () => {
        calls += 1;
        if (calls === 1) throw new Error("vault down");
        return platform.mintToken();
      },
    });
    const first = await flow.auth.whoami().catch((e: unknown) => e);
    expect(first).toBeInstanceOf(FlowAuthenticationError);
    expect((first as Error).message).toContain("refreshing it failed: vault down");
    clock.advance(1_000); // past the window that coalesces a burst of 401s
    expect((await flow.auth.whoami()).subject).toBe("local-user");
    expect(calls).toBe(2);
  });

  it("names the method and path when getting a token fails before any request", async () => {
    const flow = platform.createFlow({ env: { ...platform.env, AUTH_TOKEN: undefined, AUTH_TOKEN_FILE: "/nonexistent/token" } });
    const error = await flow.state.get("k").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowConfigError);
    expect((error as Error).message).toContain("AUTH_TOKEN_FILE /nonexistent/token could not be read (ENOENT)");
    const provider = platform.createFlow({ env: { ...platform.env, AUTH_TOKEN: undefined }, tokenProvider: () => Promise.reject(new Error("no vault")) });
    const wrapped = await provider.state.get("k").catch((e: unknown) => e);
    expect(wrapped).toBeInstanceOf(FlowError);
    expect((wrapped as Error).message).toMatch(/^GET \/v1\/orgs\/org_local\/workspaces\/ws_local\/state\/k failed before an answer came: no vault/);
  });

  it("says why a 401 could not be fixed when the token file cannot be read", async () => {
    const flow = platform.createFlow({ authToken: "stale-token", authTokenFile: "/nonexistent/token" });
    const error = await flow.auth.whoami().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowAuthenticationError);
    expect((error as Error).message).toContain("refreshing it failed: AUTH_TOKEN_FILE /nonexistent/token could not be read (ENOENT)");
  });

  it("bounds a hanging token provider by timeoutMs", async () => {
    const flow = platform.createFlow({ env: { ...platform.env, AUTH_TOKEN: undefined }, tokenProvider: () => new Promise<string>(() => undefined) });
    await expect(flow.auth.whoami({ timeoutMs: 100 })).rejects.toBeInstanceOf(FlowTimeoutError);
  });

  it("keeps a token set by refreshAuthToken over one a slower refresh brings back", async () => {
    let release: (token: string) => void = () => undefined;
    const flow = platform.createFlow({
      authToken: "stale-token",
      tokenProvider: () => new Promise<string>((resolve) => (release = resolve)),
    });
    const pending = flow.auth.whoami(); // meets a 401, waits for the provider
    await new Promise((resolve) => setTimeout(resolve, 50));
    await flow.refreshAuthToken(await platform.mintToken({ scopes: ["state:read"] }));
    release(await platform.mintToken({ scopes: ["audit:read"] }));
    expect((await pending).scopes).toEqual(["state:read"]);
    expect((await flow.auth.whoami()).scopes).toEqual(["state:read"]);
  });
});

describe("close()", () => {
  it("cuts off a call waiting out a long Retry-After", { timeout: 5_000 }, async () => {
    const server = await scripted({ status: 503, headers: { "retry-after": "50" } });
    const flow = platform.createFlow({ gatewayUrl: server.url });
    const pending = flow.gateway.request({ path: "/busy" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await flow.close();
    await expect(pending).rejects.toBeInstanceOf(FlowClosedError);
  });
});

describe("answers that are not what they claim", () => {
  it("refuses a 200 web page where the platform should answer JSON, naming the setting", async () => {
    const server = await scripted({ status: 200, body: "<html>login</html>", headers: { "content-type": "text/html" } });
    const flow = platform.createFlow({ platformUrl: server.url });
    const error = await flow.state.get("k").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowError);
    expect((error as Error).message).toContain("text/html instead of JSON; check that PLATFORM_API_URL points at the Flow platform");
  });

  it("turns a JSON content type with a body that is not JSON into a FlowError", async () => {
    const server = await scripted({ status: 200, body: "{not json", headers: { "content-type": "application/json" } });
    const flow = platform.createFlow({ gatewayUrl: server.url });
    const error = await flow.gateway.request({ path: "/broken" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowError);
    expect((error as Error).message).toContain("a body that is not JSON");
  });
});

describe("input checked before any request", () => {
  const offline = () => offlineFlow(platform);

  it.each([
    [{ timeoutMs: 0 }, "timeoutMs"],
    [{ timeoutMs: Number.NaN }, "timeoutMs"],
    [{ timeoutMs: -5 }, "timeoutMs"],
    [{ idempotencyKey: "has space" }, "idempotencyKey"],
    [{ headers: { "x-n": 1 } }, "headers"],
    [{ timeout: 5 }, "timeout"],
  ])("refuses request options %j", async (options, field) => {
    const error = await offline().state.get("k", options as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toContain(field);
  });

  it("refuses audit details that are not JSON", async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    for (const details of [{ n: 10n }, cyclic, { f: () => 1 }]) {
      await expect(offline().audit.log({ action: "a", resourceType: "t", resourceId: "r", details })).rejects.toBeInstanceOf(FlowValidationError);
    }
  });

  it("refuses a non-string option with FlowConfigError instead of a TypeError", () => {
    expect(() => platform.createFlow({ orgId: 123 as unknown as string })).toThrow(FlowConfigError);
  });
});

describe("idempotent writes", () => {
  it("replays a conditional PUT repeated with its key instead of reporting a conflict", async () => {
    const flow = platform.createFlow();
    const first = await flow.state.set("create-once", "v", { ifVersion: 0 }, { idempotencyKey: "put-key-1" });
    const repeat = await flow.state.set("create-once", "v", { ifVersion: 0 }, { idempotencyKey: "put-key-1" });
    expect(repeat).toEqual(first);
  });

  it("replays a DELETE repeated with its key", async () => {
    const flow = platform.createFlow();
    await flow.state.set("delete-once", 1);
    expect(await flow.state.delete("delete-once", { idempotencyKey: "del-key-1" })).toBe(true);
    expect(await flow.state.delete("delete-once", { idempotencyKey: "del-key-1" })).toBe(true);
    expect(await flow.state.delete("delete-once")).toBe(false);
  });
});

describe("validation errors from the platform", () => {
  it("maps 400 validation_error to FlowValidationError with the server's issues (redacted), and other 400s to FlowAPIError", async () => {
    const token = "tok_" + "s3cr3t".repeat(4);
    const issues = [{ path: "rows[0].age", message: "must be a number" }, { path: "x", message: `bad Bearer ${token}` }, { nope: 1 }];
    const server = await scripted(
      { status: 400, body: { error: { code: "validation_error", message: "rows do not match", details: { issues } } } },
      { status: 400, body: { error: { code: "bad_request", message: "no" } } },
    );
    const flow = platform.createFlow({ platformUrl: server.url });
    const error = await flow.state.set("k", 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toEqual(["rows[0].age", "x"]);
    expect((error as Error).message).toMatch(/^rows do not match \(HTTP 400 validation_error on PUT .*request req_/);
    expect((error as FlowValidationError).requestId).toMatch(/^req_/);
    expect(JSON.stringify((error as FlowValidationError).issues)).not.toContain(token);
    const other = await flow.state.set("k", 1).catch((e: unknown) => e);
    expect(other).not.toBeInstanceOf(FlowValidationError);
    expect(other).toMatchObject({ status: 400, code: "bad_request" });
  });
});
