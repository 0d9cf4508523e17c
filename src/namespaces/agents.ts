// flow.agents: run the platform's agents, wait for their answer or stream their events.
// Not available yet: the types below are the planned API; every method rejects with
// FlowNotAvailableError.
import { injectable } from "tsyringe";
import type { RequestOptions } from "../http/request-options.js";
import type { PagePromise } from "../pagination.js";
import { notAvailable, notAvailablePage } from "./not-available.js";

/** An agent configured on the platform. */
export interface Agent {
  /** The agent's id. */
  id: string;
  /** Human-readable name. */
  name: string;
  /** What the agent is for, if its author said. */
  description: string | null;
  /** The model the agent uses, e.g. `gpt-4o`. */
  model: string;
  /** When the agent was created, as an ISO 8601 timestamp. */
  createdAt: string;
}

/** Where an agent run stands. */
export type AgentRunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

/** Why an agent run failed. */
export interface AgentRunError {
  /** Machine-readable error code. */
  code: string;
  /** What went wrong. */
  message: string;
}

/** One run of an agent. */
export interface AgentRun {
  /** The run's id. */
  id: string;
  /** The agent that ran. */
  agentId: string;
  /** The conversation the run read from and wrote to, if any. */
  conversationId: string | null;
  /** Where the run stands. */
  status: AgentRunStatus;
  /** The agent's final answer once `status` is `succeeded`, else `null`. */
  output: string | null;
  /** Why the run failed once `status` is `failed`, else `null`. */
  error: AgentRunError | null;
  /** When the run was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When it finished, or `null` while it runs. */
  finishedAt: string | null;
}

/** The run was created. */
export interface AgentRunStartedEvent {
  /** Event kind. */
  type: "run.started";
  /** The run as it started. */
  run: AgentRun;
}

/** The agent produced more answer text. */
export interface AgentMessageDeltaEvent {
  /** Event kind. */
  type: "message.delta";
  /** The new text, to append to what came before. */
  delta: string;
}

/** The agent calls a tool. */
export interface AgentToolCallEvent {
  /** Event kind. */
  type: "tool.call";
  /** The tool's name. */
  name: string;
  /** The call's arguments. */
  arguments: Record<string, unknown>;
}

/** A tool call returned. */
export interface AgentToolResultEvent {
  /** Event kind. */
  type: "tool.result";
  /** The tool's name. */
  name: string;
  /** What the tool returned. */
  result: unknown;
}

/** The run ended: `run.output` holds the answer, or `run.error` says why it failed. */
export interface AgentRunFinishedEvent {
  /** Event kind. */
  type: "run.completed" | "run.failed";
  /** The finished run. */
  run: AgentRun;
}

/** One event of a streamed agent run; switch on `type`. */
export type AgentRunEvent =
  | AgentRunStartedEvent
  | AgentMessageDeltaEvent
  | AgentToolCallEvent
  | AgentToolResultEvent
  | AgentRunFinishedEvent;

/** Parameters of `agents.list`. */
export interface AgentsListParams {
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Parameters of `agents.run`. */
export interface AgentsRunParams {
  /** What to ask the agent: a message, or structured input the agent expects. */
  input: string | Record<string, unknown>;
  /** Conversation to continue; its history is the agent's context and the exchange is appended. */
  conversationId?: string | undefined;
  /** Free-form data stored with the run. */
  metadata?: Record<string, unknown> | undefined;
}

/** Parameters of `agents.stream`. */
export type AgentsStreamParams = AgentsRunParams;

/** Runs platform agents. Not available yet: every method rejects with `FlowNotAvailableError`. */
@injectable()
export class AgentsNamespace {
  /** Lists the workspace's agents. */
  list(params?: AgentsListParams, options?: RequestOptions): PagePromise<Agent> {
    return notAvailablePage<Agent>("agents.list");
  }

  /** Resolves to the agent `id`. */
  async get(id: string, options?: RequestOptions): Promise<Agent> {
    throw notAvailable("agents.get");
  }

  /** Runs the agent `id` and resolves to the finished run. */
  async run(id: string, params: AgentsRunParams, options?: RequestOptions): Promise<AgentRun> {
    throw notAvailable("agents.run");
  }

  /**
   * Runs the agent `id` and yields its events as they happen.
   * @example
   * for await (const event of flow.agents.stream("support", { input: "Hi" })) {
   *   if (event.type === "message.delta") process.stdout.write(event.delta);
   * }
   */
  async *stream(id: string, params: AgentsStreamParams, options?: RequestOptions): AsyncIterable<AgentRunEvent> {
    throw notAvailable("agents.stream");
  }

  /** Resolves to the run `runId`, finished or not. */
  async getRun(runId: string, options?: RequestOptions): Promise<AgentRun> {
    throw notAvailable("agents.getRun");
  }
}
