// A `.ts` block in a project whose package.json has no "type" (a default `npm init`) runs as an ES
// module, as `.mts` does: top-level await and import.meta work, in the block and the `.ts` files it
// imports. A "type" the project does set is obeyed, except that under "commonjs" a block with
// top-level await, which CommonJS cannot run, is loaded as an ES module.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loaderArgs, runBlock, type RunOutcome } from "../../local/runner/spawn.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A temp project with `files` (name → content). */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "flow-runner-esm-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

let runs = 0;
function run(dir: string, file: string): Promise<RunOutcome> {
  return runBlock({
    file: path.join(dir, file),
    input: JSON.stringify({ n: 41 }),
    executionId: `exe_esm_${++runs}`,
    request: { id: "req_esm", traceparent: null, tracestate: null },
    env: { ...process.env },
    cwd: dir,
    stdio: "capture",
    graceMs: 5_000,
  }).outcome;
}

const NPM_INIT = `${JSON.stringify({ name: "consumer", version: "1.0.0", main: "index.js", license: "ISC" }, null, 2)}\n`;
const HELPER = `export const suffix: string = await Promise.resolve(typeof import.meta.url);\n`;

describe("a .ts block in a project without a package.json type", () => {
  it("runs a function block with top-level await, its imported .ts helper too", async () => {
    const dir = project({
      "package.json": NPM_INIT,
      "helper.ts": HELPER,
      "block.ts": `import { suffix } from "./helper.ts";\nconst base: number = await Promise.resolve(1);\nexport default (input: { n: number }) => ({ n: input.n + base, suffix });\n`,
    });
    const outcome = await run(dir, "block.ts");
    expect(outcome.error).toBeNull();
    expect(JSON.parse(outcome.output ?? "null")).toEqual({ n: 42, suffix: "string" });
  });

  it("runs a script with top-level await", async () => {
    const dir = project({ "package.json": NPM_INIT, "block.ts": `const n: number = await Promise.resolve(42);\nconsole.log("n", n);\n` });
    const outcome = await run(dir, "block.ts");
    expect(outcome).toMatchObject({ status: "succeeded", exitCode: 0 });
    expect(outcome.stdout).toBe("n 42\n");
    expect(outcome.stderr).not.toContain("cjs");
  });

  it("also when there is no package.json at all", async () => {
    // A temp dir under os.tmpdir() has no package.json above it.
    const dir = project({ "block.ts": `export default async () => await Promise.resolve("ok");\n` });
    expect(JSON.parse((await run(dir, "block.ts")).output ?? "null")).toBe("ok");
  });

  it("obeys a type the project sets: commonjs stays CommonJS", async () => {
    const dir = project({
      "package.json": JSON.stringify({ name: "cjs", type: "commonjs" }),
      "block.ts": `export default () => typeof __dirname;\n`,
    });
    const outcome = await run(dir, "block.ts");
    expect(JSON.parse(outcome.output ?? "null")).toBe("string");
  });

  it("under npm 11's explicit commonjs, a block without top-level await stays CommonJS", async () => {
    const dir = project({ "package.json": JSON.stringify({ name: "cjs", type: "commonjs" }), "block.ts": `export default () => typeof module;\n` });
    expect(JSON.parse((await run(dir, "block.ts")).output ?? "null")).toBe("object");
  });

  it("under npm 11's explicit commonjs, a block with top-level await (which CommonJS cannot run) becomes an ES module", async () => {
    const dir = project({
      "package.json": `${JSON.stringify({ name: "consumer", version: "1.0.0", main: "index.js", type: "commonjs" }, null, 2)}\n`,
      "helper.ts": `export const three: number = 3;\n`,
      "block.ts": `import { three } from "./helper.ts";\nconst base: number = await Promise.resolve(39);\nexport default (input: { n: number }) => ({ n: input.n + base - 38 + three - 3, module: typeof module });\n`,
    });
    const outcome = await run(dir, "block.ts");
    expect(outcome.error).toBeNull();
    expect(JSON.parse(outcome.output ?? "null")).toEqual({ n: 42, module: "undefined" });
  });

  it("leaves a block written for CommonJS as CommonJS, as tsx always ran it: require, __dirname, JSON", async () => {
    const dir = project({
      "package.json": NPM_INIT,
      "data.json": JSON.stringify({ base: 1 }),
      "block.ts": `const data = require("./data.json");\nexport default (input: { n: number }) => ({ n: input.n + data.base, dir: typeof __dirname });\n`,
    });
    const outcome = await run(dir, "block.ts");
    expect(outcome.error).toBeNull();
    expect(JSON.parse(outcome.output ?? "null")).toEqual({ n: 42, dir: "string" });
  });

  it("registers the hooks before tsx, for .ts blocks only", () => {
    const dir = project({ "package.json": NPM_INIT });
    const ts = loaderArgs(path.join(dir, "block.ts"), process.cwd());
    expect(ts[0]).toBe("--import");
    expect(ts[1]).toMatch(/^data:text\/javascript,/);
    expect(ts[3]).toMatch(/tsx/);
    expect(loaderArgs(path.join(dir, "block.mts"), process.cwd()).join(" ")).not.toContain("data:");
  });
});
