import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { FlowConfigError, FlowSDK } from "../../src/index.js";
import { TOKENS } from "../../src/container/tokens.js";

function configError(fn: () => unknown): FlowConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FlowConfigError);
    return error as FlowConfigError;
  }
  throw new Error("expected a FlowConfigError");
}

/** Everything a caller, a log line or a crash report may show of the error. */
function everything(error: FlowConfigError): string {
  return [error.message, error.stack, JSON.stringify(error), JSON.stringify(error.problems), inspect(error, { depth: 10, showHidden: true }), String(error)].join("\n");
}

const T = "tok_live_9f8e7d6c5b4a39281706";
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEiLCJzY29wZXMiOlsiKiJdfQ.c2lnbmF0dXJlX29mX3RoZV90b2tlbg";

describe("a FlowConfigError never shows a credential", () => {
  it("the configured token put into WORKSPACE_ID is hidden in the message, stack, JSON, inspect and problems", () => {
    const error = configError(() => FlowSDK.create({ env: { PLATFORM_API_URL: "http://127.0.0.1:1", AUTH_TOKEN: T, WORKSPACE_ID: `${T}/` } }));
    expect(error.problems.join("\n")).toContain("WORKSPACE_ID (option workspaceId) is invalid");
    expect(error.problems.join("\n")).toContain('"[REDACTED]/"');
    expect(everything(error)).not.toContain(T);
  });

  it("the token given as an option, or in AUTH_TOKEN while the option wins, is hidden too", () => {
    const viaOption = configError(() => FlowSDK.create({ authToken: T, env: { PLATFORM_API_URL: "http://127.0.0.1:1", ORG_ID: `${T} x` } }));
    expect(everything(viaOption)).not.toContain(T);
    const overridden = configError(() => FlowSDK.create({ authToken: "tok_other_value", env: { PLATFORM_API_URL: "http://127.0.0.1:1", AUTH_TOKEN: T, ORG_ID: `${T} x` } }));
    expect(everything(overridden)).not.toContain(T);
  });

  it("URL and token swapped: the token in PLATFORM_API_URL is not shown, nor the URL given as the token", () => {
    const error = configError(() => FlowSDK.create({ env: { PLATFORM_API_URL: T, AUTH_TOKEN: "http://127.0.0.1:1", WORKSPACE_ID: T } }));
    expect(error.message).toContain(`PLATFORM_API_URL (option platformUrl) is invalid: got ${T.length} characters, not a URL`);
    expect(everything(error)).not.toContain(T);
  });

  it("a JWT is hidden in problems as well as in the message", () => {
    const error = configError(() => FlowSDK.create({ env: { PLATFORM_API_URL: "http://127.0.0.1:1", ORG_ID: `${JWT}/` } }));
    expect(everything(error)).not.toContain(JWT.split(".")[1]);
  });

  it("the contents of AUTH_TOKEN_FILE are hidden, even before any instance exists", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "flow-config-secrets-"));
    const file = path.join(dir, "token");
    const fileToken = "tok_from_the_file_5a4b3c2d1e";
    writeFileSync(file, `${fileToken}\n`);
    const error = configError(() => FlowSDK.create({ env: { PLATFORM_API_URL: "http://127.0.0.1:1", AUTH_TOKEN_FILE: file, JOB_ID: `${fileToken}?` } }));
    expect(error.problems.join("\n")).toContain("JOB_ID");
    expect(everything(error)).not.toContain(fileToken);
  });

  it("a secret value a live instance has read is hidden when put into ORG_ID", async () => {
    const secret = "s3cret-value-from-the-vault";
    const reader = FlowSDK.create({ env: { PLATFORM_API_URL: "http://127.0.0.1:1" } });
    try {
      reader.container.resolve(TOKENS.Redactor).addSecret(secret);
      const error = configError(() => FlowSDK.create({ env: { PLATFORM_API_URL: "http://127.0.0.1:1", ORG_ID: `${secret}#1` } }));
      expect(error.problems.join("\n")).toContain("ORG_ID");
      expect(everything(error)).not.toContain(secret);
    } finally {
      await reader.close();
    }
  });

  it("a FlowConfigError built by other code has its problems redacted too", () => {
    const error = new FlowConfigError("bad", [`header was Bearer ${T}`, `jwt ${JWT}`]);
    expect(JSON.stringify(error.problems)).not.toContain(T);
    expect(JSON.stringify(error.problems)).not.toContain(JWT);
  });
});

describe("a URL with user:password@ is refused", () => {
  it.each([
    ["PLATFORM_API_URL", { PLATFORM_API_URL: "https://user:hunter2@api.flow.example" }],
    ["GATEWAY_URL", { PLATFORM_API_URL: "http://127.0.0.1:1", GATEWAY_URL: "http://gw:hunter2@127.0.0.1:2/" }],
  ])("%s: named, with the reason, never showing the password", (name, env) => {
    const error = configError(() => FlowSDK.create({ env }));
    expect(error.message).toContain(`${name} (option`);
    expect(error.message).toContain("must not contain user:password@");
    expect(everything(error)).not.toContain("hunter2");
  });

  it("an @ in the path is no user info", () => {
    const flow = FlowSDK.create({ env: { PLATFORM_API_URL: "http://127.0.0.1:1/base@v1" } });
    expect(flow.config.platformUrl).toBe("http://127.0.0.1:1/base@v1");
    void flow.close();
  });
});
