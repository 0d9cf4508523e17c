// Validation has bounds, and every bad input is a FlowValidationError before any request (issue 12,
// points 3 and 4): the issue list is capped, a params argument that is not an object is one issue,
// caller headers are capped, and each input the fuzzing found sent or mis-typed is refused here by
// example, in the SDK (nothing sent) and on the local platform (a small, quick 400, never a 5xx).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_ISSUES, StateSetInput, validateInput } from "../../src/dto/index.js";
import { FlowSDK, FlowValidationError } from "../../src/index.js";
import { startTestPlatform, type TestPlatform } from "../../local/testing.js";

/** The error `run` rejects (or throws) with. */
async function failure(run: () => unknown): Promise<unknown> {
  try {
    const returned = run() as { then?: unknown; [Symbol.asyncIterator]?: () => AsyncIterator<unknown> } | undefined;
    if (returned && typeof returned[Symbol.asyncIterator] === "function" && typeof returned.then !== "function") await returned[Symbol.asyncIterator]!().next();
    else await returned;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

/** Headers `x-h0` … `x-h<n-1>`. */
function manyHeaders(n: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, "v"]));
}

/** An object of `n` unknown keys, plus `extra`. */
function manyKeys(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...extra };
  for (let i = 0; i < n; i++) out[`k${i}`] = i;
  return out;
}

describe("the issue list is capped", () => {
  it("lists at most 20 issues, then one saying how many more, for 500,000 unknown keys, quickly and briefly", () => {
    const started = performance.now();
    let error: unknown;
    try {
      validateInput(StateSetInput, manyKeys(500_000, { key: "k", value: 1 }), "state.set");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FlowValidationError);
    const { issues, message } = error as FlowValidationError;
    expect(issues).toHaveLength(MAX_ISSUES + 1);
    expect(issues[0]).toEqual({ path: "k0", message: "property k0 should not exist" });
    expect(issues[MAX_ISSUES]).toEqual({ path: "", message: `and ${500_000 - MAX_ISSUES} more` });
    expect(message.length).toBeLessThan(2_000);
    expect(message).toMatch(/; and 499980 more\)$/);
    // Building the 500,000 keys is not timed; refusing them was 4.6 s, now a fraction of one.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("keeps listing every issue of a small input beside its unknown keys", () => {
    let error: unknown;
    try {
      validateInput(StateSetInput, { key: "", value: 1, ifVersion: -1, kee: 1 }, "state.set");
    } catch (caught) {
      error = caught;
    }
    expect((error as FlowValidationError).issues.map((issue) => issue.path).sort()).toEqual(["ifVersion", "kee", "key"]);
  });

  it("does not quote a very long unknown key", () => {
    const keys = manyKeys(30, { key: "k", value: 1, ["x".repeat(10_000)]: 1 });
    let error: unknown;
    try {
      validateInput(StateSetInput, keys, "state.set");
    } catch (caught) {
      error = caught;
    }
    expect((error as FlowValidationError).message).not.toContain("x".repeat(300));
  });
});

