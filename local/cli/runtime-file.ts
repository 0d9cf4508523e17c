import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { writePrivateFile } from "../files.js";

/** Name of the file `flow-local start` leaves in the data dir while it runs. */
export const RUNTIME_FILE = "flow-local.json";

/** Data dir of the CLI commands unless --data says otherwise, relative to the working directory. */
export const DEFAULT_DATA_DIR = ".flow-local";

/** What `flow-local start` tells the other commands about the running platform. */
export interface RuntimeInfo {
  /** Base URL. */
  url: string;
  /** Key for `POST /v1/_local/tokens`. */
  adminKey: string;
  /** Process id of the server. */
  pid: number;
  /** The rotated token file, for AUTH_TOKEN_FILE. */
  tokenFile: string;
}

/** Writes `<dataDir>/flow-local.json`, readable by its owner only. */
export function writeRuntimeFile(dataDir: string, info: RuntimeInfo): void {
  writePrivateFile(path.join(dataDir, RUNTIME_FILE), `${JSON.stringify(info, null, 2)}\n`);
}

/** Reads `<dataDir>/flow-local.json`, or undefined when there is none or it is not one. */
export function readRuntimeFile(dataDir: string): RuntimeInfo | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path.join(dataDir, RUNTIME_FILE), "utf8"));
  } catch {
    return undefined;
  }
  const info = parsed as Partial<RuntimeInfo> | null;
  if (typeof info?.url !== "string" || typeof info.adminKey !== "string" || typeof info.pid !== "number" || typeof info.tokenFile !== "string") {
    return undefined;
  }
  return { url: info.url, adminKey: info.adminKey, pid: info.pid, tokenFile: info.tokenFile };
}

/** Removes `<dataDir>/flow-local.json` if it still names this process. */
export function removeRuntimeFile(dataDir: string): void {
  if (readRuntimeFile(dataDir)?.pid === process.pid) rmSync(path.join(dataDir, RUNTIME_FILE), { force: true });
}

/** The platform described by `<dataDir>/flow-local.json` when it answers /v1/health, else undefined. */
export async function findRunning(dataDir: string): Promise<RuntimeInfo | undefined> {
  const info = readRuntimeFile(dataDir);
  if (!info) return undefined;
  try {
    const response = await fetch(new URL("/v1/health", info.url), { signal: AbortSignal.timeout(2000) });
    const body = (await response.json()) as { service?: unknown };
    return response.ok && body.service === "flow-local" ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Mints a token through the running platform's admin route. @throws {Error} with the platform's message. */
export async function mintRemote(info: RuntimeInfo, claims: Readonly<Record<string, unknown>>): Promise<string> {
  const response = await fetch(new URL("/v1/_local/tokens", info.url), {
    method: "POST",
    headers: { "content-type": "application/json", "x-flow-local-admin": info.adminKey },
    body: JSON.stringify(claims),
  });
  const body = (await response.json().catch(() => ({}))) as { token?: unknown; error?: { message?: unknown } };
  if (response.ok && typeof body.token === "string") return body.token;
  const message = typeof body.error?.message === "string" ? body.error.message : `HTTP ${response.status}`;
  throw new Error(`the platform at ${info.url} refused to mint a token: ${message}`);
}
