// flow.agents: run the platform's agents (a model, instructions and code blocks as tools), wait
// for their answer or stream their events as they happen.
import type { AxiosInstance } from "axios";
import { inject, injectable } from "tsyringe";
import type { Lifecycle } from "../container/lifecycle.js";
import { TOKENS } from "../container/tokens.js";
import { AgentIdInput, AgentListInput, AgentRunIdInput, AgentRunInput, invalidInput, isFinalStatus, paramsObject, validateInput } from "../dto/index.js";
import { FlowConnectionError, FlowError } from "../errors.js";
import type { RequestOptions } from "../http/request-options.js";
import { surelyNotDone } from "../http/retry.js";
import { serverEvents } from "../internal/sse.js";
import { WorkspaceClient, type WaitBounds, type WaitNames } from "../internal/workspace-client.js";
import type { Redactor } from "../logging/redactor.js";
import type { PagePromise } from "../pagination.js";
import { AgentRunStream } from "../streaming/agent-run-stream.js";
import type { ChatUsage } from "../streaming/chat-stream.js";

export { AgentRunStream } from "../streaming/agent-run-stream.js";

/** One tool of an agent: a code block the model may call. */
export interface AgentTool {
  /** The name the model calls it by. */
  name: string;
  /** The code block each call runs. */
  codeBlockId: string;
  /** What it does, as the model is told. */
  description: string;
  /** JSON schema of its input, as the model is shown it. */
  parameters: Record<string, unknown>;
}

/** An agent configured on the platform. */
export interface Agent {
  /** The agent's id. */
  id: string;
  /** Human-readable name. */
  name: string;
  /** What the agent is for, if its author said. */
  description: string | null;
  /** The model the agent calls. */
  model: string;
  /** Its system message. */
  instructions: string;
  /** Its tools. */
  tools: AgentTool[];
  /** Model calls per run, at most. */
  maxSteps: number;
  /** When the agent was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When it was last changed, as an ISO 8601 timestamp. */
  updatedAt: string;
}

/** Where an agent run stands; `succeeded` and `failed` are final. */
export type AgentRunStatus = "queued" | "running" | "succeeded" | "failed";

/** Why an agent run (or a tool call) failed. */
export interface AgentRunError {
  /**
   * What kind of failure. A run: `step_limit` (still calling tools after `maxSteps` model calls),
   * `model_error`, `platform_stopped`, `platform_restarted`. A tool call: its execution's code
   * (`block_error`, `timeout`, ...), `invalid_arguments`, `unknown_tool`.
   */
  code: string;
  /** What went wrong. */
  message: string;
}

/** One tool call of a step. */
export interface AgentToolCall {
  /** The call's id. */
  id: string;
  /** The tool called. */
  name: string;
  /** Its arguments, parsed (`{}` when the model's were not a JSON object). */
  arguments: Record<string, unknown>;
  /** The execution of the tool's code block, once it started. */
  executionId: string | null;
  /** Where the call stands. */
  status: "running" | "succeeded" | "failed";
  /** The block's output once it succeeded. */
  output: unknown;
  /** Why it failed (reported to the model as the tool's result). */
  error: AgentRunError | null;
}

/** One step of a run: a model call and the tool calls it asked for. */
export interface AgentRunStep {
  /** Its position, from 0. */
  index: number;
  /** What the model said, or `null`. */
  text: string | null;
  /** The tools it called. */
  toolCalls: AgentToolCall[];
  /** Why the model stopped. */
  finishReason: string | null;
  /** When it started, as an ISO 8601 timestamp. */
  startedAt: string;
  /** When it finished, or `null`. */
  finishedAt: string | null;
}

/** One run of an agent. */
export interface AgentRun {
  /** The run's id. */
  id: string;
  /** The agent that ran. */
  agentId: string;
  /** The conversation the run read from and appended to, if any. */
  conversationId: string | null;
  /** Where the run stands. */
  status: AgentRunStatus;
  /** What was asked. */
  input: string | Record<string, unknown>;
  /** The agent's final answer once `status` is `succeeded`, else `null`. */
  output: string | null;
  /** Why the run failed once `status` is `failed`, else `null`. */
  error: AgentRunError | null;
  /** The model calls and tool calls so far. */
  steps: AgentRunStep[];
  /** Token counts over every model call. */
  usage: ChatUsage;
  /** The free-form JSON given with the run (`{}` when none). */
  metadata: Record<string, unknown>;
  /** The request that started the run. */
  requestId: string;
  /** When the run was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When it started running, or `null`. */
  startedAt: string | null;
  /** When it finished, or `null` while it runs. */
  finishedAt: string | null;
}

