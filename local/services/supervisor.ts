// Services: the manifest's long-running HTTP servers. One given by `url` is only called; one given
// by `file` is started by the platform (with `PORT`, `SERVICE_ID` and the platform environment),
// waited for until its port accepts connections, restarted with backoff when it exits, and
// stopped with the platform. See docs/protocol.md, "Services".
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Clock } from "../../src/container/clock.js";
import { CONFIG_ENV } from "../../src/container/config.js";
import type { LocalDb } from "../db.js";
import { writePrivateFile } from "../files.js";
import type { Manifest, ServiceDef } from "../manifest.js";
import { loaderArgs } from "../runner/spawn.js";
import { DEFAULT_ORG_ID, DEFAULT_WORKSPACE_ID, type TokenService } from "../tokens.js";

/** What the supervisor is built from. */
export interface ServiceSupervisorDeps {
  /** The platform database (heartbeats). */
  db: LocalDb;
  /** Dates of record, and the restart backoff's timers. */
  clock: Clock;
  /** Signs the tokens service processes get. */
  tokens: TokenService;
  /** The manifest now (it may be reloaded). */
  manifest: () => Manifest;
  /** Where unexpected errors go. */
  report: (error: unknown) => void;
  /** After SIGTERM, how long a service has to end before SIGKILL. @default 5000 */
  graceMs?: number | undefined;
}

/** Where a service stands: its process is starting, it runs, it exited and waits to be restarted, or it was stopped. */
export type ServiceRunState = "starting" | "running" | "degraded" | "stopped";

/** What the supervisor knows of one service. */
export interface ServiceRuntime {
  /** Where it stands (a URL service is always `running`: the platform does not watch it). */
  status: ServiceRunState;
  /** Its base URL: the manifest's, or `http://127.0.0.1:<port>` of its process once started; null before. */
  url: string | null;
  /** How often its process was started again after it exited. */
  restarts: number;
  /** Why it last stopped running (an exit, a start that timed out), or null. */
  lastError: string | null;
  /** When its current process began to accept connections (clock ms), or null. */
  runningSince: number | null;
  /** When its current process was started (clock ms; for a URL service, when the platform took it up), or null. */
  startedAt: number | null;
  /** Its process's pid while it has one. */
  pid: number | null;
}

/** First restart delay; each consecutive failure doubles it, up to {@link MAX_RESTART_DELAY_MS}. */
export const FIRST_RESTART_DELAY_MS = 1000;
/** Longest restart delay. */
export const MAX_RESTART_DELAY_MS = 30_000;
/** A process that ran this long before it exited starts the backoff over at {@link FIRST_RESTART_DELAY_MS}. */
const STABLE_AFTER_MS = 60_000;
/** How often the port is tried while a service starts. */
const PROBE_INTERVAL_MS = 50;
/** The tail of each output stream kept per service. */
const MAX_TAIL_BYTES = 16 * 1024;
/** The end of stderr quoted in `lastError`. */
const QUOTED_STDERR_BYTES = 1024;
const DEFAULT_GRACE_MS = 5000;
// setInterval takes at most 2^31 - 1 ms; Node turns anything longer into 1 ms.
const MAX_TIMER_MS = 2_147_483_647;

/** The restart delay after `failures` consecutive failures (1-based): 1 s, 2 s, 4 s, ... at most 30 s. */
export function restartDelayMs(failures: number): number {
  return Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** Math.max(0, failures - 1));
}

interface Entry {
  def: ServiceDef;
  state: ServiceRunState;
  url: string | null;
  restarts: number;
  /** Consecutive failures, for the backoff. */
  failures: number;
  lastError: string | null;
  runningSince: number | null;
  startedAt: number | null;
  child: ChildProcess | null;
  /** Resolves once the current process is gone (immediately when there is none). */
  exited: Promise<void>;
  cancelRestart: (() => void) | null;
  stopProbe: (() => void) | null;
  tokenFile: string | null;
  /** Tokens this service's processes got: masked in what it printed. */
  tokens: string[];
  stdout: Tail;
  stderr: Tail;
  /** Bumped by every stop: events of an older process are ignored. */
  generation: number;
  /** Woken whenever `state` changes. */
  waiters: Set<() => void>;
  /** When a degraded service is due to start again (clock ms). */
  restartAt?: number;
}

