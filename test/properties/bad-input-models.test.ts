// Bad input to the model namespaces (gateway.chat, chatStream, embed and agents), as properties:
// whatever wrong value a caller passes in any argument, the call rejects with a
// FlowValidationError and sends nothing to the counting server; a stream (chatStream,
// agents.stream) is returned as one and rejects from its first read.
import { describe } from "vitest";
import { countingFlow, itRefusesBadInput, startCountingServer } from "./harness.js";
import { MODEL_METHODS } from "./model-methods.js";

const server = await startCountingServer();
const flow = countingFlow(server);

describe("bad input to gateway.chat, chatStream, embed and agents", () => {
  itRefusesBadInput(MODEL_METHODS, flow, server);
});
