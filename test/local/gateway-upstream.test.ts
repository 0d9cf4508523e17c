// Forwarding to an OpenAI-compatible upstream (docs/protocol.md, "Gateway: models"): a scripted
// upstream runs as its own process (test/fixtures/gateway/upstream.mjs), checks the key on its
// side and records what it saw; the tests read the platform raw, event by event.
import { recordStderr } from "../helpers/stderr.js";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Gateway, type CallContext } from "../../local/gateway/gateway.js";
import { loadManifest } from "../../local/manifest.js";
import { startLocalPlatform, type LocalPlatform } from "../../local/index.js";
import { FlowSDK } from "../../src/index.js";
import type { SecretsStore } from "../../local/store/secrets.js";
import { call, startUpstream, stream, type Answer, type ScriptedUpstream } from "./gateway-helpers.js";

const KEY = "sk-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0";
const WRONG_KEY = "sk-wrong-00112233445566778899aabbccddeeff";
const SECRET = "UPSTREAM_API_KEY";

let upstream: ScriptedUpstream;
let platform: LocalPlatform;
let token: string;
// Every text the platform wrote on stderr and every answer a test read: the key must be in none.
let stderr: string[] = [];
const answers: string[] = [];

beforeAll(async () => {
  stderr = recordStderr();
  upstream = await startUpstream(KEY);
  platform = await startLocalPlatform({ manifest: { gateway: { upstream: { baseUrl: upstream.baseUrl, apiKeySecret: SECRET } } }, secrets: { [SECRET]: KEY } });
  token = await platform.mintToken();
});
afterAll(async () => {
  await platform?.close();
  await upstream?.stop();
  vi.restoreAllMocks();
});

async function chat(body: Record<string, unknown>, headers?: Record<string, string>, as = token, on = platform): Promise<Answer> {
  const answer = await call(on.url, "/v1/chat/completions", { token: as, body: { messages: [{ role: "user", content: "hello upstream" }], ...body }, ...(headers ? { headers } : {}) });
  answers.push(JSON.stringify(answer.body), JSON.stringify([...answer.headers]));
  return answer;
}

async function streamed(body: Record<string, unknown>, requestId: string, signal?: AbortSignal): Promise<Awaited<ReturnType<typeof stream>>> {
  return stream(platform.url, "/v1/chat/completions", token, { messages: [{ role: "user", content: "hello upstream" }], stream: true, ...body }, { headers: { "x-request-id": requestId }, ...(signal ? { signal } : {}) });
}

function expectError(answer: Answer, status: number, code: string): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body.error.code).toBe(code);
  expect(answer.body.error.message).not.toContain(KEY);
}