/** The run started. */
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
  /** The call's id. */
  id: string;
  /** The tool's name. */
  name: string;
  /** The call's arguments. */
  arguments: Record<string, unknown>;
}

/** A tool call returned. */
export interface AgentToolResultEvent {
  /** Event kind. */
  type: "tool.result";
  /** The call's id. */
  id: string;
  /** The tool's name. */
  name: string;
  /** What the tool returned, or `null` when it failed. */
  output: unknown;
  /** Why it failed, or `null`. */
  error: AgentRunError | null;
}

/**
 * The run ended: `run.completed` when its status is `succeeded` (`run.output` holds the answer),
 * `run.failed` when it is `failed` (`run.error` says why).
 */
export interface AgentRunFinishedEvent {
  /** Event kind. */
  type: "run.completed" | "run.failed";
  /** The finished run. */
  run: AgentRun;
}

/** One event of a streamed agent run; switch on `type`. */
export type AgentRunEvent = AgentRunStartedEvent | AgentMessageDeltaEvent | AgentToolCallEvent | AgentToolResultEvent | AgentRunFinishedEvent;

/** Parameters of `agents.list`. */
export interface AgentsListParams {
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Parameters of `agents.stream`. */
export interface AgentsStreamParams {
  /** What to ask the agent: a message, or a JSON object (the model reads its JSON text). */
  input: string | Record<string, unknown>;
  /** Conversation to continue: its messages are the agent's history, and the exchange is appended to it. */
  conversationId?: string | undefined;
  /** Free-form JSON stored with the run. */
  metadata?: Record<string, unknown> | undefined;
}

/** Parameters of `agents.run`: the run's, and the bounds of the wait for its end. */
export interface AgentsRunParams extends AgentsStreamParams {
  /** How long to wait in all, in milliseconds, before rejecting with `FlowTimeoutError` (the run goes on). @default no limit */
  timeoutMs?: number | undefined;
  /** Ends the wait (not the run) with `FlowAbortError`. */
  signal?: AbortSignal | undefined;
  /** `false`: resolve to the run as it started, without waiting. @default true */
  wait?: boolean | undefined;
}

/** Bounds of `agents.waitForRun`. */
export type AgentsWaitParams = WaitBounds;


/** Runs the workspace's agents: waits for their answer, or streams their events. */
@injectable()
export class AgentsNamespace {
  /** Built by the container. */
  constructor(
    @inject(WorkspaceClient) private readonly client: WorkspaceClient,
    @inject(TOKENS.PlatformHttp) private readonly http: AxiosInstance,
    @inject(TOKENS.Lifecycle) private readonly lifecycle: Lifecycle,
    @inject(TOKENS.Redactor) private readonly redactor: Redactor,
  ) {}

  /**
   * The workspace's agents, by id; await for the first page or `for await` over all.
   *
   * @example for await (const agent of flow.agents.list()) console.log(agent.id, agent.model);
   */
  list(params: AgentsListParams = {}, options?: RequestOptions): PagePromise<Agent> {
    return this.client.list(() => ({ path: this.client.path("agents"), query: validateInput(AgentListInput, params, "agents.list") }), options);
  }

  /**
   * Resolves to the agent `id`.
   * @throws {FlowNotFoundError} when there is none; the message names the agents there are.
   */
  async get(id: string, options?: RequestOptions): Promise<Agent> {
    const input = validateInput(AgentIdInput, { id }, "agents.get");
    return this.client.get<Agent>(this.client.path("agents", input.id), options);
  }

