import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FlowNotFoundError, FlowSDK, SDK_VERSION } from "../../src/index.js";
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
// The loader is named by its URL: `--import tsx` resolves from the working directory, and some
// tests run the CLI in a temp dir.
const TSX_LOADER = pathToFileURL(createRequire(path.join(ROOT, "package.json")).resolve("tsx")).href;
const CLI = distIsFresh ? [DIST_CLI] : ["--import", TSX_LOADER, path.join(ROOT, "local/cli.ts")];
const FIXTURES = path.join(ROOT, "test/fixtures/cli");

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

interface SpawnOptions {
  /** Its working directory. @default the repository */
  cwd?: string;
  /** Written to its stdin, which is then closed; without it, stdin is /dev/null. */
  stdin?: string;
}

function spawnCli(args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  // Its own process group, so a kill also reaches the block a `run` spawned.
  const stdin = opts.stdin === undefined ? "ignore" : "pipe";
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: opts.cwd ?? ROOT, env: childEnv(), stdio: [stdin, "pipe", "pipe"], detached: true });
  if (opts.stdin !== undefined) {
    child.stdin?.on("error", () => undefined); // EPIPE when the CLI ends without reading it
    child.stdin?.end(opts.stdin);
  }
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

interface CliOptions extends SpawnOptions {
  /** Kills it after this long. @default 20 s */
  timeoutMs?: number;
}

/** Starts the CLI; kills it after `timeoutMs`. */
function startCli(args: readonly string[], opts: CliOptions = {}): RunningCli {
  const child = spawnCli(args, opts);
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
function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  return startCli(args, opts).result;
}

interface StartedServer {
  server: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exported: Record<string, string>;
  /** What it has written to stderr so far. */
  stderr(): string;
  /**
   * Resolves once its stderr from offset `from` on matches `pattern`; rejects when it exits first
   * or after `timeoutMs`.
   */
  stderrMatches(pattern: RegExp, from?: number, timeoutMs?: number): Promise<void>;
}

/** `flow-sdk-local start` on `dataDir` (with `args` after it), once it has printed its environment. */
async function startServer(dataDir: string, args: readonly string[] = []): Promise<StartedServer> {
  const server = spawnCli(["start", "--port", "0", "--data", dataDir, ...args]);
  servers.add(server);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => server.once("exit", (code, signal) => resolve({ code, signal })));
  let stdout = "";
  let stderr = "";
  const watchers = new Set<() => void>();
  server.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const watcher of watchers) watcher();
  });
  const stderrMatches = (pattern: RegExp, from = 0, timeoutMs = 10_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const done = (error?: Error): void => {
        watchers.delete(check);
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      const check = (): void => {
        if (pattern.test(stderr.slice(from))) done();
      };
      const timer = setTimeout(() => done(new Error(`start wrote nothing matching ${String(pattern)} in ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
      void exited.then(({ code, signal }) => done(new Error(`start ended (${String(code ?? signal)}) before writing ${String(pattern)}; stderr: ${stderr}`)));
      watchers.add(check);
      check();
    });
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
  return { server, exited, exported, stderr: () => stderr, stderrMatches };
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

/** `flow-sdk-local run`'s stderr without the line saying it started a platform of its own (none ran on the data dir). */
function withoutFallback(stderr: string): string {
  return stderr.replace(/^flow-local: no platform is running on .*; running the block on .*\n/m, "");
}

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
    expect(result.stdout).toContain("flow-sdk-local start");
  });

  it("documents run's --input and the --manifest of start and run in --help", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ {2}flow-sdk-local run FILE \[--input JSON\] .*\[--manifest FILE\]/m);
    expect(result.stdout).toMatch(/^ {2}flow-sdk-local start .*\[--manifest FILE\]/m);
    // What --input does, and where the input comes from without it.
    expect(result.stdout).toMatch(/called with --input\s+\(else, or with --input -, the JSON on stdin/);
    expect(result.stdout).toMatch(/its\s+output printed as JSON/);
    // --manifest: its default, and the hot reload.
    expect(result.stdout).toMatch(/--manifest\s+code blocks, jobs and workflows to serve \(default: \.\/flow-local\.json/);
    expect(result.stdout).toMatch(/reloaded when it changes/);
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

  it("prints its version with --version", async () => {
    const result = await runCli(["--version"]);
    expect(result).toMatchObject({ code: 0, stdout: `${SDK_VERSION}\n`, stderr: "" });
  });

  it("exits 2 on a scope that is not * or <area>:<action>, before looking for a platform", async () => {
    const result = await runCli(["token", "--data", emptyData, "--scopes", "state:read, bogus,*,state:*"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('flow-local: --scopes takes * or <area>:<action> scopes, like state:read or state:*, comma-separated; not "bogus"\nRun flow-sdk-local --help for usage.\n');
    expect(result.stdout).toBe("");
  });

  it("says once, with one prefix, that the port is in use, leaving no data dir behind", async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    try {
      const port = (busy.address() as net.AddressInfo).port;
      const data = path.join(tempDir(), "data");
      const result = await runCli(["start", "--port", String(port), "--data", data]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`flow-local: port ${port} on 127.0.0.1 is in use; choose another port, or 0 for a free one\n`);
      expect(existsSync(data)).toBe(false);
    } finally {
      busy.close();
    }
  });

  it("exits 1 with a clear message when token finds no running platform", async () => {
    const result = await runCli(["token", "--data", emptyData]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no flow-local platform runs on ${emptyData}`);
    expect(result.stdout).toBe("");
  });
});

