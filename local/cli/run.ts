import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { findManifest } from "../manifest.js";
import { launchPlatform, platformEnv, type LocalPlatform, type LocalPlatformEnv } from "../platform.js";
import { loaderArgs, runBlock, type RunOutcome } from "../runner/spawn.js";
import { loadSecretsFile } from "./dotenv.js";
import { DEFAULT_DATA_DIR, findRunning, mintRemote } from "./runtime-file.js";
import { UsageError } from "./usage.js";

/**
 * `flow-sdk-local run FILE`: runs a code block against a platform and returns the exit code. A module
 * exporting a function (`default` or `main`) is called with `--input` (or stdin) and its output
 * printed as JSON; a script runs top to bottom and its exit code is passed on.
 */
export async function run(argv: string[]): Promise<number> {
  const split = argv.indexOf("--");
  const own = split === -1 ? argv : argv.slice(0, split);
  const passed = split === -1 ? [] : argv.slice(split + 1);
  const { values, positionals } = parseArgs({
    args: own,
    allowPositionals: true,
    options: { data: { type: "string" }, "secrets-file": { type: "string" }, input: { type: "string" }, manifest: { type: "string" } },
  });
  const [file, ...extra] = positionals;
  if (file === undefined) throw new UsageError("run needs a FILE: flow-sdk-local run block.ts");
  const script = path.resolve(file);
  if (!existsSync(script)) throw new Error(`${file} does not exist`);
  loaderArgs(script, process.cwd()); // a wrong extension, or a TypeScript block without tsx, fails here, before a platform starts
  const input = values.input === undefined || values.input === "-" ? undefined : parseInput(values.input);

  const secrets = loadSecretsFile(values["secrets-file"]);
  const target = await platformFor(values.data, values.manifest, secrets);
  const executionId = `cli_${randomBytes(12).toString("hex")}`;
  const requestId = `req_${randomBytes(16).toString("hex")}`;
  try {
    const block = runBlock({
      file: script,
      input: input ?? "null",
      inputFromStdin: input === undefined,
      args: [...extra, ...passed],
      executionId,
      request: { id: requestId, traceparent: null, tracestate: null },
      env: { ...process.env, ...target.env, EXECUTION_ID: executionId, REQUEST_ID: requestId },
      cwd: process.cwd(),
      stdio: "inherit",
      graceMs: 5_000,
    });
    // Ctrl-C reaches the block through the terminal too; forwarding covers kill and CI runners.
    const forward = (signal: NodeJS.Signals): void => block.signal(signal);
    for (const signal of FORWARDED) process.on(signal, forward);
    try {
      return report(await block.outcome);
    } finally {
      for (const signal of FORWARDED) process.off(signal, forward);
    }
  } finally {
    await target.owned?.close();
  }
}

// Signals that would end `run` itself; the block gets them instead and decides, and run exits
// with the block's code (128 + n when the signal ends it).
const FORWARDED: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];

/** Prints a function block's output (or why it failed) and returns the exit code. */
function report(outcome: RunOutcome): number {
  if (outcome.status === "succeeded" && outcome.output !== null) {
    process.stdout.write(`${JSON.stringify(JSON.parse(outcome.output), null, 2)}\n`);
    return 0;
  }
  const exited = outcome.exitCode ?? (outcome.signal ? 128 + constants.signals[outcome.signal] : 1);
  if (outcome.status === "succeeded") return 0; // a script that exited 0
  // A script's own failure (its exit code) and a crash speak for themselves on stderr.
  if (outcome.error?.code === "exited" || outcome.error?.code === "crashed") return exited;
  process.stderr.write(`flow-local: ${outcome.error?.message ?? "the block failed"}\n`);
  return 1;
}

function parseInput(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (error) {
    throw new UsageError(`--input must be JSON (a string is written "\\"text\\""): ${(error as Error).message}`);
  }
}

interface Target {
  env: LocalPlatformEnv;
  owned?: LocalPlatform;
}

/**
 * The platform of `flow-sdk-local start` when one answers on the data dir; else one started for this
 * run, saying so on stderr: on `--data DIR` when given (its data kept there), else in memory.
 */
async function platformFor(data: string | undefined, manifestFile: string | undefined, secrets: Record<string, string> | undefined): Promise<Target> {
  const dataDir = path.resolve(data ?? DEFAULT_DATA_DIR);
  const { running, why } = await findRunning(dataDir);
  if (running) {
    const ignored = [secrets && "--secrets-file", manifestFile && "--manifest"].filter(Boolean);
    if (ignored.length > 0) process.stderr.write(`flow-local: ${ignored.join(" and ")} ignored: using the platform already running at ${running.url}; give it to flow-sdk-local start\n`);
    return { env: platformEnv(running.url, await mintRemote(running, {}), running.tokenFile) };
  }
  // Said every time: a block that finds none of the data it expects should not leave its author guessing.
  const fallback = data === undefined ? "a fresh in-memory platform (its data goes when the block ends)" : `a platform started on ${dataDir} for this run`;
  process.stderr.write(`flow-local: ${why ?? `no platform is running on ${dataDir} (flow-sdk-local start)`}; running the block on ${fallback}\n`);
  const manifest = manifestFile ?? findManifest();
  const { platform } = await launchPlatform({ secrets, manifest, dataDir: data === undefined ? undefined : dataDir });
  return { env: platform.env, owned: platform };
}
