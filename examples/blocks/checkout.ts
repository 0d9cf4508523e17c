// A block that invokes another block: `ctx.flow` is a FlowSDK made for this execution, so the
// inner execution carries this one's request id and names it as its parent.
import { defineCodeBlock } from "@flow-sdk/sdk";

export default defineCodeBlock(async (order: { id: string; lines: unknown[] }, { flow, executionId, request }) => {
  const quote = await flow.codeBlocks.invoke<{ total: number }>("quote", order);
  if (quote.status !== "succeeded") throw new Error(`quoting failed: ${quote.error?.message}`);
  await flow.state.set(`order:${order.id}`, { total: quote.output?.total, quotedBy: quote.id });
  console.log(`checkout ${executionId} (request ${request.id}) quoted ${order.id} in ${quote.id}`);
  return { orderId: order.id, total: quote.output?.total, sameRequest: quote.requestId === request.id, quoteParent: quote.parentExecutionId === executionId };
});