describe("the SDK refuses before any request", () => {
  const requests: string[] = [];
  let server: http.Server;
  let flow: FlowSDK;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      req.resume();
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "internal", message: "this server answers 500" } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    flow = FlowSDK.create({ platformUrl: url, gatewayUrl: url, authToken: "bounds-token", orgId: "org_b", workspaceId: "ws_b", maxRetries: 0, env: {} });
  });

  afterAll(async () => {
    await flow.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic["self"] = cyclic;
  let deepArray: unknown = "x";
  for (let i = 0; i < 100_000; i++) deepArray = [deepArray];
  let deepObject: unknown = {};
  for (let i = 0; i < 100_000; i++) deepObject = { a: deepObject };
  const anyFlow = (): Record<string, Record<string, (...args: unknown[]) => unknown>> => flow as never;

  const cases: Array<[string, () => unknown]> = [
    ["a string of a million characters as params", () => anyFlow().state!.list!("x".repeat(1_000_000))],
    ["a string of a million characters as state.set params", () => anyFlow().state!.set!("k", 1, "x".repeat(1_000_000))],
    ["100,000 unknown keys as params", () => anyFlow().memory!.add!(manyKeys(100_000, { content: "x" }))],
    ["100,000 unknown keys as options", () => flow.state.get("k", manyKeys(100_000) as never)],
    ["audit.log(undefined)", () => flow.audit.log(undefined as never)],
    ["audit.list(null)", () => flow.audit.list(null as never)],
    ["storage.put(path, null)", () => flow.storage.put("a.txt", null as never)],
    ["storage.get(path, null)", () => flow.storage.get("a.txt", null as never)],
    ["storage.getStream(path, null)", () => flow.storage.getStream("a.txt", null as never)],
    ["gateway.request with a method of the wrong type", () => flow.gateway.request({ method: 5 as never, path: "/v1/x" })],
    ["gateway.request with method CONSTRUCTOR", () => flow.gateway.request({ method: "CONSTRUCTOR" as never, path: "/v1/x" })],
    ["gateway.request with a cyclic body", () => flow.gateway.request({ method: "POST", path: "/v1/x", body: cyclic })],
    ["gateway.request with a body 100,000 levels deep", () => flow.gateway.request({ method: "POST", path: "/v1/x", body: deepArray })],
    ["gateway.request with a cyclic query", () => flow.gateway.request({ path: "/v1/x", query: cyclic as never })],
    ["gateway.request with a query 100,000 levels deep", () => flow.gateway.request({ path: "/v1/x", query: deepObject as never })],
    ["gateway.request with cyclic headers", () => flow.gateway.request({ path: "/v1/x", headers: cyclic as never })],
    ["gateway.request with headers 100,000 levels deep", () => flow.gateway.request({ path: "/v1/x", headers: deepObject as never })],
    ["gateway.request with a cyclic path", () => flow.gateway.request({ path: cyclic as never })],
    ["gateway.request with a query string", () => flow.gateway.request({ path: "/v1/x", query: "a=b" as never })],
    ["gateway.request with a symbol body", () => flow.gateway.request({ method: "POST", path: "/v1/x", body: Symbol("x") })],
    ["gateway.request with 101 headers", () => flow.gateway.request({ path: "/v1/x", headers: manyHeaders(101) })],
    ["gateway.request with 60 headers in params and 60 in options", () => flow.gateway.request({ path: "/v1/x", headers: manyHeaders(60) }, { headers: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`x-o${i}`, "v"])) })],
    ["8,000 headers in options", () => flow.state.get("k", { headers: manyHeaders(8_000) })],
    ["101 headers in options", () => flow.state.get("k", { headers: manyHeaders(101) })],
    ["a header name of 257 characters", () => flow.state.get("k", { headers: { ["x".repeat(257)]: "v" } })],
    ["a header value of 8,193 characters", () => flow.state.get("k", { headers: { "x-long": "v".repeat(8_193) } })],
    ["state.set(k, 1, 5)", () => flow.state.set("k", 1, 5 as never)],
    ["conversations.update(id, 0)", () => flow.conversations.update("conv_1", 0 as never)],
    ["ifVersion: 2**53", () => flow.state.set("k", 1, { ifVersion: 2 ** 53 })],
    ["ifVersion: null", () => flow.state.set("k", 1, { ifVersion: null as never })],
    ["audit details of 1.3 MB", () => flow.audit.log({ action: "a", resourceType: "r", resourceId: "i", details: { big: "x".repeat(1_300_000) } })],
    ["audit details of 65 KiB", () => flow.audit.log({ action: "a", resourceType: "r", resourceId: "i", details: { big: "x".repeat(65 * 1024) } })],
    ["audit details: null", () => flow.audit.log({ action: "a", resourceType: "r", resourceId: "i", details: null as never })],
    ["a lone surrogate in a state.list prefix", () => flow.state.list({ prefix: "a\ud800" })],
    ["a lone surrogate in a storage.list prefix", () => flow.storage.list({ prefix: "a\udc00" })],
    ["a lone surrogate in a cursor", () => flow.state.list({ cursor: "c\ud800" })],
    ["datasets.query with filter: null", () => flow.datasets.query("orders", { filter: null as never })],
    ["memory.search with filter: null", () => flow.memory.search("q", { filter: null as never })],
    ["vector.query with filter: null", () => flow.vector.query("docs", { vector: [1], filter: null as never })],
    ["a lone surrogate in memory content", () => flow.memory.add({ content: "a\ud800b" })],
    ["a lone surrogate in a memory query", () => flow.memory.search("a\udfff")],
    ["a lone surrogate in a vector id to upsert", () => flow.vector.upsert("docs", [{ id: "a\ud800", vector: [1] }])],
    ["a lone surrogate in a vector id to delete", () => flow.vector.delete("docs", ["a\ud800"])],
  ];

  it.each(cases)("%s: a FlowValidationError, nothing sent", async (_name, run) => {
    const sent = requests.length;
    const started = performance.now();
    const error = await failure(run);
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).message.length).toBeLessThan(4_000);
    expect((error as FlowValidationError).issues.length).toBeLessThanOrEqual(MAX_ISSUES + 1);
    expect(requests.slice(sent)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("still sends 100 caller headers, ifVersion 2**53 - 1, and 64 KiB of details", async () => {
    const sent = requests.length;
    await expect(flow.state.get("k", { headers: manyHeaders(100) })).rejects.not.toBeInstanceOf(FlowValidationError);
    await expect(flow.state.set("k", 1, { ifVersion: Number.MAX_SAFE_INTEGER })).rejects.not.toBeInstanceOf(FlowValidationError);
    const details = { big: "x".repeat(64 * 1024 - 20) };
    await expect(flow.audit.log({ action: "a", resourceType: "r", resourceId: "i", details })).rejects.not.toBeInstanceOf(FlowValidationError);
    expect(requests.length).toBe(sent + 3);
  });
});

