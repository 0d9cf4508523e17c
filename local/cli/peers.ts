// The local platform's optional peer dependencies: checked before anything loads them, so a
// missing one is one line saying what to install, not `Cannot find module` with a require stack.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The peers the local platform (`@flow-sdk/sdk/local`, `@flow-sdk/sdk/testing`, `flow-sdk-local start` and `run`) loads. */
export const PLATFORM_PEERS: readonly string[] = ["fastify", "better-sqlite3", "jose", "wink-porter2-stemmer"];

/** The one command that installs every peer of the local platform, tsx (TypeScript blocks) included. */
export const INSTALL_LINE = "npm i -D fastify better-sqlite3@12 jose tsx wink-porter2-stemmer";

/** The error for missing peers: `flow-local: ... install them with: <INSTALL_LINE>`, code `MODULE_NOT_FOUND`. */
export function missingPeerError(missing: readonly string[], cause?: unknown): Error {
  const names = missing.join(", ");
  const error = new Error(
    `flow-local: the local platform needs ${names}, which ${missing.length === 1 ? "is" : "are"} not installed; install its dev dependencies with: ${INSTALL_LINE}`,
    cause === undefined ? undefined : { cause },
  );
  return Object.assign(error, { code: "MODULE_NOT_FOUND" });
}

/** True when `error` says that `name` itself (not something it needs) cannot be found. */
function notFound(error: unknown, name: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (code === "MODULE_NOT_FOUND" || code === "ERR_MODULE_NOT_FOUND") && (error as Error).message.includes(`'${name}'`);
}

/**
 * Throws {@link missingPeerError} naming every one of `names` that cannot be resolved from
 * flow-sdk's own place (where the platform's modules load them from). Loads none of them.
 */
export function checkPeers(names: readonly string[] = PLATFORM_PEERS): void {
  const require = createRequire(ownFile());
  const missing: string[] = [];
  let first: unknown;
  for (const name of names) {
    try {
      require.resolve(name);
    } catch (error) {
      // Another failure (a broken package.json, say) is left for the real load to report.
      if (!notFound(error, name)) continue;
      missing.push(name);
      first ??= error;
    }
  }
  if (missing.length > 0) throw missingPeerError(missing, first);
}

/** `require(name)` from flow-sdk's place; a missing `name` throws {@link missingPeerError}. */
export function requirePeer<T = unknown>(name: string): T {
  try {
    return createRequire(ownFile())(name) as T;
  } catch (error) {
    throw notFound(error, name) ? missingPeerError([name], error) : error;
  }
}

/**
 * This module's file: `__filename` in the compiled (CommonJS) build and under vitest; from source
 * through tsx as ESM, read from a stack frame (a CommonJS build cannot mention `import.meta`).
 */
function ownFile(): string {
  if (typeof __filename === "string") return __filename;
  const frame = /\((\S+?):\d+:\d+\)/.exec((new Error().stack ?? "").split("\n")[1] ?? "");
  if (!frame?.[1]) return path.join(process.cwd(), "package.json");
  return frame[1].startsWith("file:") ? fileURLToPath(frame[1]) : frame[1];
}
