// What streaming a chat through flow-sdk costs, in one run on this machine: time to first chunk
// and chunks per second of a 200-chunk stream from a scripted OpenAI-compatible upstream
// (bench/stream-upstream.mjs, its own process), read
//   - by the openai package straight from the upstream (the baseline),
//   - by the SDK's chatStream straight from the upstream (GATEWAY_URL = the upstream: the SDK's own cost),
//   - by the openai package through the local gateway forwarding to it (the gateway's cost),
//   - by the SDK's chatStream through the local gateway (the whole path),
//   - and by the SDK from the local gateway's own model (flow-local-chat, 200 one-word chunks).
// The local platform runs in its own process. Run: npm run bench:gateway
// (figures only; nothing here asserts a number)
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { FlowSDK } from "../src/index.js";

const STREAMS = Number(process.env["BENCH_STREAMS"] ?? 40);
const CHUNKS = Number(process.env["BENCH_CHUNKS"] ?? 200);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const KEY = "sk-bench-upstream-key";

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function firstLine(child: ChildProcess, until: (lines: string[]) => boolean): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of createInterface({ input: child.stdout! })) {
    lines.push(line);
    if (until(lines)) break;
  }
  return lines;
}

/** Reads one stream; returns [ms to the first text chunk, ms in all, text chunks]. */
type Reader = () => Promise<[number, number, number]>;

async function measure(label: string, read: Reader, baseline?: { ttfc: number; total: number }): Promise<{ ttfc: number; total: number }> {
  await read(); // warm: connections, JIT
  const ttfcs: number[] = [];
  const totals: number[] = [];
  let chunks = 0;
  for (let i = 0; i < STREAMS; i++) {
    const [ttfc, total, count] = await read();
    ttfcs.push(ttfc);
    totals.push(total);
    chunks = count;
  }
  const ttfc = percentile(ttfcs, 50);
  const total = percentile(totals, 50);
  const vs = baseline ? `   ${(total / baseline.total).toFixed(2)}x` : "   1.00x";
  console.log(`${label.padEnd(52)} ${ttfc.toFixed(2).padStart(7)} ${total.toFixed(1).padStart(8)} ${String(Math.round((chunks / total) * 1000)).padStart(9)}${vs}`);
  return { ttfc, total };
}

const dir = mkdtempSync(path.join(os.tmpdir(), "flow-bench-gateway-"));
const upstream = spawn(process.execPath, [path.join(ROOT, "bench/stream-upstream.mjs")], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, CHUNKS: String(CHUNKS) } });
const [upstreamUrl] = await firstLine(upstream, (lines) => lines.length === 1);
writeFileSync(path.join(dir, "flow-local.json"), JSON.stringify({ gateway: { upstream: { baseUrl: `${upstreamUrl}/v1`, apiKeySecret: "UPSTREAM_KEY" } } }));
writeFileSync(path.join(dir, "secrets.env"), `UPSTREAM_KEY=${KEY}\n`);
const server = spawn(
  process.execPath,
  ["--import", "tsx", path.join(ROOT, "local/cli.ts"), "start", "--data", path.join(dir, "data"), "--manifest", path.join(dir, "flow-local.json"), "--secrets-file", path.join(dir, "secrets.env")],
  { stdio: ["ignore", "pipe", "inherit"], cwd: ROOT },
);
const env: Record<string, string> = {};
await firstLine(server, (lines) => {
  const match = /^export (\w+)=(?:'([^']*)'|(\S*))$/.exec(lines[lines.length - 1] ?? "");
  if (match?.[1]) env[match[1]] = match[2] ?? match[3] ?? "";
  return ["PLATFORM_API_URL", "GATEWAY_URL", "ORG_ID", "WORKSPACE_ID", "AUTH_TOKEN"].every((name) => env[name]);
});

const messages = [{ role: "user" as const, content: "Say something" }];
const viaGateway = FlowSDK.create({ env, maxRetries: 0 });
const direct = FlowSDK.create({ env: { ...env, GATEWAY_URL: upstreamUrl! }, maxRetries: 0 });
const openaiDirect = new OpenAI({ baseURL: `${upstreamUrl}/v1`, apiKey: KEY, maxRetries: 0 });
const openaiGateway = new OpenAI({ baseURL: `${env["GATEWAY_URL"]}/v1`, apiKey: env["AUTH_TOKEN"]!, maxRetries: 0 });

function openaiReader(client: OpenAI, model: string): Reader {
  return async () => {
    const started = performance.now();
    let first = 0;
    let count = 0;
    const stream = await client.chat.completions.create({ model, messages, stream: true });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) {
        if (count++ === 0) first = performance.now() - started;
      }
    }
    return [first, performance.now() - started, count];
  };
}

function sdkReader(flow: FlowSDK, model: string, content = "Say something"): Reader {
  return async () => {
    const started = performance.now();
    let first = 0;
    let count = 0;
    for await (const chunk of flow.gateway.chatStream({ model, messages: [{ role: "user", content }] })) {
      if (chunk.delta) {
        if (count++ === 0) first = performance.now() - started;
      }
    }
    return [first, performance.now() - started, count];
  };
}

try {
  console.log(`Node ${process.version}, ${os.cpus().length} cores; ${STREAMS} streams of ${CHUNKS} chunks each, read one after another; p50`);
  console.log(`${"".padEnd(52)} ${"first ms".padStart(7)} ${"total ms".padStart(8)} ${"chunks/s".padStart(9)}   total vs baseline`);
  const baseline = await measure("openai -> upstream (baseline)", openaiReader(openaiDirect, "gpt-bench"));
  await measure("flow-sdk chatStream -> upstream", sdkReader(direct, "gpt-bench"), baseline);
  await measure("openai -> local gateway -> upstream", openaiReader(openaiGateway, "gpt-bench"), baseline);
  await measure("flow-sdk chatStream -> local gateway -> upstream", sdkReader(viaGateway, "gpt-bench"), baseline);
  const words = Array.from({ length: CHUNKS - 2 }, (_, i) => `w${i}`).join(" ");
  await measure("flow-sdk chatStream -> local model flow-local-chat", sdkReader(viaGateway, "flow-local-chat", words), baseline);
} finally {
  await viaGateway.close();
  await direct.close();
  for (const child of [server, upstream]) {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
  rmSync(dir, { recursive: true, force: true });
}
