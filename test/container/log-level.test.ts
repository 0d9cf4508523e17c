// FLOW_LOG (option logLevel): debugging a block without a code change. Set and no logger given,
// the SDK logs to standard error, redacted, from that level up; with a logger, it filters it.
import { afterEach, describe, expect, it, vi } from "vitest";
import { FlowConfigError, FlowSDK, TOKENS, type FlowLogger } from "../../src/index.js";
import { stderrLogger } from "../../src/logging/level.js";

const TOKEN = "tok_canary_5e2a9c1f7b";
const URL = "http://127.0.0.1:9";

function recordingLogger(): { logger: FlowLogger; lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  return { logger: { debug: record("debug"), info: record("info"), warn: record("warn"), error: record("error") }, lines };
}

function logAll(flow: FlowSDK): void {
  const log = flow.container.resolve(TOKENS.Logger);
  log.debug(`d ${TOKEN}`);
  log.info("i");
  log.warn("w", { authorization: `Bearer ${TOKEN}` });
  log.error("e");
}

/** What the SDK wrote to standard error while `run` ran. */
async function stderrOf(run: () => Promise<void> | void): Promise<string> {
  let text = "";
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return text;
}

afterEach(() => vi.restoreAllMocks());

describe("FLOW_LOG", () => {
  it("set and no logger given: logs to stderr from that level up, redacted", async () => {
    const text = await stderrOf(async () => {
      await using flow = FlowSDK.create({ platformUrl: URL, authToken: TOKEN, env: { FLOW_LOG: "warn" } });
      expect(flow.config.logLevel).toBe("warn");
      logAll(flow);
    });
    expect(text).toBe('[flow-sdk] warn: w {"authorization":"[REDACTED]"}\n[flow-sdk] error: e\n');
    expect(text).not.toContain(TOKEN);
  });

  it("debug shows every line (any case), and the token stays hidden in them", async () => {
    const text = await stderrOf(async () => {
      await using flow = FlowSDK.create({ platformUrl: URL, authToken: TOKEN, env: { FLOW_LOG: " DEBUG " } });
      logAll(flow);
    });
    expect(text.split("\n").filter(Boolean).map((line) => line.split(":")[0])).toEqual(["[flow-sdk] debug", "[flow-sdk] info", "[flow-sdk] warn", "[flow-sdk] error"]);
    expect(text).not.toContain(TOKEN);
  });

  it("unset or off: nothing on stderr", async () => {
    for (const env of [{}, { FLOW_LOG: "off" }, { FLOW_LOG: "" }]) {
      const text = await stderrOf(async () => {
        await using flow = FlowSDK.create({ platformUrl: URL, authToken: TOKEN, env });
        logAll(flow);
      });
      expect(text, JSON.stringify(env)).toBe("");
    }
  });

  it("with a logger given: that logger gets the lines from the level up (every line when unset; none when off)", async () => {
    for (const [level, expected] of [
      [undefined, ["debug d [REDACTED]", "info i", "warn w", "error e"]],
      ["info", ["info i", "warn w", "error e"]],
      ["error", ["error e"]],
      ["off", []],
    ] as const) {
      const { logger, lines } = recordingLogger();
      const text = await stderrOf(async () => {
        await using flow = FlowSDK.create({ platformUrl: URL, authToken: TOKEN, logger, env: level === undefined ? {} : { FLOW_LOG: level } });
        logAll(flow);
      });
      expect(lines, String(level)).toEqual(expected);
      expect(text).toBe("");
    }
  });

  it("the option logLevel wins over FLOW_LOG", async () => {
    const { logger, lines } = recordingLogger();
    await using flow = FlowSDK.create({ platformUrl: URL, authToken: TOKEN, logger, logLevel: "error", env: { FLOW_LOG: "debug" } });
    logAll(flow);
    expect(lines).toEqual(["error e"]);
  });

  it("an unknown logLevel option is a FlowConfigError naming the levels; an unknown FLOW_LOG is ignored with one line on stderr", async () => {
    let error: unknown;
    try {
      FlowSDK.create({ platformUrl: URL, logLevel: "verbose" as never });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FlowConfigError);
    expect((error as Error).message).toContain("use one of debug, info, warn, error, off");
    // A stray shell variable must not stop every block from starting.
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation(((chunk: string) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write);
    try {
      await using first = FlowSDK.create({ platformUrl: URL, authToken: TOKEN, env: { FLOW_LOG: "verbose" } });
      await using second = FlowSDK.create({ platformUrl: URL, authToken: TOKEN, env: { FLOW_LOG: "1" } });
      expect(first.config.logLevel).toBeUndefined();
      expect(second.config.logLevel).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
    expect(written.filter((line) => line.includes("FLOW_LOG is not one of debug, info, warn, error, off; it is ignored"))).toHaveLength(1);
  });

  it("the stderr logger writes fields JSON cannot show without throwing", () => {
    const lines: string[] = [];
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    stderrLogger((line) => lines.push(line)).info("m", cyclic);
    expect(lines).toEqual(["[flow-sdk] info: m (fields that JSON cannot show)\n"]);
  });
});
