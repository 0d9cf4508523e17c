import { describe, expect, it } from "vitest";
import { isSafeToRepeat, retryAfterMs, retryDelayMs, sleep } from "../../src/http/retry.js";

describe("retry policy", () => {
  it("backs off exponentially with full jitter, capped", () => {
    expect(retryDelayMs(1, undefined, () => 1)).toBe(250);
    expect(retryDelayMs(3, undefined, () => 1)).toBe(1000);
    expect(retryDelayMs(20, undefined, () => 1)).toBe(8000);
    expect(retryDelayMs(3, undefined, () => 0)).toBe(0);
  });

  it("waits at least Retry-After, and gives up on a very long one", () => {
    expect(retryDelayMs(1, 3000, () => 0.5)).toBe(3000);
    expect(retryDelayMs(1, 120_000, () => 0.5)).toBeUndefined();
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(retryAfterMs("2")).toBe(2000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs("soon")).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });

  it("repeats only idempotent methods or calls carrying an idempotency key", () => {
    expect(isSafeToRepeat("get", false)).toBe(true);
    expect(isSafeToRepeat("put", false)).toBe(true);
    expect(isSafeToRepeat("delete", false)).toBe(true);
    expect(isSafeToRepeat("post", false)).toBe(false);
    expect(isSafeToRepeat("post", true)).toBe(true);
  });

  it("stops sleeping when the signal aborts", async () => {
    const controller = new AbortController();
    const slept = sleep(10_000, controller.signal);
    controller.abort(new Error("stop"));
    await expect(slept).rejects.toThrow("stop");
  });
});
