import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalPlatform, type LocalPlatform, type ManifestObject } from "../../local/index.js";
import { FlowSDK, type Execution, type Job, type WorkflowRun } from "../../src/index.js";

// kill -9 recovery: a platform in a child process (test/fixtures/recovery/platform.ts) is killed
// with SIGKILL mid-work and started again on the same data dir. The blocks (fixtures/recovery/
// work.mjs) record every run in a log file of the test's own, which outlives the platform.
// Each describe plays one scenario in beforeAll and records what it saw; each test asserts one
// behaviour of it.

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const LAUNCHER = path.join(ROOT, "test/fixtures/recovery/platform.ts");
const WORK = path.join(ROOT, "test/fixtures/recovery/work.mjs");
const SCENARIO_MS = 60_000;

/** A platform process and where it listens. */
interface Platform {
  child: ChildProcess;
  url: string;
  token: string;
  exited: Promise<void>;
}

/** One line of a scenario's log: a block run starting or ending. */
interface LogEntry {
  event: "start" | "end";
  label: string;
  pid: number;
  at: number;
}

const children = new Set<ChildProcess>();
const dirs: string[] = [];
const flows: FlowSDK[] = [];
const platforms: LocalPlatform[] = [];

afterAll(async () => {
  // Whatever a failed scenario left behind: platforms, then blocks (checked to still be ours).
  for (const child of children) killGroup(child.pid);
  for (const dir of dirs) {
    for (const entry of logOf(dir)) if (alive(entry.pid) && isBlock(entry.pid)) killGroup(entry.pid);
    rmSync(dir, { recursive: true, force: true });
  }
  await Promise.allSettled(flows.map((flow) => flow.close()));
  await Promise.allSettled(platforms.map((platform) => platform.close()));
});

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // gone already
  }
}

/** True while `pid` runs (a zombie, killed but not yet reaped, counts as gone). */
function alive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    if (process.platform === "linux") return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

/** True when `pid` is a block process of a flow-local platform (not another process that got its pid). */
function isBlock(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--flow-local-execution=");
  } catch {
    return process.platform !== "linux";
  }
}

/** Polls `check` until it answers a value other than undefined; fails after `ms`. */
async function until<T>(what: string, check: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A scenario's temporary directory: its manifest, the platform's data dir and the blocks' log. */
function scenarioDir(manifest: (dir: string) => ManifestObject): { dir: string; dataDir: string; manifestFile: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "flow-recovery-"));
  dirs.push(dir);
  const manifestFile = path.join(dir, "flow-local.json");
  writeFileSync(manifestFile, JSON.stringify(manifest(dir), null, 2));
  return { dir, dataDir: path.join(dir, "data"), manifestFile };
}

function logOf(dir: string): LogEntry[] {
  const file = path.join(dir, "log");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogEntry);
}

function startsOf(log: LogEntry[], label: string): LogEntry[] {
  return log.filter((entry) => entry.event === "start" && entry.label === label);
}

function endsOf(log: LogEntry[], label: string): LogEntry[] {
  return log.filter((entry) => entry.event === "end" && entry.label === label);
}

/** Starts the launcher on `dataDir` in its own process group and resolves once it listens. */
async function startPlatform(dataDir: string, manifestFile: string): Promise<Platform> {
  const env: NodeJS.ProcessEnv = { ...process.env, TSX_TSCONFIG_PATH: path.join(ROOT, "tsconfig.json") };
  for (const name of ["PLATFORM_API_URL", "GATEWAY_URL", "ORG_ID", "WORKSPACE_ID", "AUTH_TOKEN", "AUTH_TOKEN_FILE"]) delete env[name];
  const child = spawn(process.execPath, ["--import", "tsx", LAUNCHER, dataDir, manifestFile], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  children.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      children.delete(child);
      resolve();
    }),
  );
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the platform printed nothing within 30 s; stderr: ${stderr}`)), 30_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const end = stdout.indexOf("\n");
      if (end < 0) return;
      clearTimeout(timer);
      resolve(stdout.slice(0, end));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the platform exited (${String(code ?? signal)}) before it listened; stderr: ${stderr}`));
    });
  });
  const { url, token } = JSON.parse(line) as { url: string; token: string };
  return { child, url, token, exited };
}

/** SIGKILL to the platform's process group (the blocks have groups of their own); resolves once it is dead. */
async function kill9(platform: Platform): Promise<void> {
  killGroup(platform.child.pid);
  await platform.exited;
}

