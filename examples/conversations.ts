// A chat thread: create it, add messages, read them back in order, then delete it.
import { FlowSDK } from "@flow-sdk/sdk";

await using flow = FlowSDK.create();

const thread = await flow.conversations.create({ title: "Order help", metadata: { customerId: "c_42" } });
await flow.conversations.addMessage(thread.id, { role: "system", content: "You are a helpful support agent." });
await flow.conversations.addMessage(thread.id, { role: "user", content: "Where is my order?" });
await flow.conversations.addMessage(thread.id, { role: "assistant", content: "It ships tomorrow.", metadata: { model: "local" } });

let count = 0;
for await (const message of flow.conversations.listMessages(thread.id)) {
  count += 1;
  console.log(`#${message.seq} ${message.role}: ${message.content}`);
}

const deleted = await flow.conversations.delete(thread.id);
console.log(`conversation "${thread.title}" had ${count} messages and is deleted: ${deleted}`);
