// A small table of orders: create it with a schema, insert rows (all or none), and query it with a
// filter and a sort, page by page. Run it against a local platform with `npx flow-sdk-local run examples/datasets.ts`.
import { FlowSDK, FlowValidationError } from "@flow-sdk/sdk";

await using flow = FlowSDK.create(); // reads PLATFORM_API_URL, AUTH_TOKEN, ORG_ID, ... from the environment

await flow.datasets.delete("orders-demo"); // start over on every run; resolves to false the first time
const orders = await flow.datasets.create({
  name: "orders-demo",
  description: "orders of the example shop",
  schema: {
    columns: {
      customer: { type: "string" },
      total: { type: "number" },
      status: { type: "string" },
      placedAt: { type: "timestamp" },
      coupon: { type: "string", nullable: true },
    },
  },
});

await flow.datasets.insertRows(orders, [
  { customer: "ada", total: 42.5, status: "paid", placedAt: new Date("2026-03-01T10:00:00Z") },
  { customer: "bob", total: 9.99, status: "open", placedAt: "2026-03-02T08:30:00+01:00" },
  { customer: "cy", total: 120, status: "paid", placedAt: "2026-03-03T12:00:00Z", coupon: "SPRING" },
  { customer: "di", total: 42.5, status: "paid", placedAt: "2026-03-04T09:15:00Z" },
]);

// One bad row refuses the whole batch, and the error says which row and column. (Given the
// dataset object, rows are typed from its schema and this one would not compile; by name they are not.)
try {
  await flow.datasets.insertRows("orders-demo", [{ customer: "eve", total: 5, status: "open", placedAt: "2026-03-05T00:00:00Z" }, { customer: "fay", total: "a lot", status: "paid", placedAt: "2026-03-05T00:00:00Z" }]);
} catch (error) {
  if (!(error instanceof FlowValidationError)) throw error;
  console.log(`refused: ${error.issues.map((issue) => issue.message).join("; ")}`);
}

// Rows are typed from the dataset's schema; `for await` walks every page (two rows a page here).
const paid: string[] = [];
const query = flow.datasets.query(orders, {
  filter: { status: "paid", total: { $gte: 40 } },
  orderBy: [{ column: "total", direction: "desc" }, { column: "placedAt" }],
  limit: 2,
});
for await (const row of query) paid.push(`${row.customer} ${row.total.toFixed(2)}`);

const { rowCount } = await flow.datasets.get("orders-demo");
console.log(`datasets: ${rowCount} orders, paid from 40 up by total: ${paid.join(", ")}`);
