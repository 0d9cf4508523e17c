import { describe, expect, it } from "vitest";
import { FlowAuthenticationError, FlowValidationError } from "../../src/index.js";
import { caught, flowWithToken, offlineFlow, sharedPlatform } from "../helpers/flows.js";

const { platform, flow } = await sharedPlatform();

describe("auth.whoami", () => {
  it("returns the token's subject, org, workspace, scopes and expiry", async () => {
    const me = await flow.auth.whoami();
    expect(me).toEqual({
      subject: "local-user",
      orgId: "org_local",
      workspaceId: "ws_local",
      scopes: ["*"],
      expiresAt: expect.any(String),
    });
    expect(Date.parse(me.expiresAt ?? "")).toBeGreaterThan(Date.now());
  });

  it("reflects a minted token's workspace, scopes and lifetime", async () => {
    const before = Date.now();
    const me = await flowWithToken(platform, await platform.mintToken({ workspaceId: "ws_b", scopes: ["state:read", "audit:*"], ttlSeconds: 120 }), "ws_b").auth.whoami();
    expect(me).toMatchObject({ subject: "local-user", orgId: "org_local", workspaceId: "ws_b", scopes: ["state:read", "audit:*"] });
    const expires = Date.parse(me.expiresAt ?? "");
    expect(expires).toBeGreaterThan(before + 110_000);
    expect(expires).toBeLessThan(before + 130_000);
  });

  it("fails with FlowAuthenticationError for a token the platform did not sign", async () => {
    const forged = flowWithToken(platform, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl");
    const error = await caught(() => forged.auth.whoami());
    expect(error).toBeInstanceOf(FlowAuthenticationError);
    expect(error).toMatchObject({ status: 401, code: "invalid_token" });
  });
});

describe("auth.context", () => {
  it("returns an empty object when nothing is bound", () => {
    expect(flow.auth.context()).toEqual({});
  });

  it("returns the auth of the bound request context", () => {
    const auth = { subject: "caller-7", scopes: ["state:read"], tenant: { org: "o" } };
    expect(flow.runWithRequestContext({ auth }, () => flow.auth.context())).toEqual(auth);
  });

  it("follows the context bound with bindRequestContext until it is reset", () => {
    const token = flow.bindRequestContext({ auth: { subject: "bound" } });
    try {
      expect(flow.auth.context()).toEqual({ subject: "bound" });
    } finally {
      flow.resetRequestContext(token);
    }
    expect(flow.auth.context()).toEqual({});
  });

  it("keeps the auth bound across awaits", async () => {
    const seen = await flow.runWithRequestContext({ auth: { subject: "async" } }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return flow.auth.context();
    });
    expect(seen).toEqual({ subject: "async" });
  });
});

describe("auth.hasScope with a bound request context", () => {
  const withScopes = <T>(scopes: string[], fn: () => T): T => flow.runWithRequestContext({ auth: { subject: "caller", scopes } }, fn);

  it("is true for a scope granted exactly", async () => {
    expect(await withScopes(["state:read", "audit:write"], () => flow.auth.hasScope("audit:write"))).toBe(true);
  });

  it("is true for any scope under `*`", async () => {
    expect(await withScopes(["*"], () => flow.auth.hasScope("vector:write"))).toBe(true);
  });

  it("is true for a scope of an area granted with `<area>:*`", async () => {
    expect(await withScopes(["state:*"], () => flow.auth.hasScope("state:write"))).toBe(true);
  });

  it("is false for another area than the `<area>:*` one", async () => {
    expect(await withScopes(["state:*"], () => flow.auth.hasScope("audit:read"))).toBe(false);
  });

  it("is false for a missing scope, and write does not imply read", async () => {
    expect(await withScopes(["state:write"], () => flow.auth.hasScope("state:read"))).toBe(false);
  });

  it("judges by the bound caller, not by the SDK's own all-powerful token", async () => {
    expect(await withScopes([], () => flow.auth.hasScope("state:read"))).toBe(false);
  });
});

describe("auth.hasScope without a bound context", () => {
  it("asks the platform about the SDK's own token", async () => {
    const reader = flowWithToken(platform, await platform.mintToken({ scopes: ["state:read"] }));
    expect(await reader.auth.hasScope("state:read")).toBe(true);
    expect(await reader.auth.hasScope("state:write")).toBe(false);
    expect(await reader.auth.hasScope("audit:read")).toBe(false);
  });

  it("grants nothing when the bound auth has no scopes, never falling back to the SDK's own token", async () => {
    const reader = flowWithToken(platform, await platform.mintToken({ scopes: ["audit:read"] }));
    const granted = await reader.runWithRequestContext({ auth: { subject: "no-scopes-here" } }, () => reader.auth.hasScope("audit:read"));
    expect(granted).toBe(false);
    expect(await reader.auth.hasScope("audit:read")).toBe(true); // nothing bound: the token decides
  });

  it("reads OAuth-style space-separated scopes from the bound auth", async () => {
    const granted = (scope: string) => flow.runWithRequestContext({ auth: { scope: "state:read audit:*" } }, () => flow.auth.hasScope(scope));
    expect(await granted("state:read")).toBe(true);
    expect(await granted("audit:write")).toBe(true);
    expect(await granted("state:write")).toBe(false);
  });

  it("is true for everything with the default `*` token", async () => {
    expect(await flow.auth.hasScope("anything:write")).toBe(true);
  });
});

describe("auth.hasScope validation", () => {
  const offline = () => offlineFlow(platform);

  it.each([
    ["an empty scope", ""],
    ["a blank scope", "   "],
    ["a scope that is not a string", 42 as unknown as string],
  ])("refuses %s with FlowValidationError before any request", async (_label, scope) => {
    const error = await caught(() => offline().auth.hasScope(scope));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.path)).toContain("scope");
  });
});