describe("the local platform refuses with a small, quick 400", () => {
  let platform: TestPlatform;
  let token: string;
  let base: string;

  beforeAll(async () => {
    platform = await startTestPlatform();
    token = await platform.mintToken({});
    const env = platform.env as Record<string, string>;
    base = `${platform.url}/v1/orgs/${env["ORG_ID"]}/workspaces/${env["WORKSPACE_ID"]}`;
  });

  afterAll(() => platform.close());

  async function send(method: string, route: string, body: string): Promise<{ status: number; text: string }> {
    const response = await fetch(`${base}${route}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body });
    return { status: response.status, text: await response.text() };
  }

  it("answers a body of 500,000 unknown keys with at most 20 issues and a few KB", async () => {
    const body = JSON.stringify(manyKeys(500_000, { value: 1 }));
    const { status, text } = await send("PUT", "/state/k", body);
    expect(status).toBe(400);
    expect(text.length).toBeLessThan(5_000);
    const envelope = JSON.parse(text) as { error: { code: string; details: { issues: unknown[] } } };
    expect(envelope.error.code).toBe("validation_error");
    expect(envelope.error.details.issues).toHaveLength(MAX_ISSUES + 1);
  });

  it.each([
    ["ifVersion: null", "PUT", "/state/k", JSON.stringify({ value: 1, ifVersion: null })],
    ["ifVersion: 2**53", "PUT", "/state/k", JSON.stringify({ value: 1, ifVersion: 2 ** 53 })],
    ["memory.search filter: null", "POST", "/memory/search", JSON.stringify({ query: "x", filter: null })],
    ["vector query filter: null", "POST", "/vector/collections/docs/query", JSON.stringify({ vector: [1], filter: null })],
    ["datasets query filter: null", "POST", "/datasets/orders/query", JSON.stringify({ filter: null })],
    ["a lone surrogate in memory content", "POST", "/memory", '{"content":"a\\ud800b"}'],
    ["a lone surrogate in a vector id", "POST", "/vector/collections/docs/delete", '{"ids":["a\\udc00"]}'],
    ["audit details over 64 KiB", "POST", "/audit/events", JSON.stringify({ action: "a", resourceType: "r", resourceId: "i", details: { big: "x".repeat(65 * 1024) } })],
  ])("refuses %s with 400 validation_error", async (_name, method, route, body) => {
    const { status, text } = await send(method, route, body);
    expect(status).toBe(400);
    expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe("validation_error");
  });
});
