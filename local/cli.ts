#!/usr/bin/env node
/**
 * The `flow-sdk-local` command: start the local platform, mint tokens, run a code block against it.
 * See local/README.md.
 */
import { SDK_VERSION } from "../src/version.js";
import { checkPeers } from "./cli/peers.js";
import { HELP, UsageError } from "./cli/usage.js";

type Command = (argv: string[]) => Promise<number | void>;

// Each command is loaded when it runs, and the platform's peers (fastify, better-sqlite3, jose,
// wink-porter2-stemmer) only by the commands that start a platform, after checking they are there:
// --help and --version load none of them, and a missing one is one line saying what to install.
const COMMANDS: Record<string, () => Promise<Command>> = {
  start: async () => {
    checkPeers();
    return (await import("./cli/start.js")).start;
  },
  run: async () => {
    checkPeers();
    return (await import("./cli/run.js")).run;
  },
  token: async () => (await import("./cli/token.js")).token,
};

async function main(argv: string[]): Promise<number | undefined> {
  const [name, ...rest] = argv;
  // --help anywhere before a `--` (after which the arguments belong to the block).
  const own = rest.includes("--") ? rest.slice(0, rest.indexOf("--")) : rest;
  if (name === undefined) {
    process.stderr.write(HELP);
    return 2;
  }
  if (name === "help" || name === "--help" || name === "-h" || own.includes("--help") || own.includes("-h")) {
    process.stdout.write(HELP);
    return 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    process.stdout.write(`${SDK_VERSION}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) throw new UsageError(`unknown command ${JSON.stringify(name)}; the commands are start, token and run`);
  return (await (await load())(rest)) ?? undefined;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (error: unknown) => {
    // parseArgs reports a bad command line with ERR_PARSE_ARGS_* codes.
    const code = (error as { code?: unknown }).code;
    const usage = error instanceof UsageError || (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_"));
    // Errors of the platform itself (a bad manifest, a port in use) already say where they come from.
    const text = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${text.startsWith("flow-local: ") ? text : `flow-local: ${text}`}${usage ? "\nRun flow-sdk-local --help for usage." : ""}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
