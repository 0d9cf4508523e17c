// Services: long-running HTTP servers called through the platform, which passes the caller's
// request id, traceparent and identity on. examples/flow-local.json declares the service
// "greeter" (examples/services/greeter.ts); the platform starts it, waits until it listens and
// restarts it if it crashes.
// Run: npx flow-sdk-local run examples/services.ts --manifest examples/flow-local.json
import { FlowNotFoundError, FlowSDK } from "@flow-sdk/sdk";

await using flow = FlowSDK.create();

const [greeter] = (await flow.services.list()).data.filter((service) => service.id === "greeter");
console.log(`service ${greeter?.id}: ${greeter?.description}`);

// A call made in a request context: the service, and the service's own SDK calls, see its request id.
const context = { headers: { "x-request-id": "req_services_example", traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" } };
const answer = await flow.runWithRequestContext(context, () =>
  flow.services.call<{ message: string; requestId: string; caller: string }>("greeter", { path: "/greet", query: { name: "Ada" } }),
);
console.log(`${answer.status} from ${answer.headers["x-flow-service"]}: ${answer.body.message}`);
console.log(`the service saw request ${answer.body.requestId} from ${answer.body.caller}`);
const [event] = (await flow.audit.list({ resourceType: "person", resourceId: "Ada" })).data;
console.log(`its audit event: ${event?.action} by ${event?.actor}, request ${event?.requestId}`);

// The service's own 404 is its answer, not an error; an unknown service is.
const missing = await flow.services.call("greeter", { path: "/nope" });
console.log(`${missing.status}: ${JSON.stringify(missing.body)}`);
try {
  await flow.services.get("billing");
} catch (error) {
  if (error instanceof FlowNotFoundError) console.log(`FlowNotFoundError: ${error.message.split(" (HTTP")[0]}`);
  else throw error;
}

const status = await flow.services.get("greeter");
console.log(`greeter is ${status.status} after ${status.restarts} restarts`);
