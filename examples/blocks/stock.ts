// A code block an agent calls as a tool: how many of a SKU are in stock (a fixed table here).
import { defineCodeBlock } from "@flow-sdk/sdk";

const STOCK: Record<string, number> = { "MUG-1": 12, "TEE-2": 0, "CAP-3": 5 };

export default defineCodeBlock(async ({ sku }: { sku: string }) => {
  if (!(sku in STOCK)) throw new RangeError(`no SKU ${sku}`);
  return { sku, inStock: STOCK[sku] };
});
