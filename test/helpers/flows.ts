// Helpers shared by the test files that drive a FlowSDK against a local test platform.
import type { TestPlatform } from "../../local/testing.js";
import type { FlowSDK } from "../../src/index.js";

/** What `/v1/_echo` answers: the request as the server received it. */
export interface Echo {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  body: unknown;
}

/** The error `fn` throws or rejects with (a synchronous throw counts too); fails if `fn` succeeds. */
export async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** A FlowSDK on `platform` that only has `token` (no token file to fall back on), for `workspaceId`. */
export function flowWithToken(platform: TestPlatform, token: string, workspaceId = "ws_local"): FlowSDK {
  return platform.createFlow({ authToken: token, workspaceId, env: { AUTH_TOKEN: undefined, AUTH_TOKEN_FILE: undefined } });
}

/** A FlowSDK whose platform and gateway URLs point at a port nothing listens on: a request that is sent fails with FlowConnectionError. */
export function offlineFlow(platform: TestPlatform): FlowSDK {
  return platform.createFlow({ platformUrl: "http://127.0.0.1:9", gatewayUrl: "http://127.0.0.1:9", maxRetries: 0 });
}
