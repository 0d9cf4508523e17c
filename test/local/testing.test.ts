import { describe, expect, it } from "vitest";
import { startTestPlatform } from "../../local/testing.js";

// flow-sdk/testing's own lifecycle, over real loopback HTTP.

describe("startTestPlatform close", () => {
  it("closes the platform even when closing one of its flows fails, then rejects with that failure", async () => {
    const platform = await startTestPlatform();
    const failing = platform.createFlow();
    const closeFailing = failing.close.bind(failing);
    failing.close = async () => {
      await closeFailing();
      throw new Error("flow failed to close");
    };
    await expect(platform.close()).rejects.toThrow("flow failed to close");
    await expect(fetch(new URL("/v1/health", platform.url))).rejects.toThrow();
  });
});
