import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { MAX_TTL_SECONDS, validateInput } from "../src/dto/index.js";
import { systemClock, type Clock } from "../src/container/clock.js";
import { ensureMeta, lockDataDir, openDatabase, type LocalDb } from "./db.js";
import { MintTokenInput } from "./dto.js";
import { writePrivateFile } from "./files.js";
import { buildServer, listen, reportToStderr } from "./server.js";
import { checkRateLimit, type RateLimitOptions } from "./rate-limit.js";
import { Compute } from "./compute/compute.js";
import { Gateway } from "./gateway/gateway.js";
import { emptyManifest, loadManifest, type Manifest, type ManifestInput } from "./manifest.js";
import { DEFAULT_MAX_LOG_BYTES } from "./runner/spawn.js";
import { SecretsStore } from "./store/secrets.js";
import { seedSecrets } from "./store/secrets.js";
import { DEFAULT_ORG_ID, DEFAULT_TTL_SECONDS, DEFAULT_WORKSPACE_ID, TokenService, type MintOptions } from "./tokens.js";

/** Options of {@link startLocalPlatform}. */
export interface LocalPlatformOptions {
  /** TCP port on 127.0.0.1. @default 0, a free port */
  port?: number | undefined;
  /** Directory for the database and token file, kept across runs. @default none: all in memory */
  dataDir?: string | undefined;
  /** Lifetime of minted tokens; short values make the SDK's refresh paths run for real. @default 3600 */
  tokenTtlSeconds?: number | undefined;
  /** Secret values for the default org and workspace. */
  secrets?: Readonly<Record<string, string>> | undefined;
  /** Where the platform reads the time; a `ManualClock` lets tests move time forward. @default the system clock */
  clock?: Clock | undefined;
  /**
   * What the platform runs: the path of a manifest file (`flow-local.json`), or the manifest as
   * an object (its paths then relative to the working directory). A bad one fails the start with
   * a `FlowConfigError` naming every problem.
   * @default none: no code blocks, jobs or workflows
   */
  manifest?: ManifestInput | undefined;
  /**
   * After a cancel or a timeout, how long a block has to end (its `ctx.signal` has aborted) before
   * its process is killed, in seconds.
   * @default 5
   */
  cancelGraceSeconds?: number | undefined;
  /**
   * A per-token rate limit, for trying `Retry-After` and 429 handling against a real server: each
   * token's subject, org and workspace get a bucket of `burst` requests refilled at
   * `requestsPerSecond` on `clock`; a request finding it empty is answered `429 rate_limited` with
   * `Retry-After` (whole seconds, at least 1) before any work. `GET /v1/health` and the admin
   * route are never limited. A bad value fails the start with a `RangeError`.
   * @default none: no limit
   */
  rateLimit?: RateLimitOptions | undefined;
}

/** The environment of a code block talking to the platform, as `FlowSDK.create()` reads it. */
export interface LocalPlatformEnv {
  /** The platform's base URL. */
  PLATFORM_API_URL: string;
  /** The gateway's base URL (the same server). */
  GATEWAY_URL: string;
  /** `org_local`. */
  ORG_ID: string;
  /** `ws_local`. */
  WORKSPACE_ID: string;
  /** A token for the default org and workspace with every scope; kept current as it is rotated. */
  AUTH_TOKEN: string;
  /** A file always holding a token with at least half its TTL left, rewritten about every half TTL. */
  AUTH_TOKEN_FILE: string;
}

/** Claims of a token minted by {@link LocalPlatform.mintToken}: the same shape the token service takes. */
export type LocalPlatformMintOptions = MintOptions;

/** A running local platform. */
export interface LocalPlatform {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Environment for a code block on the default org and workspace. */
  readonly env: Readonly<LocalPlatformEnv>;
  /**
   * Signs a token; async because signing goes through WebCrypto. The options are checked like the
   * body of `POST /v1/_local/tokens`.
   * @throws {FlowValidationError} (as a rejection) when an option is invalid, e.g. `ttlSeconds` not a whole number ≥ 1.
   */
  mintToken(options?: LocalPlatformMintOptions): Promise<string>;
  /**
   * Puts a manifest in force without a restart (`flow-sdk-local start` calls it when the file
   * changes): the one given, else the one the platform started with, read again. Executions,
   * jobs and runs under way go on; later ones use it. A code block's file is read anew by each
   * execution anyway.
   * @throws {FlowConfigError} naming every problem of a bad manifest; the one in force stays.
   */
  reloadManifest(manifest?: ManifestInput): void;
  /** Stops running blocks, the server and timers, closes the database, removes temporary files; idempotent. */
  close(): Promise<void>;
}

