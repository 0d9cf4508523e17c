import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { writePrivateFile } from "../files.js";
import { INSTANCE_HEADER } from "../routes/health.js";

/** Name of the file `flow-sdk-local start` leaves in the data dir while it runs (not `flow-local.runtime.json`, the manifest's name: a data dir may be the project's own). */
export const RUNTIME_FILE = "flow-local.runtime.json";

/** Data dir of the CLI commands unless --data says otherwise, relative to the working directory. */
export const DEFAULT_DATA_DIR = ".flow-local";

/** What `flow-sdk-local start` tells the other commands about the running platform. */
export interface RuntimeInfo {
  /** Base URL. */
  url: string;
  /** Key for `POST /v1/_local/tokens`. */
  adminKey: string;
  /** Process id of the server. */
  pid: number;
  /** The rotated token file, for AUTH_TOKEN_FILE. */
  tokenFile: string;
  /** Random id of the running platform, as `GET /v1/health` answers it in X-Flow-Local-Instance. */
  instanceId: string;
}

/** What {@link findRunning} found on a data dir. */
export interface Probe {
  /** The platform that wrote flow-local.runtime.json, answering at its URL; undefined when none runs. */
  running?: RuntimeInfo | undefined;
  /** Why a flow-local.runtime.json there was not trusted, when there was one. */
  why?: string | undefined;
}

/** Writes `<dataDir>/flow-local.runtime.json`, readable by its owner only. */
export function writeRuntimeFile(dataDir: string, info: RuntimeInfo): void {
  writePrivateFile(path.join(dataDir, RUNTIME_FILE), `${JSON.stringify(info, null, 2)}\n`);
}

/** Reads `<dataDir>/flow-local.runtime.json`, or undefined when there is none or it is not one. */
export function readRuntimeFile(dataDir: string): RuntimeInfo | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path.join(dataDir, RUNTIME_FILE), "utf8"));
  } catch {
    return undefined;
  }
  const info = parsed as Partial<RuntimeInfo> | null;
  if (
    typeof info?.url !== "string" ||
    typeof info.adminKey !== "string" ||
    typeof info.pid !== "number" ||
    typeof info.tokenFile !== "string" ||
    typeof info.instanceId !== "string"
  ) {
    return undefined;
  }
  return { url: info.url, adminKey: info.adminKey, pid: info.pid, tokenFile: info.tokenFile, instanceId: info.instanceId };
}

/** Removes `<dataDir>/flow-local.runtime.json` if it still names this process. */
export function removeRuntimeFile(dataDir: string): void {
  if (readRuntimeFile(dataDir)?.pid === process.pid) rmSync(path.join(dataDir, RUNTIME_FILE), { force: true });
}

/**
 * The platform described by `<dataDir>/flow-local.runtime.json`, when its process is alive and the server
 * at its URL is that very platform (`GET /v1/health` names the same instance id). Only then may the
 * admin key be sent there: a stale file may name a port that another server, flow-local or not,
 * now listens on. A file whose process is gone is removed.
 */
export async function findRunning(dataDir: string): Promise<Probe> {
  const file = path.join(dataDir, RUNTIME_FILE);
  const info = readRuntimeFile(dataDir);
  if (!info) return {};
  if (!isAlive(info.pid)) {
    if (readRuntimeFile(dataDir)?.pid === info.pid) rmSync(file, { force: true }); // unless a new start just wrote it
    return { why: `${file} was left by process ${info.pid}, which has ended; removed it` };
  }
  let answered: string | null;
  try {
    const response = await fetch(new URL("/v1/health", info.url), { signal: AbortSignal.timeout(2000) });
    const body = (await response.json()) as { service?: unknown };
    if (!response.ok || body.service !== "flow-local") return { why: `no flow-local platform answers at ${info.url}, named in ${file}` };
    answered = response.headers.get(INSTANCE_HEADER);
  } catch {
    return { why: `nothing answers at ${info.url}, named in ${file}` };
  }
  if (answered !== info.instanceId) {
    return {
      why: `the platform at ${info.url} is not the one that wrote ${file} (another instance id); its admin key was not sent there`,
    };
  }
  return { running: info };
}

// Signal 0 checks that the process exists without touching it. EPERM: it exists, as another user's.
function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
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
