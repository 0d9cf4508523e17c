// Connectors on the local platform over the wire (docs/protocol.md, "Connectors"): a scripted
// upstream runs as its own process (test/fixtures/connectors/upstream.mjs), checks the credential
// on its side and echoes what it got; the credential is a canary that must appear in no answer,
// error or line the platform writes on stderr.
import { recordStderr } from "../helpers/stderr.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startLocalPlatform, type LocalPlatform } from "../../local/index.js";
import { CANARY, connectorsManifest, SECRETS, WRONG } from "../fixtures/connectors/manifest.js";
import { deadPort, startConnectorUpstream, type ConnectorUpstream } from "../fixtures/connectors/upstream-process.js";

let upstream: ConnectorUpstream;
let platform: LocalPlatform;
let token: string;
const W = "/v1/orgs/org_local/workspaces/ws_local";
// Every text the platform wrote on stderr and every answer a test read.
let stderr: string[] = [];
const answers: string[] = [];

beforeAll(async () => {
  stderr = recordStderr();
  upstream = await startConnectorUpstream(CANARY);
  platform = await startLocalPlatform({ manifest: connectorsManifest(upstream.url, await deadPort()), secrets: SECRETS });
  token = await platform.mintToken();
});
afterAll(async () => {
  await platform?.close();
  await upstream?.stop();
  vi.restoreAllMocks();
});

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(route: string, init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${init.token ?? token}`, ...init.headers };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(new URL(route, platform.url), { method: init.method ?? (init.body === undefined ? "GET" : "POST"), headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
  const text = await response.text();
  answers.push(text, JSON.stringify([...response.headers]));
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) };
}

function invoke(connector: string, body: unknown, init: { token?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return call(`${W}/connectors/${connector}/invoke`, { body, ...init });
}

function expectError(answer: Answer, status: number, code: string): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body.error.code).toBe(code);
}

describe("list and get", () => {
  it("list pages the manifest's connectors by id", async () => {
    const page = await call(`${W}/connectors`);
    expect(page.status).toBe(200);
    expect(page.body.data.map((c: { id: string }) => c.id)).toEqual(["crm", "down", "keyed", "open", "slow", "unset", "wrong"]);
    expect(page.body.nextCursor).toBeNull();
    const first = await call(`${W}/connectors?limit=3`);
    expect(first.body.data.map((c: { id: string }) => c.id)).toEqual(["crm", "down", "keyed"]);
    const second = await call(`${W}/connectors?limit=3&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(second.body.data.map((c: { id: string }) => c.id)).toEqual(["open", "slow", "unset"]);
    expectError(await call(`${W}/code-blocks?cursor=${encodeURIComponent(first.body.nextCursor)}`), 400, "validation_error");
  });

  it("get shows the actions and the secret's name, never its value", async () => {
    const answer = await call(`${W}/connectors/crm`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      id: "crm",
      type: "http",
      name: "CRM",
      description: "The scripted upstream, bearer credential",
      baseUrl: `${upstream.url}/bearer`,
      auth: { secret: "CRM_TOKEN", header: "Authorization", prefix: "Bearer " },
      timeoutSeconds: 30,
    });
    expect(answer.body.actions[0]).toEqual({ name: "getItem", method: "GET", path: "/echo/items/{folder}/{name}", params: ["folder", "name"], description: "Reads an item" });
    expect(answer.body.actions.find((a: { name: string }) => a.name === "patchItem")).toMatchObject({ method: "PATCH", params: ["id"], description: null });
    expect(Date.parse(answer.body.createdAt)).not.toBeNaN();
    expect((await call(`${W}/connectors/keyed`)).body.auth).toEqual({ secret: "CRM_KEY", header: "X-Api-Key", prefix: "" });
    expect((await call(`${W}/connectors/open`)).body.auth).toBeNull();
    expect(JSON.stringify((await call(`${W}/connectors`)).body)).not.toContain(CANARY);
  });

  it("an unknown connector is 404 naming the connectors there are", async () => {
    const answer = await call(`${W}/connectors/nope`);
    expectError(answer, 404, "not_found");
    expect(answer.body.error.message).toContain("crm, down, keyed, open, slow, unset, wrong");
    expectError(await invoke("nope", { action: "x" }), 404, "not_found");
  });
});

