import { maxHeaderSize } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalPlatform, type LocalPlatform } from "../../local/index.js";

// Answers the HTTP parser and the JSON body parser give, spoken raw: every one carries the error
// envelope and X-Request-Id, and a JSON body is read as UTF-8 or refused, never guessed at.

const STATE = "/v1/orgs/org_local/workspaces/ws_local/state";

/** Sends `request` as raw bytes and returns what came back until the server closed the socket. */
function rawExchange(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

/** Splits a raw HTTP answer into its status, lower-cased headers and JSON body. */
function parseRaw(raw: string): { status: number; headers: Record<string, string>; body: any } {
  const [head = "", body = ""] = raw.split("\r\n\r\n", 2);
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body: JSON.parse(body) };
}

describe("server manners", () => {
  let platform: LocalPlatform;
  let token: string;
  beforeAll(async () => {
    platform = await startLocalPlatform();
    token = platform.env.AUTH_TOKEN;
  });
  afterAll(async () => {
    await platform.close();
  });

  const put = (key: string, body: Buffer | string, contentType = "application/json"): Promise<Response> =>
    fetch(`${platform.url}${STATE}/${key}`, { method: "PUT", headers: { authorization: `Bearer ${token}`, "content-type": contentType }, body });

  it("answers headers over the limit with 431 headers_too_large, the envelope and an X-Request-Id", async () => {
    const raw = await rawExchange(platform.url, `GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(maxHeaderSize + 1000)}\r\n\r\n`);
    const answer = parseRaw(raw);
    expect(answer.status).toBe(431);
    expect(answer.headers["x-request-id"]).toMatch(/^req_[0-9a-f]{16}$/);
    expect(answer.headers["content-type"]).toMatch(/^application\/json/);
    expect(answer.body).toEqual({ error: { code: "headers_too_large", message: expect.stringContaining("headers") } });
  });

  it("answers a request that is not HTTP with 400 bad_request and the envelope", async () => {
    const answer = parseRaw(await rawExchange(platform.url, "NOT HTTP AT ALL\r\n\r\n"));
    expect(answer.status).toBe(400);
    expect(answer.headers["x-request-id"]).toMatch(/^req_/);
    expect(answer.body).toMatchObject({ error: { code: "bad_request" } });
  });

  it("still serves after refusing a connection's headers", async () => {
    await rawExchange(platform.url, `GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(maxHeaderSize + 1000)}\r\n\r\n`);
    expect((await fetch(`${platform.url}/v1/health`)).status).toBe(200);
  });

  it("refuses a JSON body that is not valid UTF-8 with 400 bad_request, storing nothing", async () => {
    // {"value":"a<0xff>b"}: a lone 0xff byte is never UTF-8.
    const bytes = Buffer.concat([Buffer.from('{"value":"a'), Buffer.from([0xff]), Buffer.from('b"}')]);
    const response = await put("bad-utf8", bytes);
    expect(response.status).toBe(400);
    expect(response.headers.get("x-request-id")).toBeTruthy();
    expect(await response.json()).toEqual({ error: { code: "bad_request", message: expect.stringContaining("UTF-8") } });
    const read = await fetch(`${platform.url}${STATE}/bad-utf8`, { headers: { authorization: `Bearer ${token}` } });
    expect(read.status).toBe(404);
  });

  it("refuses an overlong or surrogate encoding too", async () => {
    for (const bad of [[0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
      const response = await put("bad-utf8", Buffer.concat([Buffer.from('{"value":"'), Buffer.from(bad), Buffer.from('"}')]));
      expect(response.status).toBe(400);
    }
  });

  it("keeps valid UTF-8, multi-byte characters and a byte order mark included", async () => {
    const response = await put("good-utf8", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ value: "é漢😀" }))]));
    expect(response.status).toBe(200);
    const read = await fetch(`${platform.url}${STATE}/good-utf8`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await read.json()) as { value: unknown }).value).toBe("é漢😀");
  });

  it("refuses a JSON body whose charset is not UTF-8 with 415 bad_request naming it", async () => {
    const response = await put("latin1", Buffer.from('{"value":"caf\xe9"}', "latin1"), "application/json; charset=latin1");
    expect(response.status).toBe(415);
    expect(response.headers.get("x-request-id")).toBeTruthy();
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("bad_request");
    expect(body.error.message).toContain("latin1");
    const read = await fetch(`${platform.url}${STATE}/latin1`, { headers: { authorization: `Bearer ${token}` } });
    expect(read.status).toBe(404);
  });

  it("accepts charset utf-8 in any spelling, quoted or not", async () => {
    for (const type of ["application/json; charset=utf-8", "application/json;charset=UTF-8", 'application/json; charset="utf-8"', "application/json; charset=utf8"]) {
      const response = await put("charset", JSON.stringify({ value: type }), type);
      expect(response.status, type).toBe(200);
    }
  });

  it("still accepts an empty JSON body on a DELETE", async () => {
    const response = await fetch(`${platform.url}${STATE}/nothing`, { method: "DELETE", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } });
    expect(response.status).toBe(200);
  });
});
