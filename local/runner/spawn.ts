// Runs one code block in a child process of its own and reports how it ended. Shared by the
// platform (an execution: output captured, bounded logs, time limit, cancel) and by
// `flow-sdk-local run` (the terminal's stdio, the output printed). Whatever the block does (hang,
// crash, process.exit, spin in a loop), the caller gets one outcome and the process is gone.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { INSTALL_LINE } from "../cli/peers.js";
import { MAX_OUTPUT_BYTES } from "./json-output.js";
import type { ChildMessage, FailureMessage, RequestInfo, StartMessage } from "./messages.js";

/** How a run ended. */
export type RunStatus = "succeeded" | "failed" | "cancelled";

/** Why a run failed: a code, the error's name when the block threw, and a message that says what happened. */
export interface RunError {
  /** `block_error`, `load_error`, `invalid_output`, `invalid_input`, `timeout`, `crashed`, `exited` or `spawn_failed`. */
  code: string;
  /** The thrown error's name (`TypeError`), when the block threw. */
  name?: string;
  /** What happened, and what to do. */
  message: string;
}

/** The logs a run kept: the last `maxLogBytes` of each stream. */
export interface RunLogs {
  /** What the block wrote to stdout (its tail). */
  stdout: string;
  /** What it wrote to stderr (its tail). */
  stderr: string;
  /** True when either stream was longer than what was kept. */
  truncated: boolean;
}

/** How a run ended, once its process is gone. */
export interface RunOutcome extends RunLogs {
  /** Succeeded (returned, or a script that exited 0), failed, or cancelled. */
  status: RunStatus;
  /** The output as JSON text when it succeeded (`null` for a script), else null. */
  output: string | null;
  /** Why it failed, else null. */
  error: RunError | null;
  /** The process's exit code, when it exited. */
  exitCode: number | null;
  /** The signal that ended the process, when one did. */
  signal: NodeJS.Signals | null;
  /**
   * The output the block returned after it was told to stop (the run still ends as the stop
   * says): the platform's own stop keeps it, as the block's work is done.
   */
  outputAfterStop?: string | undefined;
}

/** What to run, and how. */
export interface RunSpec {
  /** Absolute path of the block's module. */
  file: string;
  /** The input as JSON text. */
  input: string;
  /** Read the input from stdin instead (`flow-sdk-local run` without `--input`). */
  inputFromStdin?: boolean | undefined;
  /** Arguments after the file, for a script. */
  args?: readonly string[] | undefined;
  /** The execution's id (also passed as `EXECUTION_ID` in `env` by the caller). */
  executionId: string;
  /** The request it runs in. */
  request: RequestInfo;
  /** The child's whole environment. */
  env: NodeJS.ProcessEnv;
  /** Its working directory. */
  cwd: string;
  /** `inherit`: the terminal's stdin, stdout and stderr (`flow-sdk-local run`); `capture`: kept as logs. */
  stdio: "inherit" | "capture";
  /** Stops the run after this long, in ms (it then fails with `timeout`). */
  timeoutMs?: number | undefined;
  /** After a cancel or a timeout, how long the block has to end before SIGKILL. */
  graceMs: number;
  /** The tail of each log stream kept. @default 64 KiB */
  maxLogBytes?: number | undefined;
  /**
   * Masks what the logs must not show (secret values), before they are cut to `maxLogBytes`: a
   * value cut in half at the start of the tail would otherwise show its end. `margin` is the
   * longest text it replaces, in bytes.
   */
  mask?: { text: (text: string) => string; margin: number } | undefined;
  /** Where to look for `tsx` first (a TypeScript block's project). @default `cwd` */
  projectDir?: string | undefined;
}

/** A block running in its process. */
export interface RunningBlock {
  /** The process id, once spawned. */
  readonly pid: number | undefined;
  /** Resolves once the process is gone, with how the run ended. */
  readonly outcome: Promise<RunOutcome>;
  /** Asks the block to stop (its signal aborts, SIGTERM), then SIGKILL after the grace period; the run ends `cancelled`. */
  cancel(): void;
  /** The logs so far. */
  logs(): RunLogs;
  /** Sends the block's process a signal (`flow-sdk-local run` forwards the ones it gets). */
  signal(name: NodeJS.Signals): void;
}

/** Default tail of each log stream kept: 64 KiB. */
export const DEFAULT_MAX_LOG_BYTES = 64 * 1024;

