// Workflows: steps run in order, each seeing the run's input and the earlier steps' outputs.
// Run: npm run -s flow-sdk-local -- run examples/workflows.ts --manifest examples/flow-local.json
import { FlowSDK } from "@flow-sdk/sdk";

await using flow = FlowSDK.create();

const workflow = await flow.workflows.get("onboard-customer");
console.log(`${workflow.name}: ${workflow.steps.map((step) => step.id).join(" -> ")}`);

const run = await flow.workflows.start("onboard-customer", { email: "ada@example.com" });
const done = await flow.workflows.waitForRun(run.id, { timeoutMs: 60_000 });
console.log(`run ${done.status}`);
for (const step of done.steps) console.log(`  ${step.id}: ${step.status}, saw ${JSON.stringify((step.output as { after: string[] }).after)}`);