/** Starts, watches and stops the manifest's file services. */
export class ServiceSupervisor {
  #entries = new Map<string, Entry>();
  /** Services whose old process is stopping before they start again with a changed definition. */
  #restarting = new Set<string>();
  /** Stops under way for services no longer in the manifest (or changed): close waits for them too. */
  #stopping = new Set<Promise<void>>();
  #baseUrl: string | null = null;
  #closing = false;
  #tokenDir: string | null = null;
  #rotation: NodeJS.Timeout | null = null;
  readonly #graceMs: number;

  /** Builds it; nothing starts before {@link ServiceSupervisor.start}. */
  constructor(readonly deps: ServiceSupervisorDeps) {
    this.#graceMs = deps.graceMs ?? DEFAULT_GRACE_MS;
  }

  /** Starts the file services; `baseUrl` is where they reach the platform. */
  start(baseUrl: string): void {
    if (this.#baseUrl !== null || this.#closing) return;
    this.#baseUrl = baseUrl;
    // Each service's token is rewritten to its AUTH_TOKEN_FILE every half TTL, so a service that
    // runs for days always finds a fresh one there (the SDK re-reads the file before expiry).
    const every = Math.min(MAX_TIMER_MS, Math.max(250, (this.deps.tokens.defaultTtlSeconds * 1000) / 2 - 100));
    this.#rotation = setInterval(() => this.#rotateTokens(), every);
    this.#rotation.unref();
    for (const def of this.deps.manifest().services.values()) this.#add(def);
  }

  /** Applies a reloaded manifest: services added start, removed ones stop, changed ones restart. */
  reload(): void {
    if (this.#baseUrl === null || this.#closing) return;
    const next = this.deps.manifest().services;
    for (const [id, entry] of this.#entries) {
      const def = next.get(id);
      if (def === undefined) {
        this.#entries.delete(id);
        this.#track(this.#stop(entry, "removed from the manifest"));
      } else if (!sameDef(def, entry.def)) {
        // Started again once the old process is gone (it may hold the files or ports the new one needs).
        this.#entries.delete(id);
        this.#restarting.add(id);
        const restarts = entry.restarts;
        this.#track(this.#stop(entry, "changed in the manifest")).then(() => {
          this.#restarting.delete(id);
          const latest = this.deps.manifest().services.get(id);
          if (!this.#closing && !this.#entries.has(id) && latest !== undefined) this.#add(latest, restarts);
        });
      } else entry.def = def; // the same service (its name or description may differ)
    }
    for (const [id, def] of next) if (!this.#entries.has(id) && !this.#restarting.has(id)) this.#add(def);
  }

  /** Stops every service process; resolves once they are gone. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#rotation) clearInterval(this.#rotation);
    await Promise.all([...this.#entries.values()].map((entry) => this.#stop(entry, "the platform stopped")));
    await Promise.all(this.#stopping);
    if (this.#tokenDir) rmSync(this.#tokenDir, { recursive: true, force: true });
  }

  #track(stop: Promise<void>): Promise<void> {
    this.#stopping.add(stop);
    void stop.finally(() => this.#stopping.delete(stop));
    return stop;
  }

  /** What the supervisor knows of the service `id` (a manifest service it has not seen yet reads as starting). */
  runtime(id: string): ServiceRuntime {
    const entry = this.#entries.get(id);
    if (!entry) {
      const def = this.deps.manifest().services.get(id);
      const url = def?.url ?? null;
      return { status: this.#closing ? "stopped" : url !== null ? "running" : "starting", url, restarts: 0, lastError: null, runningSince: null, startedAt: null, pid: null };
    }
    return { status: entry.state, url: entry.url, restarts: entry.restarts, lastError: entry.lastError, runningSince: entry.runningSince, startedAt: entry.startedAt, pid: entry.child?.pid ?? null };
  }

  /**
   * The base URL to call the service `id` at: at once when it runs, after its start when it is
   * starting (bounded by its start timeout, or by `signal`); otherwise, or when its start fails,
   * undefined and the reason.
   */
  async target(id: string, signal?: AbortSignal): Promise<{ url: string } | { reason: string; state: ServiceRunState }> {
    for (;;) {
      const entry = this.#entries.get(id);
      if (!entry) {
        const def = this.deps.manifest().services.get(id);
        if (def?.url) return { url: def.url };
        return { reason: this.#closing ? "the platform is stopping" : "it has not been started", state: this.#closing ? "stopped" : "starting" };
      }
      if (entry.state === "running" && entry.url !== null) return { url: entry.url };
      if (entry.state !== "starting" || signal?.aborted) return { reason: describeDown(entry, this.deps.clock), state: entry.state };
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          entry.waiters.delete(wake);
          signal?.removeEventListener("abort", wake);
          resolve();
        };
        entry.waiters.add(wake);
        signal?.addEventListener("abort", wake, { once: true });
      });
    }
  }

  #add(def: ServiceDef, restarts = 0): void {
    const entry: Entry = {
      def,
      state: def.url !== null ? "running" : "starting",
      url: def.url,
      restarts,
      failures: 0,
      lastError: null,
      runningSince: def.url !== null ? this.deps.clock.now() : null,
      startedAt: def.url !== null ? this.deps.clock.now() : null,
      child: null,
      exited: Promise.resolve(),
      cancelRestart: null,
      stopProbe: null,
      tokenFile: null,
      tokens: [],
      stdout: new Tail(MAX_TAIL_BYTES),
      stderr: new Tail(MAX_TAIL_BYTES),
      generation: 0,
      waiters: new Set(),
    };
    this.#entries.set(def.id, entry);
    if (def.file !== null) void this.#launch(entry, entry.generation);
  }