const JS = new Set([".js", ".mjs", ".cjs"]);
const TS = new Set([".ts", ".mts", ".cts"]);

/** After the block's process exits, how long its output pipes may take to close before they are cut. */
const PIPE_DRAIN_MS = 500;

/** A message of the child's protocol, or undefined for anything else (a block's own message). */
function childMessage(message: unknown): ChildMessage | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const m = message as Partial<Record<string, unknown>>;
  if (m["type"] === "script") return { type: "script" };
  if (m["type"] === "result" && typeof m["output"] === "string" && Buffer.byteLength(m["output"]) <= MAX_OUTPUT_BYTES) {
    try {
      JSON.parse(m["output"]);
      return { type: "result", output: m["output"] };
    } catch {
      return undefined;
    }
  }
  if (m["type"] === "failure" && FAILURE_CODES.has(m["code"] as string) && typeof m["name"] === "string" && typeof m["message"] === "string") {
    return { type: "failure", code: m["code"] as FailureMessage["code"], name: m["name"].slice(0, 200), message: m["message"].slice(0, 10_000) };
  }
  return undefined;
}

const FAILURE_CODES = new Set<string>(["block_error", "load_error", "invalid_output", "invalid_input"]);

/** Marks a block's process in `ps`, so the platform can find one it left running when it was killed. */
export const EXECUTION_ARG = "--flow-local-execution=";

/**
 * Starts `spec.file` in a new node process through the runner (runner/child.ts) and returns the
 * running block. Never throws: a process that cannot start is an outcome (`spawn_failed`).
 */
export function runBlock(spec: RunSpec): RunningBlock {
  const stdout = new Tail(spec.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES, spec.mask);
  const stderr = new Tail(spec.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES, spec.mask);
  const logs = (): RunLogs => {
    const [out, err] = [stdout.read(), stderr.read()];
    return { stdout: out.text, stderr: err.text, truncated: out.dropped > 0 || err.dropped > 0 };
  };
  let child: ChildProcess;
  try {
    const runner = runnerScript();
    // From source (the repository's own tests), the runner loads the SDK's .ts through tsx, which
    // needs the repository's tsconfig (decorators) whatever the block's directory.
    const env = runner.endsWith(".ts") ? { TSX_TSCONFIG_PATH: path.join(ownDir(), "..", "..", "tsconfig.json"), ...spec.env } : spec.env;
    child = spawn(process.execPath, [...loaderArgs(spec.file, spec.projectDir ?? spec.cwd), runner, `${EXECUTION_ARG}${spec.executionId}`], {
      cwd: spec.cwd,
      env,
      stdio: spec.stdio === "inherit" ? ["inherit", "inherit", "inherit", "ipc"] : ["ignore", "pipe", "pipe", "ipc"],
      // Its own process group when captured: a stop reaches whatever the block started too.
      detached: spec.stdio === "capture",
    });
  } catch (error) {
    const outcome = Promise.resolve(failed({ code: "spawn_failed", message: `the block's process could not start: ${(error as Error).message}` }, logs()));
    return { pid: undefined, outcome, cancel: () => undefined, logs, signal: () => undefined };
  }
  child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));

  let reported: ChildMessage | undefined;
  let stopped: "timeout" | "cancelled" | undefined;
  let ended = false;
  let killTimer: NodeJS.Timeout | undefined;
  const signal = (name: NodeJS.Signals): void => {
    try {
      if (spec.stdio === "capture" && child.pid !== undefined) process.kill(-child.pid, name);
      else child.kill(name);
    } catch {
      // already gone
    }
  };
  const stop = (why: "timeout" | "cancelled"): void => {
    // Nothing to stop once the run is decided: its process ended, or the block already answered
    // (it may still be flushing its output).
    if (stopped || ended || reported?.type === "result" || reported?.type === "failure") return;
    stopped = why;
    if (child.connected) child.send({ type: "cancel", reason: why }, () => undefined);
    // A cancel is also SIGTERM (what a process manager sends); a timeout is said over IPC only,
    // so the block's signal aborts with a TimeoutError, not the SIGTERM's AbortError.
    if (why === "cancelled") signal("SIGTERM");
    killTimer = setTimeout(() => signal("SIGKILL"), spec.graceMs);
  };
  const timeout = spec.timeoutMs === undefined ? undefined : setTimeout(() => stop("timeout"), spec.timeoutMs);

  // The block runs in the process that speaks for it, so it could send messages of its own (a
  // library's "ready"): only a well-formed answer counts, and only the first.
  child.on("message", (message: unknown) => {
    const answer = childMessage(message);
    if (answer && (reported === undefined || reported.type === "script")) reported = answer;
  });
  const outcome = new Promise<RunOutcome>((resolve) => {
    let spawnError: Error | undefined;
    child.once("error", (error) => {
      spawnError = error;
      // A process that never started may not emit "exit" at all.
      if (child.pid === undefined && !ended) {
        ended = true;
        clearTimeout(timeout);
        resolve(decide(reported, stopped, spawnError, { ...logs(), exitCode: null, signal: null }, spec.timeoutMs));
      }
    });
    // Decided when the block's process exits, not when its output pipes close: a process the block
    // started may hold them open for as long as it lives. The pipes get a moment to drain (the
    // logs are whole), then whatever the block left in its process group is killed.
    child.once("exit", (exitCode, exitSignal) => {
      if (ended) return;
      ended = true;
      clearTimeout(timeout);
      clearTimeout(killTimer);
      const finish = (): void => {
        clearTimeout(drained);
        if (spec.stdio === "capture") {
          signal("SIGKILL");
          child.stdout?.destroy();
          child.stderr?.destroy();
        }
        resolve(decide(reported, stopped, spawnError, { ...logs(), exitCode, signal: exitSignal }, spec.timeoutMs));
      };
      const drained = setTimeout(finish, PIPE_DRAIN_MS);
      child.once("close", finish);
    });
  });
  if (child.connected) {
    const start: StartMessage = {
      type: "start",
      file: spec.file,
      input: spec.input,
      inputFromStdin: spec.inputFromStdin === true,
      args: [...(spec.args ?? [])],
      executionId: spec.executionId,
      request: spec.request,
    };
    child.send(start, () => undefined);
  }
  return { pid: child.pid, outcome, cancel: () => stop("cancelled"), logs, signal };
}

