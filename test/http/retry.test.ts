import { describe, expect, it } from "vitest";
import { sleep } from "../../src/http/abort.js";
import { AxiosError } from "axios";
import { isRetryable, retryAfterMs, retryDelayMs } from "../../src/http/retry.js";

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

  it("stops sleeping when the signal aborts", async () => {
    const controller = new AbortController();
    const slept = sleep(10_000, [undefined, controller.signal]);
    controller.abort(new Error("stop"));
    await expect(slept).rejects.toThrow("stop");
  });

  it("retries only transient failures that got no answer", () => {
    for (const code of ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ECONNABORTED", "EAI_AGAIN"]) expect(isRetryable(new AxiosError("x", code))).toBe(true);
    for (const code of ["ERR_BAD_REQUEST", "ERR_FR_MAX_BODY_LENGTH_EXCEEDED", "ERR_INVALID_URL", "ENOTFOUND"]) expect(isRetryable(new AxiosError("x", code))).toBe(false);
  });

  it("does not retry a 502 that is an answer from behind the platform, only one that is an outage", () => {
    const answered = (status: number, code: string, body: "object" | "text" = "object") => {
      const data = body === "object" ? { error: { code, message: "m" } } : JSON.stringify({ error: { code, message: "m" } });
      return new AxiosError("x", "ERR_BAD_RESPONSE", undefined, undefined, { status, data, statusText: "", headers: {}, config: {} as never });
    };
    for (const code of ["connector_upstream_error", "connector_auth_failed", "upstream_auth_failed"]) {
      expect(isRetryable(answered(502, code))).toBe(false);
      expect(isRetryable(answered(502, code, "text"))).toBe(false);
    }
    for (const code of ["connector_unavailable", "upstream_unavailable", "service_unavailable", "internal"]) expect(isRetryable(answered(502, code))).toBe(true);
    expect(isRetryable(answered(503, "connector_upstream_error"))).toBe(true);
  });
});
