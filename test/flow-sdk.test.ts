import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Agent } from "undici";
import { describe, expect, it } from "vitest";
import { sharedPlatform } from "./helpers/flows.js";
import {
  AuditNamespace,
  FlowClosedError,
  FlowSDK,
  GatewayNamespace,
  StateNamespace,
  TOKENS,
} from "../src/index.js";
import { BUILTIN_NAMESPACES } from "../src/namespaces/index.js";

const { platform } = await sharedPlatform();

describe("FlowSDK", () => {
  it("exposes the 18 namespaces under their fixed names", () => {
    const flow = platform.createFlow();
    expect(Object.keys(BUILTIN_NAMESPACES)).toEqual([
      "gateway", "codeBlocks", "agents", "workflows", "datasets", "connectors", "secrets", "state", "conversations",
      "storage", "audit", "auth", "vector", "memory", "service", "services", "jobs", "serviceTokens",
    ]);
    for (const [name, cls] of Object.entries(BUILTIN_NAMESPACES)) {
      expect((flow as unknown as Record<string, unknown>)[name]).toBeInstanceOf(cls);
    }
  });

  it("resolves each namespace once per instance, on first access", () => {
    const flow = platform.createFlow();
    expect(flow.container.isRegistered(StateNamespace)).toBe(true);
    expect(flow.state).toBe(flow.state);
    expect(flow.state).not.toBe(platform.createFlow().state);
  });

  it("builds one child container per instance, sharing no config, token or sockets", async () => {
    const a = platform.createFlow({ authToken: await platform.mintToken({ scopes: ["state:read"] }) });
    const b = platform.createFlow({ workspaceId: "ws_two", authToken: await platform.mintToken({ workspaceId: "ws_two" }) });
    expect(a.container).not.toBe(b.container);
    expect(a.config.workspaceId).toBe("ws_local");
    expect(b.config.workspaceId).toBe("ws_two");
    expect(a.container.resolve(TOKENS.HttpAgents)).not.toBe(b.container.resolve(TOKENS.HttpAgents));
    expect(a.container.resolve(TOKENS.PlatformHttp)).not.toBe(b.container.resolve(TOKENS.PlatformHttp));
    expect((await a.auth.whoami()).scopes).toEqual(["state:read"]);
    expect((await b.auth.whoami()).workspaceId).toBe("ws_two");
  });

  it("refreshAuthToken switches the token of that instance only, from the next request on", async () => {
    const a = platform.createFlow();
    const b = platform.createFlow();
    await a.refreshAuthToken(await platform.mintToken({ scopes: ["audit:read"] }));
    expect((await a.auth.whoami()).scopes).toEqual(["audit:read"]);
    expect((await b.auth.whoami()).scopes).toEqual(["*"]);
    // Both the platform and the gateway client use the new token.
    const echo = await a.gateway.request<{ path: string }>({ path: "/v1/_echo/after-refresh" });
    expect(echo.path).toBe("/v1/_echo/after-refresh");
  });

  it("log() is audit.log() with positional arguments", async () => {
    const flow = platform.createFlow();
    const event = await flow.log("visit", "page", "home", { n: 1 });
    expect(event).toMatchObject({ action: "visit", resourceType: "page", resourceId: "home", details: { n: 1 } });
    const page = await flow.audit.list({ resourceType: "page", resourceId: "home" });
    expect(page.data.map((e) => e.id)).toContain(event.id);
  });

  describe("close()", () => {
    it("is idempotent and makes every later call fail with FlowClosedError", async () => {
      const flow = platform.createFlow();
      await flow.state.set("close-me", 1);
      await flow.close();
      await flow.close();
      await expect(flow.state.get("close-me")).rejects.toBeInstanceOf(FlowClosedError);
      // A call made after close() is not "cut off": it never started.
      await expect(flow.storage.put("x.txt", "y")).rejects.toThrow(/^this FlowSDK instance is closed; create a new one/);
      await expect(flow.datasets.list()).rejects.toThrow(/^this FlowSDK instance is closed/);
      await expect(flow.gateway.request({ path: "/v1/health" })).rejects.toBeInstanceOf(FlowClosedError);
      await expect(flow.log("a", "b", "c")).rejects.toBeInstanceOf(FlowClosedError);
      await expect(flow.refreshAuthToken("x")).rejects.toBeInstanceOf(FlowClosedError);
      expect(() => flow.bindRequestContext({})).toThrow(FlowClosedError);
      expect(() => flow.runWithRequestContext({}, () => 1)).toThrow(FlowClosedError);
      expect(() => flow.requestContext).toThrow(FlowClosedError);
      expect(() => flow.auth.context()).toThrow(FlowClosedError);
    });

    it("destroys the instance's sockets", async () => {
      const flow = platform.createFlow();
      await Promise.all([flow.state.get("a"), flow.state.get("b"), flow.state.get("c")]);
      const dispatcher = flow.container.resolve(TOKENS.HttpAgents).dispatcher as Agent;
      const connected = () => Object.values(dispatcher.stats).reduce((n, pool) => n + Number(pool.connected), 0);
      const open = connected();
      expect(open).toBeGreaterThan(0);
      await flow.close();
      expect([connected(), dispatcher.destroyed]).toEqual([0, true]);
    });

    it("fails a request that is in flight when the instance closes with FlowClosedError", async () => {
      const flow = platform.createFlow();
      const pending = flow.state.get("in-flight");
      await flow.close();
      await expect(pending).rejects.toBeInstanceOf(FlowClosedError);
    });

    it("runs on `await using` through Symbol.asyncDispose", async () => {
      let escaped: FlowSDK | undefined;
      {
        await using flow = platform.createFlow();
        escaped = flow;
        await flow.state.set("using", true);
      }
      await expect(escaped.state.get("using")).rejects.toBeInstanceOf(FlowClosedError);
    });

    it("lets the process exit promptly afterwards, cutting off a hanging request", async () => {
      const silent = createServer(() => undefined); // accepts requests and never answers
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      const { port } = silent.address() as AddressInfo;
      const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/exit-after-close.ts"], {
        env: { ...process.env, ...platform.env, GATEWAY_URL: `http://127.0.0.1:${port}` },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (chunk) => (output += chunk));
      child.stderr.on("data", (chunk) => (output += chunk));
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => {
          child.kill("SIGKILL");
          resolve(null);
        }, 10_000);
        child.on("exit", (exitCode) => {
          clearTimeout(timer);
          resolve(exitCode);
        });
      });
      silent.closeAllConnections();
      silent.close();
      expect(output).toContain("hanging call: FlowClosedError");
      expect(output).toContain("closed");
      expect(code).toBe(0);
    });
  });

  it("resolves namespaces that are registered as tokens for advanced use", () => {
    const flow = platform.createFlow();
    expect(flow.container.resolve(AuditNamespace)).toBe(flow.audit);
    expect(flow.container.resolve(GatewayNamespace)).toBe(flow.gateway);
    expect(flow.container.resolve(TOKENS.Config)).toBe(flow.config);
  });
});
