// flow.connectors against a real local platform whose connectors call a scripted upstream process
// (test/fixtures/connectors/upstream.mjs) that checks the credential on its side. The credential
// is a canary: no answer, SDK error or stderr line may hold it.
import { inspect } from "node:util";
import { afterAll, describe, expect, it, vi } from "vitest";
import {
  FlowConnectionError,
  FlowError,
  FlowNotFoundError,
  FlowPermissionError,
  FlowRateLimitError,
  FlowServerError,
  FlowValidationError,
  type ConnectorResult,
} from "../../src/index.js";
import { CANARY, connectorsManifest, SECRETS, WRONG } from "../fixtures/connectors/manifest.js";
import { deadPort, startConnectorUpstream } from "../fixtures/connectors/upstream-process.js";
import { caught, flowWithToken, sharedPlatform } from "../helpers/flows.js";
import { recordStderr } from "../helpers/stderr.js";

const stderr = recordStderr();

const upstream = await startConnectorUpstream(CANARY);
afterAll(async () => {
  await upstream.stop();
  vi.restoreAllMocks();
});
const { platform, flow, offline } = await sharedPlatform({ manifest: connectorsManifest(upstream.url, await deadPort()), secrets: SECRETS });
// Failures are asserted on the first answer: no retries (a 502 or 429 would be retried after a backoff).
const once = platform.createFlow({ maxRetries: 0 });

// Every error the SDK raised and every result it resolved to, for the canary check at the end.
const seen: unknown[] = [];
async function failure(fn: () => unknown): Promise<unknown> {
  const error = await caught(fn);
  seen.push(error);
  return error;
}

describe("connectors.list and connectors.get", () => {
  it("list pages the connectors by id", async () => {
    const page = await flow.connectors.list();
    expect(page.data.map((c) => c.id)).toEqual(["crm", "down", "keyed", "open", "slow", "unset", "wrong"]);
    const all: string[] = [];
    for await (const connector of flow.connectors.list({ limit: 2 })) all.push(connector.id);
    expect(all).toEqual(["crm", "down", "keyed", "open", "slow", "unset", "wrong"]);
  });

  it("get resolves to the connector with its actions and the secret's name, never its value", async () => {
    const connector = await flow.connectors.get("crm");
    seen.push(connector);
    expect(connector).toMatchObject({ id: "crm", type: "http", name: "CRM", auth: { secret: "CRM_TOKEN", header: "Authorization", prefix: "Bearer " }, timeoutSeconds: 30 });
    expect(connector.actions.map((a) => a.name)).toEqual(["getItem", "listItems", "createItem", "updateItem", "patchItem", "deleteItem", "text", "empty", "fail", "redirect", "big"]);
    expect(connector.actions[0]).toEqual({ name: "getItem", method: "GET", path: "/echo/items/{folder}/{name}", params: ["folder", "name"], description: "Reads an item" });
    expect(JSON.stringify(connector)).not.toContain(CANARY);
  });

  it("get of an unknown connector is FlowNotFoundError naming the connectors", async () => {
    const error = await failure(() => flow.connectors.get("nope"));
    expect(error).toBeInstanceOf(FlowNotFoundError);
    expect((error as Error).message).toContain("crm, down, keyed");
  });
});

