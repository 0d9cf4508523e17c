// Bad input to the data namespaces (state, audit, auth, secrets, storage, datasets, vector,
// memory, conversations, gateway.request), as properties: whatever wrong value a caller passes in
// any argument, the call rejects with a FlowValidationError and sends nothing. The flow talks to a
// loopback server that counts requests, so an input that slipped through validation shows up
// there. The methods and their arbitraries are in store-methods.ts and collection-methods.ts.
import { describe } from "vitest";
import { COLLECTION_METHODS } from "./collection-methods.js";
import { countingFlow, itRefusesBadInput, startCountingServer } from "./harness.js";
import { STORE_METHODS } from "./store-methods.js";

const server = await startCountingServer();
const flow = countingFlow(server);

describe("bad input to state, audit, auth, secrets, storage and gateway", () => {
  itRefusesBadInput(STORE_METHODS, flow, server);
});

describe("bad input to datasets, vector, memory and conversations", () => {
  itRefusesBadInput(COLLECTION_METHODS, flow, server);
});