type Ended = RunLogs & { exitCode: number | null; signal: NodeJS.Signals | null };

/** How the run ended, from what the child said and how its process ended. A stop wins over what came after it. */
function decide(reported: ChildMessage | undefined, stopped: "timeout" | "cancelled" | undefined, spawnError: Error | undefined, ended: Ended, timeoutMs: number | undefined): RunOutcome {
  // A process that never started (no such cwd, say) is closed with a negative errno as its code.
  if (spawnError && reported === undefined) {
    return failed({ code: "spawn_failed", message: `the block's process could not start: ${spawnError.message}` }, ended);
  }
  const late = stopped !== undefined && reported?.type === "result" ? { outputAfterStop: reported.output } : {};
  if (stopped === "cancelled") return { ...ended, ...late, status: "cancelled", output: null, error: { code: "cancelled", message: "the execution was cancelled" } };
  if (stopped === "timeout") {
    const seconds = timeoutMs === undefined ? "its" : `its ${formatSeconds(timeoutMs)}`;
    return { ...failed({ code: "timeout", message: `the block ran longer than ${seconds} time limit and was stopped${ended.signal === "SIGKILL" ? " (killed: it did not end within the grace period after its signal aborted)" : ""}` }, ended), ...late };
  }
  if (reported?.type === "result") return { ...ended, status: "succeeded", output: reported.output, error: null };
  if (reported?.type === "failure") {
    const prefix = reported.code === "block_error" ? "the block threw " : reported.code === "load_error" ? "the block's module failed to load: " : "";
    const message = reported.code === "block_error" || reported.code === "load_error" ? `${prefix}${reported.name}: ${reported.message}` : reported.message;
    return failed({ code: reported.code, name: reported.name, message }, ended);
  }
  if (reported?.type === "script" && ended.exitCode === 0) return { ...ended, status: "succeeded", output: null, error: null };
  if (reported?.type === "script") return failed({ code: "exited", message: `the script ${describeExit(ended)}; see the execution's logs` }, ended);
  return failed({ code: "crashed", message: `the block's process ${describeExit(ended)} before the block returned (process.exit, an uncaught exception or a crash); see the execution's logs` }, ended);
}

function failed(error: RunError, ended: RunLogs & { exitCode?: number | null; signal?: NodeJS.Signals | null }): RunOutcome {
  return { stdout: ended.stdout, stderr: ended.stderr, truncated: ended.truncated, exitCode: ended.exitCode ?? null, signal: ended.signal ?? null, status: "failed", output: null, error };
}

