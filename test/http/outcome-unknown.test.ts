import net, { type AddressInfo, type Socket } from "node:net";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { FlowAPIError, FlowConnectionError, FlowSDK, FlowTimeoutError } from "../../src/index.js";
import { caught, sharedPlatform } from "../helpers/flows.js";

const { platform } = await sharedPlatform();
const TOKEN = "tok_outcome_test_7c6b5a4f3e2d";

interface RawServer {
  url: string;
  /** The raw request heads read, in order. */
  heads: string[];
  close(): Promise<void>;
}

/** A raw TCP server that reads each request, then does `act` to the connection (reset it, say). */
async function rawServer(act: (socket: Socket, index: number, server: net.Server) => void): Promise<RawServer> {
  const heads: string[] = [];
  const server = net.createServer((socket) => {
    socket.once("data", (chunk) => {
      heads.push(chunk.toString("latin1"));
      act(socket, heads.length - 1, server);
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    heads,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function headerIn(head: string | undefined, name: string): string | undefined {
  return head?.match(new RegExp(`^${name}: *(.*?)\\r$`, "im"))?.[1];
}

/** A port nothing listens on. */
async function closedPort(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function flowAt(url: string, maxRetries = 0): FlowSDK {
  return FlowSDK.create({ authToken: TOKEN, maxRetries, env: { PLATFORM_API_URL: url, WORKSPACE_ID: "ws_local", ORG_ID: "org_local" } });
}

describe("a broken connection: outcome unknown, or nothing sent", () => {
  it("a reset after the request was read says the outcome is unknown and carries the call's Idempotency-Key and X-Request-Id", async () => {
    const server = await rawServer((socket) => socket.resetAndDestroy());
    const flow = flowAt(server.url);
    try {
      const error = (await caught(() => flow.state.set("k", 1))) as FlowConnectionError;
      expect(error).toBeInstanceOf(FlowConnectionError);
      expect(error.outcome).toBe("unknown");
      expect(error.message).toContain("lost its connection after the request was sent (ECONNRESET): the outcome is unknown (it may have been done)");
      expect(error.idempotencyKey).toBe(headerIn(server.heads[0], "Idempotency-Key"));
      expect(error.requestId).toBe(headerIn(server.heads[0], "X-Request-Id"));
      expect(error.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
      expect(error.message).toContain(`options.idempotencyKey = "${error.idempotencyKey}"`);
      const shown = [error.message, error.stack, JSON.stringify(error), inspect(error, { depth: 10, showHidden: true })].join("\n");
      expect(shown).not.toContain(TOKEN);
      expect(headerIn(server.heads[0], "Authorization")).toBe(`Bearer ${TOKEN}`); // it was sent, and is shown nowhere
    } finally {
      await flow.close();
      await server.close();
    }
  });

  it("a key the caller gave is the one on the error; a read says to ask again", async () => {
    const server = await rawServer((socket) => socket.resetAndDestroy());
    const flow = flowAt(server.url);
    try {
      const error = (await caught(() => flow.state.set("k", 1, {}, { idempotencyKey: "my-key-1" }))) as FlowConnectionError;
      expect(error.idempotencyKey).toBe("my-key-1");
      const read = (await caught(() => flow.state.get("k"))) as FlowConnectionError;
      expect(read.outcome).toBe("unknown");
      expect(read.idempotencyKey).toBeUndefined();
      expect(read.requestId).toBe(headerIn(server.heads[1], "X-Request-Id"));
      expect(read.message).toContain("a read changes nothing: ask again");
    } finally {
      await flow.close();
      await server.close();
    }
  });

  it("a closed port says nothing was sent", async () => {
    const flow = flowAt(await closedPort());
    try {
      const error = (await caught(() => flow.state.set("k", 1))) as FlowConnectionError;
      expect(error).toBeInstanceOf(FlowConnectionError);
      expect(error.outcome).toBe("not_sent");
      expect(error.message).toContain("could not reach the platform (ECONNREFUSED): nothing was sent");
      expect(error.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
      expect(error.requestId).toMatch(/^req_/);
    } finally {
      await flow.close();
    }
  });

  it("a refusal after an attempt that was sent is still an unknown outcome", async () => {
    const server = await rawServer((socket, _index, listener) => {
      socket.resetAndDestroy();
      listener.close(); // every later attempt is refused
    });
    const flow = flowAt(server.url, 2);
    try {
      const error = (await caught(() => flow.state.set("k", 1))) as FlowConnectionError;
      expect(error.outcome).toBe("unknown");
      expect(error.message).toContain("could not reach the platform (ECONNREFUSED) on its last attempt, but an earlier attempt reached it");
      expect(error.idempotencyKey).toBe(headerIn(server.heads[0], "Idempotency-Key"));
      expect(server.heads).toHaveLength(1);
    } finally {
      await flow.close();
      await server.close().catch(() => {});
    }
  });

  it("a timeout carries the ids too", async () => {
    const server = await rawServer(() => {}); // reads, never answers
    // Long enough that a loaded machine reads the request before the timeout fires.
    const flow = FlowSDK.create({ authToken: TOKEN, maxRetries: 0, timeoutMs: 1_000, env: { PLATFORM_API_URL: server.url, WORKSPACE_ID: "ws_local", ORG_ID: "org_local" } });
    try {
      const error = (await caught(() => flow.state.set("k", 1))) as FlowTimeoutError;
      expect(error).toBeInstanceOf(FlowTimeoutError);
      expect(server.heads).toHaveLength(1);
      expect(error.idempotencyKey).toBe(headerIn(server.heads[0], "Idempotency-Key"));
      expect(error.requestId).toBe(headerIn(server.heads[0], "X-Request-Id"));
      expect(error.message).toContain("its outcome is unknown");
    } finally {
      await flow.close();
      await server.close();
    }
  });

  it("an error answer carries the Idempotency-Key as well as the request id", async () => {
    const flow = platform.createFlow({ maxRetries: 0 });
    const error = (await caught(() => flow.state.set("versioned", 1, { ifVersion: 99 }))) as FlowAPIError;
    expect(error).toBeInstanceOf(FlowAPIError);
    expect(error.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(error.requestId).toMatch(/^req_/);
  });

  it("work done but its answer lost: repeated with error.idempotencyKey, it is done once and answered as the first time", async () => {
    const upstream = new URL(platform.url);
    // Forwards each request to the platform, and resets the caller's connection when the answer comes.
    const proxy = net.createServer((client) => {
      const server = net.connect(Number(upstream.port), upstream.hostname);
      client.pipe(server);
      server.once("data", () => {
        client.resetAndDestroy();
        server.destroy();
      });
      client.on("error", () => {});
      server.on("error", () => {});
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const faulty = platform.createFlow({ maxRetries: 0, env: { PLATFORM_API_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` } });
    const direct = platform.createFlow();
    try {
      const key = `counter-${Date.now()}`;
      const error = (await caught(() => faulty.state.increment(key, 5))) as FlowConnectionError;
      expect(error.outcome).toBe("unknown");
      expect(await direct.state.get(key)).toBe(5); // it was done
      expect(await direct.state.increment(key, 5, {}, { idempotencyKey: error.idempotencyKey })).toBe(5); // not done again
      expect(await direct.state.get(key)).toBe(5);
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});
