// What the SDK costs per call over a raw client, measured in the same run against the same local
// platform (in a child process): `state.get` through FlowSDK vs the same GET through global fetch and a bare axios
// instance. Prints median requests/second of several rounds, sequential and 64 in flight.
// Run: npm run bench   (figures only; nothing here asserts a number)
import axios from "axios";
import http from "node:http";
import { FlowSDK } from "../src/index.js";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const REQUESTS = Number(process.env["BENCH_REQUESTS"] ?? 5000);
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 3);

type Call = () => Promise<unknown>;

async function run(call: Call, concurrency: number): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < REQUESTS) await call();
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return REQUESTS / seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

// The platform runs in a child process: the figures below are the client's, not a shared loop's.
const server = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("serve-platform.ts", import.meta.url))], { stdio: ["ignore", "pipe", "inherit"] });
const [line] = (await once(createInterface({ input: server.stdout! }), "line")) as [string];
const env = JSON.parse(line) as Record<string, string> & { PLATFORM_API_URL: string; AUTH_TOKEN: string };
const platform = { url: env.PLATFORM_API_URL, env };
const flow = FlowSDK.create({ env, maxRetries: 0 });
await flow.state.set("bench", { hello: "world" });
const url = `${platform.url}/v1/orgs/org_local/workspaces/ws_local/state/bench`;
const headers = { Authorization: `Bearer ${platform.env.AUTH_TOKEN}` };
const raw = axios.create({ httpAgent: new http.Agent({ keepAlive: true }) });

const clients: Record<string, Call> = {
  "global fetch": async () => (await fetch(url, { headers })).json(),
  "axios (keep-alive)": async () => (await raw.get(url, { headers })).data,
  "FlowSDK state.get": () => flow.state.get("bench"),
};

console.log(`${REQUESTS} requests x ${ROUNDS} rounds against ${platform.url}, Node ${process.version}`);
console.log("client                 sequential req/s   64 in flight req/s");
for (const [name, call] of Object.entries(clients)) {
  for (let i = 0; i < 200; i++) await call(); // warm up sockets and JIT
  const sequential: number[] = [];
  const parallel: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    sequential.push(await run(call, 1));
    parallel.push(await run(call, 64));
  }
  console.log(`${name.padEnd(22)} ${median(sequential).toFixed(0).padStart(16)} ${median(parallel).toFixed(0).padStart(20)}`);
}
console.log(`client process RSS after the run (tsx included): ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
await flow.close();
server.kill("SIGTERM");
