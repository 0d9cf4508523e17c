// Where services, connectors, agent streams and service tokens stop: the manifest's services and
// connectors belong to its workspace alone; a service call's path cannot leave the service; only
// an answer the platform marks as the service's is one; calls that start what cannot be replayed
// are not sent twice; and stream helpers assemble what compatible servers send.
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { FlowConnectionError, FlowError, FlowNotFoundError, FlowSDK, FlowValidationError } from "../../src/index.js";
import { caught, flowWithToken, sharedPlatform } from "../helpers/flows.js";
import { useScriptedServers } from "../helpers/scripted-server.js";

/** A service (and connector upstream) that answers every request with what it saw. */
const seen: string[] = [];
const service = http.createServer((req, res) => {
  seen.push(`${req.method} ${req.url}`);
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ path: req.url }));
});
await new Promise<void>((resolve) => service.listen(0, "127.0.0.1", resolve));
const serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
afterAll(() => new Promise<void>((resolve) => service.close(() => resolve())));

const { platform, flow } = await sharedPlatform({
  manifest: {
    services: { api: { url: `${serviceUrl}/base`, name: "api-svc" } },
    connectors: { crm: { type: "http", baseUrl: serviceUrl, actions: { ping: { method: "GET", path: "/ping" } } } },
    agents: { echo: { model: "flow-local-chat", instructions: "Echo." } },
  },
});
const other = flowWithToken(platform, await platform.mintToken({ workspaceId: "ws_other" }), "ws_other");
const scripted = useScriptedServers();

describe("the manifest's services and connectors belong to its workspace", () => {
  it("its own workspace lists and reaches them", async () => {
    expect((await flow.services.list()).data.map((s) => s.id)).toEqual(["api"]);
    expect((await flow.services.call("api", { path: "/hello" })).body).toEqual({ path: "/base/hello" });
    expect((await flow.connectors.list()).data.map((c) => c.id)).toEqual(["crm"]);
    expect((await flow.connectors.invoke("crm", "ping")).status).toBe(200);
  });

  it("another workspace, on its own routes, sees none of them and reaches none", async () => {
    const before = seen.length;
    expect((await other.services.list()).data).toEqual([]);
    expect((await other.connectors.list()).data).toEqual([]);
    for (const call of [() => other.services.get("api"), () => other.services.call("api", { path: "/hello" }), () => other.connectors.get("crm"), () => other.connectors.invoke("crm", "ping")]) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(FlowNotFoundError);
      expect((error as Error).message).toMatch(/belong to its workspace \(org_local\/ws_local\) alone/);
    }
    expect(seen.length).toBe(before);
  });
});

