import path from "node:path";
import { parseArgs } from "node:util";
import { existsSync, readdirSync, rmSync, watch } from "node:fs";
import { writePrivateFile } from "../files.js";
import { findManifest } from "../manifest.js";
import { launchPlatform, type LocalPlatform } from "../platform.js";
import { MAX_TTL_SECONDS } from "../../src/dto/index.js";
import { loadSecretsFile } from "./dotenv.js";
import { DEFAULT_DATA_DIR, findRunning, removeRuntimeFile, writeRuntimeFile } from "./runtime-file.js";
import { exportLines } from "./shell.js";
import { MAX_RATE, type RateLimitOptions } from "../rate-limit.js";
import { intOption, UsageError } from "./usage.js";

/**
 * `flow-sdk-local start`: serves until SIGINT, SIGTERM or SIGHUP. Once ready it prints the export
 * lines on stdout, writes `--ready-file` (the URL) and says where it serves on stderr, last.
 */
export async function start(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      data: { type: "string" },
      "secrets-file": { type: "string" },
      "token-ttl": { type: "string" },
      manifest: { type: "string" },
      "rate-limit": { type: "string" },
      "rate-burst": { type: "string" },
      "ready-file": { type: "string" },
    },
  });
  const rateLimit = rateLimitOptions(values["rate-limit"], values["rate-burst"]);
  const manifest = values.manifest === undefined ? findManifest() : path.resolve(values.manifest);
  const dataDir = path.resolve(values.data ?? DEFAULT_DATA_DIR);
  const { running } = await findRunning(dataDir);
  if (running) {
    throw new Error(`a platform already runs on ${dataDir} at ${running.url} (pid ${running.pid}); stop it first or pass another --data`);
  }
  const readyFile = values["ready-file"] === undefined ? undefined : path.resolve(values["ready-file"]);
  // A ready file left by an earlier start must not tell a script this one is ready.
  if (readyFile !== undefined) rmSync(readyFile, { force: true });
  const port = intOption("port", values.port, 0, 65535);
  const tokenTtlSeconds = intOption("token-ttl", values["token-ttl"], 1, MAX_TTL_SECONDS);
  const secrets = loadSecretsFile(values["secrets-file"]);
  const before = existsSync(dataDir) ? new Set(readdirSync(dataDir)) : undefined;
  let launched: Awaited<ReturnType<typeof launchPlatform>>;
  try {
    launched = await launchPlatform({ port, dataDir, tokenTtlSeconds, secrets, manifest, rateLimit });
  } catch (error) {
    removeCreated(dataDir, before);
    throw error;
  }
  const { platform, adminKey, instanceId } = launched;
  writeRuntimeFile(dataDir, { url: platform.url, adminKey, pid: process.pid, tokenFile: platform.env.AUTH_TOKEN_FILE, instanceId });

  const unwatch = manifest === undefined ? undefined : watchManifest(manifest, platform);
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130); // a second Ctrl-C does not wait for the clean stop
    stopping = true;
    unwatch?.();
    removeRuntimeFile(dataDir);
    if (readyFile !== undefined) rmSync(readyFile, { force: true });
    platform.close().then(
      () => {
        process.stderr.write(`flow-local: stopped on ${signal}; ${platform.url} no longer serves\n`);
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`flow-local: error while stopping on ${signal}: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // The terminal that ran `start` closed (or a supervisor's reload): stop cleanly too, instead of
  // dying with flow-local.runtime.json and the token file left behind.
  process.on("SIGHUP", stop);

  process.stdout.write(exportLines({ ...platform.env }));
  // Atomically (a temp file renamed into place): a script that sees the file reads the whole URL.
  if (readyFile !== undefined) writePrivateFile(readyFile, `${platform.url}\n`);
  const what = manifest === undefined ? "no manifest (flow-local.json)" : `${manifest}, reloaded when it changes`;
  const limit = rateLimit === undefined ? "" : `, at most ${rateLimit.requestsPerSecond} requests per second per token (burst ${rateLimit.burst ?? rateLimit.requestsPerSecond})`;
  process.stderr.write(`flow-local: serving ${platform.url} with data in ${dataDir} and ${what}${limit}; Ctrl-C stops it\n`);
}

/**
 * After a failed launch (a port in use, say), removes what it left in the data dir: the dir itself
 * when it was not there before, else the entries it added (the database, its lock, objects/).
 */
function removeCreated(dataDir: string, before: ReadonlySet<string> | undefined): void {
  try {
    if (before === undefined) {
      rmSync(dataDir, { recursive: true, force: true });
      return;
    }
    for (const entry of readdirSync(dataDir)) if (!before.has(entry)) rmSync(path.join(dataDir, entry), { recursive: true, force: true });
  } catch {
    // Nothing more to do: the launch's own error is the one to report.
  }
}

/** `--rate-limit N [--rate-burst B]` as the platform's option; `--rate-burst` alone is a usage error. */
function rateLimitOptions(rate: string | undefined, burst: string | undefined): RateLimitOptions | undefined {
  const requestsPerSecond = intOption("rate-limit", rate, 1, MAX_RATE);
  if (requestsPerSecond === undefined) {
    if (burst !== undefined) throw new UsageError("--rate-burst needs --rate-limit");
    return undefined;
  }
  return { requestsPerSecond, burst: intOption("rate-burst", burst, 1, MAX_RATE) };
}

/** How long the manifest must stay unchanged before it is read again: an editor's save is several writes. */
const RELOAD_DEBOUNCE_MS = 150;

/**
 * Puts the manifest in force again whenever its file changes. Code blocks need no reload: each
 * execution loads its block's file afresh. A manifest with problems is reported and the one in
 * force stays. Returns a function that stops watching.
 */
function watchManifest(file: string, platform: LocalPlatform): () => void {
  let timer: NodeJS.Timeout | undefined;
  const reload = (): void => {
    try {
      platform.reloadManifest(file);
      process.stderr.write(`flow-local: reloaded ${file}\n`);
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\nflow-local: kept the manifest in force until ${path.basename(file)} is fixed\n`);
    }
  };
  // The directory is watched, not the file: editors that save by renaming replace the file, and a
  // watch on the old one would go quiet.
  const watcher = watch(path.dirname(file), (_event, name) => {
    if (name !== null && name.toString() !== path.basename(file)) return;
    clearTimeout(timer);
    timer = setTimeout(reload, RELOAD_DEBOUNCE_MS);
  });
  watcher.on("error", (error) => process.stderr.write(`flow-local: stopped watching ${file}: ${error.message}\n`));
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
