// TOKENS.Logger is the redacting logger whatever the sink: plugin code that logs through it can
// no more leak a token than the SDK's own lines can.
import { describe, expect, it } from "vitest";
import { definePlugin, FlowSDK, inject, injectable, TOKENS, type FlowLogger } from "../../src/index.js";

const TOKEN = "tok_canary_9f3e1c7d2b";

/** Every line a logger received, as text. */
function recordingLogger(): { logger: FlowLogger; lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string, fields?: unknown) => lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  return { logger: { debug: record("debug"), info: record("info"), warn: record("warn"), error: record("error") }, lines };
}

@injectable()
class ChattyNamespace {
  constructor(@inject(TOKENS.Logger) private readonly logger: FlowLogger) {}

  /** Logs the value it is given, as careless plugin code might. */
  leak(value: string): void {
    this.logger.warn(`calling with ${value}`, { authorization: `Bearer ${value}`, nested: { value } });
  }
}

const chatty = definePlugin({ name: "chatty", namespaces: { chatty: ChattyNamespace } });

describe("TOKENS.Logger", () => {
  it("redacts what a plugin logs through it (option logger)", async () => {
    const { logger, lines } = recordingLogger();
    await using flow = FlowSDK.create({ platformUrl: "http://127.0.0.1:9", authToken: TOKEN, logger, plugins: [chatty] });
    flow.chatty.leak(TOKEN);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("[REDACTED]");
    expect(lines.join("\n")).not.toContain(TOKEN);
  });

  it("keeps redacting when a provider replaces the logger, and sends the lines to that provider", async () => {
    const { logger, lines } = recordingLogger();
    await using flow = FlowSDK.create({
      platformUrl: "http://127.0.0.1:9",
      authToken: TOKEN,
      plugins: [chatty],
      providers: [{ provide: TOKENS.Logger, useValue: logger }],
    });
    flow.chatty.leak(TOKEN);
    expect(lines).toHaveLength(1);
    expect(lines.join("\n")).not.toContain(TOKEN);
    expect(flow.container.resolve(TOKENS.Logger)).not.toBe(logger);
  });
});