describe("flow-sdk-local token with a flow-local.runtime.json it cannot trust", () => {
  const scripted = useScriptedServers();
  // A server that answers /v1/health like flow-local, naming the given instance, and records requests.
  const healthServer = (instanceId: string) =>
    scripted({ status: 200, body: { ok: true, service: "flow-local", version: "0.1.0" }, headers: { "x-flow-local-instance": instanceId } });
  const runtimeFile = (dataDir: string, info: Record<string, unknown>): string => {
    const file = path.join(dataDir, "flow-local.runtime.json");
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

describe("flow-sdk-local run", () => {
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
    expect(withoutFallback(result.stderr)).toBe("");
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
    expect(withoutFallback(result.stderr)).toBe("");
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

/** The path of a fixture under test/fixtures/cli. */
const fixture = (name: string): string => path.join(FIXTURES, name);

/** What `run` prints for a function block's output: JSON, 2-space indented, one newline after. */
const printed = (output: unknown): string => `${JSON.stringify(output, null, 2)}\n`;

// These run with a fresh temp dir as the working directory: no .flow-local of a platform someone
// started there, and no flow-local.json manifest, unless the test puts one.
describe("flow-sdk-local run of a function block", () => {
  let cwd: string;
  beforeAll(() => {
    cwd = tempDir();
  });

  it("calls the default export with --input and prints its output as indented JSON", async () => {
    const input = { name: "Ada", tags: ["a", "b"], n: -1.5e-7, nested: { ok: true, none: null, empty: [] }, text: 'quote " \\ é 😀\nnewline' };
    const result = await runCli(["run", fixture("echo.mjs"), "--input", JSON.stringify(input)], { cwd });
    expect(withoutFallback(result.stderr)).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(printed({ received: input }));
  });

  it("calls a main export when there is no default one", async () => {
    const result = await runCli(["run", fixture("main-export.mjs"), "--input", '"just a string"'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(printed({ via: "main", input: "just a string" }));
  });

  it("reads the input from stdin without --input", async () => {
    const input = { lines: ["one", "two"], count: 2 };
    const result = await runCli(["run", fixture("echo.mjs")], { cwd, stdin: `  ${JSON.stringify(input, null, 4)}\n\n` });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(printed({ received: input }));
  });

  it("passes null for an empty stdin", async () => {
    const result = await runCli(["run", fixture("echo.mjs")], { cwd, stdin: "" });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(printed({ received: null }));
  });

  it("exits 1 saying the input is not JSON when stdin is not", async () => {
    const result = await runCli(["run", fixture("echo.mjs")], { cwd, stdin: "name=Ada\n" });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^flow-local: the input is not JSON: /m);
    expect(result.stdout).toBe("");
  });

  it("exits 2 naming --input when --input is not JSON, before the block runs", async () => {
    const result = await runCli(["run", fixture("echo.mjs"), "--input", "{name: Ada}"], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("flow-local: --input must be JSON");
    expect(result.stderr).toContain("flow-sdk-local --help");
    expect(result.stdout).toBe("");
  });

  it("exits 1 with the error's name, message and stack when the function throws", async () => {
    const result = await runCli(["run", fixture("throws.mjs"), "--input", "null"], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("flow-local: the block threw QuotaError: quota exceeded: 11 of 10 used\n");
    // The stack, down to the line of the block that threw.
    expect(result.stderr).toMatch(/^QuotaError: quota exceeded: 11 of 10 used\n\s+at checkQuota \(\S*throws\.mjs:\d+:\d+\)$/m);
    expect(result.stdout).toBe("");
  });

  it("exits 1 naming where the output is not JSON", async () => {
    const result = await runCli(["run", fixture("map-output.mjs"), "--input", "null"], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^flow-local: .*output\.x is a Map\b/m);
    expect(result.stdout).toBe("");
  });

  it("exits with the code the function passed to process.exit", async () => {
    const result = await runCli(["run", fixture("exit-3.mjs"), "--input", "null"], { cwd });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("");
  });

  it("runs a script top to bottom, top-level await included, printing only what it writes", async () => {
    const result = await runCli(["run", fixture("script.mjs")], { cwd, stdin: "" });
    expect(result.code).toBe(4); // its process.exitCode
    expect(result.stdout).toBe("first\nsecond\n");
    expect(withoutFallback(result.stderr)).toBe("");
  });
});

describe("flow-sdk-local run and where the platform keeps its data", () => {
  it("starts a platform keeping its data in --data DIR when none runs there", async () => {
    const cwd = tempDir();
    const data = path.join(tempDir(), "data");
    const first = await runCli(["run", fixture("counter.mjs"), "--data", data, "--input", "null"], { cwd });
    expect(withoutFallback(first.stderr)).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toBe("1\n");
    const second = await runCli(["run", fixture("counter.mjs"), "--data", data, "--input", "null"], { cwd });
    expect(second.code).toBe(0);
    expect(second.stdout).toBe("2\n");
    expect(existsSync(path.join(data, "flow-local.sqlite"))).toBe(true);
    // It was the run's own platform, stopped with it: nothing says one still runs there.
    expect(existsSync(path.join(data, "flow-local.runtime.json"))).toBe(false);
  });

  it("says on stderr which platform it falls back to when none runs on the data dir", async () => {
    const cwd = tempDir();
    const data = path.join(tempDir(), "data");
    const kept = await runCli(["run", fixture("counter.mjs"), "--data", data, "--input", "null"], { cwd });
    expect(kept.stderr).toBe(`flow-local: no platform is running on ${data} (flow-sdk-local start); running the block on a platform started on ${data} for this run\n`);
    const fresh = await runCli(["run", fixture("counter.mjs"), "--input", "null"], { cwd });
    expect(fresh.stderr).toBe(
      `flow-local: no platform is running on ${path.join(cwd, ".flow-local")} (flow-sdk-local start); running the block on a fresh in-memory platform (its data goes when the block ends)\n`,
    );
  });

  it("runs a .ts block with top-level await in a default npm init project (no package.json type)", async () => {
    const cwd = tempDir();
    writeFileSync(path.join(cwd, "package.json"), `${JSON.stringify({ name: "consumer", version: "1.0.0", main: "index.js" }, null, 2)}\n`);
    writeFileSync(path.join(cwd, "block.ts"), "const url: string = await Promise.resolve(String(process.env.PLATFORM_API_URL));\nconsole.log(url.startsWith('http://127.0.0.1:'));\n");
    const result = await runCli(["run", "block.ts"], { cwd });
    expect(withoutFallback(result.stderr)).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("true\n");
  });

  it("runs on a fresh in-memory platform each time without --data", async () => {
    const cwd = tempDir();
    for (let i = 0; i < 2; i++) {
      const result = await runCli(["run", fixture("counter.mjs"), "--input", "null"], { cwd });
      expect(result.code).toBe(0);
      expect(result.stdout).toBe("1\n");
    }
    expect(readdirSync(cwd)).toEqual([]); // no .flow-local, no database
  });
});

describe("flow-sdk-local run with a manifest", () => {
  const greeted = printed({ status: "succeeded", output: { greeting: "hello Ada", region: "eu-west" } });

  it("serves the blocks of --manifest FILE to the block it runs", async () => {
    const result = await runCli(["run", fixture("invoke-greet.mjs"), "--manifest", fixture("with-manifest/flow-local.json"), "--input", '{"name":"Ada"}'], {
      cwd: tempDir(),
    });
    expect(withoutFallback(result.stderr)).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(greeted);
  });

  it("serves the blocks of flow-local.json in the working directory without --manifest", async () => {
    const cwd = tempDir();
    cpSync(fixture("with-manifest"), cwd, { recursive: true });
    const result = await runCli(["run", fixture("invoke-greet.mjs"), "--input", '{"name":"Ada"}'], { cwd });
    expect(withoutFallback(result.stderr)).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(greeted);
  });

  it("fails before the block starts, naming every problem, on a bad manifest", async () => {
    const manifest = fixture("bad-manifest.json");
    const result = await runCli(["run", fixture("echo.mjs"), "--manifest", manifest, "--input", "null"], { cwd: tempDir() });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(""); // echo.mjs would have printed its output
    expect(result.stderr).toContain(`the manifest ${manifest} has 3 problems:`);
    expect(result.stderr).toMatch(/^ {2}- schedules: not a manifest key/m);
    expect(result.stderr).toMatch(/^ {2}- codeBlocks\.greet\.file: missing\.mjs does not exist/m);
    expect(result.stderr).toMatch(/^ {2}- jobs\.nightly\.codeBlock: no code block "nope" in codeBlocks/m);
  });
});

describe("flow-sdk-local start with a bad manifest", () => {
  it("exits 1 naming every problem, with nothing served or stored", async () => {
    const data = tempDir();
    const manifest = fixture("bad-manifest.json");
    const result = await runCli(["start", "--port", "0", "--data", data, "--manifest", manifest]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(""); // no export lines
    expect(result.stderr).toContain(`the manifest ${manifest} has 3 problems:`);
    expect(result.stderr).toMatch(/^ {2}- schedules: not a manifest key/m);
    expect(result.stderr).toMatch(/^ {2}- codeBlocks\.greet\.file: missing\.mjs does not exist/m);
    expect(result.stderr).toMatch(/^ {2}- jobs\.nightly\.codeBlock: no code block "nope" in codeBlocks/m);
    expect(readdirSync(data)).toEqual([]);
  });
});

describe("flow-sdk-local start --manifest", () => {
  let dir: string;
  let manifest: string;
  let started: StartedServer;
  let flow: FlowSDK;
  const writeBlock = (name: string, output: unknown): void => writeFileSync(path.join(dir, name), `export default () => (${JSON.stringify(output)});\n`);
  const writeManifest = (content: unknown): void => writeFileSync(manifest, typeof content === "string" ? content : JSON.stringify(content));
  const outputOf = async (id: string): Promise<unknown> => {
    const execution = await flow.codeBlocks.invoke(id, null);
    expect(execution.status).toBe("succeeded");
    return execution.output;
  };

  beforeAll(async () => {
    dir = tempDir();
    manifest = path.join(dir, "blocks.json"); // any name: the watcher looks for this one
    writeBlock("a.mjs", { block: "a", version: 1 });
    writeManifest({ codeBlocks: { a: "a.mjs" } });
    started = await startServer(tempDir(), ["--manifest", manifest]);
    const { PLATFORM_API_URL, AUTH_TOKEN, ORG_ID, WORKSPACE_ID } = started.exported;
    flow = FlowSDK.create({ env: { PLATFORM_API_URL, AUTH_TOKEN, ORG_ID, WORKSPACE_ID } });
  });
  afterAll(async () => {
    await flow?.close();
    if (started) {
      killGroup(started.server);
      servers.delete(started.server);
    }
  });

  it("serves the manifest's block", async () => {
    await started.stderrMatches(/^flow-local: serving .* and \S*blocks\.json, reloaded when it changes;/m);
    expect(await outputOf("a")).toEqual({ block: "a", version: 1 });
  });

  it("runs a block's edited file on the next invoke, with no restart", async () => {
    writeBlock("a.mjs", { block: "a", version: 2 });
    expect(await outputOf("a")).toEqual({ block: "a", version: 2 });
  });

  it("serves a block added to the manifest once it says it reloaded", async () => {
    await expect(flow.codeBlocks.invoke("b", null)).rejects.toBeInstanceOf(FlowNotFoundError);
    writeBlock("b.mjs", { block: "b" });
    const mark = started.stderr().length;
    writeManifest({ codeBlocks: { a: "a.mjs", b: "b.mjs" } });
    await started.stderrMatches(new RegExp(`^flow-local: reloaded ${escapeRegExp(manifest)}$`, "m"), mark);
    expect(await outputOf("b")).toEqual({ block: "b" });
  });

  it("keeps the manifest in force when the new one is broken, naming the problems", async () => {
    const mark = started.stderr().length;
    writeManifest({ codeBlocks: { a: "a.mjs", c: "c.mjs" }, schedules: {} });
    await started.stderrMatches(/kept the manifest in force until blocks\.json is fixed/, mark);
    const said = started.stderr().slice(mark);
    expect(said).toContain("codeBlocks.c.file: c.mjs does not exist");
    expect(said).toContain("schedules: not a manifest key");
    expect(said).not.toMatch(/^flow-local: reloaded/m);
    expect(await outputOf("a")).toMatchObject({ block: "a" });
    expect((await flow.codeBlocks.list()).data.map((block) => block.id)).toEqual(["a", "b"]); // b stays, c never came
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("flow-sdk-local start", () => {
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

  it("writes flow-local.runtime.json with mode 0600", () => {
    const file = path.join(dataDir, "flow-local.runtime.json");
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

  it("mints a token with the claims given to flow-sdk-local token", async () => {
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

  it("warns that --manifest is ignored when run uses the platform already running", async () => {
    const result = await runCli(["run", PRINT_URL, "--data", dataDir, "--manifest", fixture("with-manifest/flow-local.json")]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(exported.PLATFORM_API_URL);
    expect(result.stderr).toContain(`flow-local: --manifest ignored: using the platform already running at ${exported.PLATFORM_API_URL}; give it to flow-sdk-local start`);
  });

  it("refuses a second start on the same data dir", async () => {
    const result = await runCli(["start", "--port", "0", "--data", dataDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("already runs");
    expect(existsSync(path.join(dataDir, "flow-local.runtime.json"))).toBe(true);
  });

  it("stops on SIGTERM and removes flow-local.runtime.json", async () => {
    server.kill("SIGTERM");
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(existsSync(path.join(dataDir, "flow-local.runtime.json"))).toBe(false);
    expect(existsSync(path.join(dataDir, "flow-local.token"))).toBe(false);
    await expect(fetch(`${exported.PLATFORM_API_URL}/v1/health`)).rejects.toThrow();
  });
});

describe("flow-sdk-local start --ready-file", () => {
  it("writes the URL to the file once ready, says when it stops and removes the file", async () => {
    const dir = tempDir();
    const readyFile = path.join(dir, "ready");
    writeFileSync(readyFile, "http://stale.invalid\n"); // an earlier start's must not count
    const started = await startServer(path.join(dir, "data"), ["--ready-file", readyFile]);
    try {
      // The URL is the last thing it says, after the ready file is written.
      await started.stderrMatches(new RegExp(`^flow-local: serving ${escapeRegExp(started.exported.PLATFORM_API_URL ?? "?")} .*Ctrl-C stops it\\n$`));
      expect(readFileSync(readyFile, "utf8")).toBe(`${started.exported.PLATFORM_API_URL}\n`);
      started.server.kill("SIGTERM");
      expect(await started.exited).toEqual({ code: 0, signal: null });
      expect(started.stderr()).toMatch(new RegExp(`^flow-local: stopped on SIGTERM; ${escapeRegExp(started.exported.PLATFORM_API_URL ?? "?")} no longer serves\n$`, "m"));
      expect(existsSync(readyFile)).toBe(false);
    } finally {
      killGroup(started.server);
      servers.delete(started.server);
    }
  });
});

describe("flow-sdk-local start on SIGHUP", () => {
  it("stops cleanly with exit code 0 and removes flow-local.runtime.json and the token file", async () => {
    const dataDir = tempDir();
    const { server, exited, exported } = await startServer(dataDir);
    try {
      expect(existsSync(path.join(dataDir, "flow-local.runtime.json"))).toBe(true);
      server.kill("SIGHUP");
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(existsSync(path.join(dataDir, "flow-local.runtime.json"))).toBe(false);
      expect(existsSync(path.join(dataDir, "flow-local.token"))).toBe(false);
      await expect(fetch(`${exported.PLATFORM_API_URL}/v1/health`)).rejects.toThrow();
    } finally {
      killGroup(server);
      servers.delete(server);
    }
  });
});
