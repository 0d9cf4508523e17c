// A code block: its default export is called with the invocation's input. Its return value (JSON)
// is the execution's output.
import { defineCodeBlock } from "@flow-sdk/sdk";

interface Order {
  lines: Array<{ sku: string; quantity: number; unitPrice: number }>;
  discountPercent?: number;
}

export default defineCodeBlock(async (order: Order) => {
  if (!Array.isArray(order?.lines) || order.lines.length === 0) throw new RangeError("an order needs at least one line");
  const net = order.lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0) * (1 - (order.discountPercent ?? 0) / 100);
  const round = (n: number) => Math.round(n * 100) / 100;
  return { net: round(net), vat: round(net * 0.2), total: round(net * 1.2) };
});
