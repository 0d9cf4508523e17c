import { spawn } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { constants } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { launchPlatform, platformEnv, type LocalPlatform, type LocalPlatformEnv } from "../platform.js";
import { loadSecretsFile } from "./dotenv.js";
import { DEFAULT_DATA_DIR, findRunning, mintRemote } from "./runtime-file.js";
import { UsageError } from "./usage.js";

const JS = new Set([".js", ".mjs", ".cjs"]);
const TS = new Set([".ts", ".mts", ".cts"]);

/** `flow-local run FILE`: runs a code block against a platform and returns its exit code. */
export async function run(argv: string[]): Promise<number> {
  const split = argv.indexOf("--");
  const own = split === -1 ? argv : argv.slice(0, split);
  const passed = split === -1 ? [] : argv.slice(split + 1);
  const { values, positionals } = parseArgs({
    args: own,
    allowPositionals: true,
    options: { data: { type: "string" }, "secrets-file": { type: "string" } },
  });
  const [file, ...extra] = positionals;
  if (file === undefined) throw new UsageError("run needs a FILE: flow-local run block.ts");
  const script = path.resolve(file);
  if (!existsSync(script)) throw new Error(`${file} does not exist`);
  const nodeArgs = [...loaderArgs(script), script, ...extra, ...passed];

  const dataDir = path.resolve(values.data ?? DEFAULT_DATA_DIR);
  const secrets = loadSecretsFile(values["secrets-file"]);
  const target = await platformFor(dataDir, secrets);
  try {
    return await spawnBlock(nodeArgs, target.env);
  } finally {
    await target.owned?.close();
  }
}

interface Target {
  env: LocalPlatformEnv;
  owned?: LocalPlatform;
}

// The platform of `flow-local start` when one answers on dataDir, else a fresh in-memory one.
async function platformFor(dataDir: string, secrets: Record<string, string> | undefined): Promise<Target> {
  const { running, why } = await findRunning(dataDir);
  if (running) {
    if (secrets) process.stderr.write(`flow-local: --secrets-file is ignored: using the platform already running at ${running.url}; give it to flow-local start\n`);
    return { env: platformEnv(running.url, await mintRemote(running, {}), running.tokenFile) };
  }
  if (why !== undefined) process.stderr.write(`flow-local: ${why}; running the block on a fresh in-memory platform\n`);
  const { platform } = await launchPlatform({ secrets });
  return { env: platform.env, owned: platform };
}

function loaderArgs(script: string): string[] {
  const ext = path.extname(script).toLowerCase();
  if (JS.has(ext)) return [];
  if (TS.has(ext)) return ["--import", pathToFileURL(tsxLoader()).href];
  throw new UsageError(`run takes a .js, .mjs, .cjs, .ts, .mts or .cts file, not ${path.basename(script)}`);
}

// tsx from the user's project first, else from next to flow-sdk itself.
function tsxLoader(): string {
  const bases = [() => path.join(process.cwd(), "package.json"), () => realpathSync(process.argv[1] ?? "")];
  for (const base of bases) {
    try {
      return createRequire(base()).resolve("tsx");
    } catch {
      // try the next place
    }
  }
  throw new Error("running a TypeScript block needs tsx; install it with: npm i -D tsx");
}

// Signals that would end `run` itself; the block gets them instead and decides, and run exits
// with the block's code (128 + n when the signal ends it).
const FORWARDED: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];

function spawnBlock(nodeArgs: string[], env: LocalPlatformEnv): Promise<number> {
  const child = spawn(process.execPath, nodeArgs, { stdio: "inherit", env: { ...process.env, ...env } });
  // Ctrl-C reaches the child through the terminal too; forwarding covers kill and CI runners.
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  for (const signal of FORWARDED) process.on(signal, forward);
  return new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  }).finally(() => {
    for (const signal of FORWARDED) process.off(signal, forward);
  });
}
