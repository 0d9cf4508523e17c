// Services over a real local platform: a manifest service started from a file (a Node http
// server using the SDK and flow.service.bind), called by a code block and by the SDK, with the
// request id and traceparent seen on the service side and carried on by its own SDK calls; the
// same binding in Express and fastify servers the test runs itself (URL services); a service
// killed with SIGKILL and restarted; heartbeats; a service that fails to start, one that is
// gone, an unknown one; tenant isolation, scopes, and bad input refused before any request.
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import express from "express";
import { fastify, type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform } from "../../local/testing.js";
import { FlowNotFoundError, FlowPermissionError, FlowServerError, FlowValidationError, type FlowSDK, type ServiceInfo } from "../../src/index.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/services/", import.meta.url));
const fixture = (file: string): string => path.join(FIXTURES, file);

const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

let platform: TestPlatform;
let flow: FlowSDK;
let expressServer: http.Server;
let fastifyApp: FastifyInstance;
/** The SDK inside the in-process Express and fastify services (created once the platform runs). */
let expressFlow: FlowSDK;
let fastifyFlow: FlowSDK;

/** Polls `services.get(id)` until `done` says so (the platform's restarts take real time). */
async function until(id: string, done: (service: ServiceInfo) => boolean, timeoutMs = 20_000): Promise<ServiceInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const service = await flow.services.get(id);
    if (done(service)) return service;
    if (Date.now() > deadline) throw new Error(`service ${id} did not get there: ${JSON.stringify(service)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** What the in-process services answer: the bound context and what their own SDK call carried. */
async function report(serviceFlow: FlowSDK, headers: Record<string, unknown>): Promise<Record<string, unknown>> {
  const echoed = (await serviceFlow.gateway.request<{ headers: Record<string, string> }>({ path: "/v1/_echo" })).headers;
  return { received: headers, context: serviceFlow.service.request, echoed };
}

async function closedPort(): Promise<number> {
  const server = http.createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  const services = {
    greeter: { file: fixture("greeter.ts"), name: "Greeter", description: "Says hello", env: { GREETING: "Hello" } },
    broken: { file: fixture("exits.mjs") },
    gone: { url: `http://127.0.0.1:${await closedPort()}` },
  };
  platform = await startTestPlatform({ manifest: { codeBlocks: { "call-greeter": fixture("call-greeter.mjs") }, services } });
  flow = platform.createFlow();
  expressFlow = platform.createFlow({ serviceId: "express" });
  fastifyFlow = platform.createFlow({ serviceId: "fastify" });

  // Express: body parser first, then the middleware; one route binds with bind() instead.
  const app = express();
  app.use(express.json());
  app.use(expressFlow.service.middleware());
  app.post("/hello", async (req, res) => {
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 20)); // interleave concurrent requests
    res.json({ ...(await report(expressFlow, req.headers)), body: req.body });
  });
  app.get("/bound", async (req, res) => {
    expressFlow.service.bind(req);
    res.json(await report(expressFlow, req.headers));
  });
  expressServer = app.listen(0, "127.0.0.1");
  await once(expressServer, "listening");

  fastifyApp = fastify();
  await fastifyApp.register(fastifyFlow.service.fastify());
  fastifyApp.post("/hello", async (request) => {
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
    return { ...(await report(fastifyFlow, request.headers)), body: request.body };
  });
  fastifyApp.get("/bound", async (request, reply) => {
    fastifyFlow.service.bind(request, reply);
    return report(fastifyFlow, request.headers);
  });
  await fastifyApp.listen({ host: "127.0.0.1", port: 0 });

  // The URL services join by a manifest reload; the file service started already goes on.
  platform.reloadManifest({
    codeBlocks: { "call-greeter": fixture("call-greeter.mjs") },
    services: {
      ...services,
      express: { url: `http://127.0.0.1:${(expressServer.address() as AddressInfo).port}` },
      fastify: { url: `http://127.0.0.1:${(fastifyApp.server.address() as AddressInfo).port}`, name: "Fastify app" },
    },
  });
  await until("greeter", (service) => service.status === "running");
}, 60_000);

