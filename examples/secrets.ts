// Read secrets by name. Values are cached for a minute and never appear in logs or errors.
// Seed some with `flow-local start --secrets-file .env.secrets` (KEY=VALUE lines); on a fresh
// platform there are none, and a missing secret is a FlowNotFoundError that names it.
import { FlowNotFoundError, FlowSDK } from "flow-sdk";

await using flow = FlowSDK.create();

const names: string[] = [];
for await (const secret of flow.secrets.list()) names.push(secret.name); // names only, never values
console.log(`secrets in this workspace: ${names.length === 0 ? "none" : names.join(", ")}`);

try {
  const key = await flow.secrets.get("STRIPE_API_KEY");
  console.log(`STRIPE_API_KEY is set (${key.length} characters)`);
} catch (error) {
  if (!(error instanceof FlowNotFoundError)) throw error;
  console.log("STRIPE_API_KEY is not set: FlowNotFoundError names it, and no value is ever shown");
}
