// Token refresh at its edges: refreshAuthToken racing a 401, providers that hang or fail, bursts.
import { describe, expect, it } from "vitest";
import { sharedPlatform } from "../helpers/flows.js";
import { FlowAbortError, FlowAuthenticationError, FlowTimeoutError } from "../../src/index.js";
import { useScriptedServers } from "../helpers/scripted-server.js";

const { platform } = await sharedPlatform();
const scripted = useScriptedServers();
const noTokenSource = { AUTH_TOKEN: undefined, AUTH_TOKEN_FILE: undefined };

describe("token refresh edges", () => {
  it("retries a call whose 401 answers a token that refreshAuthToken replaced meanwhile, without a provider", async () => {
    const server = await scripted({ status: 401, delayMs: 200, body: { error: { code: "token_expired", message: "expired" } } }, { status: 200, body: { ok: true } });
    const flow = platform.createFlow({ authToken: "old-token", gatewayUrl: server.url, env: { ...platform.env, ...noTokenSource } });
    const pending = flow.gateway.request({ path: "/x" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await flow.refreshAuthToken("new-token");
    expect(await pending).toEqual({ ok: true });
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(["Bearer old-token", "Bearer new-token"]);
  });

  it("bounds the refresh after a 401 by the call's timeoutMs", { timeout: 5_000 }, async () => {
    const flow = platform.createFlow({ authToken: "stale-token", tokenProvider: () => new Promise<string>(() => undefined) });
    await expect(flow.auth.whoami({ timeoutMs: 300 })).rejects.toBeInstanceOf(FlowTimeoutError);
  });

  it("asks again after a provider call that hung, instead of waiting on it for good", { timeout: 5_000 }, async () => {
    let calls = 0;
    const flow = platform.createFlow({
      timeoutMs: 200,
      env: { ...platform.env, ...noTokenSource },
      tokenProvider: () => (++calls === 1 ? new Promise<string>(() => undefined) : platform.mintToken()),
    });
    await expect(flow.auth.whoami()).rejects.toBeInstanceOf(FlowTimeoutError);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await flow.auth.whoami()).subject).toBe("local-user");
    expect(calls).toBe(2);
  });

  it("answers FlowAbortError when the signal fires while a token is being fetched", async () => {
    const flow = platform.createFlow({ env: { ...platform.env, ...noTokenSource }, tokenProvider: () => new Promise<string>(() => undefined) });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(flow.auth.whoami({ signal: controller.signal })).rejects.toBeInstanceOf(FlowAbortError);
  });

  it("makes one provider call for a burst of 401s when the provider fails", async () => {
    let calls = 0;
    const flow = platform.createFlow({
      authToken: "stale-token",
      tokenProvider: async () => {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error("vault down");
      },
    });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => flow.auth.whoami()));
    expect(results.every((r) => r.status === "rejected" && r.reason instanceof FlowAuthenticationError)).toBe(true);
    expect(calls).toBe(1);
  });
});
