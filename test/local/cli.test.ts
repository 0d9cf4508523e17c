import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { useScriptedServers } from "../helpers/scripted-server.js";

// The flow-local command as a user runs it: a child process, real loopback HTTP, no mocks.

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DIST_CLI = path.join(ROOT, "dist/cjs/local/cli.js");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(file));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

// The compiled CLI when dist is there and not older than the sources, else the sources through tsx.
const distIsFresh = existsSync(DIST_CLI) && statSync(DIST_CLI).mtimeMs >= Math.max(newestSource(path.join(ROOT, "local")), newestSource(path.join(ROOT, "src")));
// `--tsconfig` is a flag of the tsx command, not of `node --import tsx`: the loader reads TSX_TSCONFIG_PATH.
const CLI = distIsFresh ? [DIST_CLI] : ["--import", "tsx", path.join(ROOT, "local/cli.ts")];

const children = new Set<ChildProcess>(); // every CLI process still running
const servers = new Set<ChildProcess>(); // those meant to outlive a test (`start`)
const tempDirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "flow-local-cli-"));
  tempDirs.push(dir);
  return dir;
}

function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ["PLATFORM_API_URL", "GATEWAY_URL", "ORG_ID", "WORKSPACE_ID", "AUTH_TOKEN", "AUTH_TOKEN_FILE"]) delete env[name];
  if (!distIsFresh) env.TSX_TSCONFIG_PATH = path.join(ROOT, "tsconfig.json");
  return env;
}

function spawnCli(args: readonly string[]): ChildProcess {
  // Its own process group, so a kill also reaches the block a `run` spawned.
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env: childEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  // Also after the CLI itself has ended: a block it spawned may live on in its group (while any
  // member lives, the group id cannot go to another process).
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // the group is gone already
  }
}

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A CLI process whose output is collected as it comes. */
interface RunningCli {
  child: ChildProcess;
  /** Resolves once stdout matches `pattern`; rejects if the process ends first. */
  stdoutMatches(pattern: RegExp): Promise<void>;
  /** Resolves when the process has ended and its output is closed. */
  result: Promise<CliResult>;
}

/** Starts the CLI; kills it after `timeoutMs`. */
function startCli(args: readonly string[], opts: { timeoutMs?: number } = {}): RunningCli {
  const child = spawnCli(args);
  let stdout = "";
  let stderr = "";
  const watchers = new Set<() => void>();
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const watcher of watchers) watcher();
  });
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => killGroup(child), opts.timeoutMs ?? 20_000);
  const result = new Promise<CliResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  const stdoutMatches = (pattern: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pattern.test(stdout)) return;
        watchers.delete(check);
        resolve();
      };
      watchers.add(check);
      check();
      void result.then((end) => reject(new Error(`the CLI ended (${String(end.code ?? end.signal)}) before printing ${String(pattern)}; stderr: ${end.stderr}`)));
    });
  return { child, stdoutMatches, result };
}

/** Runs the CLI to its end; kills it after `timeoutMs`. */
function runCli(args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
  return startCli(args, opts).result;
}

interface StartedServer {
  server: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exported: Record<string, string>;
}

/** `flow-local start` on `dataDir`, once it has printed its environment. */
async function startServer(dataDir: string): Promise<StartedServer> {
  const server = spawnCli(["start", "--port", "0", "--data", dataDir]);
  servers.add(server);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => server.once("exit", (code, signal) => resolve({ code, signal })));
  let stdout = "";
  let stderr = "";
  server.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exported = await new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`start printed no environment in time; stderr: ${stderr}`)), 20_000);
    server.once("exit", (code) => reject(new Error(`start exited with ${String(code)}: ${stderr}`)));
    server.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!/^export AUTH_TOKEN_FILE=.*\n/m.test(stdout)) return;
      clearTimeout(timer);
      const entries = [...stdout.matchAll(/^export (\w+)=(.*)$/gm)].map(([, name, value]) => [name ?? "", (value ?? "").replace(/^'(.*)'$/, "$1")]);
      resolve(Object.fromEntries(entries));
    });
  });
  return { server, exited, exported };
}

/** The pid of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  if (child.pid === undefined) throw new Error("no pid");
  return child.pid;
}

/** Writes a code block into a fresh temp dir and returns its path. */
function block(name: string, source: string): string {
  const file = path.join(tempDir(), name);
  writeFileSync(file, source);
  return file;
}

const PRINT_URL = block("print-url.mjs", "console.log(process.env.PLATFORM_API_URL);\n");

function decodePayload(jwt: string): Record<string, unknown> {
  const part = jwt.split(".")[1];
  if (part === undefined) throw new Error(`not a JWT: ${jwt}`);
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
}