afterAll(async () => {
  await platform?.close();
  expressServer?.close();
  await fastifyApp?.close();
});

describe("services", () => {
  it("lists the manifest's services by id and gets one by id or name", async () => {
    const page = await flow.services.list();
    expect(page.data.map((service) => service.id)).toEqual(["broken", "express", "fastify", "gone", "greeter"]);
    expect(page.nextCursor).toBeNull();
    const greeter = await flow.services.get("Greeter");
    expect(greeter).toMatchObject({ id: "greeter", name: "Greeter", description: "Says hello", status: "running", restarts: 0, heartbeat: null, lastHeartbeatAt: null });
    expect(greeter.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await flow.services.get("express")).toMatchObject({ id: "express", name: "express", status: "running", url: expect.stringMatching(/^http:/) });
    const first = await flow.services.list({ limit: 2 });
    expect(first.data.map((service) => service.id)).toEqual(["broken", "express"]);
    const rest = await flow.services.list({ limit: 10, cursor: first.nextCursor! });
    expect(rest.data.map((service) => service.id)).toEqual(["fastify", "gone", "greeter"]);
    expect((await flow.services.list({ status: "running" })).data.map((service) => service.id)).toEqual(["express", "fastify", "gone", "greeter"]);
  });

  it("a block calls the file service: the request id and traceparent reach the service and its own SDK calls", async () => {
    const run = await flow.runWithRequestContext({ headers: { "x-request-id": "req-block-call-1", traceparent: TRACEPARENT } }, () =>
      flow.codeBlocks.invoke<{ status: number; service: string; body: any }>("call-greeter", { name: "Ada" }, { wait: true }),
    );
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    const { status, service, body } = run.output!;
    expect(status).toBe(200);
    expect(service).toBe("greeter");
    expect(body.greeting).toBe("Hello, Ada!");
    expect(body.serviceId).toBe("greeter");
    // What the platform forwarded: the context, the caller's identity (the block's execution), no credentials.
    expect(body.received.headers["x-request-id"]).toBe("req-block-call-1");
    expect(body.received.headers.traceparent).toBe(TRACEPARENT);
    expect(body.received.headers["x-flow-subject"]).toBe("local-user");
    expect(body.received.headers["x-flow-org-id"]).toBe("org_local");
    expect(body.received.headers["x-flow-workspace-id"]).toBe("ws_local");
    expect(body.received.headers["x-flow-scopes"]).toBe("*");
    expect(body.received.headers["x-flow-execution-id"]).toBe(run.id);
    expect(body.received.headers.authorization).toBeUndefined();
    expect(body.received.url).toBe("/hello?name=Ada");
    // The bound context, and what the service's own SDK call sent the platform.
    expect(body.context.headers["x-request-id"]).toBe("req-block-call-1");
    expect(body.context.auth).toEqual({ subject: "local-user", orgId: "org_local", workspaceId: "ws_local", scopes: ["*"] });
    expect(body.context.execution).toEqual({ id: run.id });
    expect(body.context.service).toEqual({ id: "greeter" });
    expect(body.echoed["x-request-id"]).toBe("req-block-call-1");
    expect(body.echoed.traceparent).toBe(TRACEPARENT);
    expect(body.echoed["x-service-id"]).toBe("greeter");
    expect(body.echoed["x-execution-id"]).toBe(run.id);
    // Its audit event was recorded by the service under its own subject.
    const events = await flow.audit.list({ resourceType: "greeting", resourceId: "Ada" });
    expect(events.data).toHaveLength(1);
  });

  it("hands back the service's own answers as they are: any status, headers, JSON, text, bytes and streams both ways", async () => {
    const notFound = await flow.services.call("greeter", { path: "/status", query: { code: 404 } });
    expect(notFound).toMatchObject({ status: 404, body: { own: true, status: 404 } });
    expect(notFound.headers["x-flow-service"]).toBe("greeter");
    expect(notFound.headers["x-custom"]).toBe("yes");
    // A service's own 503 is its answer: returned at once, not retried.
    const busy = await flow.services.call("greeter", { method: "POST", path: "/status", query: { code: 503 } });
    expect(busy.status).toBe(503);
    expect(await flow.services.call("greeter", { path: "/text" })).toMatchObject({ status: 200, body: "plain words" });
    const json = await flow.services.call("greeter", { method: "POST", path: "/body", body: { a: [1, 2] } });
    expect(json).toMatchObject({ status: 201, body: { a: [1, 2] } });
    expect(json.headers["content-type"]).toMatch(/^application\/json/);
    const text = await flow.services.call("greeter", { method: "put", path: "/body", body: "just text", responseType: "text" });
    expect(text).toMatchObject({ status: 201, body: "just text" });
    expect(text.headers["content-type"]).toBe("text/plain; charset=utf-8");
    const bytes = await flow.services.call("greeter", { method: "POST", path: "/body", body: Buffer.from([0, 1, 2, 255]), responseType: "buffer" });
    expect([...bytes.body]).toEqual([0, 1, 2, 255]);
    expect(bytes.headers["content-type"]).toBe("application/octet-stream");
    const streamed = await flow.services.call("greeter", {
      method: "POST",
      path: "/body",
      body: Readable.from([Buffer.from("one "), Buffer.from("two")]),
      headers: { "content-type": "text/x-words" },
      responseType: "text",
    });
    expect(streamed).toMatchObject({ status: 201, body: "one two" });
    expect(streamed.headers["content-type"]).toBe("text/x-words");
    const download = await flow.services.call("greeter", { path: "/stream", responseType: "stream" });
    let received = "";
    for await (const chunk of download.body) received += String(chunk);
    expect(received).toBe("chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n");
    const head = await flow.services.call("greeter", { method: "HEAD", path: "/text" });
    expect(head.status).toBe(200);
  });

  it("records a heartbeat, shown by services.get; service.info reads the service itself", async () => {
    const beat = await flow.services.call<ServiceInfo>("greeter", { method: "POST", path: "/heartbeat" });
    expect(beat.body.heartbeat).toEqual({ status: "running", details: { queue: 3 } });
    const greeter = await flow.services.get("greeter");
    expect(greeter.lastHeartbeatAt).not.toBeNull();
    expect(Date.parse(greeter.lastHeartbeatAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(greeter.heartbeat).toEqual({ status: "running", details: { queue: 3 } });
    const info = await flow.services.call<ServiceInfo>("greeter", { path: "/info" });
    expect(info.body).toMatchObject({ id: "greeter", status: "running" });
    // A service that says it is degraded shows so; running again once it says so.
    await expressFlow.service.heartbeat({ status: "degraded", details: { reason: "slow disk" } });
    expect(await flow.services.get("express")).toMatchObject({ status: "degraded", heartbeat: { status: "degraded", details: { reason: "slow disk" } } });
    await expressFlow.service.heartbeat();
    expect((await flow.services.get("express")).status).toBe("running");
  });

  for (const kind of ["express", "fastify"] as const) {
    it(`binds the request context in ${kind}, one request's context never another's`, async () => {
      const calls = Array.from({ length: 8 }, (_, i) =>
        flow.runWithRequestContext({ headers: { "x-request-id": `req-${kind}-${i}`, traceparent: `00-${String(i).padStart(32, "a")}-b7ad6b7169203331-01` } }, () =>
          flow.services.call<any>(kind, { method: "POST", path: "/hello", body: { i } }),
        ),
      );
      const answers = await Promise.all(calls);
      answers.forEach((answer, i) => {
        expect(answer.status).toBe(200);
        expect(answer.body.body).toEqual({ i });
        expect(answer.body.received["x-request-id"]).toBe(`req-${kind}-${i}`);
        expect(answer.body.context.headers["x-request-id"]).toBe(`req-${kind}-${i}`);
        expect(answer.body.context.service).toEqual({ id: kind });
        expect(answer.body.echoed["x-request-id"]).toBe(`req-${kind}-${i}`);
        expect(answer.body.echoed.traceparent).toBe(`00-${String(i).padStart(32, "a")}-b7ad6b7169203331-01`);
        expect(answer.body.echoed["x-service-id"]).toBe(kind);
      });
      const bound = await flow.runWithRequestContext({ headers: { "x-request-id": `req-${kind}-bound` } }, () => flow.services.call<any>(kind, { path: "/bound" }));
      expect(bound.body.echoed["x-request-id"]).toBe(`req-${kind}-bound`);
      // The binding ended with its response: outside any request, the service's SDK has no context.
      expect(kind === "express" ? expressFlow.service.request.headers : fastifyFlow.service.request.headers).toEqual({});
    });
  }

  it("restarts a file service killed with SIGKILL; calls work again", async () => {
    const before = await flow.services.call<{ pid: number }>("greeter", { path: "/hello" });
    process.kill(before.body.pid, "SIGKILL");
    const down = await until("greeter", (service) => service.status !== "running");
    expect(down.status).toBe("degraded");
    expect(down.lastError).toMatch(/killed by SIGKILL; restarting in 1 s/);
    // While it waits to restart, a call is a typed error naming it.
    const failed = await flow.services.call("greeter", { method: "POST", path: "/hello" }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(FlowServerError);
    expect(failed).toMatchObject({ status: 502, code: "service_unavailable" });
    expect((failed as Error).message).toMatch(/Service greeter is not running \(degraded\): it was killed by SIGKILL; it restarts in \d+ s/);
    const back = await until("greeter", (service) => service.status === "running" && service.restarts === 1);
    expect(back.lastError).toBeNull();
    const after = await flow.services.call<{ pid: number; greeting: string }>("greeter", { path: "/hello" });
    expect(after.status).toBe(200);
    expect(after.body.pid).not.toBe(before.body.pid);
  }, 30_000);

  it("a service that exits at start is degraded, says why, and a call to it is a typed error naming it", async () => {
    const broken = await until("broken", (service) => service.lastError !== null && service.status === "degraded");
    expect(broken.status).toBe("degraded");
    expect(broken.lastError).toMatch(/exited with code 3 before it listened on its PORT; its stderr ends: cannot open the orders database; restarting in \d+ s/);
    const error = await flow.services.call("broken", { path: "/" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowServerError);
    expect(error).toMatchObject({ status: 502, code: "service_unavailable", details: { service: "broken", reason: "not_running" } });
    expect((error as Error).message).toMatch(/Service broken is not running \(degraded\): it exited with code 3 before it listened on its PORT; its stderr ends: cannot open the orders database; it restarts in \d+ s/);
  });

  it("a URL service that is gone is a typed error naming it", async () => {
    const error = await flow.services.call("gone", { method: "POST", path: "/x", body: { n: 1 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowServerError);
    expect(error).toMatchObject({ status: 502, code: "service_unavailable", details: { service: "gone", reason: "connection_refused" } });
    expect((error as Error).message).toMatch(/Service gone is unavailable: it refused the connection at http:\/\/127\.0\.0\.1:\d+/);
  });

  it("an unknown service is FlowNotFoundError naming the services there are", async () => {
    for (const attempt of [() => flow.services.get("nope"), () => flow.services.call("nope", { path: "/" })]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FlowNotFoundError);
      expect((error as Error).message).toContain('No service "nope" in this workspace (by id or name); the services are: broken, express, fastify, gone, greeter');
    }
  });

  it("keeps tenants apart and checks scopes", async () => {
    const other = platform.createFlow({ authToken: await platform.mintToken({ workspaceId: "ws_other" }) });
    for (const attempt of [() => other.services.list(), () => other.services.get("greeter"), () => other.services.call("greeter", { path: "/hello" })]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FlowPermissionError);
      expect(error).toMatchObject({ code: "tenant_mismatch" });
    }
    // In its own workspace, the manifest's services do not exist: they belong to the manifest's workspace.
    const elsewhere = platform.createFlow({ workspaceId: "ws_other", authToken: await platform.mintToken({ workspaceId: "ws_other" }) });
    expect((await elsewhere.services.list()).data).toEqual([]);
    for (const attempt of [() => elsewhere.services.get("greeter"), () => elsewhere.services.call("greeter", { path: "/hello" })]) {
      await expect(attempt()).rejects.toBeInstanceOf(FlowNotFoundError);
    }
    const reader = platform.createFlow({ authToken: await platform.mintToken({ scopes: ["services:read"] }) });
    await expect(reader.services.get("greeter")).resolves.toMatchObject({ id: "greeter" });
    await expect(reader.services.call("greeter", { path: "/hello" })).rejects.toMatchObject({ code: "missing_scope", message: expect.stringContaining("services:call") });
    await expect(reader.service.heartbeat()).rejects.toThrow(/SERVICE_ID/);
    const readerAsService = platform.createFlow({ serviceId: "greeter", authToken: await platform.mintToken({ scopes: ["services:read"] }) });
    await expect(readerAsService.service.heartbeat()).rejects.toMatchObject({ code: "missing_scope" });
  });

  it("refuses bad input with FlowValidationError before any request", async () => {
    // Nothing listens at this URL: any request would be a connection error instead.
    const offline = platform.createFlow({ platformUrl: `http://127.0.0.1:${await closedPort()}`, maxRetries: 0, serviceId: "greeter" });
    const attempts: Array<[string, () => unknown]> = [
      ["services.get", () => offline.services.get("")],
      ["services.get", () => offline.services.get(42 as never)],
      ["services.get", () => offline.services.get("..")],
      ["services.list", () => offline.services.list({ limit: 0 })],
      ["services.list", () => offline.services.list({ status: "asleep" as never })],
      ["services.call", () => offline.services.call("greeter", undefined as never)],
      ["services.call", () => offline.services.call("", { path: "/" })],
      ["services.call", () => offline.services.call("greeter", { path: "hello" })],
      ["services.call", () => offline.services.call("greeter", { path: "//evil.example/x" })],
      ["services.call", () => offline.services.call("greeter", { path: "/", method: "FETCH" as never })],
      ["services.call", () => offline.services.call("greeter", { path: "/", body: () => 1 })],
      ["services.call", () => offline.services.call("greeter", { path: "/", query: { a: { b: 1 } } as never })],
      ["services.call", () => offline.services.call("greeter", { path: "/", headers: { "bad header": "x" } })],
      ["services.call", () => offline.services.call("greeter", { path: "/", responseType: "json" as never })],
      ["services.call", () => offline.services.call("greeter", { path: "/", extra: 1 } as never)],
      ["services.call", () => offline.services.call("greeter", { path: "/" }, { timeoutMs: 0 })],
      ["service.heartbeat", () => offline.service.heartbeat({ status: "stopped" as never })],
      ["service.heartbeat", () => offline.service.heartbeat({ details: [] as never })],
      ["service.heartbeat", () => offline.service.heartbeat(5 as never)],
      ["service.info", () => offline.service.info({ timeoutMs: -1 })],
      ["service.bind", () => offline.service.bind(null as never)],
      ["service.run", () => offline.service.run({} as never, () => 1)],
      ["service.handler", () => offline.service.handler("nope" as never)],
    ];
    for (const [what, attempt] of attempts) {
      let error: unknown;
      try {
        await attempt();
      } catch (e) {
        error = e;
      }
      expect(error, what).toBeInstanceOf(FlowValidationError);
    }
    // Outside a service, service.info says what is missing.
    await expect(flow.service.info()).rejects.toThrow(/service\.info\(\) needs SERVICE_ID/);
  });
});
