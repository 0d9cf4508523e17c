// Agents: a model, instructions and code blocks as tools (examples/flow-local.json). The platform
// runs the loop model -> tool calls -> model and records every step.
// Run: npx flow-sdk-local run examples/agents.ts --manifest examples/flow-local.json
import { FlowSDK } from "@flow-sdk/sdk";

await using flow = FlowSDK.create();

const agent = await flow.agents.get("shop-assistant");
console.log(`agent ${agent.name}: ${agent.model}, tools ${agent.tools.map((tool) => tool.name).join(", ")}`);

// The local model calls the tools a `/call` line names; a real model would decide from the question.
const conversation = await flow.conversations.create({ title: "Mug order" });
const question = 'Do you have MUG-1, and what would 2 cost at 8.50?\n/call stock {"sku":"MUG-1"}\n/call price_order {"lines":[{"sku":"MUG-1","quantity":2,"unitPrice":8.5}]}';
const run = await flow.agents.run(agent.id, { input: question, conversationId: conversation.id }, { timeoutMs: 60_000 });
console.log(`run ${run.status} in ${run.steps.length} steps`);
for (const call of run.steps.flatMap((step) => step.toolCalls)) console.log(`  ${call.name}: ${call.status} ${JSON.stringify(call.output)}`);
console.log(run.output);

// The same agent, streamed: events as they happen.
const events: string[] = [];
const stream = flow.agents.stream(agent.id, { input: 'And CAP-3?\n/call stock {"sku":"CAP-3"}', conversationId: conversation.id });
for await (const event of stream) if (event.type !== "message.delta") events.push(event.type);
console.log(`stream: ${events.join(", ")} -> ${JSON.stringify(stream.text)}`);

const messages = await flow.conversations.listMessages(conversation.id);
console.log(`conversation: ${messages.data.length} messages (${messages.data.map((m) => m.role).join(", ")})`);
