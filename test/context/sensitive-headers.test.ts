import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { FlowSDK } from "../../src/index.js";
import { startScriptedServer } from "../helpers/scripted-server.js";

const CREDENTIALS = {
  Authorization: "Bearer caller-token-1a2b3c4d5e",
  Cookie: "session=caller-cookie-9z8y7x",
  "Proxy-Authorization": "Basic cHJveHk6cGFzc3dvcmQtcXE=",
  "X-Flow-Local-Admin": "local-admin-key-5f5f5f",
};

describe("credential headers in a bound request context", () => {
  it("can be read by name but are hidden in inspect, JSON and String, for both forms of binding", async () => {
    const flow = FlowSDK.create({ authToken: "tok_sdk_own_token", env: { PLATFORM_API_URL: "http://127.0.0.1:9" } });
    try {
      const check = () => {
        const context = flow.requestContext;
        expect(context.headers["authorization"]).toBe(CREDENTIALS.Authorization);
        expect(context.headers["x-request-id"]).toBe("r-1");
        const shown = [inspect(context, { depth: 10 }), inspect(flow.requestContext, { depth: 10, showHidden: true }), JSON.stringify(context), JSON.stringify({ context })].join("\n");
        for (const value of Object.values(CREDENTIALS)) expect(shown).not.toContain(value);
        expect(shown).toContain("r-1"); // the rest is shown as it is
        expect(shown).toContain("[REDACTED]");
        expect(Object.keys(context.headers).sort()).toEqual(["authorization", "cookie", "proxy-authorization", "x-flow-local-admin", "x-request-id"]);
      };
      const token = flow.bindRequestContext({ headers: { ...CREDENTIALS, "X-Request-Id": "r-1" } });
      check();
      flow.resetRequestContext(token);
      flow.runWithRequestContext({ headers: { ...CREDENTIALS, "X-Request-Id": "r-1" } }, check);
    } finally {
      await flow.close();
    }
  });

  it("are never sent: every request carries the SDK's own Authorization and none of the caller's credentials", async () => {
    const server = await startScriptedServer([{ status: 200, body: { ok: true } }]);
    const flow = FlowSDK.create({ authToken: "tok_sdk_own_token", env: { PLATFORM_API_URL: server.url, GATEWAY_URL: server.url } });
    try {
      await flow.runWithRequestContext({ headers: { ...CREDENTIALS, "X-Request-Id": "r-2" } }, () => flow.gateway.request({ path: "/v1/_echo" }));
      const seen = server.requests[0]?.headers ?? {};
      expect(seen["authorization"]).toBe("Bearer tok_sdk_own_token");
      expect(seen["x-request-id"]).toBe("r-2");
      expect(seen["cookie"]).toBeUndefined();
      expect(seen["proxy-authorization"]).toBeUndefined();
      expect(seen["x-flow-local-admin"]).toBeUndefined();
    } finally {
      await flow.close();
      await server.close();
    }
  });
});
