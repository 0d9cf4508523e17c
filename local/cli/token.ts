import path from "node:path";
import { parseArgs } from "node:util";
import { MAX_TTL_SECONDS } from "../../src/dto/index.js";
import { DEFAULT_DATA_DIR, findRunning, mintRemote } from "./runtime-file.js";
import { intOption, UsageError } from "./usage.js";

/** A scope as tokens carry it: `*`, or `<area>:<action>` where the action may be `*` (`state:read`, `state:*`). */
const SCOPE = /^(?:\*|[A-Za-z][A-Za-z0-9_-]*:(?:\*|[A-Za-z][A-Za-z0-9_-]*))$/;

/** `flow-sdk-local token`: mints a token from the running platform and prints it. */
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
  const scopes = values.scopes?.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const bad = scopes?.filter((scope) => !SCOPE.test(scope)) ?? [];
  if (bad.length > 0) throw new UsageError(`--scopes takes * or <area>:<action> scopes, like state:read or state:*, comma-separated; not ${bad.map((s) => JSON.stringify(s)).join(", ")}`);
  const ttlSeconds = intOption("ttl", values.ttl, 1, MAX_TTL_SECONDS);
  const dataDir = path.resolve(values.data ?? DEFAULT_DATA_DIR);
  const { running, why } = await findRunning(dataDir);
  if (!running) {
    throw new Error(`no flow-local platform runs on ${dataDir}${why === undefined ? "" : ` (${why})`}; start one with: flow-sdk-local start --data ${values.data ?? DEFAULT_DATA_DIR}`);
  }
  const claims = {
    orgId: values.org,
    workspaceId: values.workspace,
    scopes,
    ttlSeconds,
  };
  process.stdout.write(`${await mintRemote(running, claims)}\n`);
}