  #setState(entry: Entry, state: ServiceRunState): void {
    entry.state = state;
    for (const wake of [...entry.waiters]) wake();
  }

  /** Starts the entry's process and follows it: running once it listens, a restart once it exits. */
  async #launch(entry: Entry, generation: number): Promise<void> {
    const def = entry.def;
    const current = (): boolean => !this.#closing && entry.generation === generation && this.#entries.get(def.id) === entry;
    this.#setState(entry, "starting");
    // The logs of this process only: lastError quotes what the latest one said.
    entry.stdout = new Tail(MAX_TAIL_BYTES);
    entry.stderr = new Tail(MAX_TAIL_BYTES);
    let port: number;
    let token: string;
    try {
      port = await freePort();
      ({ token } = await this.deps.tokens.mint({ subject: `service:${def.id}`, scopes: ["*"] }));
      if (!current()) return;
      entry.tokens = [...entry.tokens.slice(-3), token];
      entry.tokenFile ??= path.join(this.#tokens(), `${def.id}.token`);
      writePrivateFile(entry.tokenFile, `${token}\n`);
    } catch (error) {
      if (!current()) return;
      this.#failed(entry, generation, `it could not be started: ${(error as Error).message}`);
      return;
    }
    let child: ChildProcess;
    try {
      const file = def.file!;
      const env = this.#env(entry, port, token);
      child = spawn(process.execPath, [...loaderArgs(file, def.cwd), file], {
        cwd: def.cwd,
        env,
        stdio: ["ignore", "pipe", "pipe"],
        // Its own process group: a stop reaches whatever the service started too.
        detached: true,
      });
    } catch (error) {
      this.#failed(entry, generation, `its process could not start: ${(error as Error).message}`);
      return;
    }
    entry.child = child;
    entry.startedAt = this.deps.clock.now();
    entry.url = `http://127.0.0.1:${port}`;
    child.stdout?.on("data", (chunk: Buffer) => entry.stdout.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => entry.stderr.push(chunk));
    let gone = false;
    entry.exited = new Promise<void>((resolve) => {
      const ended = (code: number | null, signal: NodeJS.Signals | null, error?: Error): void => {
        if (gone) return;
        gone = true;
        // Whatever it left in its process group goes with it.
        killGroup(child, "SIGKILL");
        child.stdout?.destroy();
        child.stderr?.destroy();
        entry.stopProbe?.();
        entry.stopProbe = null;
        if (entry.child === child) entry.child = null;
        resolve();
        if (!current()) return;
        const how = error ? `its process could not start (${error.message})` : signal ? `it was killed by ${signal}` : `it exited with code ${code ?? "?"}`;
        const wasRunning = entry.state === "running";
        const ranFor = entry.runningSince === null ? 0 : this.deps.clock.now() - entry.runningSince;
        if (wasRunning && ranFor >= STABLE_AFTER_MS) entry.failures = 0;
        this.#failed(entry, generation, `${how}${wasRunning ? "" : " before it listened on its PORT"}${this.#quoted(entry)}`);
      };
      child.once("exit", (code, signal) => ended(code, signal));
      child.once("error", (error) => {
        if (child.pid === undefined) ended(null, null, error);
      });
    });

    // Ready once the port accepts a connection; a start that takes too long is killed and retried.
    const deadline = Date.now() + def.startTimeoutSeconds * 1000;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    entry.stopProbe = () => {
      stopped = true;
      clearTimeout(timer);
    };
    const probe = (): void => {
      if (stopped || gone || !current()) return;
      connects(port).then((ok) => {
        if (stopped || gone || !current()) return;
        if (ok) {
          entry.stopProbe = null;
          entry.runningSince = this.deps.clock.now();
          entry.lastError = null;
          this.#setState(entry, "running");
          return;
        }
        if (Date.now() >= deadline) {
          entry.stopProbe = null;
          const why = `it did not accept connections on its PORT (${port}) within ${def.startTimeoutSeconds} s and was stopped${this.#quoted(entry)}`;
          // Decided here; the exit that follows must not decide again.
          entry.generation += 1;
          const next = entry.generation;
          this.#terminate(child);
          void entry.exited.then(() => {
            if (this.#closing || this.#entries.get(def.id) !== entry || entry.generation !== next) return;
            this.#failed(entry, next, why);
          });
          return;
        }
        timer = setTimeout(probe, PROBE_INTERVAL_MS);
      }, this.deps.report);
    };
    probe();
  }

  /** The service stopped running for `why`: it is degraded, and started again after the backoff. */
  #failed(entry: Entry, generation: number, why: string): void {
    entry.failures += 1;
    entry.runningSince = null;
    const delay = restartDelayMs(entry.failures);
    entry.lastError = `${why}; restarting in ${delay / 1000} s`;
    entry.restartAt = this.deps.clock.now() + delay;
    this.#setState(entry, "degraded");
    entry.cancelRestart = this.deps.clock.setTimer(delay, () => {
      entry.cancelRestart = null;
      if (this.#closing || entry.generation !== generation || this.#entries.get(entry.def.id) !== entry) return;
      entry.restarts += 1;
      void this.#launch(entry, generation);
    });
  }

  /** Stops the entry: no restart, its process told to end (SIGTERM), then killed after the grace period. */
  async #stop(entry: Entry, why: string): Promise<void> {
    entry.generation += 1;
    entry.cancelRestart?.();
    entry.cancelRestart = null;
    entry.stopProbe?.();
    entry.stopProbe = null;
    if (entry.def.file !== null) entry.lastError = `stopped: ${why}`;
    this.#setState(entry, "stopped");
    const child = entry.child;
    if (child) this.#terminate(child);
    await entry.exited;
    if (entry.tokenFile) rmSync(entry.tokenFile, { force: true });
  }

  /** SIGTERM to the process group, SIGKILL after the grace period unless it is gone by then. */
  #terminate(child: ChildProcess): void {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killGroup(child, "SIGTERM");
    const kill = setTimeout(() => killGroup(child, "SIGKILL"), this.#graceMs);
    kill.unref();
    child.once("exit", () => clearTimeout(kill));
  }

  #env(entry: Entry, port: number, token: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    // The platform's own process may run with a FlowSDK environment of its own: none of it leaks in.
    for (const name of Object.values(CONFIG_ENV)) delete env[name];
    const url = this.#baseUrl ?? "";
    Object.assign(env, fromSource() ? { TSX_TSCONFIG_PATH: path.join(ownDir(), "..", "..", "tsconfig.json") } : {}, entry.def.env, {
      PLATFORM_API_URL: url,
      GATEWAY_URL: url,
      ORG_ID: DEFAULT_ORG_ID,
      WORKSPACE_ID: DEFAULT_WORKSPACE_ID,
      AUTH_TOKEN: token,
      AUTH_TOKEN_FILE: entry.tokenFile ?? "",
      SERVICE_ID: entry.def.id,
      PORT: String(port),
    });
    return env;
  }

  /** The end of what the service wrote to stderr, its tokens masked, for `lastError`. */
  #quoted(entry: Entry): string {
    let text = entry.stderr.text().trimEnd();
    for (const token of entry.tokens) text = text.split(token).join("***");
    if (text === "") return "";
    if (Buffer.byteLength(text) > QUOTED_STDERR_BYTES) text = `…${Buffer.from(text).subarray(-QUOTED_STDERR_BYTES).toString("utf8")}`;
    return `; its stderr ends: ${text}`;
  }

  #tokens(): string {
    return (this.#tokenDir ??= mkdtempSync(path.join(os.tmpdir(), "flow-local-services-")));
  }

  #rotateTokens(): void {
    for (const entry of this.#entries.values()) {
      const file = entry.tokenFile;
      if (entry.child === null || file === null) continue;
      const generation = entry.generation;
      this.deps.tokens
        .mint({ subject: `service:${entry.def.id}`, scopes: ["*"] })
        .then(({ token }) => {
          if (this.#closing || entry.generation !== generation || entry.child === null) return;
          entry.tokens = [...entry.tokens.slice(-3), token];
          writePrivateFile(file, `${token}\n`);
        })
        .catch(() => {
          // The temp dir went away or the disk is full; the next round tries again.
        });
    }
  }
}

