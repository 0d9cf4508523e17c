// A real OpenAI client against the local gateway: the `openai` npm package, pointed at
// `${platform.url}/v1` with a platform token as its API key, chats, streams and embeds.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalPlatform, type LocalPlatform } from "../../local/index.js";
import { embedText, LOCAL_EMBEDDING_DIMENSIONS } from "../../local/embedding.js";

let platform: LocalPlatform;
let client: OpenAI;

beforeAll(async () => {
  platform = await startLocalPlatform();
  client = new OpenAI({ baseURL: `${platform.url}/v1`, apiKey: await platform.mintToken({ scopes: ["gateway:read", "gateway:invoke"] }), maxRetries: 0 });
});
afterAll(async () => {
  await platform.close();
});

describe("the openai package against the local gateway", () => {
  it("lists the models", async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(["flow-local-chat", "flow-local-hash-v2"]);
  });

  it("chat.completions.create", async () => {
    const completion = await client.chat.completions.create({ model: "flow-local-chat", messages: [{ role: "system", content: "Be kind." }, { role: "user", content: "Hello there" }] });
    expect(completion.choices[0]!.message.content).toBe("You said: Hello there");
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(completion.usage).toEqual({ prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 });
  });

  it("chat.completions.create with tools answers tool calls, then their results", async () => {
    const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [{ type: "function", function: { name: "add", parameters: { type: "object", properties: { a: { type: "number" } } } } }];
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: "user", content: 'Please add\n/call add {"a":2}' }];
    const first = await client.chat.completions.create({ model: "flow-local-chat", messages, tools, tool_choice: "auto" });
    const message = first.choices[0]!.message;
    expect(first.choices[0]!.finish_reason).toBe("tool_calls");
    expect(message.tool_calls).toEqual([{ id: "call_0_0", type: "function", function: { name: "add", arguments: '{"a":2}' } }]);
    messages.push(message, { role: "tool", tool_call_id: "call_0_0", content: "4" });
    const second = await client.chat.completions.create({ model: "flow-local-chat", messages, tools });
    expect(second.choices[0]!.message.content).toBe("Tool results:\n- add: 4");
  });

  it("streams chat chunk by chunk", async () => {
    const stream = await client.chat.completions.create({ model: "flow-local-chat", messages: [{ role: "user", content: "stream this please" }], stream: true, stream_options: { include_usage: true } });
    const pieces: string[] = [];
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) pieces.push(choice.delta.content);
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(pieces).toEqual(["You ", "said: ", "stream ", "this ", "please"]);
    expect(finish).toBe("stop");
    expect(usage).toEqual({ prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });
  });

  it("streams tool calls the client's stream helper assembles", async () => {
    const runner = client.chat.completions.stream({
      model: "flow-local-chat",
      messages: [{ role: "user", content: '/call add {"a":1,"b":2}' }],
      tools: [{ type: "function", function: { name: "add" } }],
    });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]!.message.tool_calls).toEqual([{ id: "call_0_0", type: "function", function: { name: "add", arguments: '{"a":1,"b":2}' } }]);
  });

  it("embeddings.create (the client asks for base64 and decodes it)", async () => {
    const answer = await client.embeddings.create({ model: "flow-local-hash-v2", input: ["oat milk coffee", "tea"] });
    expect(answer.data).toHaveLength(2);
    const vector = answer.data[0]!.embedding;
    expect(vector).toHaveLength(LOCAL_EMBEDDING_DIMENSIONS);
    const sparse = embedText("oat milk coffee");
    sparse.indices.forEach((index, at) => expect(vector[index]).toBeCloseTo(sparse.values[at]!, 6));
    const floats = await client.embeddings.create({ model: "flow-local-hash-v2", input: "tea", encoding_format: "float" });
    expect(floats.data[0]!.embedding).toEqual(answer.data[1]!.embedding);
  });

  it("gets the client's typed errors", async () => {
    const error = await client.chat.completions.create({ model: "gpt-unknown", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toContain("gateway");
    const noKey = new OpenAI({ baseURL: `${platform.url}/v1`, apiKey: "not-a-token", maxRetries: 0 });
    await expect(noKey.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
