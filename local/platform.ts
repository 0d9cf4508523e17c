import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { MAX_TTL_SECONDS, validateInput } from "../src/dto/index.js";
import { ensureMeta, openDatabase, type LocalDb } from "./db.js";
import { MintTokenInput } from "./dto.js";
import { writePrivateFile } from "./files.js";
import { buildServer, listen } from "./server.js";
import { seedSecrets } from "./store/secrets.js";
import { DEFAULT_ORG_ID, DEFAULT_TTL_SECONDS, DEFAULT_WORKSPACE_ID, TokenService } from "./tokens.js";

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
  /** A file always holding a valid token, rewritten at half the TTL. */
  AUTH_TOKEN_FILE: string;
}

/** Claims of a token minted by {@link LocalPlatform.mintToken}. */
export interface LocalPlatformMintOptions {
  /** Org claim. @default "org_local" */
  orgId?: string | undefined;
  /** Workspace claim. @default "ws_local" */
  workspaceId?: string | undefined;
  /** Scopes, e.g. `["state:read"]`. @default ["*"] */
  scopes?: readonly string[] | undefined;
  /** Lifetime in seconds. @default the platform's `tokenTtlSeconds` */
  ttlSeconds?: number | undefined;
  /** Subject claim: who the token speaks for. @default "local-user" */
  subject?: string | undefined;
}

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
  /** Stops the server and timers, closes the database, removes temporary files; idempotent. */
  close(): Promise<void>;
}

/** What the CLI needs beyond the public handle. @internal */
export interface LaunchedPlatform {
  /** The public handle. */
  platform: LocalPlatform;
  /** Key for `POST /v1/_local/tokens`. */
  adminKey: string;
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

/** Name of the rotated token file inside the data dir (or temp dir). */
export const TOKEN_FILE = "flow-local.token";

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
  const dataDir = options.dataDir === undefined ? undefined : path.resolve(options.dataDir);
  const tokenDir = dataDir ?? mkdtempSync(path.join(os.tmpdir(), "flow-local-"));
  const tokenFile = path.join(tokenDir, TOKEN_FILE);
  let db: LocalDb | undefined;
  let app: FastifyInstance | undefined;
  try {
    db = openDatabase(dataDir);
    const adminKey = ensureMeta(db, "admin_key", () => randomBytes(24).toString("base64url"));
    const tokens = TokenService.fromDatabase(db, ttl);
    if (options.secrets) seedSecrets(db, { orgId: DEFAULT_ORG_ID, workspaceId: DEFAULT_WORKSPACE_ID }, options.secrets);
    const server = (app = buildServer({ db, tokens, adminKey }));
    const url = await listen(server, port).catch((error: unknown) => {
      throw listenError(error, port);
    });

    const { token } = await tokens.mint();
    writePrivateFile(tokenFile, `${token}\n`);
    const env = platformEnv(url, token, tokenFile);
    // Half the TTL: a reader of the file never gets a token closer than that to its expiry.
    const rotation = setInterval(() => {
      tokens
        .mint()
        .then(({ token: fresh }) => {
          if (closing) return; // a file written now would outlive close()
          writePrivateFile(tokenFile, `${fresh}\n`);
          env.AUTH_TOKEN = fresh;
        })
        .catch(() => {
          // The temp dir was removed under us or the disk is full; the next tick tries again.
        });
    }, Math.max(500, (ttl * 1000) / 2));
    rotation.unref();

    const openDb = db;
    let closing: Promise<void> | undefined;
    const platform: LocalPlatform = {
      url,
      env,
      mintToken: async (claims = {}) => (await tokens.mint(validateInput(MintTokenInput, claims, "mintToken"))).token,
      close: () =>
        (closing ??= (async () => {
          clearInterval(rotation);
          await server.close();
          openDb.close();
          cleanUp(dataDir, tokenDir, tokenFile);
        })()),
    };
    return { platform, adminKey };
  } catch (error) {
    await app?.close();
    db?.close();
    cleanUp(dataDir, tokenDir, tokenFile);
    throw error;
  }
}

// The token file goes in every case; the temp dir only when we made it.
function cleanUp(dataDir: string | undefined, tokenDir: string, tokenFile: string): void {
  rmSync(dataDir === undefined ? tokenDir : tokenFile, { recursive: true, force: true });
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
