/** A mistake in the command line; the CLI prints it with a pointer to --help and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The text of `flow-local --help`. */
export const HELP = `flow-local: the Flow platform on your machine, on 127.0.0.1 with SQLite.

Usage:
  flow-local start [--port N] [--data DIR] [--secrets-file FILE] [--token-ttl SECONDS]
      Serve until Ctrl-C. Prints export lines for PLATFORM_API_URL, AUTH_TOKEN, ... on stdout.
      --port         TCP port (default: a free one)
      --data         data directory (default: .flow-local)
      --secrets-file dotenv file (KEY=VALUE lines) of secrets for org_local / ws_local
      --token-ttl    lifetime of minted tokens in seconds (default: 3600)

  flow-local token [--data DIR] [--org ID] [--workspace ID] [--scopes a,b] [--ttl SECONDS]
      Mint a token from the platform running on DIR and print it.

  flow-local run FILE [--data DIR] [--secrets-file FILE] [-- ARGS...]
      Run a code block (.js, .mjs, .cjs, or .ts, .mts, .cts through tsx) with the platform's
      environment, against the platform running on DIR or else a fresh in-memory one.
      Exits with the block's exit code.

  flow-local --help
`;

/** Parses a whole number option within bounds. @throws {UsageError} otherwise. */
export function intOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}
