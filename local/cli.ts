#!/usr/bin/env node
/**
 * The `flow-local` command: start the local platform, mint tokens, run a code block against it.
 * See local/README.md.
 */
import { run } from "./cli/run.js";
import { start } from "./cli/start.js";
import { token } from "./cli/token.js";
import { HELP, UsageError } from "./cli/usage.js";

const COMMANDS: Record<string, (argv: string[]) => Promise<number | void>> = { start, token, run };

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
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}; the commands are start, token and run`);
  return (await command(rest)) ?? undefined;
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
    process.stderr.write(`${text.startsWith("flow-local: ") ? text : `flow-local: ${text}`}${usage ? "\nRun flow-local --help for usage." : ""}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
