// Object storage: upload a report (streamed), list it, read it back, and share it with a signed URL.
// Run it against a local platform: `npx flow-sdk-local run examples/storage.ts`.
import { Readable } from "node:stream";
import { FlowSDK } from "@flow-sdk/sdk";

await using flow = FlowSDK.create();

const rows = ["region,sales", "north,120", "south,95", "east,143"];
// A function returning a stream makes the upload retryable; a Buffer or string works too.
const stored = await flow.storage.put("reports/2024/sales.csv", () => Readable.from(rows.map((row) => `${row}\n`)), {
  metadata: { author: "example" },
  onProgress: ({ loaded }) => console.log(`  uploaded ${loaded} bytes`),
});
console.log(`stored ${stored.path}: ${stored.size} bytes, ${stored.contentType}, sha256 ${stored.etag.slice(0, 12)}...`);

for await (const object of flow.storage.list({ prefix: "reports/" })) console.log(`  listed ${object.path} (${object.size} bytes)`);

const text = (await flow.storage.get("reports/2024/sales.csv")).toString("utf8");
const total = text.trim().split("\n").slice(1).reduce((sum, line) => sum + Number(line.split(",")[1]), 0);

// Anyone with this URL can download the object, without a token, for the next 10 minutes.
const { url, expiresAt } = await flow.storage.signedUrl("reports/2024/sales.csv", { expiresInSeconds: 600 });
const shared = await (await fetch(url)).text();
console.log(`storage: total sales ${total}, signed URL valid until ${expiresAt} serves ${shared.length} bytes`);

await flow.storage.delete("reports/2024/sales.csv");
