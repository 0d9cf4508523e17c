// A tiny real HTTP server on loopback that answers from a script, for the failure paths the local
// platform does not produce on demand (5xx, 429 with Retry-After, hangs). It records every request.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";

/** One scripted answer (sent after `delayMs`, and with no body at all when `body` is `null`); `hang` never answers. */
export type ScriptedAnswer = { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number } | "hang";

/** A request as the server saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A running scripted server. */
export interface ScriptedServer {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** Answers the n-th request with `script[n]`, repeating the last entry once the script runs out. */
export async function startScriptedServer(script: ScriptedAnswer[]): Promise<ScriptedServer> {
  const requests: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      const answer = script[Math.min(requests.length - 1, script.length - 1)];
      if (answer === undefined || answer === "hang") return;
      const text = answer.body === null ? "" : typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body ?? {});
      setTimeout(() => {
        res.writeHead(answer.status, { "content-type": typeof answer.body === "string" ? "text/plain" : "application/json", ...answer.headers });
        res.end(text);
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Registers an afterEach that closes the servers a test started, and returns `scripted(...script)`, which starts one. */
export function useScriptedServers(): (...script: ScriptedAnswer[]) => Promise<ScriptedServer> {
  const servers: ScriptedServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return async (...script) => {
    const server = await startScriptedServer(script);
    servers.push(server);
    return server;
  };
}
