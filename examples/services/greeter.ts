// A service: a long-running HTTP server the platform starts from the manifest (examples/flow-local.json,
// "services"), with PORT, SERVICE_ID and the platform environment. One call per request,
// flow.service.bind(req, res), binds the caller's request context: every SDK call made while
// handling the request carries the caller's request id and traceparent on to the platform.
import { createServer } from "node:http";
import { FlowSDK } from "@flow-sdk/sdk";

const flow = FlowSDK.create();

const server = createServer(async (req, res) => {
  const request = flow.service.bind(req, res);
  const url = new URL(req.url ?? "/", "http://greeter");
  const send = (status: number, body: unknown): void => {
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  };
  if (req.method === "GET" && url.pathname === "/greet") {
    const name = url.searchParams.get("name") ?? "world";
    // State and audit calls: the platform sees the caller's request id on both.
    const greeted = await flow.state.increment(`greeted:${name}`);
    await flow.audit.log({ action: "greet", resourceType: "person", resourceId: name, details: { times: greeted } });
    return send(200, {
      message: `Hello, ${name}!`,
      times: greeted,
      requestId: request.headers["x-request-id"],
      caller: request.auth["subject"],
    });
  }
  return send(404, { error: `no route ${req.method} ${url.pathname}` });
});

server.listen(Number(process.env.PORT), "127.0.0.1", () => {
  // Tells the platform it is up; services.get shows it as lastHeartbeatAt.
  flow.service.heartbeat({ details: { startedAt: new Date().toISOString() } }).catch((error: unknown) => console.error(`heartbeat failed: ${String(error)}`));
});
process.once("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  void flow.close();
});
