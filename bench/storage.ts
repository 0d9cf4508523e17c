// Streaming cost of flow.storage: puts a 1 GiB object through the local platform (in a child
// process, so the RSS below is the client's) and reads it back, then copies a 1 GiB file with fs
// streams on the same disk as the baseline. Prints throughput in MB/s and the client's peak RSS.
// The client runs as plain JavaScript, as a deployed block would: this file bundles itself with
// esbuild (tsx's own compiler) and runs the bundle with node, because the tsx loader thread alone
// adds about 30 MiB of RSS that no user process carries.
// Run: npm run bench:storage   (figures only; nothing here asserts a number)
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { FlowSDK } from "../src/index.js";

const SIZE = Number(process.env["BENCH_STORAGE_BYTES"] ?? 2 ** 30);
const CHUNK = 1024 * 1024;
const MB = 1e6;

/** `SIZE` bytes made as they are read, from one reused 1 MiB block: never the whole in memory. */
function generated(): Readable {
  const block = randomBytes(CHUNK);
  let sent = 0;
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      if (sent >= SIZE) return void this.push(null);
      const n = Math.min(CHUNK, SIZE - sent);
      sent += n;
      this.push(n === CHUNK ? block : block.subarray(0, n));
    },
  });
}

/** A sink that only counts. */
function counter(): Writable & { bytes: number } {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      sink.bytes += chunk.length;
      done();
    },
  }) as Writable & { bytes: number };
  sink.bytes = 0;
  return sink;
}

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);

async function timed(what: string, run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = SIZE / MB / seconds;
  console.log(`${what.padEnd(34)} ${seconds.toFixed(2).padStart(7)} s ${rate.toFixed(0).padStart(7)} MB/s   peak RSS so far ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  return rate;
}

if (process.env["FLOW_BENCH_ROLE"] === "client") await client(JSON.parse(process.env["FLOW_BENCH_ENV"] ?? "{}") as Record<string, string>);
else await orchestrate();

/** Starts the platform and the bundled client, each in its own process, and cleans up after them. */
async function orchestrate(): Promise<void> {
  clearInterval(sampler);
  const server = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("serve-platform.ts", import.meta.url))], { stdio: ["ignore", "pipe", "inherit"] });
  const bundleDir = mkdtempSync(path.join(os.tmpdir(), "flow-bench-storage-client-"));
  try {
    const [line] = (await once(createInterface({ input: server.stdout! }), "line")) as [string];
    const bundle = path.join(bundleDir, "client.mjs");
    const { build } = await import("esbuild");
    await build({
      entryPoints: [fileURLToPath(import.meta.url)],
      outfile: bundle,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      external: ["esbuild"],
      // Bundled CommonJS dependencies (axios, tsyringe, ...) call require() for node built-ins.
      banner: { js: 'import { createRequire as __flowRequire } from "node:module"; const require = __flowRequire(import.meta.url);' },
      logLevel: "error",
    });
    const child = spawn(process.execPath, [bundle], { stdio: "inherit", env: { ...process.env, FLOW_BENCH_ROLE: "client", FLOW_BENCH_ENV: line } });
    const [code] = (await once(child, "exit")) as [number | null];
    process.exitCode = code ?? 1;
  } finally {
    rmSync(bundleDir, { recursive: true, force: true });
    server.kill("SIGTERM");
  }
}

/** The measured process: put and get through the SDK, then the file copy baseline. */
async function client(env: Record<string, string>): Promise<void> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "flow-bench-storage-"));
  try {
    await using flow = FlowSDK.create({ env, maxRetries: 0, timeoutMs: 600_000 });
    console.log(`${(SIZE / 2 ** 30).toFixed(2)} GiB against ${env["PLATFORM_API_URL"]} (platform in its own process), Node ${process.version}`);
    console.log(`client RSS at start: ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MiB`);

    let progressCalls = 0;
    await timed("storage.put (stream, onProgress)", () => flow.storage.put("bench/1gib.bin", generated, { size: SIZE, onProgress: () => progressCalls++ }));
    const head = await flow.storage.head("bench/1gib.bin");
    if (head.size !== SIZE) throw new Error(`stored ${head.size} bytes, expected ${SIZE}`);
    const sink = counter();
    await timed("storage.getStream (onProgress)", async () => pipeline(await flow.storage.getStream("bench/1gib.bin", { onProgress: () => progressCalls++ }), sink));
    if (sink.bytes !== SIZE) throw new Error(`read ${sink.bytes} bytes, expected ${SIZE}`);
    await flow.storage.delete("bench/1gib.bin");
    const sdkPeak = peakRss;

    const source = path.join(scratch, "source.bin");
    await pipeline(generated(), createWriteStream(source));
    await timed("baseline: fs streams file copy", () => pipeline(createReadStream(source), createWriteStream(path.join(scratch, "copy.bin"))));

    console.log(`client peak RSS during put and get (sampled every 20 ms): ${(sdkPeak / 2 ** 20).toFixed(0)} MiB (target: under 150 MB)`);
    console.log(`client maxRSS of the whole run (resourceUsage): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; onProgress calls: ${progressCalls}`);
  } finally {
    clearInterval(sampler);
    rmSync(scratch, { recursive: true, force: true });
  }
}
