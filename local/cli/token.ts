import path from "node:path";
import { parseArgs } from "node:util";
import { MAX_TTL_SECONDS } from "../../src/dto/index.js";
import { DEFAULT_DATA_DIR, findRunning, mintRemote } from "./runtime-file.js";
import { intOption } from "./usage.js";

/** `flow-local token`: mints a token from the running platform and prints it. */
export async function token(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: "string" },
      org: { type: "string" },
      workspace: { type: "string" },
      scopes: { type: "string" },
      ttl: { type: "string" },
    },
  });
  const dataDir = path.resolve(values.data ?? DEFAULT_DATA_DIR);
  const { running, why } = await findRunning(dataDir);
  if (!running) {
    throw new Error(`no flow-local platform runs on ${dataDir}${why === undefined ? "" : ` (${why})`}; start one with: flow-local start --data ${values.data ?? DEFAULT_DATA_DIR}`);
  }
  const claims = {
    orgId: values.org,
    workspaceId: values.workspace,
    scopes: values.scopes?.split(",").map((s) => s.trim()).filter((s) => s !== ""),
    ttlSeconds: intOption("ttl", values.ttl, 1, MAX_TTL_SECONDS),
  };
  process.stdout.write(`${await mintRemote(running, claims)}\n`);
}
