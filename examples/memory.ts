// Long-term memory for an agent: remember facts per user, recall the relevant one for a question.
// Without an embedding model the local platform matches shared words and word forms (see
// docs/design-notes.md); run it with `npx flow-sdk-local run examples/memory.ts`.
import { FlowSDK } from "@flow-sdk/sdk";

await using flow = FlowSDK.create(); // reads PLATFORM_API_URL, AUTH_TOKEN, ORG_ID, ... from the environment

const scope = "user:42";
await flow.memory.clear(scope); // start over on every run

for (const content of [
  "The user prefers dark mode in the editor",
  "The user's favourite food is sushi",
  "Deploys run every Friday afternoon",
  "Invoices are sent at the end of each month",
]) {
  await flow.memory.add({ content, scope, metadata: { source: "example" } });
}
await flow.memory.add({ content: "The user prefers light mode in the editor", scope: "user:7" }); // another user's memory

const question = "which editor mode does the user prefer?";
const [best, ...rest] = await flow.memory.search(question, { scope, limit: 3, minScore: 0.1 });
for (const match of rest) console.log(`  also: ${match.score.toFixed(2)} ${match.content}`);
console.log(`memory: "${question}" -> "${best?.content}" (score ${best?.score.toFixed(2)})`);