describe("invoking an action", () => {
  it("fills the path template percent-encoded, sends the other params as the query, and answers the upstream's JSON with the credential masked", async () => {
    const answer = await invoke("crm", { action: "getItem", params: { folder: "a/b c", name: "x?y#z%é", limit: 5, tags: ["red", "blue"], flag: true, skip: null } }, { headers: { "x-request-id": "conn-get-1" } });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.status).toBe(200);
    const echo = answer.body.body;
    expect(echo).toMatchObject({ method: "GET", rawPath: "/bearer/echo/items/a%2Fb%20c/x%3Fy%23z%25%C3%A9", query: { limit: "5", tags: ["red", "blue"], flag: "true" }, body: null, contentType: null, requestId: "conn-get-1" });
    expect(echo.headers["x-client"]).toBe("flow-test");
    // The upstream echoed the credential in its body and a header: both come back masked.
    expect(echo.headers.authorization).toBe("Bearer [REDACTED]");
    expect(answer.body.headers["x-echo-credential"]).toBe("Bearer [REDACTED]");
    expect(answer.body.headers["x-upstream"]).toBe("scripted");
    expect(answer.body.headers["content-type"]).toMatch(/^application\/json/);
    expect(answer.body.headers).not.toHaveProperty("content-length");
    const seen = (await upstream.log()).filter((entry) => entry.rawPath.startsWith("/bearer/echo/items/a%2Fb"));
    expect(seen).toEqual([expect.objectContaining({ method: "GET", credentialOk: true })]);
  });

  it("sends the other params as the JSON body for POST, PUT and PATCH, and as the query for DELETE", async () => {
    const post = await invoke("crm", { action: "createItem", params: { folder: "inbox", title: "Hello", nested: { a: [1, 2] } } });
    expect(post.body.body).toMatchObject({ method: "POST", rawPath: "/bearer/echo/items/inbox", query: {}, body: { title: "Hello", nested: { a: [1, 2] } }, contentType: "application/json" });
    const put = await invoke("crm", { action: "updateItem", params: { id: 7, title: "New" } });
    expect(put.body.body).toMatchObject({ method: "PUT", rawPath: "/bearer/echo/items/7", body: { title: "New" } });
    const patch = await invoke("crm", { action: "patchItem", params: { id: "x y" } });
    expect(patch.body.body).toMatchObject({ method: "PATCH", rawPath: "/bearer/echo/items/x%20y", body: {} });
    const del = await invoke("crm", { action: "deleteItem", params: { id: 7, hard: true } });
    expect(del.body.body).toMatchObject({ method: "DELETE", rawPath: "/bearer/echo/items/7", query: { hard: "true" }, body: null });
  });

  it("answers a text body as text, an empty one as null, and sends a custom credential header", async () => {
    const text = await invoke("crm", { action: "text" });
    expect(text.body).toMatchObject({ status: 200, body: "hello from upstream; you sent Bearer [REDACTED]" });
    const empty = await invoke("crm", { action: "empty" });
    expect(empty.body).toMatchObject({ status: 204, body: null });
    const keyed = await invoke("keyed", { action: "echo" });
    expect(keyed.status).toBe(200);
    expect(keyed.body.body.headers["x-api-key"]).toBe("[REDACTED]");
    expect(keyed.body.body.headers).not.toHaveProperty("authorization");
    const open = await invoke("open", { action: "echo" });
    expect(open.body.body.headers).not.toHaveProperty("authorization");
  });
});

describe("upstream failures", () => {
  it("a 404 or 500 is 502 connector_upstream_error with the upstream's status and body (masked)", async () => {
    for (const code of [404, 500]) {
      const answer = await invoke("crm", { action: "fail", params: { code } });
      expectError(answer, 502, "connector_upstream_error");
      expect(answer.body.error.details.status).toBe(code);
      expect(JSON.parse(answer.body.error.details.body)).toEqual({ error: `status ${code}`, credential: "Bearer [REDACTED]" });
      expect(answer.body.error.message).toContain(`answered ${code}`);
    }
  });

  it("a 429 is 429 rate_limited with the upstream's Retry-After", async () => {
    const answer = await invoke("crm", { action: "fail", params: { code: 429 } });
    expectError(answer, 429, "rate_limited");
    expect(answer.headers.get("retry-after")).toBe("7");
  });

  it("a refused credential is 502 connector_auth_failed naming the secret, the credential sent masked", async () => {
    const answer = await invoke("wrong", { action: "echo" });
    expectError(answer, 502, "connector_auth_failed");
    expect(answer.body.error.message).toContain("WRONG_TOKEN");
    expect(answer.body.error.message).toContain("status 401");
    expect(JSON.stringify(answer.body)).not.toContain(WRONG);
    const forbidden = await invoke("open", { action: "fail", params: { code: 403 } });
    expectError(forbidden, 502, "connector_auth_failed");
  });

  it("a secret the workspace lacks is 502 connector_auth_failed naming it, and the upstream is not called", async () => {
    const before = (await upstream.log()).length;
    const answer = await invoke("unset", { action: "echo" });
    expectError(answer, 502, "connector_auth_failed");
    expect(answer.body.error.message).toContain("NOT_SET");
    expect(answer.body.error.message).toContain("--secrets-file");
    expect((await upstream.log()).length).toBe(before);
  });

  it("an upstream that is down, or that does not answer within timeoutSeconds, is 502 connector_unavailable", async () => {
    const down = await invoke("down", { action: "ping" });
    expectError(down, 502, "connector_unavailable");
    expect(down.body.error.message).toMatch(/ECONNREFUSED/);
    const slow = await invoke("slow", { action: "hang" });
    expectError(slow, 502, "connector_unavailable");
    expect(slow.body.error.message).toContain("did not answer within timeoutSeconds 1");
  });

  it("does not follow a redirect: it is an upstream error", async () => {
    const answer = await invoke("crm", { action: "redirect" });
    expectError(answer, 502, "connector_upstream_error");
    expect(answer.body.error.details.status).toBe(302);
  });

  it("an answer over the limit is 502 connector_upstream_error with the start of its body", async () => {
    const answer = await invoke("crm", { action: "big" });
    expectError(answer, 502, "connector_upstream_error");
    expect(answer.body.error.details).toEqual({ status: 200, body: "x".repeat(4096) });
  });
});

