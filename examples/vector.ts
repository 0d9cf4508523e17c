// Store a few vectors with metadata and find the closest ones to a query, with and without a filter.
// Real embeddings come from a model (flow.gateway.embed); three dimensions keep the example readable.
// Run it against a local platform with `npx flow-sdk-local run examples/vector.ts`.
import { FlowSDK } from "@flow-sdk/sdk";

await using flow = FlowSDK.create(); // reads PLATFORM_API_URL, AUTH_TOKEN, ORG_ID, ... from the environment

await flow.vector.deleteCollection("fruit-demo"); // start over on every run; resolves to false the first time
await flow.vector.createCollection({ name: "fruit-demo", dimensions: 3, metric: "cosine" });

// Dimensions: [sweet, sour, crunchy]
await flow.vector.upsert("fruit-demo", [
  { id: "apple", vector: [0.7, 0.3, 0.9], metadata: { colour: "red" } },
  { id: "lemon", vector: [0.1, 1.0, 0.1], metadata: { colour: "yellow" } },
  { id: "banana", vector: [0.9, 0.1, 0.0], metadata: { colour: "yellow" } },
  { id: "strawberry", vector: [0.9, 0.4, 0.1], metadata: { colour: "red" } },
]);

const query = [0.8, 0.2, 0.8]; // sweet and crunchy
const best = await flow.vector.query("fruit-demo", { vector: query, topK: 2 });
const yellow = await flow.vector.query("fruit-demo", { vector: query, topK: 1, filter: { colour: "yellow" } });

for (const match of best) console.log(`  ${match.id} ${match.score.toFixed(3)} ${JSON.stringify(match.metadata)}`);
const collection = await flow.vector.getCollection("fruit-demo");
console.log(`vector: ${collection.count} vectors, closest to sweet-and-crunchy is ${best[0]?.id}, closest yellow one is ${yellow[0]?.id}`);
