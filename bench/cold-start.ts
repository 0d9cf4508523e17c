// Cold start of a code block, paired with openai-node doing the same: a fresh `node` per run that
// imports the package and builds a client, then the same plus its first GET against a local
// platform (started once, in its own process). Every case runs once per round, in an order that
// rotates each round, so drift (CPU frequency, the file cache, other load) falls on every case
// alike. Prints the median wall time of the whole process, and flow-sdk's median over openai-node's.
// Uses the built package as a consumer would, resolved as "@flow-sdk/sdk" through the package's
// self-reference (its name and exports in package.json), so run it after a build.
// Run: npm run bench:cold   (BENCH_RUNS=15 rounds; BENCH_CWD=<a project that has both packages
// installed> to measure an install instead of this checkout. Figures only; nothing here asserts a number.)
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const RUNS = Number(process.env["BENCH_RUNS"] ?? 15);
const cwd = process.env["BENCH_CWD"] ?? fileURLToPath(new URL("..", import.meta.url));

// One platform for every run; the children get its environment, and openai-node the same URL and token.
const server = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("serve-platform.ts", import.meta.url))], { stdio: ["ignore", "pipe", "inherit"] });
// Stopped however the bench ends (a failed case throws), so no platform is left running.
process.on("exit", () => server.kill("SIGTERM"));
const [line] = (await once(createInterface({ input: server.stdout! }), "line")) as [string];
const platform = JSON.parse(line) as Record<string, string> & { PLATFORM_API_URL: string; AUTH_TOKEN: string; ORG_ID: string; WORKSPACE_ID: string };
const env = { ...process.env, ...platform, OPENAI_API_KEY: platform.AUTH_TOKEN, OPENAI_BASE_URL: platform.PLATFORM_API_URL };
const statePath = `/v1/orgs/${platform.ORG_ID}/workspaces/${platform.WORKSPACE_ID}/state/bench`;

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd, env, encoding: "utf8", timeout: 60_000 });
}

const esm = (code: string): string[] => ["--input-type=module", "-e", code];
const cjs = (code: string): string[] => ["--input-type=commonjs", "-e", code];

// The key both first calls read, written once by the SDK under test.
node(esm(`const { FlowSDK } = await import("@flow-sdk/sdk"); const flow = FlowSDK.create(); await flow.state.set("bench", { hello: "world" }); await flow.close();`));

// Which files the children load: the build, through the self-reference, and this checkout's openai.
console.log(`@flow-sdk/sdk  import  -> ${node(esm(`console.log(import.meta.resolve("@flow-sdk/sdk"))`)).trim()}`);
console.log(`@flow-sdk/sdk  require -> ${node(cjs(`console.log(require.resolve("@flow-sdk/sdk"))`)).trim()}`);
console.log(`openai         import  -> ${node(esm(`console.log(import.meta.resolve("openai"))`)).trim()}`);
console.log(`openai         require -> ${node(cjs(`console.log(require.resolve("openai"))`)).trim()}`);
console.log(`openai version ${node(cjs(`console.log(require("openai/version").VERSION)`)).trim()}`);

const get = JSON.stringify(statePath);
// Both first calls must read the value (openai-node gets the whole wire body, the SDK its value): a
// run that failed fast would look like a fast cold start.
const checkValue = `if (value?.hello !== "world") throw new Error("unexpected value " + JSON.stringify(value));`;
const cases: Record<string, string[]> = {
  "bare node (ESM)": esm(""),
  "bare node (CJS)": cjs(""),
  "flow: import + create()": esm(`const { FlowSDK } = await import("@flow-sdk/sdk"); FlowSDK.create();`),
  "openai: import + new OpenAI()": esm(`const { OpenAI } = await import("openai"); new OpenAI();`),
  "flow: import + create() + state.get": esm(`const { FlowSDK } = await import("@flow-sdk/sdk"); const value = await FlowSDK.create().state.get("bench"); ${checkValue}`),
  "openai: import + new + get": esm(`const { OpenAI } = await import("openai"); const { value } = await new OpenAI().get(${get}); ${checkValue}`),
  "flow: require + create()": cjs(`const { FlowSDK } = require("@flow-sdk/sdk"); FlowSDK.create();`),
  "openai: require + new OpenAI()": cjs(`const { OpenAI } = require("openai"); new OpenAI();`),
  "flow: require + create() + state.get": cjs(`const { FlowSDK } = require("@flow-sdk/sdk"); FlowSDK.create().state.get("bench").then((value) => { ${checkValue} });`),
  "openai: require + new + get": cjs(`const { OpenAI } = require("openai"); new OpenAI().get(${get}).then(({ value }) => { ${checkValue} });`),
};
// flow-sdk's case first, openai-node's second.
const pairs: [string, string][] = [
  ["flow: import + create()", "openai: import + new OpenAI()"],
  ["flow: import + create() + state.get", "openai: import + new + get"],
  ["flow: require + create()", "openai: require + new OpenAI()"],
  ["flow: require + create() + state.get", "openai: require + new + get"],
];

function time(args: string[]): number {
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, args, { cwd, env, stdio: ["ignore", "ignore", "inherit"], timeout: 60_000 });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const names = Object.keys(cases);
const times: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
for (const name of names) time(cases[name]!); // warm the file cache, and fail early on a broken case
for (let round = 0; round < RUNS; round++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + round) % names.length]!;
    times[name]!.push(time(cases[name]!));
  }
}

const ms = (name: string): number => median(times[name]!);
const bareEsm = ms("bare node (ESM)");
const bareCjs = ms("bare node (CJS)");
console.log(`\nmedian wall time of ${RUNS} whole processes per case, interleaved; Node ${process.version}, ${platform.PLATFORM_API_URL}`);
console.log(`${"bare node (ESM)".padEnd(40)} ${bareEsm.toFixed(0).padStart(5)} ms   (floor)`);
console.log(`${"bare node (CJS)".padEnd(40)} ${bareCjs.toFixed(0).padStart(5)} ms   (floor)`);
for (const [flow, openai] of pairs) {
  const floor = flow.includes("require") ? bareCjs : bareEsm;
  const [a, b] = [ms(flow), ms(openai)];
  console.log(`${flow.padEnd(40)} ${a.toFixed(0).padStart(5)} ms   (+${(a - floor).toFixed(0)} over bare node)`);
  console.log(`${openai.padEnd(40)} ${b.toFixed(0).padStart(5)} ms   (+${(b - floor).toFixed(0)} over bare node)`);
  console.log(`${"  ratio flow / openai".padEnd(40)} ${(a / b).toFixed(2).padStart(5)}x   (over the floor: ${((a - floor) / (b - floor)).toFixed(2)}x)`);
}
