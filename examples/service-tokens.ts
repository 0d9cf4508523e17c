// Machine tokens: create a read-only service token, act with it as another client would (it is
// what you give a script or a service as AUTH_TOKEN), see its scopes enforced, then revoke it.
import { FlowAuthenticationError, FlowPermissionError, FlowSDK } from "@flow-sdk/sdk";

await using flow = FlowSDK.create();
await flow.state.set("report:latest", { month: "2026-01", total: 1234.5 });

// The secret (`token`) is in this answer only: store it now, the platform keeps only its hash.
const created = await flow.serviceTokens.create({ name: "report-reader", scopes: ["state:read"], expiresInSeconds: 3600 });
console.log(`created ${created.name} (${created.scopes.join(" ")}), expires ${created.expiresAt === null ? "never" : "in an hour"}, secret starts with ${created.token.slice(0, 4)}`);

// What another process would do with AUTH_TOKEN=<the secret>; no token file to fall back on.
await using reader = FlowSDK.create({ authToken: created.token, env: { ...process.env, AUTH_TOKEN: undefined, AUTH_TOKEN_FILE: undefined } });
const me = await reader.auth.whoami();
const report = await reader.state.get<{ total: number }>("report:latest");
console.log(`as ${me.subject === `serviceToken:${created.id}` ? "serviceToken:<id>" : me.subject}: read report total ${report?.total}`);

try {
  await reader.state.set("report:latest", { total: 0 });
} catch (error) {
  if (!(error instanceof FlowPermissionError)) throw error;
  console.log(`write refused: ${error.status} ${error.code}`);
}

// Lists and gets never carry the secret.
const listed = (await flow.serviceTokens.list()).data.find((t) => t.id === created.id);
console.log(`listed: ${listed?.name}, last used ${listed?.lastUsedAt === null ? "never" : "just now"}, secret shown: ${listed !== undefined && "token" in listed}`);

const revoked = await flow.serviceTokens.revoke(created.id);
try {
  await reader.state.get("report:latest");
} catch (error) {
  if (!(error instanceof FlowAuthenticationError)) throw error;
  console.log(`revoked: ${revoked.revokedAt !== null}; its next call: ${error.status} ${error.code}`);
}