describe("connectors.invoke", () => {
  it("resolves to the upstream's status, headers and JSON body; path params percent-encoded, the rest as the query", async () => {
    const result = await flow.connectors.invoke<{ rawPath: string; query: Record<string, unknown>; headers: Record<string, string> }>("crm", "getItem", {
      folder: "reports/2026 Q1",
      name: "a b",
      page: 2,
      tags: ["x", "y"],
    });
    seen.push(result);
    expect(result.status).toBe(200);
    expect(result.headers["x-upstream"]).toBe("scripted");
    expect(result.body.rawPath).toBe("/bearer/echo/items/reports%2F2026%20Q1/a%20b");
    expect(result.body.query).toEqual({ page: "2", tags: ["x", "y"] });
    expect(result.body.headers.authorization).toBe("Bearer [REDACTED]");
    const log = await upstream.log();
    expect(log.find((entry) => entry.rawPath.startsWith("/bearer/echo/items/reports%2F2026"))?.credentialOk).toBe(true);
  });

  it("sends the rest as the JSON body for a POST, and resolves a text body as text", async () => {
    const created = await flow.connectors.invoke<{ method: string; body: unknown }>("crm", "createItem", { folder: "inbox", title: "Hi", tags: ["a"] });
    expect(created.body).toMatchObject({ method: "POST", body: { title: "Hi", tags: ["a"] } });
    const text: ConnectorResult<string> = await flow.connectors.invoke<string>("crm", "text");
    seen.push(text);
    expect(text).toMatchObject({ status: 200, body: "hello from upstream; you sent Bearer [REDACTED]" });
    expect(text.headers["content-type"]).toMatch(/^text\/plain/);
    const keyed = await flow.connectors.invoke<{ headers: Record<string, string> }>("keyed", "echo");
    expect(keyed.body.headers["x-api-key"]).toBe("[REDACTED]");
  });

  it("an upstream 404 or 500 is FlowServerError 502 connector_upstream_error with details.status", async () => {
    for (const code of [404, 500]) {
      const error = await failure(() => once.connectors.invoke("crm", "fail", { code }));
      expect(error).toBeInstanceOf(FlowServerError);
      expect(error).toMatchObject({ status: 502, code: "connector_upstream_error", details: { status: code } });
    }
  });

  it("an upstream 429 is FlowRateLimitError with its retryAfter", async () => {
    const error = await failure(() => once.connectors.invoke("crm", "fail", { code: 429 }));
    expect(error).toBeInstanceOf(FlowRateLimitError);
    expect((error as FlowRateLimitError).retryAfter).toBe(7);
  });

  it("a refused or missing credential is FlowServerError 502 connector_auth_failed naming the secret", async () => {
    const refused = await failure(() => once.connectors.invoke("wrong", "echo"));
    expect(refused).toBeInstanceOf(FlowServerError);
    expect(refused).toMatchObject({ status: 502, code: "connector_auth_failed" });
    expect((refused as Error).message).toContain("WRONG_TOKEN");
    const missing = await failure(() => once.connectors.invoke("unset", "echo"));
    expect(missing).toMatchObject({ status: 502, code: "connector_auth_failed" });
    expect((missing as Error).message).toContain("NOT_SET");
  });

  it("an upstream that is down or silent past timeoutSeconds is FlowServerError 502 connector_unavailable", async () => {
    for (const [id, action] of [["down", "ping"], ["slow", "hang"]] as const) {
      const error = await failure(() => once.connectors.invoke(id, action));
      expect(error).toBeInstanceOf(FlowServerError);
      expect(error).toMatchObject({ status: 502, code: "connector_unavailable" });
    }
  });

  it("an unknown action is FlowValidationError on action, naming the actions", async () => {
    const error = await failure(() => flow.connectors.invoke("crm", "launch"));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues).toEqual([{ path: "action", message: expect.stringContaining("getItem, listItems") }]);
  });

  it("a missing path parameter is FlowValidationError on params.<name>", async () => {
    const error = await failure(() => flow.connectors.invoke("crm", "getItem", { folder: "a" }));
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues).toEqual([{ path: "params.name", message: expect.stringContaining("name") }]);
  });

  it("a retry with the same idempotencyKey gets the first answer without calling the upstream again", async () => {
    const first = await flow.connectors.invoke("crm", "createItem", { folder: "sdk-replay" }, { idempotencyKey: "sdk-conn-replay" });
    const again = await flow.connectors.invoke("crm", "createItem", { folder: "sdk-replay" }, { idempotencyKey: "sdk-conn-replay" });
    expect(again).toEqual(first);
    expect((await upstream.log()).filter((entry) => entry.rawPath === "/bearer/echo/items/sdk-replay")).toHaveLength(1);
  });

  it("a token of another workspace is FlowPermissionError", async () => {
    const other = flowWithToken(platform, await platform.mintToken({ workspaceId: "ws_other" }));
    const error = await failure(() => other.connectors.invoke("crm", "text"));
    expect(error).toBeInstanceOf(FlowPermissionError);
    expect(error).toMatchObject({ status: 403, code: "tenant_mismatch" });
    expect(await failure(() => other.connectors.list())).toBeInstanceOf(FlowPermissionError);
  });
});

describe("bad input", () => {
  const cases: Array<[string, () => unknown]> = [
    ["list: limit 0", () => offline.connectors.list({ limit: 0 })],
    ["list: unknown key", () => offline.connectors.list({ type: "slack" } as never)],
    ["list: not an object", () => offline.connectors.list("crm" as never)],
    ["get: empty id", () => offline.connectors.get("")],
    ["get: id not a string", () => offline.connectors.get(42 as never)],
    ["get: id with a slash", () => offline.connectors.get("a/b")],
    ["invoke: empty id", () => offline.connectors.invoke("", "echo")],
    ["invoke: action with a space", () => offline.connectors.invoke("crm", "get item")],
    ["invoke: action missing", () => offline.connectors.invoke("crm", undefined as never)],
    ["invoke: params an array", () => offline.connectors.invoke("crm", "echo", [] as never)],
    ["invoke: params null", () => offline.connectors.invoke("crm", "echo", null as never)],
    ["invoke: params holding a function", () => offline.connectors.invoke("crm", "echo", { f: () => 1 })],
    ["invoke: params holding NaN", () => offline.connectors.invoke("crm", "echo", { n: Number.NaN })],
    ["invoke: bad options", () => offline.connectors.invoke("crm", "echo", {}, { timeoutMs: -1 })],
    ["get: bad options", () => offline.connectors.get("crm", { bogus: 1 } as never)],
  ];
  it.each(cases)("%s is FlowValidationError before any request", async (_, fn) => {
    const error = await caught(fn);
    expect(error).toBeInstanceOf(FlowValidationError);
    expect(error).not.toBeInstanceOf(FlowConnectionError);
  });
});

describe("the credential", () => {
  it("is in no SDK result or error, in any form, nor on stderr", () => {
    expect(seen.length).toBeGreaterThan(10);
    for (const item of seen) {
      const forms = [JSON.stringify(item), inspect(item, { depth: 10 }), item instanceof FlowError ? `${item.message} ${String(item.cause)} ${JSON.stringify((item as { details?: unknown }).details)}` : ""];
      for (const form of forms) {
        expect(form).not.toContain(CANARY);
        expect(form).not.toContain(WRONG);
      }
    }
    const written = stderr.join("");
    expect(written).not.toContain(CANARY);
    expect(written).not.toContain(WRONG);
  });
});