function flowOn(url: string, token: string): FlowSDK {
  const flow = FlowSDK.create({ env: { PLATFORM_API_URL: url, ORG_ID: "org_local", WORKSPACE_ID: "ws_local", AUTH_TOKEN: token } });
  flows.push(flow);
  return flow;
}

describe("recovery after kill -9: jobs", () => {
  // Two jobs run (concurrency 2): j1 holds asynchronously, j2 blocks its event loop; j3 and j4 are
  // queued behind them, and j5 is submitted just before the kill. Every job holds until the test
  // releases them, once two have started after the restart.
  const seen = {
    dir: "",
    ids: [] as string[],
    before: [] as Job[],
    orphanPids: { async: 0, sync: 0 },
    killedAt: 0,
    restartAt: 0,
    downAnswered: true,
    asyncOrphanGoneBeforeRestart: false,
    syncOrphanAliveAtRestart: false,
    syncOrphanGoneAfterRestart: false,
    final: [] as Job[],
    listed: [] as string[],
    interrupted: [] as Execution[],
    log: [] as LogEntry[],
  };

  beforeAll(async () => {
    const { dir, dataDir, manifestFile } = scenarioDir((d) => ({
      codeBlocks: { work: { file: WORK, env: { RECOVERY_DIR: d } } },
      jobs: { work: { codeBlock: "work", concurrency: 2, backoffSeconds: 0 } },
    }));
    seen.dir = dir;
    const first = await startPlatform(dataDir, manifestFile);
    const before = flowOn(first.url, first.token);
    const submit = async (payload: object): Promise<string> => (await before.jobs.submit({ type: "work", payload })).id;
    const j1 = await submit({ hold: "async" });
    const j2 = await submit({ hold: "sync" });
    const j3 = await submit({ hold: "async" });
    const j4 = await submit({ hold: "async" });
    const [start1, start2] = await until("j1 and j2 to start", () => {
      const log = logOf(dir);
      const [a, b] = [startsOf(log, j1)[0], startsOf(log, j2)[0]];
      return a && b ? [a, b] : undefined;
    });
    seen.orphanPids = { async: start1.pid, sync: start2.pid };
    seen.before = await Promise.all([j1, j2, j3, j4].map((id) => before.jobs.get(id)));
    // Killed as soon as the submit's answer arrives.
    const j5 = await before.jobs.submit({ type: "work", payload: { hold: "async" } }).then((job) => {
      seen.killedAt = Date.now();
      killGroup(first.child.pid);
      return job.id;
    });
    await kill9(first);
    seen.ids = [j1, j2, j3, j4, j5];
    seen.downAnswered = await fetch(`${first.url}/v1/health`).then(
      () => true,
      () => false,
    );
    // j1's block notices that its IPC channel closed and exits by itself; j2's cannot (its event loop is blocked).
    seen.asyncOrphanGoneBeforeRestart = await until("j1's orphaned block to exit", () => (alive(start1.pid) ? undefined : true), 10_000).catch(() => false);
    seen.syncOrphanAliveAtRestart = alive(start2.pid);
    seen.restartAt = Date.now();
    const second = await startPlatform(dataDir, manifestFile);
    seen.syncOrphanGoneAfterRestart = await until("j2's orphaned block to be killed", () => (alive(start2.pid) ? undefined : true), 5_000).catch(() => false);
    await until("two jobs to start after the restart", () => (logOf(dir).filter((entry) => entry.event === "start" && entry.at > seen.restartAt).length >= 2 ? true : undefined));
    writeFileSync(path.join(dir, "release"), "");
    // A token minted before the kill is still good: the signing secret is in the data dir.
    const after = flowOn(second.url, first.token);
    seen.final = await Promise.all(seen.ids.map((id) => after.jobs.wait(id, { timeoutMs: 30_000 })));
    for await (const job of after.jobs.list({ type: "work", limit: 2 })) seen.listed.push(job.id);
    seen.interrupted = await Promise.all(seen.before.slice(0, 2).map((job) => after.codeBlocks.getExecution(job.executionId ?? "")));
    seen.log = logOf(dir);
    await kill9(second);
  }, SCENARIO_MS);

  it("before the kill, two jobs run and the others wait for a slot", () => {
    expect(seen.before.map((job) => job.status)).toEqual(["running", "running", "queued", "queued"]);
  });

  it("the killed platform answers nothing while it is down", () => {
    expect(seen.downAnswered).toBe(false);
  });

  it("every job submitted before the kill succeeds after the restart", () => {
    expect(seen.final.map((job) => [job.id, job.status])).toEqual(seen.ids.map((id) => [id, "succeeded"]));
    expect(seen.final.map((job) => (job.result as { label: string }).label)).toEqual(seen.ids);
  });

  it("no job is lost: the restarted platform lists each one once", () => {
    expect([...seen.listed].sort()).toEqual([...seen.ids].sort());
  });

  it("a job that ran when the platform was killed runs again, and the interrupted attempt is not counted", () => {
    for (const [index, pid] of [
      [0, seen.orphanPids.async],
      [1, seen.orphanPids.sync],
    ] as const) {
      const id = seen.ids[index]!;
      const starts = startsOf(seen.log, id);
      expect(starts.map((entry) => entry.at < seen.killedAt)).toEqual([true, false]);
      expect(starts[1]!.at).toBeGreaterThan(seen.restartAt);
      expect(endsOf(seen.log, id)).toHaveLength(1);
      expect(seen.final[index]).toMatchObject({ attempts: 1, result: { run: 2 } });
      expect((seen.final[index]!.result as { pid: number }).pid).not.toBe(pid);
    }
  });

  it("a job that waited in the queue during the kill runs once", () => {
    for (const id of seen.ids.slice(2)) {
      expect(startsOf(seen.log, id)).toHaveLength(1);
      expect(seen.final.find((job) => job.id === id)).toMatchObject({ attempts: 1, result: { run: 1 } });
    }
  });

  it("a job whose submit was answered just before the kill is not lost, and runs once", () => {
    const id = seen.ids[4]!;
    expect(seen.listed).toContain(id);
    expect(seen.final[4]).toMatchObject({ id, status: "succeeded", attempts: 1 });
    expect(startsOf(seen.log, id)).toHaveLength(1);
  });

  it("the interrupted attempts' executions are failed platform_restarted, and the jobs' executions are new", () => {
    for (const execution of seen.interrupted) {
      expect(execution).toMatchObject({ status: "failed", error: { code: "platform_restarted" } });
    }
    expect(seen.final[0]!.executionId).not.toBe(seen.before[0]!.executionId);
    expect(seen.final[1]!.executionId).not.toBe(seen.before[1]!.executionId);
  });

  it("no job starts while the platform is down", () => {
    expect(seen.log.filter((entry) => entry.at >= seen.killedAt && entry.at <= seen.restartAt)).toEqual([]);
  });

  it("after the restart, jobs of the type still run at most concurrency (2) at once", () => {
    let running = 0;
    let most = 0;
    const events = seen.log.filter((entry) => entry.at > seen.restartAt).sort((a, b) => a.at - b.at || (a.event === "end" ? -1 : 1));
    for (const entry of events) {
      running += entry.event === "start" ? 1 : -1;
      most = Math.max(most, running);
    }
    expect(most).toBe(2);
  });

  it("a block orphaned by the kill exits by itself once its IPC channel to the dead platform closes", () => {
    expect(seen.asyncOrphanGoneBeforeRestart).toBe(true);
  });

  it("the restarted platform kills a block the killed one left running", () => {
    // Stuck in a synchronous wait, it could not notice that its platform died ...
    expect(seen.syncOrphanAliveAtRestart).toBe(true);
    // ... so the new platform ended it, well before the 30 s it would have held.
    expect(seen.syncOrphanGoneAfterRestart).toBe(true);
    expect(endsOf(seen.log, seen.ids[1]!).map((entry) => entry.pid)).not.toContain(seen.orphanPids.sync);
  });
});

