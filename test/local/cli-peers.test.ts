// The local platform's optional peers (fastify, better-sqlite3, jose, wink-porter2-stemmer, tsx)
// missing: one line naming the npm i -D command that installs them, never `Cannot find module`
// with a require stack; --help and --version load none of them.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { checkPeers, INSTALL_LINE, PLATFORM_PEERS, requirePeer } from "../../local/cli/peers.js";
import { SDK_VERSION } from "../../src/version.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSX = pathToFileURL(createRequire(path.join(ROOT, "package.json")).resolve("tsx")).href;
const HIDE_PEERS = pathToFileURL(path.join(ROOT, "test/fixtures/cli/hide-peers.mjs")).href;
const MISSING_LINE = `flow-local: the local platform needs ${PLATFORM_PEERS.join(", ")}, which are not installed; install its dev dependencies with: ${INSTALL_LINE}\n`;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node --import hide-peers --import tsx ARGS` (the sources, none of the peers resolvable) in `cwd`. */
function node(args: readonly string[], cwd = ROOT): Promise<Result> {
  const env = { ...process.env, TSX_TSCONFIG_PATH: path.join(ROOT, "tsconfig.json") };
  const child = spawn(process.execPath, ["--import", HIDE_PEERS, "--import", TSX, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const cli = (args: readonly string[], cwd?: string): Promise<Result> => node([path.join(ROOT, "local/cli.ts"), ...args], cwd);

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "flow-local-peers-"));
  dirs.push(dir);
  return dir;
}

describe("checkPeers and requirePeer", () => {
  it("pass when the peers are installed, loading none of them", () => {
    expect(() => checkPeers()).not.toThrow();
  });

  it("name every missing module and the one command that installs them", () => {
    let thrown: unknown;
    try {
      checkPeers(["fastify", "no-such-module-flow-a", "no-such-module-flow-b"]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toBe(
      `flow-local: the local platform needs no-such-module-flow-a, no-such-module-flow-b, which are not installed; install its dev dependencies with: ${INSTALL_LINE}`,
    );
    expect((thrown as { code?: unknown }).code).toBe("MODULE_NOT_FOUND");
    expect(INSTALL_LINE).toBe("npm i -D fastify better-sqlite3@12 jose tsx wink-porter2-stemmer");
  });

  it("requirePeer loads a module that is there and turns a missing one into the install line", () => {
    expect(requirePeer<typeof path>("node:path").join("a", "b")).toBe(path.join("a", "b"));
    expect(() => requirePeer("no-such-module-flow-c")).toThrow(`flow-local: the local platform needs no-such-module-flow-c, which is not installed; install its dev dependencies with: ${INSTALL_LINE}`);
  });
});

describe("flow-local without its peers", () => {
  it("prints --help and exits 0", async () => {
    const result = await cli(["--help"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain("flow-sdk-local start");
  });

  it("prints --version and exits 0", async () => {
    expect(await cli(["--version"])).toEqual({ code: 0, stdout: `${SDK_VERSION}\n`, stderr: "" });
  });

  it("start says in one line what to install, exits 1 and leaves no data dir", async () => {
    const dir = tempDir();
    expect(await cli(["start", "--data", path.join(dir, "data")], dir)).toEqual({ code: 1, stdout: "", stderr: MISSING_LINE });
    expect(readdirSync(dir)).toEqual([]);
  });

  it("run says the same", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "block.mjs"), "console.log('ran');\n");
    expect(await cli(["run", "block.mjs"], dir)).toEqual({ code: 1, stdout: "", stderr: MISSING_LINE });
  });

  // Required, as the package's CommonJS build is loaded (its ESM wrappers import that build): its
  // requires run one after the other, the guard first. (The ESM sources are linked whole first.)
  it.each(["local/index.ts", "local/testing.ts"])("a require of %s fails with the install line, catchable", async (entry) => {
    const file = path.join(ROOT, entry);
    const script = `try { require(${JSON.stringify(file)}); console.log("loaded"); } catch (error) { console.log(error.code, error.message); }`;
    const result = await node(["-e", script]);
    expect(result).toEqual({ code: 0, stdout: `MODULE_NOT_FOUND ${MISSING_LINE}`, stderr: "" });
  });
});
