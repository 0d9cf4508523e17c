import { describe, expect, it } from "vitest";
import { inspect } from "node:util";
import { FlowConfigError, FlowSDK } from "../../src/index.js";

const base = { PLATFORM_API_URL: "http://127.0.0.1:9" };

function configError(fn: () => unknown): FlowConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FlowConfigError);
    return error as FlowConfigError;
  }
  throw new Error("expected a FlowConfigError");
}

describe("configuration", () => {
  it("takes every setting from the environment when no option is given", () => {
    const flow = FlowSDK.create({
      env: {
        ...base,
        ORG_ID: "org_1",
        WORKSPACE_ID: "ws_1",
        GATEWAY_URL: "http://127.0.0.1:10/",
        SERVICE_ID: "svc_1",
        EXECUTION_ID: "exe_1",
        JOB_ID: "job_1",
        REQUEST_ID: "req_1",
        RING_ID: "ring_1",
        AUTH_TOKEN_FILE: "/tmp/token",
      },
    });
    expect(flow.config).toMatchObject({
      orgId: "org_1",
      workspaceId: "ws_1",
      platformUrl: "http://127.0.0.1:9",
      gatewayUrl: "http://127.0.0.1:10",
      serviceId: "svc_1",
      executionId: "exe_1",
      jobId: "job_1",
      requestId: "req_1",
      ringId: "ring_1",
      authTokenFile: "/tmp/token",
      timeoutMs: 30_000,
      maxRetries: 2,
    });
  });

  it("prefers options over the environment", () => {
    const flow = FlowSDK.create({
      orgId: "org_opt",
      platformUrl: "https://api.example.test",
      timeoutMs: 5,
      maxRetries: 0,
      env: { ...base, ORG_ID: "org_env", WORKSPACE_ID: "ws_env" },
    });
    expect(flow.config.orgId).toBe("org_opt");
    expect(flow.config.workspaceId).toBe("ws_env");
    expect(flow.config.platformUrl).toBe("https://api.example.test");
    expect(flow.config.timeoutMs).toBe(5);
    expect(flow.config.maxRetries).toBe(0);
  });

  it("reads process.env when no env is given, and only options.env when one is", () => {
    const saved = process.env["PLATFORM_API_URL"];
    process.env["PLATFORM_API_URL"] = "http://127.0.0.1:7";
    try {
      expect(FlowSDK.create().config.platformUrl).toBe("http://127.0.0.1:7");
      expect(FlowSDK.create({ env: { PLATFORM_API_URL: "http://127.0.0.1:8" } }).config.platformUrl).toBe("http://127.0.0.1:8");
      expect(() => FlowSDK.create({ env: {} })).toThrow(FlowConfigError);
    } finally {
      if (saved === undefined) delete process.env["PLATFORM_API_URL"];
      else process.env["PLATFORM_API_URL"] = saved;
    }
  });

  it("defaults the gateway URL to the platform URL", () => {
    expect(FlowSDK.create({ env: base }).config.gatewayUrl).toBe("http://127.0.0.1:9");
  });

  it("treats empty and blank values as unset", () => {
    const flow = FlowSDK.create({ orgId: "", env: { ...base, ORG_ID: "org_env", WORKSPACE_ID: "   " } });
    expect(flow.config.orgId).toBe("org_env");
    expect(flow.config.workspaceId).toBeUndefined();
  });

  it("fails on a missing PLATFORM_API_URL, naming the variable and the fix", () => {
    const error = configError(() => FlowSDK.create({ env: {} }));
    expect(error.message).toContain("PLATFORM_API_URL (option platformUrl) is not set");
    expect(error.message).toContain("flow-sdk-local start");
  });

  it.each(["not a url", "ftp://example.test", "127.0.0.1:8080", "http://"])("fails on a malformed PLATFORM_API_URL %j", (url) => {
    const error = configError(() => FlowSDK.create({ env: { PLATFORM_API_URL: url } }));
    expect(error.message).toContain("PLATFORM_API_URL (option platformUrl) is invalid");
  });

  it("names every bad setting at once", () => {
    const error = configError(() =>
      FlowSDK.create({
        timeoutMs: -1,
        maxRetries: 99,
        env: { PLATFORM_API_URL: "nope", GATEWAY_URL: "also nope", ORG_ID: "has space", WORKSPACE_ID: "a/b" },
      }),
    );
    expect(error.problems).toHaveLength(6);
    for (const name of ["PLATFORM_API_URL", "GATEWAY_URL", "ORG_ID", "WORKSPACE_ID", "timeoutMs", "maxRetries"]) {
      expect(error.message).toContain(name);
    }
  });

  it("never echoes a malformed token, and hides user:password in URLs", () => {
    const error = configError(() =>
      FlowSDK.create({ env: { PLATFORM_API_URL: "http://user:hunter2@", AUTH_TOKEN: "tok en-with-space-s3cr3t" } }),
    );
    expect(error.message).toContain("AUTH_TOKEN (option authToken) is invalid");
    expect(error.message).not.toContain("s3cr3t");
    expect(error.message).not.toContain("hunter2");
  });

  it("takes secretsCacheTtlMs from options only: 60000 by default, 0 to 3600000 whole milliseconds", () => {
    expect(FlowSDK.create({ env: base }).config.secretsCacheTtlMs).toBe(60_000);
    expect(FlowSDK.create({ env: base, secretsCacheTtlMs: 0 }).config.secretsCacheTtlMs).toBe(0);
    for (const bad of [-1, 1.5, 3_600_001]) {
      expect(configError(() => FlowSDK.create({ env: base, secretsCacheTtlMs: bad })).message).toContain("option secretsCacheTtlMs is invalid");
    }
  });

  it("exposes a frozen config that never shows the token", () => {
    const token = "tok_very_secret_value_123";
    const flow = FlowSDK.create({ authToken: token, env: base });
    expect(Object.isFrozen(flow.config)).toBe(true);
    expect(JSON.stringify(flow.config)).not.toContain(token);
    expect(inspect(flow.config, { depth: 5 })).not.toContain(token);
    expect(inspect(flow, { depth: 5, showHidden: true })).not.toContain(token);
    expect(String(flow.config)).not.toContain(token);
  });
});
