// Checks the built package as users load it (npm test builds before it runs): both module systems,
// every entry point, one copy of each class.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SDK_VERSION } from "../src/index.js";

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { encoding: "utf8", env: { ...process.env, PLATFORM_API_URL: "http://127.0.0.1:9" } }).trim();
}

describe("the built package", () => {
  it("keeps SDK_VERSION equal to package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    expect(SDK_VERSION).toBe(pkg.version);
  });

  it("loads through import and require as one and the same class", () => {
    const out = node([
      "--input-type=module",
      "-e",
      `import { FlowSDK } from "@flow-sdk/sdk";
       import { createRequire } from "node:module";
       const cjs = createRequire(import.meta.url)("@flow-sdk/sdk");
       console.log(cjs.FlowSDK === FlowSDK, typeof FlowSDK.create().state.get);`,
    ]);
    expect(out).toBe("true function");
  });

  it("exposes @flow-sdk/sdk/local and @flow-sdk/sdk/testing to both module systems", () => {
    const esm = node([
      "--input-type=module",
      "-e",
      `import { startLocalPlatform } from "@flow-sdk/sdk/local";
       import { startTestPlatform } from "@flow-sdk/sdk/testing";
       const platform = await startTestPlatform();
       const flow = platform.createFlow();
       console.log(typeof startLocalPlatform, await flow.state.increment("esm"));
       await platform.close();`,
    ]);
    expect(esm).toBe("function 1");
    const cjs = node([
      "-e",
      `const { startLocalPlatform } = require("@flow-sdk/sdk/local");
       const { FlowSDK } = require("@flow-sdk/sdk");
       startLocalPlatform().then(async (platform) => {
         const flow = FlowSDK.create({ env: platform.env });
         console.log(await flow.state.increment("cjs"));
         await flow.close();
         await platform.close();
       });`,
    ]);
    expect(cjs).toBe("1");
  });
});