describe("forwarding to the upstream", () => {
  it("sends the body as is with the key and the request id, and answers with the upstream's completion", async () => {
    const answer = await chat({ model: "up-echo", n: 1, logprobs: false, temperature: 0.5 }, { "x-request-id": "fwd-plain-1" });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ object: "chat.completion", model: "up-echo", choices: [{ message: { role: "assistant", content: "upstream saw: hello upstream" } }] });
    const seen = (await upstream.log()).find((entry) => entry.requestId === "fwd-plain-1");
    expect(seen).toMatchObject({ path: "/v1/chat/completions", keyOk: true, accept: "application/json" });
    expect(seen!.body).toEqual({ model: "up-echo", messages: [{ role: "user", content: "hello upstream" }], n: 1, logprobs: false, temperature: 0.5 });
  });

  it("relays a stream event by event, ending with [DONE]", async () => {
    const { response, events } = await streamed({ model: "up-echo" }, "fwd-stream-1");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const all = await events.rest();
    expect(all.map((event) => event.data).at(-1)).toBe("[DONE]");
    const deltas = all.slice(0, -1).map((event) => JSON.parse(event.data).choices[0].delta);
    expect(deltas).toEqual([{ role: "assistant", content: "" }, { content: "upstream saw: hello upstream" }, {}]);
    const seen = (await upstream.log()).find((entry) => entry.requestId === "fwd-stream-1");
    expect(seen).toMatchObject({ keyOk: true, accept: "text/event-stream" });
    expect(seen!.body.stream).toBe(true);
  });

  it("passes each chunk on before the upstream has sent the next", async () => {
    // The upstream sends a chunk only when released: a gateway that held chunks back would hang here.
    const { events } = await streamed({ model: "up-slow" }, "fwd-slow-1");
    expect(JSON.parse((await events.next())!.data).choices[0].delta).toEqual({ role: "assistant", content: "" });
    const words: string[] = [];
    for (let i = 0; i < 3; i++) {
      await upstream.release();
      words.push(JSON.parse((await events.next())!.data).choices[0].delta.content);
    }
    expect(words).toEqual(["one ", "two ", "three"]);
    const rest = await events.rest();
    expect(rest.at(-1)!.data).toBe("[DONE]");
  });

  it("closes the upstream request at once when the caller goes away mid-stream", async () => {
    const controller = new AbortController();
    const { events } = await streamed({ model: "up-hang" }, "fwd-abort-1", controller.signal);
    await events.next();
    await events.next(); // "partial": the upstream now waits for the client to go
    controller.abort();
    await upstream.closed("fwd-abort-1"); // resolves only once the upstream saw its connection close
    // The platform is fine afterwards.
    expect((await chat({ model: "up-echo" })).status).toBe(200);
  });

  it("an SDK reader that breaks out of its loop closes the upstream request at once, and gets what came", async () => {
    const flow = FlowSDK.create({ env: { ...platform.env, AUTH_TOKEN: token, AUTH_TOKEN_FILE: undefined } });
    try {
      const stream = flow.gateway.chatStream({ model: "up-hang", messages: [{ role: "user", content: "hello" }] }, { headers: { "X-Request-Id": "fwd-sdk-break-1" } });
      const deltas: string[] = [];
      for await (const chunk of stream) {
        deltas.push(chunk.delta);
        if (chunk.delta === "partial") break; // the upstream sends nothing more until its client goes
      }
      expect(deltas).toEqual(["", "partial"]);
      await upstream.closed("fwd-sdk-break-1"); // resolves only once the upstream saw its connection close
      await expect(stream.finalText()).rejects.toThrow(/left before its end/);
    } finally {
      await flow.close();
    }
  });

  it("ends a stream that breaks off with the documented error event, without [DONE]", async () => {
    for (const model of ["up-break", "up-error", "up-nodone"]) {
      const { response, events } = await streamed({ model }, `fwd-${model}`);
      expect(response.status).toBe(200);
      const all = await events.rest();
      answers.push(JSON.stringify(all));
      expect(all.map((event) => event.data)).not.toContain("[DONE]");
      const last = all.at(-1)!;
      expect(last.event, model).toBe("error");
      const error = JSON.parse(last.data).error;
      expect(error).toMatchObject({ code: "upstream_failed", status: 502, message: expect.stringContaining(upstream.baseUrl) });
      expect(error.message).not.toContain(KEY);
      expect(JSON.parse(all[1]!.data).choices[0].delta.content).toBe("partial");
    }
  });

  it("masks the key in an error the upstream streamed", async () => {
    const { events } = await streamed({ model: "up-error" }, "fwd-error-mask");
    const last = (await events.rest()).at(-1)!;
    expect(JSON.parse(last.data).error.message).toContain("The server had an error (key ***)");
  });

  it("forwards embeddings as is", async () => {
    const answer = await call(platform.url, "/v1/embeddings", { token, body: { model: "up-embed", input: ["my car", "a kitten"] }, headers: { "x-request-id": "fwd-embed-1" } });
    answers.push(JSON.stringify(answer.body));
    expect(answer.status).toBe(200);
    expect(answer.body.data).toHaveLength(2);
    expect(answer.body.data[0].embedding[0]).toBe(1);
    expect((await upstream.log()).find((entry) => entry.requestId === "fwd-embed-1")).toMatchObject({ path: "/v1/embeddings", keyOk: true, body: { model: "up-embed", input: ["my car", "a kitten"] } });
  });
});

