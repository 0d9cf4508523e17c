// The agents' wire shapes of docs/protocol.md ("Agents and runs"): the SDK's own types, plus what
// the platform shows beyond them.
import type { AgentRun as SdkAgentRun } from "../../src/namespaces/agents.js";

export type { Agent, AgentRunError, AgentRunEvent, AgentRunStatus, AgentRunStep, AgentToolCall } from "../../src/namespaces/agents.js";

/** A run as the platform answers it: the SDK's `AgentRun` and the caller's `metadata` (`{}` when none was given). */
export interface AgentRun extends SdkAgentRun {
  /** The metadata the run was started with. */
  metadata: Record<string, unknown>;
}
