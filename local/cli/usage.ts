/** A mistake in the command line; the CLI prints it with a pointer to --help and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The text of `flow-sdk-local --help`. */
export const HELP = `flow-local: the Flow platform on your machine, on 127.0.0.1 with SQLite.

Usage:
  flow-sdk-local start [--port N] [--data DIR] [--manifest FILE] [--secrets-file FILE] [--token-ttl SECONDS]
                   [--rate-limit N [--rate-burst N]] [--ready-file FILE]
      Serve until Ctrl-C (or SIGTERM to the pid in DIR/flow-local.runtime.json). Prints export
      lines for PLATFORM_API_URL, AUTH_TOKEN, ... on stdout, then the URL on stderr once ready.
      --port         TCP port (default: a free one)
      --data         data directory (default: .flow-local)
      --manifest     code blocks, jobs and workflows to serve (default: ./flow-local.json if
                     there is one); reloaded when it changes, and each execution loads its
                     block's file afresh
      --secrets-file dotenv file (KEY=VALUE lines) of secrets for org_local / ws_local
      --token-ttl    lifetime of minted tokens in seconds (default: 3600)
      --rate-limit   requests per second each token may make; over it, 429 rate_limited with
                     Retry-After (default: no limit; health and the admin route never limited)
      --rate-burst   requests a token may make at once after a quiet spell (default: the rate)
      --ready-file   written with the URL once the platform is ready, for scripts to wait on

  flow-sdk-local token [--data DIR] [--org ID] [--workspace ID] [--scopes a,b] [--ttl SECONDS]
      Mint a token from the platform running on DIR and print it. A scope is * or
      <area>:<action> (state:read, state:*).

  flow-sdk-local run FILE [--input JSON] [--data DIR] [--manifest FILE] [--secrets-file FILE] [-- ARGS...]
      Run a code block (.js, .mjs, .cjs, or .ts, .mts, .cts through tsx) with the platform's
      environment. A module exporting a function (default or main) is called with --input
      (else, or with --input -, the JSON on stdin when stdin is not a terminal) and its
      output printed as JSON;
      a script runs top to bottom. Uses the platform running on DIR; else starts one for the
      run (and says so on stderr): on --data DIR when given (its data kept there), else in memory.
      A .ts block runs as an ES module, like .mts, when its package.json has no "type", and
      under "type": "commonjs" when it has top-level await (which CommonJS cannot run).
      Blocks are not type-checked: run tsc for that.
      Exits with the script's exit code; 1 when a block's function fails.

  flow-sdk-local --help
  flow-sdk-local --version
`;

/** Parses a whole number option within bounds. @throws {UsageError} otherwise. */
export function intOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}