function describeExit(ended: { exitCode: number | null; signal: NodeJS.Signals | null }): string {
  return ended.signal ? `was killed by ${ended.signal}` : `exited with code ${ended.exitCode ?? "?"}`;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * The runner script: beside this file when compiled (dist). From source (the repository's own
 * tests), the repository's build when it is up to date with every source file, else the .ts
 * through tsx, which costs each block process about 0.3 s of CPU.
 */
function runnerScript(): string {
  return (runner ??= locateRunner());
}
let runner: string | undefined;

function locateRunner(): string {
  const here = ownDir();
  const compiled = path.join(here, "child.js");
  if (existsSync(compiled)) return compiled;
  const root = path.join(here, "..", "..");
  const built = path.join(root, "dist", "cjs", "local", "runner", "child.js");
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(newestTs(path.join(root, "src")), newestTs(path.join(root, "local")))) return built;
  return path.join(here, "child.ts");
}

function newestTs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestTs(file));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

/**
 * This module's directory. `__dirname` in the compiled (CommonJS) build and under vitest; when
 * the sources run as ESM through tsx neither it nor `import.meta` (which a CommonJS build cannot
 * mention) is there, and the module's own URL is read from a stack frame instead.
 */
function ownDir(): string {
  if (typeof __dirname === "string") return __dirname;
  // The first frame is this function: "    at ownDir (<file URL or path>:<line>:<column>)".
  const frame = /\((\S+?):\d+:\d+\)/.exec((new Error().stack ?? "").split("\n")[1] ?? "");
  if (!frame?.[1]) throw new Error("flow-local: cannot tell where the block runner is installed");
  return path.dirname(frame[1].startsWith("file:") ? fileURLToPath(frame[1]) : frame[1]);
}

/**
 * Module hooks (run before tsx's) that load a `.ts` file as an ES module, as `.mts` is, when the
 * nearest package.json has no "type" (or there is none), outside node_modules: a default `npm init`
 * project would otherwise get CommonJS, where top-level await is refused. The block and the `.ts`
 * files it imports alike, so they agree. A file written for CommonJS (it uses `require`,
 * `__dirname`, `__filename` or `module.exports`) stays CommonJS. Under an explicit "type":
 * "commonjs" (which npm 11's `npm init -y` writes), each file is judged alone: it stays CommonJS
 * unless it could not run as CommonJS at all, having top-level await, as esbuild (tsx's own) says
 * when asked to compile it to CommonJS; so a block with top-level await becomes ESM while the
 * helpers it imports stay CommonJS (ESM imports CommonJS fine). "type": "module" needs no help.
 */
const TS_AS_ESM_HOOKS = `
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
let esbuildPath;
export function initialize(data) {
  esbuildPath = data?.esbuild;
}
const types = new Map();
// The nearest package.json's "type": "none" when it sets none (or there is none), else its value.
function typeOf(dir) {
  let answer = types.get(dir);
  if (answer !== undefined) return answer;
  try {
    const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
    answer = pkg !== null && typeof pkg === "object" && "type" in pkg ? String(pkg.type) : "none";
  } catch (error) {
    const up = path.dirname(dir);
    answer = error !== null && typeof error === "object" && error.code === "ENOENT" ? (up === dir ? "none" : typeOf(up)) : "unknown";
  }
  types.set(dir, answer);
  return answer;
}
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.format != null || !result.url.startsWith("file:") || result.url.includes("?")) return result;
  const file = fileURLToPath(result.url);
  if (!file.endsWith(".ts") || file.split(path.sep).includes("node_modules")) return result;
  const type = typeOf(path.dirname(file));
  if (type !== "none" && type !== "commonjs") return result;
  const text = source(file);
  if (text === undefined || COMMONJS.test(text)) return result;
  if (type === "commonjs" && !needsModule(file, text)) return result;
  return { ...result, format: "module" };
}
function source(file) {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}
// Whether a file cannot be compiled to CommonJS because of top-level await: esbuild, the compiler
// tsx runs, is asked; without it (or for any other error) the file is left to tsx as it is.
let esbuild;
function needsModule(file, text) {
  if (!esbuildPath || !/\\bawait\\b/.test(text)) return false;
  try {
    esbuild ??= createRequire(esbuildPath)(esbuildPath);
    esbuild.transformSync(text, { loader: "ts", format: "cjs", sourcefile: file, logLevel: "silent" });
    return false;
  } catch (error) {
    return /top-level await/i.test(String(error?.message ?? ""));
  }
}
// A file written for CommonJS (require, __dirname, module.exports, import x = require) stays
// CommonJS, as tsx has always run it: only the rest, top-level await included, becomes ESM.
const COMMONJS = /\\brequire\\s*\\(|\\b__dirname\\b|\\b__filename\\b|\\bmodule\\.exports\\b|\\bexports\\.[A-Za-z_$]|\\bimport\\s+[A-Za-z_$][\\w$]*\\s*=\\s*require\\b/;
`;

