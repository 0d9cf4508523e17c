// Connectors: call an HTTP API through the platform, which adds the API's credential from the
// workspace's secrets, so the block never holds it. This example starts its own tiny tickets API
// (it wants `Authorization: Bearer <key>`) and its own local platform whose manifest declares a
// connector to it; with a real API, the connector goes in flow-local.json and the key in a secret.
// Run: npx flow-sdk-local run examples/connectors.ts
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import { FlowSDK, FlowServerError, FlowValidationError } from "@flow-sdk/sdk";
import { startLocalPlatform } from "@flow-sdk/sdk/local";

// The upstream: a tickets API on a free port, answering 401 without the right key.
const apiKey = `tk_${randomBytes(12).toString("hex")}`;
const tickets: Array<{ id: number; project: string; title: string; status: string }> = [];
let keyed = 0;
const api = createServer(async (req, res) => {
  const send = (status: number, body: unknown): void => {
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  };
  if (req.headers.authorization !== `Bearer ${apiKey}`) return send(401, { error: "bad key" });
  keyed++;
  const url = new URL(req.url ?? "/", "http://api");
  const [, projects, project, list, id] = url.pathname.split("/").map(decodeURIComponent);
  if (projects !== "projects" || list !== "tickets") return send(404, { error: "no such route" });
  if (req.method === "POST") {
    const { title } = JSON.parse(await text(req)) as { title: string };
    const ticket = { id: tickets.length + 1, project: project!, title, status: "open" };
    tickets.push(ticket);
    return send(201, ticket);
  }
  if (id !== undefined) {
    const ticket = tickets.find((t) => t.project === project && t.id === Number(id));
    return ticket ? send(200, ticket) : send(404, { error: `no ticket ${id}` });
  }
  send(200, tickets.filter((t) => t.project === project && t.status === (url.searchParams.get("status") ?? t.status)));
});
await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
const apiUrl = `http://127.0.0.1:${(api.address() as { port: number }).port}`;

// The platform: a connector to the API, whose credential is the secret TICKETS_API_KEY.
const platform = await startLocalPlatform({
  secrets: { TICKETS_API_KEY: apiKey },
  manifest: {
    connectors: {
      tickets: {
        type: "http",
        name: "Tickets",
        baseUrl: apiUrl,
        auth: { secret: "TICKETS_API_KEY" },
        actions: {
          createTicket: { method: "POST", path: "/projects/{project}/tickets", description: "Opens a ticket" },
          getTicket: { method: "GET", path: "/projects/{project}/tickets/{id}" },
          listTickets: { method: "GET", path: "/projects/{project}/tickets" },
        },
      },
    },
  },
});

try {
  await using flow = FlowSDK.create({ env: platform.env, maxRetries: 0 });

  const connector = await flow.connectors.get("tickets");
  console.log(`connector ${connector.name}: ${connector.actions.map((a) => a.name).join(", ")}; credential from the secret ${connector.auth?.secret}`);

  // {project} is filled in percent-encoded; the other params go in the JSON body of a POST...
  const created = await flow.connectors.invoke<{ id: number; title: string }>("tickets", "createTicket", { project: "web team", title: "Broken link on /pricing" });
  console.log(`created ticket ${created.body.id} in "web team" (${created.status})`);
  // ...and in the query string of a GET.
  const open = await flow.connectors.invoke<Array<{ title: string }>>("tickets", "listTickets", { project: "web team", status: "open" });
  console.log(`open tickets: ${open.body.map((t) => t.title).join(", ")}`);

  try {
    await flow.connectors.invoke("tickets", "getTicket", { project: "web team", id: 99 });
  } catch (error) {
    if (!(error instanceof FlowServerError)) throw error;
    console.log(`missing ticket: ${error.status} ${error.code}, upstream status ${(error.details as { status: number }).status}`);
  }
  try {
    await flow.connectors.invoke("tickets", "closeTicket", { project: "web team", id: 1 });
  } catch (error) {
    if (!(error instanceof FlowValidationError)) throw error;
    console.log(`refused: ${error.issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")}`);
  }
  console.log(`the API got its key on ${keyed} calls; the key was in no answer: ${!JSON.stringify([connector, created, open]).includes(apiKey)}`);
} finally {
  await platform.close();
  api.close();
}

function text(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk)).on("end", () => resolve(Buffer.concat(chunks).toString("utf8"))).on("error", reject);
  });
}
