// Models through the gateway: a chat, a streamed chat, a tool call sent back, and embeddings.
// The local platform answers with its deterministic models (docs/protocol.md, "Local models");
// name any other model and add `gateway.upstream` to the manifest to reach a real one.
// Run: npx flow-sdk-local run examples/gateway.ts
import { FlowSDK, type ChatMessage } from "@flow-sdk/sdk";

await using flow = FlowSDK.create();
const model = "flow-local-chat";

const reply = await flow.gateway.chat({ model, messages: [{ role: "user", content: "Hello, gateway" }] });
console.log(`chat: ${reply.text} (${reply.usage?.totalTokens} tokens, ${reply.finishReason})`);

const stream = flow.gateway.chatStream({ model, messages: [{ role: "user", content: "stream these five words" }] });
const pieces: string[] = [];
for await (const chunk of stream) if (chunk.delta) pieces.push(chunk.delta);
console.log(`stream: ${pieces.length} chunks -> ${JSON.stringify(await stream.finalText())}`);

// A prompt line `/call <tool> <json>` makes the local model call that tool (a real model decides itself).
const tools = [{ type: "function" as const, function: { name: "get_weather", description: "Weather in a city", parameters: { type: "object", properties: { city: { type: "string" } } } } }];
const messages: ChatMessage[] = [{ role: "user", content: 'What is the weather in Paris?\n/call get_weather {"city":"Paris"}' }];
const first = await flow.gateway.chat({ model, messages, tools });
const call = first.message.toolCalls[0]!;
console.log(`tool call: ${call.function.name}(${call.function.arguments})`);
messages.push(first.message, { role: "tool", toolCallId: call.id, content: JSON.stringify({ celsius: 21 }) });
const second = await flow.gateway.chat({ model, messages, tools });
console.log(`after the tool: ${JSON.stringify(second.text)}`);

const { embeddings } = await flow.gateway.embed({ model: "flow-local-hash-v2", input: ["dark mode", "light mode"] });
const cosine = embeddings[0]!.reduce((sum, x, i) => sum + x * embeddings[1]![i]!, 0);
console.log(`embed: 2 vectors of ${embeddings[0]!.length} dimensions, cosine ${cosine.toFixed(2)}`);
