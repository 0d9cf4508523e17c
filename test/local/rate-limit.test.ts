import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ManualClock, startLocalPlatform, type LocalPlatform } from "../../local/index.js";
import { launchPlatform } from "../../local/platform.js";
import { RateLimiter, checkRateLimit } from "../../local/rate-limit.js";
import { FlowRateLimitError, FlowSDK } from "../../src/index.js";

// The local platform's per-token rate limit, on a manual clock: buckets refill when the test
// moves time, never while it sleeps. And the SDK against it: retries honouring Retry-After, then
// FlowRateLimitError with retryAfter once the limit outlasts maxRetries.

const WS = "/v1/orgs/org_local/workspaces/ws_local";

async function get(base: string, route: string, token?: string): Promise<Response> {
  return fetch(`${base}${route}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
}

describe("RateLimiter", () => {
  it("allows a burst, then one request per 1/rate seconds, and says how long to wait", () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter(checkRateLimit({ requestsPerSecond: 2, burst: 3 }), clock);
    expect([limiter.take("a"), limiter.take("a"), limiter.take("a")]).toEqual([undefined, undefined, undefined]);
    expect(limiter.take("a")).toBe(500);
    expect(limiter.take("b")).toBeUndefined(); // another key, another bucket
    clock.advance(499);
    expect(limiter.take("a")).toBeCloseTo(1, 5);
    clock.advance(1);
    expect(limiter.take("a")).toBeUndefined();
    clock.advance(60_000); // refills to the burst, no further
    expect([limiter.take("a"), limiter.take("a"), limiter.take("a"), limiter.take("a")].filter((w) => w === undefined)).toHaveLength(3);
  });

  it("defaults burst to the rate rounded up, at least 1", () => {
    expect(checkRateLimit({ requestsPerSecond: 2.5 })).toEqual({ requestsPerSecond: 2.5, burst: 3 });
    expect(checkRateLimit({ requestsPerSecond: 0.1 })).toEqual({ requestsPerSecond: 0.1, burst: 1 });
  });

  it.each([null, 5, {}, { requestsPerSecond: 0 }, { requestsPerSecond: -1 }, { requestsPerSecond: Number.NaN }, { requestsPerSecond: Infinity }, { requestsPerSecond: "5" }, { requestsPerSecond: 1, burst: 0 }, { requestsPerSecond: 1, burst: 1.5 }])(
    "refuses %j",
    (options) => {
      expect(() => checkRateLimit(options)).toThrow(/flow-local: rateLimit/);
    },
  );

  it("fails the platform's start on a bad option, before anything listens", async () => {
    await expect(startLocalPlatform({ rateLimit: { requestsPerSecond: 0 } })).rejects.toThrow(RangeError);
  });
});

describe("a platform with a rate limit (burst 2, 1 per second)", () => {
  const clock = new ManualClock();
  let platform: LocalPlatform;
  let adminKey: string;
  const flows: FlowSDK[] = [];
  beforeAll(async () => {
    ({ platform, adminKey } = await launchPlatform({ clock, rateLimit: { requestsPerSecond: 1, burst: 2 } }));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    clock.advance(60_000); // every bucket full again for the next test
  });
  afterAll(async () => {
    await Promise.all(flows.map((flow) => flow.close()));
    await platform.close();
  });

  const flow = (options: { maxRetries: number; token?: string }): FlowSDK => {
    const made = FlowSDK.create({ env: { ...platform.env, ...(options.token ? { AUTH_TOKEN: options.token } : {}) }, maxRetries: options.maxRetries });
    flows.push(made);
    return made;
  };

  it("answers 429 rate_limited with the envelope, X-Request-Id and Retry-After once the burst is spent", async () => {
    const token = await platform.mintToken({ subject: "burst" });
    expect((await get(platform.url, `${WS}/state`, token)).status).toBe(200);
    expect((await get(platform.url, `${WS}/state`, token)).status).toBe(200);
    const limited = await get(platform.url, `${WS}/state`, token);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(limited.headers.get("x-request-id")).toBeTruthy();
    expect(await limited.json()).toEqual({ error: { code: "rate_limited", message: expect.stringContaining("rate limit") } });
    clock.advance(1000);
    expect((await get(platform.url, `${WS}/state`, token)).status).toBe(200);
    expect((await get(platform.url, `${WS}/state`, token)).status).toBe(429);
  });

  it("rounds Retry-After up to whole seconds: a token one request short of a refill at 1/s waits 1 s, never 0", async () => {
    const token = await platform.mintToken({ subject: "round" });
    await get(platform.url, `${WS}/state`, token);
    await get(platform.url, `${WS}/state`, token);
    clock.advance(999);
    const limited = await get(platform.url, `${WS}/state`, token);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
  });

  it("keeps a bucket per subject, org and workspace", async () => {
    const a = await platform.mintToken({ subject: "alice" });
    const aAgain = await platform.mintToken({ subject: "alice" });
    const b = await platform.mintToken({ subject: "bob" });
    const aElsewhere = await platform.mintToken({ subject: "alice", workspaceId: "ws_other" });
    await get(platform.url, `${WS}/state`, a);
    await get(platform.url, `${WS}/state`, a);
    expect((await get(platform.url, `${WS}/state`, aAgain)).status).toBe(429); // same subject, org, workspace: same bucket
    expect((await get(platform.url, `${WS}/state`, b)).status).toBe(200);
    expect((await get(platform.url, "/v1/orgs/org_local/workspaces/ws_other/state", aElsewhere)).status).toBe(200);
  });

  it("never limits health or the admin route", async () => {
    for (let i = 0; i < 10; i += 1) expect((await get(platform.url, "/v1/health")).status).toBe(200);
    for (let i = 0; i < 5; i += 1) {
      const minted = await fetch(`${platform.url}/v1/_local/tokens`, { method: "POST", headers: { "x-flow-local-admin": adminKey, "content-type": "application/json" }, body: "{}" });
      expect(minted.status).toBe(200);
    }
  });

  it("refuses before the tenant check and any work: a limited write stores nothing", async () => {
    const token = await platform.mintToken({ subject: "writer" });
    const put = (value: number): Promise<Response> =>
      fetch(`${platform.url}${WS}/state/limited`, { method: "PUT", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ value }) });
    expect((await put(1)).status).toBe(200);
    expect((await put(2)).status).toBe(200);
    expect((await put(3)).status).toBe(429);
    clock.advance(1000);
    const read = await get(platform.url, `${WS}/state/limited`, token);
    expect(((await read.json()) as { value: unknown }).value).toBe(2);
  });

  it("SDK: with maxRetries 0, the third call of a burst rejects with FlowRateLimitError carrying retryAfter", async () => {
    const sdk = flow({ maxRetries: 0, token: await platform.mintToken({ subject: "sdk-no-retry" }) });
    await sdk.state.list();
    await sdk.state.list();
    const error = await sdk.state.list().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FlowRateLimitError);
    expect(error).toMatchObject({ status: 429, code: "rate_limited", retryAfter: 1 });
    expect((error as FlowRateLimitError).requestId).toBeTruthy();
  });

  /**
   * The SDK sleeps Retry-After on a real setTimeout. That one wait (exactly Retry-After: the
   * backoff jitter of a first retry is under 250 ms) is cut short here: the platform's clock is
   * moved by `advanceBy` and the timer fires at once. Returns the waits the SDK asked for.
   */
  function fastForwardRetryWaits(advanceBy: number): number[] {
    const waits: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    vi.spyOn(globalThis, "setTimeout").mockImplementation(((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      if (ms === 1000) {
        waits.push(ms);
        clock.advance(advanceBy);
        return realSetTimeout(fn, 0, ...args);
      }
      return realSetTimeout(fn, ms, ...args);
    }) as typeof setTimeout);
    return waits;
  }

  it("SDK: retries a 429 after the Retry-After wait and succeeds once the bucket has refilled", async () => {
    const sdk = flow({ maxRetries: 1, token: await platform.mintToken({ subject: "sdk-retry" }) });
    await sdk.state.set("k", 1);
    await sdk.state.set("k", 2);
    const waits = fastForwardRetryWaits(1000);
    await expect(sdk.state.set("k", 3)).resolves.toMatchObject({ value: 3 });
    expect(waits).toEqual([1000]); // one 429, one wait of Retry-After, then success
  });

  it("SDK: rejects with FlowRateLimitError and retryAfter when the limit outlasts every retry", async () => {
    const sdk = flow({ maxRetries: 2, token: await platform.mintToken({ subject: "sdk-exhausted" }) });
    await sdk.state.list();
    await sdk.state.list();
    const waits = fastForwardRetryWaits(0); // time stands still: the bucket never refills
    const error = await sdk.state.list().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(waits).toEqual([1000, 1000]);
    expect(error).toBeInstanceOf(FlowRateLimitError);
    expect(error).toMatchObject({ status: 429, retryAfter: 1 });
  });
});

describe("a platform without a rate limit", () => {
  it("answers a burst of one token's requests without a 429", async () => {
    const platform = await startLocalPlatform();
    try {
      const statuses = await Promise.all(Array.from({ length: 40 }, () => get(platform.url, `${WS}/state`, platform.env.AUTH_TOKEN).then((r) => r.status)));
      expect(statuses.every((status) => status === 200)).toBe(true);
    } finally {
      await platform.close();
    }
  });
});

describe("flow-sdk-local start --rate-limit", () => {
  const ROOT = fileURLToPath(new URL("../..", import.meta.url));
  const TSX = pathToFileURL(createRequire(path.join(ROOT, "package.json")).resolve("tsx")).href;

  /** `flow-sdk-local start` from the sources; resolves with its stdout once `until` matches it (or with everything once it exits). */
  function cli(args: readonly string[], until?: RegExp): { pid: number | undefined; output: Promise<{ code: number | null; stdout: string; stderr: string }> } {
    const env: NodeJS.ProcessEnv = { ...process.env, TSX_TSCONFIG_PATH: path.join(ROOT, "tsconfig.json") };
    for (const name of ["PLATFORM_API_URL", "AUTH_TOKEN", "AUTH_TOKEN_FILE"]) delete env[name];
    const child = spawn(process.execPath, ["--import", TSX, path.join(ROOT, "local/cli.ts"), ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const output = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        if (until?.test(stdout)) resolve({ code: null, stdout, stderr });
      });
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.once("exit", (code) => resolve({ code, stdout, stderr }));
    });
    return { pid: child.pid, output };
  }

  it("serves with a per-token limit: the second request of a burst of 1 is answered 429", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "flow-local-rate-"));
    const started = cli(["start", "--port", "0", "--data", dataDir, "--rate-limit", "1", "--rate-burst", "1"], /^export AUTH_TOKEN_FILE=.*\n/m);
    try {
      const { stdout, stderr } = await started.output;
      const value = (name: string): string => (new RegExp(`^export ${name}='?([^'\n]*)'?$`, "m").exec(stdout)?.[1] ?? "");
      expect(value("PLATFORM_API_URL"), stderr).toMatch(/^http:/);
      const statuses = [];
      for (let i = 0; i < 2; i += 1) statuses.push((await get(value("PLATFORM_API_URL"), `${WS}/state`, value("AUTH_TOKEN"))).status);
      expect(statuses).toEqual([200, 429]);
    } finally {
      if (started.pid !== undefined) process.kill(started.pid, "SIGTERM");
      await started.output;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it.each([
    [["--rate-burst", "2"], /--rate-burst needs --rate-limit/],
    [["--rate-limit", "0"], /--rate-limit must be a whole number/],
  ])("refuses %j as a usage error", async (args, message) => {
    const { code, stderr } = await cli(["start", "--port", "0", ...args]).output;
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
