// Helpers shared by the test files that drive a FlowSDK against a local test platform.
import { afterAll, expect } from "vitest";
import type { LocalPlatformOptions } from "../../local/index.js";
import { startTestPlatform, type TestPlatform } from "../../local/testing.js";
import { FlowValidationError, type FlowSDK } from "../../src/index.js";

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

/** The platform a test file shares, with a FlowSDK on it and one that cannot reach it. */
export interface SharedPlatform {
  /** The file's platform. */
  platform: TestPlatform;
  /** A FlowSDK with the platform's default token, org and workspace. */
  flow: FlowSDK;
  /** A FlowSDK whose requests fail with FlowConnectionError: proves that bad input fails before any request. */
  offline: FlowSDK;
}

/**
 * Starts one platform for the calling test file (call it at the file's top level with `await`)
 * and closes it after the file's last test.
 */
export async function sharedPlatform(options?: LocalPlatformOptions): Promise<SharedPlatform> {
  const platform = await startTestPlatform(options);
  afterAll(() => platform.close());
  return { platform, flow: platform.createFlow(), offline: offlineFlow(platform) };
}

/** Asserts that `error` is the platform refusing a list cursor: a FlowValidationError on `cursor`. */
export function expectCursorRefused(error: unknown): void {
  expect(error).toBeInstanceOf(FlowValidationError);
  expect((error as FlowValidationError).issues.map((issue) => issue.path)).toEqual(["cursor"]);
}
