// Memory on a model (docs/protocol.md, "Memory"): with gateway.memory.embeddingModel, add and
// search embed through the gateway (here the scripted upstream, whose vectors know that a car is
// an automobile); a workspace holding memories of another model is refused, not mixed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalPlatform, type LocalPlatform } from "../../local/index.js";
import { call, startUpstream, type Answer, type ScriptedUpstream } from "./gateway-helpers.js";

const KEY = "sk-memory-test-0123456789abcdef0123456789";
const SECRET = "UPSTREAM_API_KEY";
const W = "/v1/orgs/org_local/workspaces/ws_local";
const W_B = "/v1/orgs/org_local/workspaces/ws_b";

let upstream: ScriptedUpstream;
let platform: LocalPlatform;
let token: string;

const manifest = (embeddingModel?: string): Record<string, unknown> => ({
  gateway: { upstream: { baseUrl: upstream.baseUrl, apiKeySecret: SECRET }, ...(embeddingModel === undefined ? {} : { memory: { embeddingModel } }) },
});

beforeAll(async () => {
  upstream = await startUpstream(KEY);
  platform = await startLocalPlatform({ manifest: manifest("up-embed"), secrets: { [SECRET]: KEY } });
  token = await platform.mintToken();
});
afterAll(async () => {
  await platform?.close();
  await upstream?.stop();
});

const add = (content: string, scope?: string, as = token, w = W): Promise<Answer> => call(platform.url, `${w}/memory`, { token: as, body: { content, ...(scope ? { scope } : {}) } });
const search = (query: string, scope?: string, as = token, w = W): Promise<Answer> => call(platform.url, `${w}/memory/search`, { token: as, body: { query, ...(scope ? { scope } : {}) } });

function expectModelChanged(answer: Answer, stored: string, configured: string): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(409);
  expect(answer.body.error.code).toBe("embedding_model_changed");
  expect(answer.body.error.message).toContain(`"${stored}"`);
  expect(answer.body.error.message).toContain(configured);
  expect(answer.body.error.message).toMatch(/memory\.clear/);
}

describe("memory with an embedding model", () => {
  it("embeds add and search through the gateway: recall by meaning, not by shared words", async () => {
    expect((await add("I drive a blue car")).status).toBe(201);
    expect((await add("My kitten sleeps all day")).status).toBe(201);
    expect((await add("Espresso every morning", "habits")).status).toBe(201);
    const found = await search("automobile");
    expect(found.status).toBe(200);
    expect(found.body.matches.map((m: { content: string }) => m.content)).toEqual(["I drive a blue car"]);
    expect(found.body.matches[0].score).toBeCloseTo(Math.SQRT1_2, 5);
    expect((await search("feline")).body.matches[0].content).toBe("My kitten sleeps all day");
    const calls = (await upstream.log()).filter((entry) => entry.path === "/v1/embeddings");
    expect(calls.length).toBeGreaterThanOrEqual(5);
    expect(calls.every((entry) => entry.keyOk && entry.body.model === "up-embed")).toBe(true);
    expect(calls.map((entry) => entry.body.input)).toContainEqual(["automobile"]);
  });

  it("refuses add and search while the workspace holds memories of another model, naming both and the fix", async () => {
    platform.reloadManifest(manifest()); // back to the local embedding
    const local = await add("I like trains");
    expectModelChanged(local, "up-embed", "flow-local-hash-v2");
    expect(local.body.error.message).toContain('set gateway.memory.embeddingModel back to "up-embed"');
    expect(local.body.error.details).toEqual({ storedModel: "up-embed", configuredModel: "flow-local-hash-v2", scopes: ["default", "habits"] });
    expectModelChanged(await search("car"), "up-embed", "flow-local-hash-v2");
    // Another workspace, with no memories of up-embed, is not affected.
    const other = await platform.mintToken({ workspaceId: "ws_b" });
    expect((await add("I like trains", undefined, other, W_B)).status).toBe(201);

    platform.reloadManifest(manifest("up-embed-v2"));
    const before = (await upstream.log()).length;
    expectModelChanged(await add("I like trains"), "up-embed", '"up-embed-v2"');
    expectModelChanged(await search("car", "habits"), "up-embed", '"up-embed-v2"');
    expect((await upstream.log()).length).toBe(before); // refused before any model call
    // ws_b's local memories refuse the model the other way round.
    const refused = await add("More trains", undefined, other, W_B);
    expectModelChanged(refused, "flow-local-hash-v2", '"up-embed-v2"');
    expect(refused.body.error.message).toContain("remove gateway.memory.embeddingModel");
  });

  it("works with the new model once the old memories are cleared", async () => {
    for (const scope of ["default", "habits"]) {
      expect((await call(platform.url, `${W}/memory/clear`, { token, body: { scope } })).status).toBe(200);
    }
    expect((await add("A red vehicle is parked outside")).status).toBe(201);
    const found = await search("car");
    expect(found.status).toBe(200);
    expect(found.body.matches.map((m: { content: string }) => m.content)).toEqual(["A red vehicle is parked outside"]);
    expect((await upstream.log()).at(-1)!.body.model).toBe("up-embed-v2");
  });
});

describe("memory when the model's upstream refuses", () => {
  it("answers the gateway's error, Retry-After kept, and stores nothing", async () => {
    const fresh = await platform.mintToken({ workspaceId: "ws_c" });
    // ws_c has no secret: the gateway says which one is missing.
    const missing = await add("anything", undefined, fresh, "/v1/orgs/org_local/workspaces/ws_c");
    expect(missing.status).toBe(502);
    expect(missing.body.error).toMatchObject({ code: "upstream_auth_failed", message: expect.stringContaining(SECRET) });
    platform.reloadManifest(manifest("up-429"));
    await call(platform.url, `${W}/memory/clear`, { token, body: { scope: "default" } });
    const limited = await add("anything");
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limited");
    expect(limited.headers.get("retry-after")).toBe("7");
    expect(limited.body.error.message).not.toContain(KEY);
    expect((await call(platform.url, `${W}/memory?scope=default`, { token })).body.data).toEqual([]);
  });
});