/** What the CLI needs beyond the public handle. @internal */
export interface LaunchedPlatform {
  /** The public handle. */
  platform: LocalPlatform;
  /** Key for `POST /v1/_local/tokens`. */
  adminKey: string;
  /** Random id of this running platform, sent in the X-Flow-Local-Instance header of `GET /v1/health`: the CLI checks it before sending the admin key. */
  instanceId: string;
}

/** The environment of a code block on the default org and workspace of the platform at `url`. */
export function platformEnv(url: string, token: string, tokenFile: string): LocalPlatformEnv {
  return {
    PLATFORM_API_URL: url,
    GATEWAY_URL: url,
    ORG_ID: DEFAULT_ORG_ID,
    WORKSPACE_ID: DEFAULT_WORKSPACE_ID,
    AUTH_TOKEN: token,
    AUTH_TOKEN_FILE: tokenFile,
  };
}

/** After a cancel or a timeout, how long a block has to end before its process is killed. */
export const DEFAULT_CANCEL_GRACE_SECONDS = 5;

/** Name of the rotated token file inside the data dir (or temp dir). */
export const TOKEN_FILE = "flow-local.token";

// setInterval takes at most 2^31 - 1 ms (about 24.8 days); Node turns anything longer into 1 ms.
const MAX_TIMER_MS = 2_147_483_647;
// The file's token is replaced this long before it is down to half its TTL, so a late timer or a
// slow signature does not leave a token with less than half its life in the file.
const ROTATION_LEAD_MS = 100;
const MIN_ROTATION_MS = 250;

/**
 * How often the token file is rewritten: half the TTL less {@link ROTATION_LEAD_MS}, at least
 * 250 ms, at most what setInterval takes. Each token lives at least `ttl` from its minting, so the
 * file never holds one with less than `ttl / 2` left.
 */
function rotationIntervalMs(ttlSeconds: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(MIN_ROTATION_MS, (ttlSeconds * 1000) / 2 - ROTATION_LEAD_MS));
}

/**
 * Starts a local platform on 127.0.0.1.
 * @example
 * const platform = await startLocalPlatform({ tokenTtlSeconds: 60 });
 * const flow = FlowSDK.create({ env: platform.env });
 * // ...
 * await platform.close();
 */
export async function startLocalPlatform(options: LocalPlatformOptions = {}): Promise<LocalPlatform> {
  return (await launchPlatform(options)).platform;
}