describe("recovery after kill -9: workflow runs", () => {
  // A 3-step run: "one" finished and "two" (holding) runs when the platform is killed.
  const seen = {
    before: undefined as WorkflowRun | undefined,
    orphanPid: 0,
    killedAt: 0,
    restartAt: 0,
    final: undefined as WorkflowRun | undefined,
    interrupted: undefined as Execution | undefined,
    log: [] as LogEntry[],
  };
  const input = { order: 42 };

  beforeAll(async () => {
    const { dir, dataDir, manifestFile } = scenarioDir((d) => ({
      codeBlocks: {
        one: { file: WORK, env: { RECOVERY_DIR: d, STEP: "one" } },
        two: { file: WORK, env: { RECOVERY_DIR: d, STEP: "two", HOLD: "async" } },
        three: { file: WORK, env: { RECOVERY_DIR: d, STEP: "three" } },
      },
      workflows: {
        chain: {
          steps: [
            { id: "one", codeBlock: "one" },
            { id: "two", codeBlock: "two" },
            { id: "three", codeBlock: "three" },
          ],
        },
      },
    }));
    const first = await startPlatform(dataDir, manifestFile);
    const before = flowOn(first.url, first.token);
    const run = await before.workflows.start("chain", input);
    seen.orphanPid = (await until("step two to start", () => startsOf(logOf(dir), "two")[0])).pid;
    seen.before = await before.workflows.getRun(run.id);
    seen.killedAt = Date.now();
    await kill9(first);
    seen.restartAt = Date.now();
    const second = await startPlatform(dataDir, manifestFile);
    await until("step two to start again", () => startsOf(logOf(dir), "two")[1]);
    writeFileSync(path.join(dir, "release"), "");
    const after = flowOn(second.url, first.token);
    seen.final = await after.workflows.waitForRun(run.id, { timeoutMs: 30_000 });
    seen.interrupted = await after.codeBlocks.getExecution(seen.before.steps[1]?.executionId ?? "");
    seen.log = logOf(dir);
    await kill9(second);
  }, SCENARIO_MS);

  it("before the kill, step one has finished and step two runs", () => {
    expect(seen.before?.status).toBe("running");
    expect(seen.before?.steps.map((step) => step.status)).toEqual(["succeeded", "running", "pending"]);
  });

  it("the run goes on after the restart and succeeds, its output the last step's", () => {
    expect(seen.final).toMatchObject({ status: "succeeded", error: null, input });
    expect(seen.final?.steps.map((step) => step.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(seen.final?.output).toEqual(seen.final?.steps[2]?.output);
    expect(seen.final?.output).toMatchObject({ label: "three" });
  });

  it("a step that finished before the kill does not run again", () => {
    expect(startsOf(seen.log, "one")).toHaveLength(1);
    const [stepBefore, stepAfter] = [seen.before?.steps[0], seen.final?.steps[0]];
    expect(stepAfter).toEqual(stepBefore);
    expect(stepAfter).toMatchObject({ attempts: 1, output: { label: "one", run: 1, received: { input, steps: {} } } });
  });

  it("the step the kill interrupted runs again, and that attempt is not counted", () => {
    const starts = startsOf(seen.log, "two");
    expect(starts.map((entry) => entry.at < seen.killedAt)).toEqual([true, false]);
    expect(starts[1]!.at).toBeGreaterThan(seen.restartAt);
    expect(endsOf(seen.log, "two")).toHaveLength(1);
    const step = seen.final?.steps[1];
    expect(step).toMatchObject({ status: "succeeded", attempts: 1, output: { label: "two", run: 2 } });
    expect((step?.output as { pid: number }).pid).not.toBe(seen.orphanPid);
    expect(step?.executionId).not.toBe(seen.before?.steps[1]?.executionId);
    expect(seen.interrupted).toMatchObject({ status: "failed", error: { code: "platform_restarted" } });
  });

  it("the step after it runs once, with the outputs of the steps before it", () => {
    expect(startsOf(seen.log, "three")).toHaveLength(1);
    const [one, two, three] = seen.final?.steps ?? [];
    expect(three).toMatchObject({ attempts: 1, output: { label: "three", run: 1, received: { input, steps: { one: one?.output, two: two?.output } } } });
  });

  it("no step starts while the platform is down", () => {
    expect(seen.log.filter((entry) => entry.at >= seen.killedAt && entry.at <= seen.restartAt)).toEqual([]);
  });
});

describe("one platform per data dir", () => {
  /** A platform started in this process on `dataDir`, closed after the file's tests. */
  async function startHere(dataDir: string): Promise<LocalPlatform> {
    const platform = await startLocalPlatform({ dataDir });
    platforms.push(platform);
    return platform;
  }

  it("a second platform on a data dir another platform of this process uses is refused, and one starts once that one has closed", async () => {
    const { dataDir } = scenarioDir(() => ({}));
    const first = await startHere(dataDir);
    await expect(startLocalPlatform({ dataDir })).rejects.toThrow(/another platform already uses the data dir/);
    // The first one is unharmed by the attempt.
    expect((await fetch(`${first.url}/v1/health`)).ok).toBe(true);
    await first.close();
    const second = await startHere(dataDir);
    expect((await fetch(`${second.url}/v1/health`)).ok).toBe(true);
  });

  it("a platform on a data dir that a platform in another process uses is refused, and starts once that process is killed with SIGKILL", async () => {
    const { dataDir, manifestFile } = scenarioDir(() => ({}));
    const other = await startPlatform(dataDir, manifestFile);
    await expect(startLocalPlatform({ dataDir })).rejects.toThrow(/another platform already uses the data dir/);
    await kill9(other); // it never released the lock itself: the operating system does
    const here = await startHere(dataDir);
    expect((await fetch(`${here.url}/v1/health`)).ok).toBe(true);
  });
});