/**
 * An `--import` that registers {@link TS_AS_ESM_HOOKS}, which must come before tsx's, with the
 * path of the esbuild that `tsxPath` (tsx's loader) uses, when there is one.
 */
export function tsAsEsmImport(tsxPath: string): string {
  let esbuild: string | undefined;
  try {
    esbuild = createRequire(tsxPath).resolve("esbuild");
  } catch {
    esbuild = undefined; // then only projects without a "type" get the hooks' help
  }
  const hooks = JSON.stringify(`data:text/javascript,${encodeURIComponent(TS_AS_ESM_HOOKS)}`);
  return `data:text/javascript,${encodeURIComponent(`import { register } from "node:module"; register(${hooks}, { data: ${JSON.stringify({ esbuild })} });`)}`;
}

/**
 * The `--import`s that let node load the block (and, from source, the runner): none for
 * JavaScript, tsx for TypeScript, and for a `.ts` block the hooks that make it an ES module when
 * its project says no "type" ({@link TS_AS_ESM_HOOKS}).
 */
export function loaderArgs(file: string, projectDir: string): string[] {
  const ext = path.extname(file).toLowerCase();
  const runnerIsTs = runnerScript().endsWith(".ts");
  if (JS.has(ext) && !runnerIsTs) return [];
  if (TS.has(ext) || runnerIsTs) {
    const loader = tsxLoader(projectDir);
    const tsx = ["--import", pathToFileURL(loader).href];
    return ext === ".ts" ? ["--import", tsAsEsmImport(loader), ...tsx] : tsx;
  }
  throw new Error(`a code block is a .js, .mjs, .cjs, .ts, .mts or .cts file, not ${path.basename(file)}`);
}

/** tsx from the block's project first, else from next to flow-sdk itself. */
export function tsxLoader(projectDir: string): string {
  const bases = [path.join(projectDir, "package.json"), path.join(ownDir(), "spawn.js")];
  for (const base of bases) {
    try {
      return createRequire(base).resolve("tsx");
    } catch {
      // try the next place
    }
  }
  throw new Error(`running a TypeScript block needs tsx; install the local platform's dev dependencies with: ${INSTALL_LINE}`);
}

/** Keeps the last `max` bytes written (masked, when a mask is given), counting what it dropped. */
class Tail {
  #chunks: Buffer[] = [];
  #size = 0;
  /** Bytes dropped from the front so far. */
  dropped = 0;
  readonly #keep: number;

  constructor(
    private readonly max: number,
    private readonly mask?: { text: (text: string) => string; margin: number },
  ) {
    // A margin beyond the tail, so that a secret cut at its start is still seen whole, and masked.
    this.#keep = max + (mask?.margin ?? 0);
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size > this.#keep && this.#chunks.length > 0) {
      const first = this.#chunks[0]!;
      const excess = this.#size - this.#keep;
      if (first.length <= excess) {
        this.#chunks.shift();
        this.#size -= first.length;
        this.dropped += first.length;
      } else {
        this.#chunks[0] = first.subarray(excess);
        this.#size -= excess;
        this.dropped += excess;
      }
    }
  }

  /** The tail as text (with a count of the bytes dropped before it, if any), and that count. */
  read(): { text: string; dropped: number } {
    let body = Buffer.concat(this.#chunks);
    let dropped = this.dropped;
    if (this.mask) body = Buffer.from(this.mask.text(body.toString("utf8")));
    if (body.length > this.max) {
      dropped += body.length - this.max;
      body = body.subarray(body.length - this.max);
    }
    return { text: dropped > 0 ? `[… ${dropped} earlier bytes dropped]\n${body.toString("utf8")}` : body.toString("utf8"), dropped };
  }
}