/** Why a service is not running now, for a 502. */
function describeDown(entry: Entry, clock: Clock): string {
  if (entry.state === "stopped") return entry.lastError ?? "it is stopped";
  const last = entry.lastError?.replace(/; restarting in [\d.]+ s$/, "") ?? "it is not running";
  if (entry.state === "degraded" && entry.restartAt !== undefined) {
    return `${last}; it restarts in ${Math.max(0, Math.ceil((entry.restartAt - clock.now()) / 1000))} s`;
  }
  return last;
}

/** True when two definitions of a service run the same thing in the same way. */
function sameDef(a: ServiceDef, b: ServiceDef): boolean {
  return a.url === b.url && a.file === b.file && a.cwd === b.cwd && a.startTimeoutSeconds === b.startTimeoutSeconds && JSON.stringify(a.env) === JSON.stringify(b.env);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** A free TCP port on 127.0.0.1 (the service binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Whether something accepts a TCP connection on 127.0.0.1:`port`. */
function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** True when the platform runs from its TypeScript sources (the repository's own tests): services then load the SDK's .ts through tsx. */
function fromSource(): boolean {
  return (source ??= ownDir().endsWith(path.join("local", "services")) && loaderArgs("probe.mjs", ownDir()).length > 0);
}
let source: boolean | undefined;

/** This module's directory: `__dirname` when compiled (CommonJS) and under vitest, else read from a stack frame (ESM through tsx). */
function ownDir(): string {
  if (typeof __dirname === "string") return __dirname;
  const frame = /\((\S+?):\d+:\d+\)/.exec((new Error().stack ?? "").split("\n")[1] ?? "");
  if (!frame?.[1]) throw new Error("flow-local: cannot tell where the service supervisor is installed");
  return path.dirname(frame[1].startsWith("file:") ? fileURLToPath(frame[1]) : frame[1]);
}

/** Keeps the last `max` bytes written. */
class Tail {
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size - (this.#chunks[0]?.length ?? 0) >= this.max && this.#chunks.length > 1) this.#size -= this.#chunks.shift()!.length;
  }

  text(): string {
    const all = Buffer.concat(this.#chunks);
    return all.subarray(Math.max(0, all.length - this.max)).toString("utf8");
  }
}
