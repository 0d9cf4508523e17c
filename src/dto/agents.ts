// Inputs of the agents namespace, validated by the SDK before any request and by the local platform.
import { IsOptional } from "./class-validator.js";
import { hasLoneSurrogate, IsMetadata, isJsonValue, isPlainObject, Located, MAX_JSON_BODY_BYTES, MAX_JSON_DEPTH, PageQuery, PlatformId, ResourceId } from "./common.js";
import { ConversationId, MAX_MESSAGE_LENGTH } from "./conversations.js";

/** Input of `agents.get`. */
export class AgentIdInput {
  /** The agent's id (its key in the manifest). */
  @ResourceId("id")
  id!: string;
}

/** Input of `agents.list`. */
export class AgentListInput extends PageQuery {}

/** What is wrong with an agent run's input, or undefined: a text, or a JSON object. */
export function agentInputIssue(value: unknown, where = "input"): string | undefined {
  if (typeof value === "string") {
    if (value.length === 0 || value.length > MAX_MESSAGE_LENGTH) return `${where} must be a text of 1 to ${MAX_MESSAGE_LENGTH} characters, or a JSON object`;
    if (hasLoneSurrogate(value)) return `${where} must be well-formed Unicode (it has a lone surrogate)`;
    return undefined;
  }
  if (!isPlainObject(value) || !isJsonValue(value)) return `${where} must be a text, or a JSON object (nested at most ${MAX_JSON_DEPTH} levels)`;
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_JSON_BODY_BYTES - 1024) return `${where} must be under 8 MiB as JSON`;
  return undefined;
}

/** Input of `agents.run` and `agents.stream` (the agent id from the path, the rest from the body). */
export class AgentRunInput {
  /** The agent's id. */
  @ResourceId("id")
  id!: string;

  /** What to ask: a message, or a JSON object (sent to the model as its JSON text). */
  @Located("isAgentInput", (value, where) => agentInputIssue(value, where))
  input!: string | Record<string, unknown>;

  /** The conversation to continue and append to. */
  @IsOptional()
  @ConversationId("conversationId")
  conversationId?: string;

  /** Free-form JSON stored with the run. */
  @IsMetadata()
  metadata?: Record<string, unknown> | null;
}

/** Input of `agents.getRun` and `agents.waitForRun`. */
export class AgentRunIdInput {
  /** The run's id. */
  @PlatformId("runId")
  runId!: string;
}
