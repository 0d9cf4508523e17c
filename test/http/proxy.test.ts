// The environment's proxy, end to end: a child process whose HTTP_PROXY names a forward proxy on
// loopback makes its calls to the local platform through it, as axios' Node build did: an http:
// target goes to an http: proxy as a plain request for the absolute URL, never a CONNECT tunnel.
import { spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { sharedPlatform } from "../helpers/flows.js";

const { platform } = await sharedPlatform();

/** A forward proxy for http: targets that records what it was asked for; CONNECT is refused. */
async function forwardProxy(): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? "");
    const upstream = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.on("connect", (req, socket) => {
    seen.push(`CONNECT ${req.url}`);
    socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function runThrough(env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/http/fixtures/through-proxy.ts"], {
    env: { ...process.env, ...platform.env, NO_PROXY: "", no_proxy: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  await once(child, "exit");
  return output;
}

const proxies: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()));
});

describe("the environment's proxy", () => {
  it("carries every call of a fresh process, as absolute-form requests, even written without a scheme", async () => {
    const proxy = await forwardProxy();
    proxies.push(proxy);
    const output = await runThrough({ HTTP_PROXY: proxy.url }); // "127.0.0.1:PORT": no scheme, as proxy-from-env allowed
    expect(output).toContain('read: {"through":"proxy"}');
    const origin = new URL(platform.url).origin;
    expect(proxy.seen.length).toBeGreaterThanOrEqual(2);
    expect(proxy.seen.every((line) => line.startsWith("PUT ") || line.startsWith("GET "))).toBe(true);
    expect(proxy.seen.every((line) => line.split(" ")[1]!.startsWith(`${origin}/v1/`))).toBe(true);
  });

  it("is skipped for the hosts NO_PROXY names", async () => {
    const proxy = await forwardProxy();
    proxies.push(proxy);
    const output = await runThrough({ HTTP_PROXY: `http://${proxy.url}`, NO_PROXY: "127.0.0.1" });
    expect(output).toContain('read: {"through":"proxy"}');
    expect(proxy.seen).toEqual([]);
  });
});
