// What the SDK costs per call over raw clients, measured in one run against the same local
// platform (in a child process): the same GET of a small JSON state value through undici.request
// (the limit, 1.00x), global fetch, a bare axios instance (Node build, keep-alive agent),
// openai-node's generic `client.get(path)`, and FlowSDK `state.get` (the full stack: validation,
// interceptors, auth and context headers, the undici adapter, JSON parsing). Prints the median
// requests/second of several rounds, sequential and 64 in flight, with the ratio to undici; then
// the heap after forced GCs across 100k SDK calls (flat means nothing is kept per call).
// Run: npm run bench   (figures only; nothing here asserts a number)
// The heap check needs --expose-gc: without it this file runs itself again with the flag.
import { spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import axios from "axios";
import OpenAI from "openai";
import { Agent, request } from "undici";
import { FlowSDK } from "../src/index.js";

if (typeof globalThis.gc !== "function") {
  // Same file, same arguments, with the flag the heap figures need.
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  const [code] = (await once(child, "exit")) as [number | null];
  process.exit(code ?? 1);
}
const gc = globalThis.gc as () => void;

const REQUESTS = Number(process.env["BENCH_REQUESTS"] ?? 3000);
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);
const HEAP_CALLS = Number(process.env["BENCH_HEAP_CALLS"] ?? 100_000);
const IN_FLIGHT = 64;

type Call = () => Promise<unknown>;

/** Requests per second, and the client process' own CPU time per request in microseconds. */
async function run(call: Call, concurrency: number, requests = REQUESTS): Promise<{ rate: number; cpu: number }> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < requests) await call();
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return { rate: requests / seconds, cpu: (used.user + used.system) / requests };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

// The platform runs in a child process: the figures below are the client's, not a shared loop's.
const server = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("serve-platform.ts", import.meta.url))], { stdio: ["ignore", "pipe", "inherit"] });
const [line] = (await once(createInterface({ input: server.stdout! }), "line")) as [string];
const env = JSON.parse(line) as Record<string, string> & { PLATFORM_API_URL: string; AUTH_TOKEN: string };
const flow = FlowSDK.create({ env, maxRetries: 0 });
await flow.state.set("bench", { hello: "world" });
const path = "/v1/orgs/org_local/workspaces/ws_local/state/bench";
const url = `${env.PLATFORM_API_URL}${path}`;
const headers = { Authorization: `Bearer ${env.AUTH_TOKEN}` };
const dispatcher = new Agent({ connections: 128 });
const raw = axios.create({ httpAgent: new http.Agent({ keepAlive: true }) });
const openai = new OpenAI({ apiKey: env.AUTH_TOKEN, baseURL: env.PLATFORM_API_URL, maxRetries: 0 });

const clients: Array<[string, Call]> = [
  ["undici.request", async () => (await request(url, { headers, dispatcher })).body.json()],
  ["global fetch", async () => (await fetch(url, { headers })).json()],
  ["axios (keep-alive)", async () => (await raw.get(url, { headers })).data],
  ["openai-node client.get", () => openai.get(path)],
  ["FlowSDK state.get", () => flow.state.get("bench")],
];

console.log(`${REQUESTS} requests x ${ROUNDS} rounds (median) against ${env.PLATFORM_API_URL}, Node ${process.version}`);
console.log("The platform shares the machine: the client CPU columns (microseconds of this process' CPU per request) show the client's own cost.");
console.log(
  `${"client".padEnd(24)} ${"sequential req/s".padStart(16)} ${"ratio".padStart(6)} ${"cpu µs".padStart(7)} ${`${IN_FLIGHT} in flight req/s`.padStart(20)} ${"ratio".padStart(6)} ${"cpu µs".padStart(7)}`,
);
// Rounds go round the clients in turn, so a slow moment of the shared machine (the platform's
// garbage collection, say) is spread over all of them rather than charged to one.
for (const [, call] of clients) for (let i = 0; i < 500; i++) await call(); // warm up connections and JIT
const results = clients.map(() => ({ sequential: [] as Array<{ rate: number; cpu: number }>, parallel: [] as Array<{ rate: number; cpu: number }> }));
for (let round = 0; round < ROUNDS; round++) {
  for (const [index, [, call]] of clients.entries()) {
    results[index]!.sequential.push(await run(call, 1));
    results[index]!.parallel.push(await run(call, IN_FLIGHT));
  }
}
let limit: { sequential: number; parallel: number } | undefined;
for (const [index, [name]] of clients.entries()) {
  const { sequential, parallel } = results[index]!;
  const row = { sequential: median(sequential.map((r) => r.rate)), parallel: median(parallel.map((r) => r.rate)) };
  const cpu = { sequential: median(sequential.map((r) => r.cpu)), parallel: median(parallel.map((r) => r.cpu)) };
  limit ??= row;
  const ratio = (value: number, base: number) => `${(value / base).toFixed(2)}x`.padStart(6);
  console.log(
    `${name.padEnd(24)} ${row.sequential.toFixed(0).padStart(16)} ${ratio(row.sequential, limit.sequential)} ${cpu.sequential.toFixed(0).padStart(7)} ` +
      `${row.parallel.toFixed(0).padStart(20)} ${ratio(row.parallel, limit.parallel)} ${cpu.parallel.toFixed(0).padStart(7)}`,
  );
}

// Heap across many calls: after a forced GC at each mark, heapUsed should stay flat.
const heap = (): string => {
  gc();
  gc();
  return `${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB`;
};
const marks = [`0: ${heap()}`];
for (let done = 0; done < HEAP_CALLS; ) {
  const batch = HEAP_CALLS / 4;
  await run(() => flow.state.get("bench"), IN_FLIGHT, batch);
  done += batch;
  marks.push(`${done / 1000}k: ${heap()}`);
}
console.log(`FlowSDK state.get heapUsed after GC (${IN_FLIGHT} in flight): ${marks.join(", ")}`);
console.log(`client process RSS after the run (tsx included): ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
await flow.close();
await dispatcher.close();
server.kill("SIGTERM");