describe("the upstream's errors, mapped", () => {
  it("429 is rate_limited with the upstream's Retry-After, key masked", async () => {
    const answer = await chat({ model: "up-429" });
    expectError(answer, 429, "rate_limited");
    expect(answer.headers.get("retry-after")).toBe("7");
    expect(answer.body.error.message).toContain("Rate limit reached for key ***");
  });

  it("a streamed request refused before the stream starts gets the envelope, not a stream", async () => {
    const { response } = await streamed({ model: "up-429" }, "fwd-429-stream");
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(response.headers.get("content-type")).toMatch(/json/);
  });

  it("400 is upstream_rejected, 5xx and non-JSON are upstream_unavailable", async () => {
    const rejected = await chat({ model: "up-400" });
    expectError(rejected, 400, "upstream_rejected");
    expect(rejected.body.error.message).toContain("Unknown parameter for key ***: frobnicate");
    expectError(await chat({ model: "up-500" }), 502, "upstream_unavailable");
    expectError(await chat({ model: "up-html" }), 502, "upstream_unavailable");
  });

  it("a key the upstream refuses is 502 upstream_auth_failed naming the secret, never the key", async () => {
    const other = await startLocalPlatform({ manifest: { gateway: { upstream: { baseUrl: upstream.baseUrl, apiKeySecret: SECRET } } }, secrets: { [SECRET]: WRONG_KEY } });
    try {
      const answer = await chat({ model: "up-echo" }, undefined, await other.mintToken(), other);
      expectError(answer, 502, "upstream_auth_failed");
      expect(answer.body.error.message).toContain(SECRET);
      expect(answer.body.error.message).not.toContain(WRONG_KEY);
      expect(answer.body.error.message).toContain("Incorrect API key provided: ***");
      expect((await upstream.log()).some((entry) => entry.authorization === `Bearer ${WRONG_KEY}`)).toBe(true);
    } finally {
      await other.close();
    }
  });

  it("a workspace without the secret is 502 upstream_auth_failed saying how to set it", async () => {
    const elsewhere = await platform.mintToken({ workspaceId: "ws_other" });
    const answer = await chat({ model: "up-echo" }, undefined, elsewhere);
    expectError(answer, 502, "upstream_auth_failed");
    expect(answer.body.error.message).toMatch(new RegExp(`no secret ${SECRET}.*--secrets-file.*startLocalPlatform\\(\\{ secrets`));
  });

  it("an upstream that is down is 502 upstream_unavailable", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const down = await startLocalPlatform({ manifest: { gateway: { upstream: { baseUrl: `http://127.0.0.1:${port}/v1`, apiKeySecret: SECRET } } }, secrets: { [SECRET]: KEY } });
    try {
      const answer = await chat({ model: "up-echo" }, undefined, await down.mintToken(), down);
      expectError(answer, 502, "upstream_unavailable");
      expect(answer.body.error.message).toContain(`127.0.0.1:${port}`);
    } finally {
      await down.close();
    }
  });

  it("still checks the body: a bad one never reaches the upstream", async () => {
    const before = (await upstream.log()).length;
    const answer = await chat({ model: "gpt-4o", messages: [{ role: "user" }] });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details.issues).toEqual([{ path: "messages[0].content", message: expect.any(String) }]);
    expect((await upstream.log()).length).toBe(before);
  });
});

describe("Gateway.chat, chatChunks and embed on the upstream (as agents and memory call them)", () => {
  const gateway = new Gateway({
    manifest: () => loadManifest({ gateway: { upstream: { baseUrl: upstream.baseUrl, apiKeySecret: SECRET } } }),
    secrets: { value: () => KEY } as unknown as SecretsStore,
  });
  const ctx = (): CallContext => ({ tenant: { orgId: "org_local", workspaceId: "ws_local" }, requestId: "direct-1", signal: new AbortController().signal });

  it("chat answers the completion; chatChunks yields the parsed chunks", async () => {
    const completion = await gateway.chat({ model: "up-echo", messages: [{ role: "user", content: "hi" }], stream: true }, ctx());
    expect(completion.choices[0]!.message.content).toBe("upstream saw: hi");
    const chunks = [];
    for await (const chunk of gateway.chatChunks({ model: "up-echo", messages: [{ role: "user", content: "hi" }] }, ctx())) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]!.delta)).toEqual([{ role: "assistant", content: "" }, { content: "upstream saw: hi" }, {}]);
  });

  it("chatChunks throws upstream_failed after a break, and the mapped error before the first chunk", async () => {
    const drain = async (model: string): Promise<unknown> => {
      try {
        for await (const _ of gateway.chatChunks({ model, messages: [{ role: "user", content: "hi" }] }, ctx()));
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(await drain("up-break")).toMatchObject({ status: 502, code: "upstream_failed" });
    expect(await drain("up-nodone")).toMatchObject({ status: 502, code: "upstream_failed", message: expect.stringContaining("[DONE]") });
    const error = (await drain("up-error")) as Error;
    expect(error).toMatchObject({ status: 502, code: "upstream_failed" });
    expect(error.message).not.toContain(KEY);
    expect(await drain("up-429")).toMatchObject({ status: 429, code: "rate_limited" });
  });

  it("embed answers Float32Array vectors in input order", async () => {
    const { vectors, model } = await gateway.embed("up-embed", ["red car", "coffee"], ctx());
    expect(model).toBe("up-embed");
    expect(vectors).toHaveLength(2);
    expect(vectors[0]).toBeInstanceOf(Float32Array);
    expect(vectors[1]![2]).toBe(1);
  });
});

describe("the key", () => {
  it("appears in no answer and in nothing the platform wrote on stderr", () => {
    expect(answers.length).toBeGreaterThan(10);
    for (const text of [...answers, ...stderr]) expect(text).not.toContain(KEY);
    for (const text of [...answers, ...stderr]) expect(text).not.toContain(WRONG_KEY);
  });
});
