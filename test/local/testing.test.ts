import { describe, expect, it } from "vitest";
import { ManualClock, startTestPlatform } from "../../local/testing.js";
import { FlowAuthenticationError } from "../../src/index.js";
import { caught, flowWithToken } from "../helpers/flows.js";

// @flow-sdk/sdk/testing's own lifecycle, over real loopback HTTP.

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

describe("startTestPlatform with a ManualClock", () => {
  it("moves the platform's time: a TTL and a token expire without sleeping", async () => {
    const clock = new ManualClock();
    const platform = await startTestPlatform({ clock });
    try {
      const flow = platform.createFlow();
      await flow.state.set("session", "open", { ttlSeconds: 60 });
      clock.advance(59_999);
      expect(await flow.state.get("session")).toBe("open");
      clock.advance(1);
      expect(await flow.state.get("session")).toBeUndefined();

      // The SDK holds this token alone, with nothing to refresh it from: once the platform's clock
      // passes its exp, the platform answers 401 token_expired, as it would to a real expired token.
      const short = flowWithToken(platform, await platform.mintToken({ ttlSeconds: 600 }));
      expect((await short.auth.whoami()).subject).toBe("local-user");
      clock.advance(601_000); // past its TTL, and past exp, which is rounded up to a whole second
      const error = await caught(() => short.state.get("session"));
      expect(error).toBeInstanceOf(FlowAuthenticationError);
      expect(error).toMatchObject({ status: 401, code: "token_expired" });
    } finally {
      await platform.close();
    }
  });
});