describe("bad input", () => {
  it("an unknown action is 400 on action, naming the actions", async () => {
    const answer = await invoke("crm", { action: "launch" });
    expectError(answer, 400, "validation_error");
    expect(answer.body.error.details.issues).toEqual([{ path: "action", message: expect.stringContaining("getItem, listItems, createItem") }]);
  });

  it("a missing or unusable path parameter is 400 on params.<name>", async () => {
    const missing = await invoke("crm", { action: "getItem", params: { folder: "a" } });
    expectError(missing, 400, "validation_error");
    expect(missing.body.error.details.issues).toEqual([{ path: "params.name", message: expect.stringContaining("the path parameter name of action getItem") }]);
    const bad = await invoke("crm", { action: "getItem", params: { folder: "", name: ".." } });
    expect(bad.body.error.details.issues.map((i: { path: string }) => i.path)).toEqual(["params.folder", "params.name"]);
    const object = await invoke("crm", { action: "getItem", params: { folder: { a: 1 }, name: "n" } });
    expect(object.body.error.details.issues.map((i: { path: string }) => i.path)).toEqual(["params.folder"]);
  });

  it("an object as a GET query parameter is 400 on params.<name>", async () => {
    const answer = await invoke("crm", { action: "listItems", params: { filter: { a: 1 } } });
    expectError(answer, 400, "validation_error");
    expect(answer.body.error.details.issues).toEqual([{ path: "params.filter", message: expect.stringContaining("query parameter") }]);
  });

  it("a body of the wrong shape is 400", async () => {
    for (const body of [{}, { action: 1 }, { action: "a b" }, { action: "echo", params: [] }, { action: "echo", params: "x" }, { action: "echo", params: null }, { action: "echo", extra: 1 }]) {
      expectError(await invoke("open", body), 400, "validation_error");
    }
  });
});

describe("tokens and replays", () => {
  it("needs connectors:read to read and connectors:invoke to invoke", async () => {
    const reader = await platform.mintToken({ scopes: ["connectors:read"] });
    const invoker = await platform.mintToken({ scopes: ["connectors:invoke"] });
    expect((await call(`${W}/connectors`, { token: reader })).status).toBe(200);
    expectError(await invoke("open", { action: "echo" }, { token: reader }), 403, "missing_scope");
    expectError(await call(`${W}/connectors/open`, { token: invoker }), 403, "missing_scope");
    expect((await invoke("open", { action: "echo" }, { token: invoker })).status).toBe(200);
  });

  it("a token of another workspace is 403 here, and in its own workspace the manifest's connectors do not exist", async () => {
    const other = await platform.mintToken({ workspaceId: "ws_other" });
    expectError(await invoke("crm", { action: "text" }, { token: other }), 403, "tenant_mismatch");
    expectError(await call(`${W}/connectors`, { token: other }), 403, "tenant_mismatch");
    const before = (await upstream.log()).length;
    const own = await call("/v1/orgs/org_local/workspaces/ws_other/connectors/crm/invoke", { token: other, body: { action: "text" } });
    expectError(own, 404, "not_found");
    expectError(await call("/v1/orgs/org_local/workspaces/ws_other/connectors/crm", { token: other }), 404, "not_found");
    expect((await call("/v1/orgs/org_local/workspaces/ws_other/connectors", { token: other })).body).toMatchObject({ data: [] });
    expect((await upstream.log()).length).toBe(before);
  });

  it("replays an answer for the same Idempotency-Key without calling the upstream again; an error is not kept", async () => {
    const body = { action: "createItem", params: { folder: "replay", n: 1 } };
    const first = await invoke("crm", body, { headers: { "idempotency-key": "conn-replay-1" } });
    const again = await invoke("crm", body, { headers: { "idempotency-key": "conn-replay-1" } });
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect((await upstream.log()).filter((entry) => entry.rawPath === "/bearer/echo/items/replay")).toHaveLength(1);
    const failing = { action: "fail", params: { code: 500 } };
    await invoke("crm", failing, { headers: { "idempotency-key": "conn-replay-2" } });
    const retried = await invoke("crm", failing, { headers: { "idempotency-key": "conn-replay-2" } });
    expect(retried.headers.get("idempotent-replayed")).toBeNull();
    expect((await upstream.log()).filter((entry) => entry.rawPath === "/bearer/status/500").length).toBeGreaterThanOrEqual(3);
  });
});

describe("the credential", () => {
  it("appears in no answer and no line on stderr", () => {
    expect(answers.length).toBeGreaterThan(20);
    for (const text of answers) {
      expect(text).not.toContain(CANARY);
      expect(text).not.toContain(WRONG);
    }
    const written = stderr.join("");
    expect(written).not.toContain(CANARY);
    expect(written).not.toContain(WRONG);
  });
});
