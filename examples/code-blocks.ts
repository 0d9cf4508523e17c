// Code blocks: list them, invoke one and wait for its output, or start one and wait later.
// Run: npm run -s flow-sdk-local -- run examples/code-blocks.ts --manifest examples/flow-local.json
import { FlowSDK } from "@flow-sdk/sdk";

await using flow = FlowSDK.create();

for await (const block of flow.codeBlocks.list()) console.log(`block ${block.id}: ${block.name}`);

// invoke waits by default and resolves to the finished execution.
const order = { id: "o-1001", lines: [{ sku: "mug", quantity: 2, unitPrice: 12.5 }, { sku: "tea", quantity: 1, unitPrice: 8 }], discountPercent: 10 };
const checkout = await flow.codeBlocks.invoke<{ total: number; sameRequest: boolean; quoteParent: boolean }>("checkout", order);
console.log(`checkout ${checkout.status}: total ${checkout.output?.total}, one request id: ${checkout.output?.sameRequest}, quote's parent is checkout: ${checkout.output?.quoteParent}`);

// A failed execution resolves too: its error says why.
const bad = await flow.codeBlocks.invoke("quote", { lines: [] });
console.log(`empty order ${bad.status}: ${bad.error?.code} ${bad.error?.name}: ${bad.error?.message}`);

// wait: false resolves once it is queued; waitForExecution waits (bounded) later.
const queued = await flow.codeBlocks.invoke("quote", order, { wait: false });
const done = await flow.codeBlocks.waitForExecution<{ total: number }>(queued.id, { timeoutMs: 30_000 });
console.log(`queued as ${queued.status}, then ${done.status} with total ${done.output?.total}`);
