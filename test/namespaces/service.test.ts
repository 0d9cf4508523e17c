// flow.service's binding of an incoming request in a Node http server, without a platform: what
// the bound context holds, and that it never reaches another request, neither a concurrent one
// nor the next request on a kept-alive connection.
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowSDK, type RequestContext } from "../../src/index.js";

const flow = FlowSDK.create({ platformUrl: "http://127.0.0.1:9", orgId: "org_a", workspaceId: "ws_a", authToken: "t", serviceId: "svc" });
let server: http.Server;
let base: string;

/** Reads the context now and after a few turns of the event loop, then answers both. */
async function answer(res: http.ServerResponse, first: RequestContext): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
  const later = flow.service.request;
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ first, later }));
}

beforeAll(async () => {
  const wrapped = flow.service.handler(async (_req, res) => answer(res, flow.service.request));
  server = http.createServer((req, res) => {
    if (req.url === "/bind") {
      flow.service.bind(req, res);
      void answer(res, flow.service.request);
    } else if (req.url === "/bind-only-req") {
      flow.service.bind(req);
      void answer(res, flow.service.request);
    } else if (req.url === "/handler") void wrapped(req, res);
    else void answer(res, flow.service.request); // binds nothing
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await flow.close();
});

/** GET `path` on one kept-alive socket through `agent`. */
function get(agent: http.Agent, path: string, headers: Record<string, string> = {}): Promise<{ first: RequestContext; later: RequestContext }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${base}${path}`, { agent, headers }, (res) => {
        let text = "";
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve(JSON.parse(text)));
      })
      .on("error", reject);
  });
}

const forwarded = (i: number): Record<string, string> => ({
  "x-request-id": `req-${i}`,
  traceparent: `00-${String(i).padStart(32, "0")}-b7ad6b7169203331-01`,
  "x-flow-subject": "user-1",
  "x-flow-org-id": "org_a",
  "x-flow-workspace-id": "ws_a",
  "x-flow-scopes": "state:read orders:write",
  "x-flow-execution-id": `exe_${i}`,
  authorization: "Bearer caller-secret",
  cookie: "session=1",
});

describe("service.bind and friends in a Node http server", () => {
  it("binds the forwarded context: headers without credentials, the caller as auth, its execution, this service", async () => {
    const agent = new http.Agent({ keepAlive: true });
    const { first, later } = await get(agent, "/bind", forwarded(1));
    agent.destroy();
    expect(first).toEqual(later);
    expect(first.headers["x-request-id"]).toBe("req-1");
    expect(first.headers.traceparent).toBe(`00-${"1".padStart(32, "0")}-b7ad6b7169203331-01`);
    expect(first.headers.authorization).toBeUndefined();
    expect(first.headers.cookie).toBeUndefined();
    expect(first.auth).toEqual({ subject: "user-1", orgId: "org_a", workspaceId: "ws_a", scopes: ["state:read", "orders:write"] });
    expect(first.execution).toEqual({ id: "exe_1" });
    expect(first.service).toEqual({ id: "svc" });
  });

  it("keeps concurrent requests apart, with bind, bind(req) alone and handler", async () => {
    const agent = new http.Agent({ keepAlive: true });
    const paths = ["/bind", "/bind-only-req", "/handler"];
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => get(agent, paths[i % 3]!, forwarded(i))));
    agent.destroy();
    answers.forEach(({ first, later }, i) => {
      expect(first.headers["x-request-id"]).toBe(`req-${i}`);
      expect(later.headers["x-request-id"]).toBe(`req-${i}`);
    });
  });

  it("never hands a binding to the next request on a kept-alive connection", async () => {
    for (const path of ["/bind", "/bind-only-req", "/handler"]) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const bound = await get(agent, path, forwarded(7));
      expect(bound.later.headers["x-request-id"]).toBe("req-7");
      const next = await get(agent, "/plain");
      agent.destroy();
      expect(next.first, path).toEqual({ auth: {}, execution: {}, headers: {}, service: {} });
      expect(next.later, path).toEqual({ auth: {}, execution: {}, headers: {}, service: {} });
    }
  });

  it("run keeps the context after the response, for work that goes on", async () => {
    const seen = await new Promise<RequestContext>((resolve) => {
      const req = { headers: { "x-request-id": "req-run" } };
      flow.service.run(req, () => {
        setTimeout(() => resolve(flow.service.request), 5);
      });
    });
    expect(seen.headers["x-request-id"]).toBe("req-run");
    expect(flow.service.request.headers).toEqual({});
  });
});
