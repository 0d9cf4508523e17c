import path from "node:path";
import { parseArgs } from "node:util";
import { launchPlatform } from "../platform.js";
import { MAX_TTL_SECONDS } from "../../src/dto/index.js";
import { loadSecretsFile } from "./dotenv.js";
import { DEFAULT_DATA_DIR, findRunning, removeRuntimeFile, writeRuntimeFile } from "./runtime-file.js";
import { exportLines } from "./shell.js";
import { intOption } from "./usage.js";

/** `flow-local start`: serves until SIGINT, SIGTERM or SIGHUP. */
export async function start(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      data: { type: "string" },
      "secrets-file": { type: "string" },
      "token-ttl": { type: "string" },
    },
  });
  const dataDir = path.resolve(values.data ?? DEFAULT_DATA_DIR);
  const { running } = await findRunning(dataDir);
  if (running) {
    throw new Error(`a platform already runs on ${dataDir} at ${running.url} (pid ${running.pid}); stop it first or pass another --data`);
  }
  const { platform, adminKey, instanceId } = await launchPlatform({
    port: intOption("port", values.port, 0, 65535),
    dataDir,
    tokenTtlSeconds: intOption("token-ttl", values["token-ttl"], 1, MAX_TTL_SECONDS),
    secrets: loadSecretsFile(values["secrets-file"]),
  });
  writeRuntimeFile(dataDir, { url: platform.url, adminKey, pid: process.pid, tokenFile: platform.env.AUTH_TOKEN_FILE, instanceId });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130); // a second Ctrl-C does not wait for the clean stop
    stopping = true;
    removeRuntimeFile(dataDir);
    platform.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`flow-local: error while stopping on ${signal}: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // The terminal that ran `start` closed (or a supervisor's reload): stop cleanly too, instead of
  // dying with flow-local.json and the token file left behind.
  process.on("SIGHUP", stop);

  process.stdout.write(exportLines({ ...platform.env }));
  process.stderr.write(`flow-local: serving ${platform.url} with data in ${dataDir}; Ctrl-C stops it\n`);
}