let emptyData: string;
beforeAll(() => {
  emptyData = tempDir(); // no platform runs here, so `run` starts its own
});
afterEach(() => {
  for (const child of children) if (!servers.has(child)) killGroup(child);
});
afterAll(() => {
  for (const child of children) killGroup(child);
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("flow-local command line", () => {
  it("prints usage and exits 0 on --help", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage:");
    expect(result.stdout).toContain("flow-local start");
  });

  it("prints usage on stderr and exits 2 without a command", async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Usage:");
  });

  it("exits 2 on an unknown command", async () => {
    const result = await runCli(["frobnicate"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown command "frobnicate"/);
  });

  it("exits 2 on an unknown option", async () => {
    const result = await runCli(["token", "--bogus"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--help");
  });

  it("exits 1 with a clear message when token finds no running platform", async () => {
    const result = await runCli(["token", "--data", emptyData]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no flow-local platform runs on ${emptyData}`);
    expect(result.stdout).toBe("");
  });
});

describe("flow-local token with a flow-local.json it cannot trust", () => {
  const scripted = useScriptedServers();
  // A server that answers /v1/health like flow-local, naming the given instance, and records requests.
  const healthServer = (instanceId: string) =>
    scripted({ status: 200, body: { ok: true, service: "flow-local", version: "0.1.0" }, headers: { "x-flow-local-instance": instanceId } });
  const runtimeFile = (dataDir: string, info: Record<string, unknown>): string => {
    const file = path.join(dataDir, "flow-local.json");
    writeFileSync(file, JSON.stringify({ adminKey: "the-admin-key", tokenFile: path.join(dataDir, "flow-local.token"), ...info }), { mode: 0o600 });
    return file;
  };

  it("says no platform runs and removes the file when the pid in it has ended", async () => {
    const server = await healthServer("inst-1");
    const dataDir = tempDir();
    const file = runtimeFile(dataDir, { url: server.url, pid: await deadPid(), instanceId: "inst-1" });
    const result = await runCli(["token", "--data", dataDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no flow-local platform runs on ${dataDir}`);
    expect(result.stdout).toBe("");
    expect(existsSync(file)).toBe(false);
  });

  it("refuses without sending the admin key when the server at the URL is another instance", async () => {
    const server = await healthServer("another-instance");
    const dataDir = tempDir();
    runtimeFile(dataDir, { url: server.url, pid: process.pid, instanceId: "the-writer" });
    const result = await runCli(["token", "--data", dataDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is not the one that wrote");
    expect(result.stdout).toBe("");
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(["GET /v1/health"]);
    expect(server.requests.some((r) => r.headers["x-flow-local-admin"] !== undefined)).toBe(false);
  });
});

describe("flow-local run", () => {
  it("runs a .mjs block against a loopback platform and passes on its exit code", async () => {
    const file = block("exit3.mjs", "console.log(process.env.PLATFORM_API_URL);\nprocess.exit(3);\n");
    const result = await runCli(["run", file, "--data", emptyData]);
    expect(result.code).toBe(3);
    expect(result.stdout.trim()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("runs a .ts block whose token the platform accepts", async () => {
    const file = block(
      "whoami.ts",
      `interface WhoAmI { subject: string }
const url: string = String(process.env.PLATFORM_API_URL) + "/v1/auth/whoami";
fetch(url, { headers: { authorization: "Bearer " + String(process.env.AUTH_TOKEN) } })
  .then(async (response) => {
    if (!response.ok) throw new Error("HTTP " + response.status);
    const body = (await response.json()) as WhoAmI;
    console.log(body.subject);
  })
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
`,
    );
    const result = await runCli(["run", file, "--data", emptyData]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe("local-user");
  });

  it("passes the arguments after -- to the block, --help included", async () => {
    const file = block("args.mjs", "console.log(JSON.stringify(process.argv.slice(2)));\n");
    const result = await runCli(["run", file, "--data", emptyData, "--", "--help", "two words", "-x"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(["--help", "two words", "-x"]);
  });

  it("exits 128 + n when a signal ends the block", async () => {
    const file = block("killed.mjs", 'process.kill(process.pid, "SIGTERM");\nsetTimeout(() => {}, 10_000);\n');
    const result = await runCli(["run", file, "--data", emptyData]);
    expect(result.code).toBe(128 + 15);
  });

  it.each(["SIGHUP", "SIGQUIT"] as const)("forwards %s to the block and exits with the block's code", async (signal) => {
    const file = block(
      `on-${signal}.mjs`,
      `process.on(${JSON.stringify(signal)}, () => { console.log("got ${signal}"); process.exit(42); });\nconsole.log("ready");\nsetInterval(() => {}, 1000);\n`,
    );
    const cli = startCli(["run", file, "--data", emptyData], { timeoutMs: 10_000 });
    await cli.stdoutMatches(/^ready$/m);
    cli.child.kill(signal); // to run itself, not its process group
    const result = await cli.result;
    expect(result.stdout).toContain(`got ${signal}`);
    expect(result.code).toBe(42);
  });

  it("accepts a dotenv --secrets-file", async () => {
    const secrets = path.join(tempDir(), "secrets.env");
    writeFileSync(secrets, `# local secrets\nexport API_KEY="abc\\"def"\nOTHER='single quoted'\nPLAIN=value # comment\n\n`);
    const result = await runCli(["run", PRINT_URL, "--data", emptyData, "--secrets-file", secrets]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("exits 1 on a malformed secrets file, naming the line but not its value", async () => {
    const secrets = path.join(tempDir(), "bad.env");
    writeFileSync(secrets, `GOOD=1\nTOKEN="sup3r-secret-value\n`);
    const result = await runCli(["run", PRINT_URL, "--data", emptyData, "--secrets-file", secrets]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${secrets}:2`);
    expect(result.stderr).not.toContain("sup3r-secret-value");
    expect(result.stdout).toBe("");
  });
});

describe("flow-local start", () => {
  let dataDir: string;
  let server: ChildProcess;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let exported: Record<string, string>;

  beforeAll(async () => {
    dataDir = tempDir();
    ({ server, exited, exported } = await startServer(dataDir));
  });
  afterAll(() => {
    killGroup(server);
    servers.delete(server);
  });

  it("prints export lines for a loopback platform that answers", async () => {
    expect(Object.keys(exported)).toEqual(["PLATFORM_API_URL", "GATEWAY_URL", "ORG_ID", "WORKSPACE_ID", "AUTH_TOKEN", "AUTH_TOKEN_FILE"]);
    expect(exported.PLATFORM_API_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${exported.PLATFORM_API_URL}/v1/auth/whoami`, { headers: { authorization: `Bearer ${exported.AUTH_TOKEN}` } });
    expect(response.status).toBe(200);
  });

  it("writes flow-local.json with mode 0600", () => {
    const file = path.join(dataDir, "flow-local.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const info = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    expect(info).toMatchObject({
      url: exported.PLATFORM_API_URL,
      pid: server.pid,
      adminKey: expect.any(String),
      tokenFile: exported.AUTH_TOKEN_FILE,
      instanceId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
  });

  it("mints a token with the claims given to flow-local token", async () => {
    const result = await runCli(["token", "--data", dataDir, "--workspace", "ws_x", "--scopes", "state:read"]);
    expect(result.code).toBe(0);
    const jwt = result.stdout.trim();
    expect(jwt).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(decodePayload(jwt)).toMatchObject({ org: "org_local", ws: "ws_x", scopes: ["state:read"], iss: "flow-local" });
    const whoami = await fetch(`${exported.PLATFORM_API_URL}/v1/auth/whoami`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(await whoami.json()).toMatchObject({ workspaceId: "ws_x", scopes: ["state:read"] });
  });

  it("runs a block against the platform already running on the data dir", async () => {
    const result = await runCli(["run", PRINT_URL, "--data", dataDir]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(exported.PLATFORM_API_URL);
  });

  it("refuses a second start on the same data dir", async () => {
    const result = await runCli(["start", "--port", "0", "--data", dataDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("already runs");
    expect(existsSync(path.join(dataDir, "flow-local.json"))).toBe(true);
  });

  it("stops on SIGTERM and removes flow-local.json", async () => {
    server.kill("SIGTERM");
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(existsSync(path.join(dataDir, "flow-local.json"))).toBe(false);
    expect(existsSync(path.join(dataDir, "flow-local.token"))).toBe(false);
    await expect(fetch(`${exported.PLATFORM_API_URL}/v1/health`)).rejects.toThrow();
  });
});

describe("flow-local start on SIGHUP", () => {
  it("stops cleanly with exit code 0 and removes flow-local.json and the token file", async () => {
    const dataDir = tempDir();
    const { server, exited, exported } = await startServer(dataDir);
    try {
      expect(existsSync(path.join(dataDir, "flow-local.json"))).toBe(true);
      server.kill("SIGHUP");
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(existsSync(path.join(dataDir, "flow-local.json"))).toBe(false);
      expect(existsSync(path.join(dataDir, "flow-local.token"))).toBe(false);
      await expect(fetch(`${exported.PLATFORM_API_URL}/v1/health`)).rejects.toThrow();
    } finally {
      killGroup(server);
      servers.delete(server);
    }
  });
});