  /**
   * Runs the agent `id` on `params.input` and, by default, waits for it: resolves to the finished
   * run, whose `output` is the answer (`status` `succeeded`) or whose `error` says why it failed
   * (`step_limit`, `model_error`, ...). A failed run resolves too. With `wait: false`, resolves to
   * the run as it started.
   *
   * @example
   * const run = await flow.agents.run("support", { input: "Where is my order 42?", conversationId });
   * if (run.status === "succeeded") console.log(run.output);
   * @throws {FlowNotFoundError} when there is no agent `id`, or no conversation `conversationId`.
   * @throws {FlowValidationError} for bad params, before any request.
   * @throws {FlowTimeoutError} when `timeoutMs` passes first (the run goes on; its id is in the message).
   */
  async run(id: string, params: AgentsRunParams, options?: RequestOptions): Promise<AgentRun> {
    const { wait, timeoutMs, signal, ...rest } = paramsObject(params, "agents.run", ["id"]);
    const { id: agentId, ...body } = validateInput(AgentRunInput, { ...rest, id }, "agents.run");
    if (wait !== undefined && typeof wait !== "boolean") throw invalidInput("agents.run", [{ path: "wait", message: "wait must be true or false" }]);
    const path = `${this.client.path("agents", agentId)}/runs`;
    const start = (startOptions: RequestOptions): Promise<AgentRun> => this.client.post<AgentRun>(path, body, startOptions);
    const names = this.#names(undefined, "agents.run");
    if (wait === false) return this.client.startAndWait(start, () => path, () => true, { timeoutMs, signal }, options, names);
    return this.client.startAndWait(start, (started) => this.client.path("agent-runs", started?.id ?? ""), isFinished, { timeoutMs, signal }, options, names);
  }

  /**
   * Runs the agent `id` and yields its events as they happen: `run.started`, `message.delta` (the
   * answer's text as the model writes it), `tool.call`, `tool.result`, then `run.completed` or
   * `run.failed`. The request is sent on the first read; `break` or `abort()` closes it at once
   * (the run itself goes on: `getRun` shows it). `finalRun()` resolves to the finished run.
   *
   * @example
   * for await (const event of flow.agents.stream("support", { input: "Hi" })) {
   *   if (event.type === "message.delta") process.stdout.write(event.delta);
   * }
   * @throws {FlowValidationError} (from the first read) for bad params, before any request.
   * @throws {FlowConnectionError} (from a read) when the stream breaks off before the run ended.
   */
  stream(id: string, params: AgentsStreamParams, options?: RequestOptions): AgentRunStream {
    const open = async function* (this: AgentsNamespace, streamOptions: RequestOptions): AsyncGenerator<AgentRunEvent, void, undefined> {
      const { id: agentId, ...body } = validateInput(AgentRunInput, { ...paramsObject(params, "agents.stream", ["id"]), id }, "agents.stream");
      const path = `${this.client.path("agents", agentId)}/runs`;
      // A streamed run is not replayed by Idempotency-Key (its events cannot be): an attempt is
      // sent again only when it surely started nothing, or one call could start two runs.
      const events = serverEvents({
        http: this.http,
        path,
        body,
        options: streamOptions,
        lifecycle: this.lifecycle,
        redactor: this.redactor,
        retry: "the run goes on: follow it with agents.getRun",
        mayRetry: surelyNotDone,
      });
      for await (const message of events) {
        let event: AgentRunEvent;
        try {
          event = JSON.parse(message.data) as AgentRunEvent;
        } catch {
          throw new FlowError(`POST ${path}: the platform sent an event that is not JSON`);
        }
        yield event;
        if (event.type === "run.completed" || event.type === "run.failed") return;
      }
      throw new FlowConnectionError(`POST ${path} broke off before the run ended; the run goes on: follow it with agents.getRun`);
    };
    return new AgentRunStream((streamOptions) => open.call(this, streamOptions), options);
  }

  /**
   * Resolves to the run `runId`, finished or not.
   * @throws {FlowNotFoundError} when there is no such run in this workspace.
   */
  async getRun(runId: string, options?: RequestOptions): Promise<AgentRun> {
    const input = validateInput(AgentRunIdInput, { runId }, "agents.getRun");
    return this.client.get<AgentRun>(this.client.path("agent-runs", input.runId), options);
  }

  /**
   * Resolves to the run `runId` once it has finished, long-polling the platform; `timeoutMs`
   * bounds the whole wait and `signal` ends it at once.
   * @throws {FlowTimeoutError} when `timeoutMs` passes first (the run goes on).
   */
  async waitForRun(runId: string, params: AgentsWaitParams = {}, options?: RequestOptions): Promise<AgentRun> {
    const input = validateInput(AgentRunIdInput, { runId }, "agents.waitForRun");
    return this.client.waitFor<AgentRun>(this.client.path("agent-runs", input.runId), isFinished, params, options, this.#names(input.runId, "agents.waitForRun"));
  }

  #names(runId: string | undefined, method: string): WaitNames<AgentRun> {
    return { method, describe: (last) => `agent run ${last?.id ?? runId ?? "(not started)"}${last ? ` (${last.status})` : ""}` };
  }
}

function isFinished(run: AgentRun): boolean {
  return isFinalStatus(run.status);
}
