// A workflow step: it receives the run's input and the outputs of the steps before it.
import { defineCodeBlock, type WorkflowStepInput } from "@flow-sdk/sdk";

export default defineCodeBlock(async ({ input, steps }: WorkflowStepInput<{ email: string }>, { flow }) => {
  const done = Object.keys(steps);
  const n = await flow.state.increment(`onboarding:${input.email}`);
  return { email: input.email, step: n, after: done };
});
