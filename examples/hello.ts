// The smallest useful code block: count visits in durable state and record each in the audit trail.
// Run it against a local platform with `npm start` (or `npx flow-sdk-local run examples/hello.ts`).
import { FlowSDK } from "@flow-sdk/sdk";

await using flow = FlowSDK.create(); // reads PLATFORM_API_URL, AUTH_TOKEN, ORG_ID, ... from the environment

const visits = await flow.state.increment("visits");
await flow.log("visit", "page", "home", { visits });

const me = await flow.auth.whoami();
console.log(`hello ${me.subject}: visit number ${visits} in ${me.orgId}/${me.workspaceId}`);

for await (const event of flow.audit.list({ resourceType: "page", resourceId: "home" })) {
  console.log(`  ${event.createdAt} ${event.action} ${JSON.stringify(event.details)}`);
}
