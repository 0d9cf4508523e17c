// Cold start of a code block: time for a fresh `node` to import flow-sdk and run FlowSDK.create(),
// against a bare `node` started the same way, in the same run. Uses the built package (npm run build).
// Run: npm run bench:cold
import { execFileSync } from "node:child_process";

const RUNS = Number(process.env["BENCH_RUNS"] ?? 15);
const env = { ...process.env, PLATFORM_API_URL: "http://127.0.0.1:9" };

function time(args: string[]): number {
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, args, { env, stdio: "ignore" });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const cases: Record<string, string[]> = {
  "bare node": ["--input-type=module", "-e", ""],
  "import axios": ["--input-type=module", "-e", "await import('axios')"],
  "import flow-sdk": ["--input-type=module", "-e", "await import('flow-sdk')"],
  "import + create()": ["--input-type=module", "-e", "const { FlowSDK } = await import('flow-sdk'); FlowSDK.create()"],
  "create() + state ns": ["--input-type=module", "-e", "const { FlowSDK } = await import('flow-sdk'); FlowSDK.create().state"],
  "require flow-sdk (CJS)": ["-e", "require('flow-sdk')"],
};

console.log(`median of ${RUNS} runs, Node ${process.version}`);
const results: Record<string, number> = {};
for (const [name, args] of Object.entries(cases)) {
  time(args); // warm the file cache
  results[name] = median(Array.from({ length: RUNS }, () => time(args)));
}
const bare = results["bare node"] ?? 0;
for (const [name, ms] of Object.entries(results)) {
  console.log(`${name.padEnd(24)} ${ms.toFixed(1).padStart(7)} ms   (+${(ms - bare).toFixed(1)} ms over bare node)`);
}
