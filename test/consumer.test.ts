// The consumer round trip (issue 11's "Done when"), from the packed tarball as a stranger gets it:
// an empty project (`npm init`'s package.json, no "type") installs the package and the local
// platform's peers, runs a .ts block with top-level await through `npx flow-sdk-local run`, passes a
// test that uses @flow-sdk/sdk/testing, and type-checks with `strict` and `skipLibCheck: false` under
// node16, nodenext and bundler resolution. npm test builds dist before this runs.
//
// Installs prefer npm's cache (the repository's own `npm ci` filled it): the peers are pinned to
// the versions this repository installed so they come from there. A few packages only a consumer
// gets (fastify's newer light-my-request, which this repository overrides) may need the registry.
// Install scripts are skipped, so nothing is downloaded from GitHub or compiled: the one native
// addon, better-sqlite3's, is copied from this repository's node_modules (same version, same
// machine). The test skips itself, saying why, only when npm cannot reach the registry for what is
// missing from the cache.
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, "..");
const versionOf = (name: string): string =>
  (JSON.parse(readFileSync(path.join(repo, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;

// The README's dev-dependency line (fastify better-sqlite3@12 jose tsx wink-porter2-stemmer),
// pinned to this repository's versions, plus the consumer's own TypeScript tooling.
const peers = ["fastify", "better-sqlite3", "jose", "tsx", "wink-porter2-stemmer", "typescript", "@types/node"];

const NETWORK_ERRORS = /ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|network|offline/i;

const dir = mkdtempSync(path.join(os.tmpdir(), "flow-sdk-consumer-"));
const project = path.join(dir, "project");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function sh(command: string, args: string[], cwd = project): Promise<{ stdout: string; stderr: string }> {
  return run(command, args, {
    cwd,
    encoding: "utf8",
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false", NODE_OPTIONS: "" },
  });
}

const BLOCK = `import { FlowSDK } from "@flow-sdk/sdk";

await using flow = FlowSDK.create();
const visits: number = await flow.state.increment("visits");
console.log(\`visits=\${visits}\`);
`;

const TEST = `import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestPlatform, ManualClock } from "@flow-sdk/sdk/testing";

test("state through @flow-sdk/sdk/testing", async () => {
  const clock = new ManualClock();
  const platform = await startTestPlatform({ clock });
  try {
    const flow = platform.createFlow();
    await flow.state.set("greeting", "hi", { ttlSeconds: 60 });
    assert.equal(await flow.state.get("greeting"), "hi");
    clock.advance(61_000);
    assert.equal(await flow.state.get("greeting"), undefined);
  } finally {
    await platform.close();
  }
});
`;

// Every entry point as an ESM importer sees it, the default import refused as at run time.
const TYPES_ESM = `import { FlowSDK, FlowAPIError, type FlowOptions, type Filter } from "@flow-sdk/sdk";
import { startLocalPlatform, type LocalPlatform } from "@flow-sdk/sdk/local";
import { startTestPlatform, type TestPlatform } from "@flow-sdk/sdk/testing";
// @ts-expect-error: the ESM wrapper has no default export
import sdk from "@flow-sdk/sdk";

export const options: FlowOptions = {};
export const filter: Filter = { t: { $gt: new Date(0) } };
export const checks = [FlowSDK.create, FlowAPIError, startLocalPlatform, startTestPlatform, sdk];
export type Platforms = [LocalPlatform, TestPlatform];
`;

// And as a CommonJS importer sees it: there module.exports is the default.
const TYPES_CJS = `import sdk = require("@flow-sdk/sdk");
import { startTestPlatform } from "@flow-sdk/sdk/testing";
import local = require("@flow-sdk/sdk/local");

export const checks = [sdk.FlowSDK.create, startTestPlatform, local.startLocalPlatform];
`;

function tsconfig(moduleKind: string, resolution: string, include: string[]): string {
  return JSON.stringify({
    compilerOptions: {
      target: "ES2022",
      lib: ["ES2022", "ESNext.Disposable"],
      module: moduleKind,
      moduleResolution: resolution,
      strict: true,
      skipLibCheck: false,
      noEmit: true,
    },
    include,
  });
}

describe("a consumer project", () => {
  it("installs the packed tarball, runs a block and a test with it, and type-checks", { timeout: 180_000 }, async (ctx) => {
    mkdirSync(project);
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }, null, 2));

    await sh("npm", ["pack", "--silent", "--pack-destination", dir], repo);
    const tarball = readdirSync(dir).find((name) => name.endsWith(".tgz"));
    expect(tarball).toBeDefined();

    const skipWhenOffline = (error: unknown): never => {
      const text = String((error as { stderr?: string }).stderr ?? error);
      if (NETWORK_ERRORS.test(text)) ctx.skip(`npm could not install from its cache and cannot reach the registry: ${text.split("\n").find((line) => NETWORK_ERRORS.test(line))}`);
      throw error;
    };
    await sh("npm", ["i", "--prefer-offline", "--ignore-scripts", path.join(dir, tarball!)]).catch(skipWhenOffline);
    // Before the peers are installed, an optional import of @flow-sdk/sdk/local or @flow-sdk/sdk/testing fails
    // catchably: the catch runs and the process exits 0 (it exited 1 on Node 20 with a static ESM import).
    const optional = await sh(process.execPath, [
      "--input-type=module",
      "-e",
      `for (const entry of ["@flow-sdk/sdk/local", "@flow-sdk/sdk/testing"]) {
         try { await import(entry); console.log(entry, "loaded"); } catch (error) { console.log(entry, "caught:", error.message); }
       }`,
    ]);
    expect(optional.stdout).toMatch(/@flow-sdk\/sdk\/local caught: .*npm i -D[^\n]*\n@flow-sdk\/sdk\/testing caught: /);

    await sh("npm", ["i", "-D", "--prefer-offline", "--ignore-scripts", ...peers.map((name) => `${name}@${versionOf(name)}`)]).catch(skipWhenOffline);
    const addon = path.join("node_modules", "better-sqlite3", "build", "Release");
    mkdirSync(path.join(project, addon), { recursive: true });
    copyFileSync(path.join(repo, addon, "better_sqlite3.node"), path.join(project, addon, "better_sqlite3.node"));

    writeFileSync(path.join(project, "block.ts"), BLOCK);
    const block = await sh("npx", ["--no-install", "flow-sdk-local", "run", "block.ts"]);
    expect(block.stdout).toContain("visits=1");
    // npm 11's `npm init -y` writes "type": "commonjs": the block has top-level await, so it still runs.
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ ...JSON.parse(readFileSync(path.join(project, "package.json"), "utf8")), type: "commonjs" }, null, 2));
    const underCommonJs = await sh("npx", ["--no-install", "flow-sdk-local", "run", "block.ts"]);
    expect(underCommonJs.stdout).toContain("visits=1");

    writeFileSync(path.join(project, "block.test.mts"), TEST);
    const test = await sh(process.execPath, ["--import", "tsx", "--test", "block.test.mts"]).catch((error: { stdout?: string }) => {
      throw new Error(`node --test failed:\n${error.stdout ?? String(error)}`);
    });
    expect(test.stdout).toMatch(/# pass 1/);

    writeFileSync(path.join(project, "types.mts"), TYPES_ESM);
    writeFileSync(path.join(project, "types.cts"), TYPES_CJS);
    // In a project without "type", block.ts is CommonJS to TypeScript under node16/nodenext, where
    // top-level await needs .mts or "type": "module" (the README says so); bundler resolution takes it.
    const configs = {
      node16: tsconfig("node16", "node16", ["types.mts", "types.cts", "block.test.mts"]),
      nodenext: tsconfig("nodenext", "nodenext", ["types.mts", "types.cts", "block.test.mts"]),
      bundler: tsconfig("preserve", "bundler", ["block.ts", "types.mts", "block.test.mts"]),
    };
    const tsc = path.join(project, "node_modules", "typescript", "bin", "tsc");
    const results = await Promise.allSettled(
      Object.entries(configs).map(async ([name, config]) => {
        writeFileSync(path.join(project, `tsconfig.${name}.json`), config);
        return sh(process.execPath, [tsc, "-p", `tsconfig.${name}.json`]);
      }),
    );
    const failures = results.flatMap((result, i) =>
      result.status === "rejected" ? [`${Object.keys(configs)[i]}: ${(result.reason as { stdout?: string }).stdout ?? String(result.reason)}`] : [],
    );
    expect(failures).toEqual([]);
  });
});
