// What running a code block costs, measured in one run on this machine against the built package
// (dist/, as a user runs it), with a bare `node -e 0` spawn as the baseline:
//   - invoke round trip (codeBlocks.invoke with wait) of an empty block, p50 / p99, for a .mjs
//     block, a .ts block (through tsx) and a .mjs block that touches ctx.flow (loads the SDK);
//   - the parts of a block process: node itself, the runner, tsx, the SDK, each spawned alone;
//   - jobs per second through the queue with an empty block.
// Run: npm run bench:compute   (figures only; nothing here asserts a number)
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { FlowSDK } from "../src/index.js";

const INVOKES = Number(process.env["BENCH_INVOKES"] ?? 40);
const JOBS = Number(process.env["BENCH_JOBS"] ?? 200);
const JOB_CONCURRENCY = Number(process.env["BENCH_JOB_CONCURRENCY"] ?? 4);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIST = path.join(ROOT, "dist/cjs");

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function row(name: string, samples: number[], baseline: number): string {
  const p50 = percentile(samples, 50);
  return `${name.padEnd(44)} ${p50.toFixed(1).padStart(7)} ${percentile(samples, 99).toFixed(1).padStart(7)}   ${(p50 / baseline).toFixed(1)}x`;
}

function timeSpawn(args: string[], runs: number): number[] {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { stdio: "ignore" });
    if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited ${result.status}`);
    samples.push(performance.now() - started);
  }
  return samples;
}

const dir = mkdtempSync(path.join(os.tmpdir(), "flow-bench-compute-"));
writeFileSync(path.join(dir, "empty.mjs"), "export default async () => null;\n");
writeFileSync(path.join(dir, "empty.ts"), "export default async (): Promise<null> => null;\n");
writeFileSync(path.join(dir, "with-sdk.mjs"), "export default async (input, ctx) => { ctx.flow; return null; };\n");
writeFileSync(
  path.join(dir, "flow-local.json"),
  JSON.stringify({
    codeBlocks: { empty: "empty.mjs", "empty-ts": "empty.ts", "with-sdk": "with-sdk.mjs" },
    jobs: { empty: { codeBlock: "empty", concurrency: JOB_CONCURRENCY, maxAttempts: 1 } },
  }),
);

// The platform in its own process, from dist: the block processes it starts are what a user gets.
const server = spawn(process.execPath, [path.join(DIST, "local/cli.js"), "start", "--data", path.join(dir, "data"), "--manifest", path.join(dir, "flow-local.json")], {
  stdio: ["ignore", "pipe", "inherit"],
  cwd: dir,
});
const env: Record<string, string> = {};
for await (const line of createInterface({ input: server.stdout! })) {
  const match = /^export (\w+)=(?:'([^']*)'|(\S*))$/.exec(line);
  if (match?.[1]) env[match[1]] = match[2] ?? match[3] ?? "";
  if (env["WORKSPACE_ID"] && env["AUTH_TOKEN"] && env["PLATFORM_API_URL"] && env["ORG_ID"] && env["AUTH_TOKEN_FILE"] && env["GATEWAY_URL"]) break;
}
const flow = FlowSDK.create({ env, maxRetries: 0 });

try {
  console.log(`Node ${process.version}, ${os.cpus().length} cores; ${INVOKES} runs each; times in ms`);
  console.log(`${"".padEnd(44)} ${"p50".padStart(7)} ${"p99".padStart(7)}   vs bare spawn`);
  const bare = timeSpawn(["-e", "0"], INVOKES);
  const baseline = percentile(bare, 50);
  console.log(row("bare spawn: node -e 0", bare, baseline));
  console.log(row("spawn: node + the runner module", timeSpawn(["-e", `require(${JSON.stringify(path.join(DIST, "local/runner/json-output.js"))})`], INVOKES), baseline));
  const tsx = spawnSync(process.execPath, ["-p", "require.resolve('tsx')"], { cwd: ROOT, encoding: "utf8" }).stdout.trim();
  console.log(row("spawn: node --import tsx", timeSpawn(["--import", `file://${tsx}`, "-e", "0"], INVOKES), baseline));
  console.log(row("spawn: node + require the SDK + create()", timeSpawn(["-e", `require(${JSON.stringify(path.join(DIST, "src/index.js"))}).FlowSDK.create({ platformUrl: "http://127.0.0.1:9" })`], INVOKES), baseline));

  for (const [block, label] of [
    ["empty", "invoke round trip: empty .mjs block"],
    ["empty-ts", "invoke round trip: empty .ts block (tsx)"],
    ["with-sdk", "invoke round trip: .mjs block using ctx.flow"],
  ] as const) {
    await flow.codeBlocks.invoke(block, null); // warm: the platform's own code paths and caches (tsx's)
    const samples: number[] = [];
    for (let i = 0; i < INVOKES; i++) {
      const started = performance.now();
      const execution = await flow.codeBlocks.invoke(block, null);
      samples.push(performance.now() - started);
      if (execution.status !== "succeeded") throw new Error(`${block}: ${execution.status} ${JSON.stringify(execution.error)}`);
    }
    console.log(row(label, samples, baseline));
  }

  const started = performance.now();
  const submitted = await Promise.all(Array.from({ length: JOBS }, () => flow.jobs.submit({ type: "empty" })));
  const finished = await Promise.all(submitted.map((job) => flow.jobs.wait(job.id, { timeoutMs: 600_000 })));
  const seconds = (performance.now() - started) / 1000;
  const failed = finished.filter((job) => job.status !== "succeeded").length;
  console.log(`\njobs through the queue: ${JOBS} empty .mjs jobs, concurrency ${JOB_CONCURRENCY}: ${(JOBS / seconds).toFixed(1)} jobs/s (${seconds.toFixed(1)} s${failed ? `, ${failed} failed` : ""})`);
} finally {
  await flow.close();
  server.kill("SIGTERM");
  await once(server, "exit");
  rmSync(dir, { recursive: true, force: true });
}