/** {@link startLocalPlatform}, also returning the admin key. @internal */
export async function launchPlatform(options: LocalPlatformOptions = {}): Promise<LaunchedPlatform> {
  const port = checkInt("port", options.port ?? 0, 0, 65535);
  const ttl = checkInt("tokenTtlSeconds", options.tokenTtlSeconds ?? DEFAULT_TTL_SECONDS, 1, MAX_TTL_SECONDS);
  // Checked before anything is opened: a bad manifest leaves no files behind.
  const manifest = options.manifest === undefined ? emptyManifest() : loadManifest(options.manifest);
  const dataDir = options.dataDir === undefined ? undefined : path.resolve(options.dataDir);
  const tokenDir = dataDir ?? mkdtempSync(path.join(os.tmpdir(), "flow-local-"));
  const tokenFile = path.join(tokenDir, TOKEN_FILE);
  const grace = checkInt("cancelGraceSeconds", options.cancelGraceSeconds ?? DEFAULT_CANCEL_GRACE_SECONDS, 0, 3600);
  const rateLimit = options.rateLimit === undefined ? undefined : checkRateLimit(options.rateLimit);
  let db: LocalDb | undefined;
  let app: FastifyInstance | undefined;
  let computed: Compute | undefined;
  // The token this platform last wrote to tokenFile: only that one is removed on close, so a
  // failed launch or a second platform on the same data dir leaves another's file alone.
  let written: string | undefined;
  const writeToken = (token: string): void => {
    writePrivateFile(tokenFile, `${token}\n`);
    written = token;
  };
  let lock: LocalDb | undefined;
  try {
    if (dataDir !== undefined) lock = lockDataDir(dataDir);
    db = openDatabase(dataDir);
    const adminKey = ensureMeta(db, "admin_key", () => randomBytes(24).toString("base64url"));
    const instanceId = randomBytes(16).toString("hex");
    const clock = options.clock ?? systemClock;
    const tokens = TokenService.fromDatabase(db, ttl, clock);
    if (options.secrets) seedSecrets(db, { orgId: DEFAULT_ORG_ID, workspaceId: DEFAULT_WORKSPACE_ID }, options.secrets, clock);
    // Objects live beside the database; without a data dir, in the temp dir removed on close.
    const objectsDir = path.join(dataDir ?? tokenDir, "objects");
    const secrets = new SecretsStore(db);
    // Every upstream failure is answered to the caller, never only reported: no report here.
    const gateway = new Gateway({ manifest: (): Manifest => compute.manifest, secrets });
    const compute: Compute = (computed = new Compute({
      db,
      clock,
      tokens,
      secrets,
      gateway,
      manifest,
      graceMs: grace * 1000,
      maxLogBytes: DEFAULT_MAX_LOG_BYTES,
      report: (error) => reportToStderr(error, undefined, "running code blocks, jobs or workflows"),
    }));
    const server = (app = buildServer({ db, tokens, adminKey, instanceId, objectsDir, clock, compute, gateway, rateLimit }));
    const url = await listen(server, port).catch((error: unknown) => {
      throw listenError(error, port);
    });
    compute.start(url);

    const { token } = await tokens.mint();
    writeToken(token);
    const env = platformEnv(url, token, tokenFile);
    let closing: Promise<void> | undefined;
    // A real interval even under a manual clock: the file is read by processes living in real
    // time; the tokens it gets are still dated by the clock, so the platform accepts them.
    const rotation = setInterval(() => {
      tokens
        .mint()
        .then(({ token: fresh }) => {
          if (closing) return; // a file written now would outlive close()
          writeToken(fresh);
          env.AUTH_TOKEN = fresh;
        })
        .catch(() => {
          // The temp dir was removed under us or the disk is full; the next tick tries again.
        });
    }, rotationIntervalMs(ttl));
    rotation.unref();

    const openDb = db;
    const platform: LocalPlatform = {
      url,
      env,
      mintToken: async (claims = {}) => (await tokens.mint(validateInput(MintTokenInput, claims, "mintToken"))).token,
      reloadManifest: (next = options.manifest) => compute.reload(next === undefined ? emptyManifest() : loadManifest(next)),
      close: () =>
        (closing ??= (async () => {
          clearInterval(rotation);
          // Blocks first: they may be talking to the server, and their processes must not outlive it.
          await compute.close();
          await server.close();
          openDb.close();
          cleanUp(dataDir, tokenDir, tokenFile, written);
          lock?.close(); // last: the data dir is free for another platform once this one left it
        })()),
    };
    return { platform, adminKey, instanceId };
  } catch (error) {
    await computed?.close();
    await app?.close();
    db?.close();
    cleanUp(dataDir, tokenDir, tokenFile, written);
    lock?.close();
    throw error;
  }
}

// The temp dir goes when we made it. In a data dir, the token file goes only while it still holds
// the token this platform wrote: another platform on the same dir may have written it since.
function cleanUp(dataDir: string | undefined, tokenDir: string, tokenFile: string, written: string | undefined): void {
  if (dataDir === undefined) {
    rmSync(tokenDir, { recursive: true, force: true });
    return;
  }
  if (written === undefined) return;
  let current: string;
  try {
    current = readFileSync(tokenFile, "utf8");
  } catch {
    return; // gone already
  }
  if (current === `${written}\n`) rmSync(tokenFile, { force: true });
}

function checkInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`flow-local: ${name} must be a whole number from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function listenError(error: unknown, port: number): Error {
  if ((error as { code?: unknown }).code === "EADDRINUSE") {
    return new Error(`flow-local: port ${port} on 127.0.0.1 is in use; choose another port, or 0 for a free one`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
