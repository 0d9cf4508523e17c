// Read secrets by name. Values are cached for a minute and never appear in logs or errors.
// Run it with demo secrets: npx flow-sdk-local run examples/secrets.ts --secrets-file examples/secrets.env
import { FlowNotFoundError, FlowSDK } from "@flow-sdk/sdk";

await using flow = FlowSDK.create();

const names: string[] = [];
for await (const secret of flow.secrets.list()) names.push(secret.name); // names only, never values
console.log(`secrets in this workspace: ${names.length === 0 ? "none" : names.join(", ")}`);

// One request for several; a second read within the cache TTL makes no request at all.
const { STRIPE_API_KEY: stripeKey, WEBHOOK_SIGNING_SECRET: signingSecret } = await flow.secrets.getMany(["STRIPE_API_KEY", "WEBHOOK_SIGNING_SECRET"]);
console.log(`Stripe key is a ${stripeKey?.startsWith("sk_test_") ? "test" : "live"} key; signing secret has ${signingSecret?.length} characters`);

try {
  await flow.secrets.get("OPENAI_API_KEY");
} catch (error) {
  if (!(error instanceof FlowNotFoundError)) throw error;
  console.log(`missing: ${error.message.split(" (")[0]}`);
}
