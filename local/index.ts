/**
 * `@flow-sdk/sdk/local`: the local platform, programmatically. The `flow-sdk-local` CLI (cli.ts) wraps the
 * same function. Its dependencies (fastify, better-sqlite3, jose) load only from here.
 */
import "./cli/peers-guard.js"; // first: a missing peer is one line saying what to install

export {
  startLocalPlatform,
  TOKEN_FILE,
  type LocalPlatform,
  type LocalPlatformEnv,
  type LocalPlatformMintOptions,
  type LocalPlatformOptions,
} from "./platform.js";
export { DEFAULT_ORG_ID, DEFAULT_SUBJECT, DEFAULT_TTL_SECONDS, DEFAULT_WORKSPACE_ID } from "./tokens.js";
export { ManualClock, type Clock } from "../src/container/clock.js";
export type { RateLimitOptions } from "./rate-limit.js";
export { MANIFEST_FILE, type ManifestInput, type ManifestObject } from "./manifest.js";