describe("a service call's path stays on the service", () => {
  it("the SDK refuses . and .. segments, also percent-encoded, before any request", async () => {
    const before = seen.length;
    for (const path of ["/../secrets/X", "/a/%2e%2e/b", "/a/%2E%2e/b", "/./x", "/a/%2e/b", "/..", "/x#frag"]) {
      const error = await caught(() => flow.services.call("api", { path }));
      expect(error, path).toBeInstanceOf(FlowValidationError);
      expect((error as FlowValidationError).issues[0]?.path).toBe("path");
    }
    expect(seen.length).toBe(before);
    // Dots inside a segment are fine.
    expect((await flow.services.call("api", { path: "/v1.2/a..b/.well-known" })).body).toEqual({ path: "/base/v1.2/a..b/.well-known" });
  });

  it("the platform refuses them too, from a client that sends them as they are", async () => {
    const before = seen.length;
    const url = new URL(platform.url);
    for (const tail of ["%2e%2e/%2e%2e/secrets/X", "a/%2E%2E/b", "../x"]) {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = http.request(
          { host: url.hostname, port: url.port, method: "GET", path: `/v1/orgs/org_local/workspaces/ws_local/services/api/call/${tail}`, headers: { authorization: `Bearer ${platform.env.AUTH_TOKEN}` } },
          (res) => {
            let body = "";
            res.on("data", (chunk) => (body += chunk));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        request.on("error", reject);
        request.end();
      });
      expect(answer.status, tail).toBe(400);
      expect(JSON.parse(answer.body).error.code).toBe("validation_error");
    }
    expect(seen.length).toBe(before);
  });

  it("only an answer marked X-Flow-Service is the service's: anything else rejects", async () => {
    const impostor = await scripted({ status: 200, body: { name: "DB_PASSWORD", value: "not-a-service-answer" } });
    const pointed = FlowSDK.create({ env: { ...platform.env, PLATFORM_API_URL: impostor.url }, maxRetries: 0 });
    try {
      const error = await caught(() => pointed.services.call("api", { path: "/x" }));
      expect(error).toBeInstanceOf(FlowError);
      expect((error as Error).message).toMatch(/without X-Flow-Service, so it is not the service's answer/);
    } finally {
      await pointed.close();
    }
  });

  it("a heartbeat may name its service by name, like every other route", async () => {
    const byName = FlowSDK.create({ env: { ...platform.env, SERVICE_ID: "api-svc" } });
    try {
      const info = await byName.service.heartbeat({ details: { queue: 1 } });
      expect(info.id).toBe("api");
      expect((await flow.services.get("api")).heartbeat).toEqual({ status: "running", details: { queue: 1 } });
    } finally {
      await byName.close();
    }
  });
});

/** A server that reads each request's head and then resets the connection: the request reached it, no answer came. */
async function resettingServer(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    socket.once("data", () => socket.resetAndDestroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("calls that start what cannot be replayed are not sent twice", () => {
  it("agents.stream and serviceTokens.create are sent once when the request reached the platform; a chat stream is retried", async () => {
    const server = await resettingServer();
    const pointed = FlowSDK.create({ env: { ...platform.env, PLATFORM_API_URL: server.url, GATEWAY_URL: server.url }, maxRetries: 2 });
    try {
      await expect(pointed.agents.stream("echo", { input: "hi" }).finalRun()).rejects.toBeInstanceOf(FlowConnectionError);
      expect(server.connections()).toBe(1);
      await expect(pointed.serviceTokens.create({ name: "once", scopes: ["state:read"] })).rejects.toBeInstanceOf(FlowConnectionError);
      expect(server.connections()).toBe(2);
      // A model call starts nothing: asking again is safe.
      await expect(pointed.gateway.chatStream({ model: "m", messages: [{ role: "user", content: "hi" }] }).finalText()).rejects.toBeInstanceOf(FlowConnectionError);
      expect(server.connections()).toBe(5);
    } finally {
      await pointed.close();
      await server.close();
    }
  });
});

describe("stream helpers", () => {
  it("a tool call's name repeated in every piece, as some compatible servers send it, is assembled once", async () => {
    const chunk = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const body =
      chunk({ role: "assistant", content: null, tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: "" } }] }) +
      chunk({ tool_calls: [{ index: 0, function: { name: "get_weather", arguments: '{"city":' } }] }) +
      chunk({ tool_calls: [{ index: 0, function: { name: "get_weather", arguments: '"Paris"}' } }] }) +
      chunk({}, "tool_calls") +
      "data: [DONE]\n\n";
    const server = await scripted({ status: 200, body, headers: { "content-type": "text/event-stream" } });
    const pointed = FlowSDK.create({ env: { ...platform.env, GATEWAY_URL: server.url } });
    try {
      const message = await pointed.gateway.chatStream({ model: "m", messages: [{ role: "user", content: "weather?" }] }).finalMessage();
      expect(message.toolCalls).toEqual([{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }]);
    } finally {
      await pointed.close();
    }
  });

  it("an agent run stream's finalText is the answer its message.delta events add up to", async () => {
    const stream = flow.agents.stream("echo", { input: "hello there" });
    expect(await stream.finalText()).toBe("You said: hello there");
    expect((await stream.finalRun()).output).toBe("You said: hello there");
  });
});
