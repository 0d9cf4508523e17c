// Agent runs: the loop model → tool calls (code block executions) → model, on the platform,
// recorded step by step. See docs/protocol.md, "Agents and runs".
//
// A run lives in this process: it is not resumed after a restart (a model call cannot be picked up
// halfway), so one a killed platform left running fails at the next start (`platform_restarted`).
// Its record is written as it moves, so `GET agent-runs/:id` shows each step and tool call as it
// happens; its events go to the listeners of the run (the streamed POST) as they happen.
import { randomBytes } from "node:crypto";
import type { Clock } from "../../src/container/clock.js";
import { isPlainObject } from "../../src/dto/common.js";
import type { WireChatRequest, WireMessage, WireTool, WireToolCall } from "../../src/dto/gateway-wire.js";
import { tenantParams, type Tenant } from "../auth.js";
import type { Changes } from "../compute/changes.js";
import type { Caller, Executor, StoredCaller } from "../compute/executions.js";
import type { LocalDb } from "../db.js";
import { HttpError } from "../errors.js";
import type { Gateway } from "../gateway/gateway.js";
import type { AgentDef, Manifest } from "../manifest.js";
import { ConversationsStore } from "../store/conversations.js";
import type { AgentRun, AgentRunError, AgentRunEvent, AgentRunStatus, AgentRunStep, AgentToolCall } from "./types.js";

/** Where a tool call stands. */
type AgentToolCallStatus = AgentToolCall["status"];

/** What the agent engine is built from. */
export interface AgentEngineDeps {
  /** The platform database. */
  db: LocalDb;
  /** Dates of record. */
  clock: Clock;
  /** Runs tool calls as executions. */
  executor: Executor;
  /** Calls the agents' models. */
  gateway: Gateway;
  /** Wakes long-polls on a run when it changes. */
  changes: Changes;
  /** The manifest now (it may be reloaded). */
  manifest: () => Manifest;
  /** Where unexpected errors go. */
  report: (error: unknown) => void;
}

/** Receives a run's events as they happen. */
export type AgentRunListener = (event: AgentRunEvent) => void;

/** What a run starts with besides its agent and input. */
export interface AgentRunOptions {
  /** The conversation to continue (read as history, appended to as the run goes). */
  conversationId?: string | undefined;
  /** The caller's metadata, kept with the run. */
  metadata?: Record<string, unknown> | undefined;
  /** Gets every event of the run from `run.started` on (registered before the run moves, so none is missed). */
  listener?: AgentRunListener | undefined;
}

interface RunRow extends StoredCaller {
  seq: number;
  id: string;
  org: string;
  ws: string;
  agent_id: string;
  conversation_id: string | null;
  status: AgentRunStatus;
  input: string;
  output: string | null;
  error: string | null;
  metadata: string;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

interface StepRow {
  run_id: string;
  idx: number;
  text: string | null;
  finish_reason: string | null;
  started_at: number;
  finished_at: number | null;
}

interface CallRow {
  run_id: string;
  step_idx: number;
  idx: number;
  call_id: string;
  name: string;
  arguments: string;
  status: AgentToolCallStatus;
  execution_id: string | null;
  output: string | null;
  error: string | null;
}

/** A run this platform is moving. */
interface Live {
  id: string;
  tenant: Tenant;
  caller: Caller;
  /** The agent as it was when the run started: a reload does not change a run under way. */
  agent: AgentDef;
  conversationId: string | null;
  /** The messages the next model call is sent. */
  messages: WireMessage[];
  /** Aborts the model call under way when the platform stops. */
  controller: AbortController;
  /** Executions of its tool calls still running. */
  executions: Set<string>;
}

/** A tool call as the model streamed it, pieces joined. */
interface AskedCall {
  id: string;
  name: string;
  arguments: string;
}

/** Thrown inside a run when a model call fails: the run fails with `model_error`. */
class ModelError extends Error {}

/** Runs agents and keeps their runs. */
export class AgentEngine {
  /** The conversations runs read and append to. */
  readonly #conversations: ConversationsStore;
  /** Runs under way, and how each will end. */
  readonly #active = new Map<string, { live: Live; done: Promise<void> }>();
  /** Each run's listeners (the streams following it), until it ends. */
  readonly #listeners = new Map<string, Set<AgentRunListener>>();
  #closing = false;
  private readonly runById;
  private readonly stepsOf;
  private readonly callsOf;

  /** Builds it; nothing runs before {@link AgentEngine.start}. */
  constructor(readonly deps: AgentEngineDeps) {
    this.#conversations = new ConversationsStore(deps.db, deps.clock);
    this.runById = deps.db.prepare("SELECT * FROM agent_runs WHERE id = ?");
    this.stepsOf = deps.db.prepare("SELECT * FROM agent_steps WHERE run_id = ? ORDER BY idx");
    this.callsOf = deps.db.prepare("SELECT * FROM agent_tool_calls WHERE run_id = ? ORDER BY step_idx, idx");
  }

  /**
   * Starts a run of `agent` and returns it, running. The conversation's history is read and the
   * user message appended before this returns; the first model call is under way.
   * @throws {HttpError} 404 `not_found` when `options.conversationId` names no conversation of `tenant`.
   */
  startRun(tenant: Tenant, caller: Caller, agent: AgentDef, input: string | Record<string, unknown>, options: AgentRunOptions = {}): AgentRun {
    const conversationId = options.conversationId ?? null;
    const history = conversationId === null ? [] : this.#history(tenant, conversationId); // 404 before anything is written
    const id = `arun_${randomBytes(12).toString("hex")}`;
    const now = this.deps.clock.now();
    this.deps.db
      .prepare(
        `INSERT INTO agent_runs (id, org, ws, agent_id, conversation_id, status, input, metadata, definition, subject, scopes, request_id, traceparent, tracestate, created_at, updated_at)
         VALUES (@id, @org, @ws, @agent, @conversationId, 'queued', @input, @metadata, @definition, @subject, @scopes, @requestId, @traceparent, @tracestate, @now, @now)`,
      )
      .run({
        id,
        ...tenantParams(tenant),
        agent: agent.id,
        conversationId,
        input: JSON.stringify(input),
        metadata: JSON.stringify(options.metadata ?? {}),
        definition: JSON.stringify(agent),
        subject: caller.subject,
        scopes: JSON.stringify(caller.scopes),
        requestId: caller.requestId,
        traceparent: caller.traceparent,
        tracestate: caller.tracestate,
        now,
      });
    if (options.listener) this.#listeners.set(id, new Set([options.listener]));
    const text = typeof input === "string" ? input : JSON.stringify(input);
    const messages: WireMessage[] = [...(agent.instructions === "" ? [] : [{ role: "system" as const, content: agent.instructions }]), ...history, { role: "user", content: text }];
    const live: Live = { id, tenant, caller, agent, conversationId, messages, controller: new AbortController(), executions: new Set() };
    this.deps.db.prepare("UPDATE agent_runs SET status = 'running', started_at = @now, updated_at = @now WHERE id = @id").run({ id, now: this.deps.clock.now() });
    this.#append(live, "user", text, {});
    this.deps.changes.notify(id);
    this.#emit(id, { type: "run.started", run: this.#read(id) });
    const done = this.#move(live)
      .catch((error: unknown) => this.#crashed(live, error))
      .finally(() => this.#active.delete(id));
    this.#active.set(id, { live, done });
    return this.#read(id);
  }

  /** Adds a listener to the run `id` while it runs; returns the function that removes it (a no-op once it ended). */
  subscribe(id: string, listener: AgentRunListener): () => void {
    const set = this.#listeners.get(id);
    if (!set) return () => {};
    set.add(listener);
    return () => set.delete(listener);
  }

  /** The run `id` of `tenant`, or undefined. */
  get(tenant: Tenant, id: string): AgentRun | undefined {
    const row = this.runById.get(id) as RunRow | undefined;
    if (!row || row.org !== tenant.orgId || row.ws !== tenant.workspaceId) return undefined;
    return this.#toRun(row);
  }

  /** Marks runs a killed platform left running as failed (`platform_restarted`). */
  start(): void {
    const db = this.deps.db;
    const now = this.deps.clock.now();
    const ids = db.prepare("SELECT id FROM agent_runs WHERE status IN ('queued', 'running')").pluck().all() as string[];
    const error = { code: "platform_restarted", message: "the platform stopped while this run was under way; start the run again" };
    db.transaction(() => {
      for (const id of ids) {
        db.prepare("UPDATE agent_tool_calls SET status = 'failed', error = @error WHERE run_id = @id AND status = 'running'").run({ id, error: JSON.stringify(error) });
        db.prepare("UPDATE agent_runs SET status = 'failed', error = @error, finished_at = @now, updated_at = @now WHERE id = @id").run({ id, error: JSON.stringify(error), now });
      }
    })();
  }

  /** Stops: runs under way fail with `platform_stopped` once their tool processes are gone. */
  async close(): Promise<void> {
    this.#closing = true;
    const active = [...this.#active.values()];
    for (const { live } of active) {
      live.controller.abort(new Error("the platform is stopping"));
      for (const execution of live.executions) void this.deps.executor.cancel(execution);
    }
    await Promise.allSettled(active.map((entry) => entry.done));
  }

  /** The loop: model call, then its tool calls, until an answer without tool calls or the step limit. */
  async #move(live: Live): Promise<void> {
    const { agent } = live;
    for (let index = 0; ; index++) {
      if (this.#closing) return this.#stopped(live);
      let asked: { text: string; calls: AskedCall[] };
      try {
        asked = await this.#callModel(live, index);
      } catch (error) {
        if (this.#closing) return this.#stopped(live);
        if (error instanceof ModelError) return this.#end(live, "failed", null, { code: "model_error", message: error.message });
        throw error;
      }
      if (this.#closing) return this.#stopped(live);
      if (asked.calls.length === 0) {
        this.#append(live, "assistant", asked.text, { agentRunId: live.id });
        return this.#end(live, "succeeded", asked.text, null);
      }
      if (index + 1 >= agent.maxSteps) {
        // Its tools are not run: the model would never see what they return.
        const error = { code: "step_limit", message: "not run: the run reached its step limit" };
        asked.calls.forEach((call, i) => this.#insertCall(live.id, index, i, call, "failed", error));
        const steps = agent.maxSteps === 1 ? "1 model call" : `${agent.maxSteps} model calls`;
        return this.#end(live, "failed", null, {
          code: "step_limit",
          message: `agent "${agent.id}" still called tools after ${steps} (its maxSteps); raise maxSteps in the manifest, or change the instructions so the model answers`,
        });
      }
      const toolCalls: WireToolCall[] = asked.calls.map((call) => ({ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } }));
      live.messages.push({ role: "assistant", content: asked.text === "" ? null : asked.text, tool_calls: toolCalls });
      this.#append(live, "assistant", asked.text, { toolCalls: asked.calls.map((call) => ({ id: call.id, name: call.name, arguments: call.arguments })) });
      for (const [i, call] of asked.calls.entries()) {
        const content = await this.#runTool(live, index, i, call);
        live.messages.push({ role: "tool", content, tool_call_id: call.id });
        this.#append(live, "tool", content, { toolCallId: call.id, name: call.name });
        if (this.#closing) return this.#stopped(live);
      }
    }
  }

  /** One model call, streamed: its text deltas are sent on as they come, its tool calls assembled. */
  async #callModel(live: Live, index: number): Promise<{ text: string; calls: AskedCall[] }> {
    const { agent, id } = live;
    this.deps.db.prepare("INSERT INTO agent_steps (run_id, idx, started_at) VALUES (?, ?, ?)").run(id, index, this.deps.clock.now());
    this.deps.changes.notify(id);
    const tools: WireTool[] = agent.tools.map((tool) => ({
      type: "function",
      function: { name: tool.name, description: tool.description, parameters: { ...tool.parameters } },
    }));
    const request: WireChatRequest = {
      model: agent.model,
      messages: live.messages.map((message) => ({ ...message })),
      ...(tools.length > 0 ? { tools } : {}),
      stream: true,
      stream_options: { include_usage: true },
    };
    let text = "";
    const calls: AskedCall[] = [];
    let finishReason: string | null = null;
    const usage = { prompt: 0, completion: 0, total: 0 };
    try {
      const chunks = this.deps.gateway.chatChunks(request, { tenant: live.tenant, requestId: live.caller.requestId, signal: live.controller.signal });
      for await (const chunk of chunks) {
        if (chunk.usage) {
          usage.prompt += chunk.usage.prompt_tokens;
          usage.completion += chunk.usage.completion_tokens ?? 0;
          usage.total += chunk.usage.total_tokens;
        }
        for (const choice of chunk.choices) {
          if (choice.index !== 0) continue;
          const delta = choice.delta;
          if (typeof delta.content === "string" && delta.content !== "") {
            text += delta.content;
            this.#emit(id, { type: "message.delta", delta: delta.content });
          }
          for (const piece of delta.tool_calls ?? []) {
            const call = (calls[piece.index] ??= { id: "", name: "", arguments: "" });
            if (piece.id) call.id = piece.id;
            if (piece.function?.name) call.name = piece.function.name;
            if (piece.function?.arguments) call.arguments += piece.function.arguments;
          }
          if (choice.finish_reason) finishReason = choice.finish_reason;
        }
      }
    } catch (error) {
      if (this.#closing) throw error;
      throw new ModelError(modelErrorMessage(agent.model, error, this.deps.report));
    }
    const asked = calls.filter((call) => call !== undefined).map((call, i) => ({ ...call, id: call.id === "" ? `call_${index}_${i}` : call.id }));
    const now = this.deps.clock.now();
    this.deps.db.transaction(() => {
      this.deps.db
        .prepare("UPDATE agent_steps SET text = @text, finish_reason = @finishReason, finished_at = @now WHERE run_id = @id AND idx = @index")
        .run({ id, index, text: text === "" ? null : text, finishReason, now });
      this.deps.db
        .prepare(
          "UPDATE agent_runs SET prompt_tokens = prompt_tokens + @prompt, completion_tokens = completion_tokens + @completion, total_tokens = total_tokens + @total, updated_at = @now WHERE id = @id",
        )
        .run({ id, ...usage, now });
    })();
    this.deps.changes.notify(id);
    return { text, calls: asked };
  }

  /** Runs one tool call as an execution of its block; returns what the model is told (the output's JSON text, or `{"error":...}`). */
  async #runTool(live: Live, stepIndex: number, i: number, call: AskedCall): Promise<string> {
    const { id } = live;
    const parsed = parseArguments(call.arguments);
    this.#emit(id, { type: "tool.call", id: call.id, name: call.name, arguments: parsed ?? {} });
    this.#insertCall(id, stepIndex, i, call, "running", null);
    const tool = live.agent.tools.find((t) => t.name === call.name);
    let error: AgentRunError | null = null;
    let output: unknown = null;
    if (!tool) {
      const names = live.agent.tools.map((t) => t.name);
      error = { code: "unknown_tool", message: `there is no tool "${call.name}"; the tools are: ${names.length === 0 ? "(none)" : names.join(", ")}` };
    } else if (parsed === undefined) {
      error = { code: "invalid_arguments", message: `the arguments of a call to ${call.name} must be a JSON object, got: ${call.arguments.slice(0, 200)}` };
    } else {
      const block = this.deps.manifest().codeBlocks.get(tool.codeBlock);
      if (!block) error = { code: "unknown_block", message: `the code block "${tool.codeBlock}" of tool ${call.name} is no longer in the manifest` };
      else {
        const { execution, done } = this.deps.executor.start({ tenant: live.tenant, block, input: JSON.stringify(parsed), caller: live.caller });
        live.executions.add(execution.id);
        this.deps.db.prepare("UPDATE agent_tool_calls SET execution_id = ? WHERE run_id = ? AND step_idx = ? AND idx = ?").run(execution.id, id, stepIndex, i);
        this.deps.changes.notify(id);
        try {
          const finished = await done;
          if (finished.status === "succeeded") output = finished.output;
          else error = { code: finished.error?.code ?? finished.status, message: finished.error?.message ?? `the execution ${finished.status}` };
        } finally {
          live.executions.delete(execution.id);
        }
      }
    }
    this.deps.db
      .prepare("UPDATE agent_tool_calls SET status = @status, output = @output, error = @error WHERE run_id = @id AND step_idx = @step AND idx = @i")
      .run({ id, step: stepIndex, i, status: error ? "failed" : "succeeded", output: error ? null : JSON.stringify(output ?? null), error: error && JSON.stringify(error) });
    this.deps.changes.notify(id);
    this.#emit(id, { type: "tool.result", id: call.id, name: call.name, output: error ? null : (output ?? null), error });
    return JSON.stringify(error ? { error } : (output ?? null));
  }

  #insertCall(runId: string, stepIndex: number, i: number, call: AskedCall, status: AgentToolCallStatus, error: AgentRunError | null): void {
    this.deps.db
      .prepare(
        `INSERT INTO agent_tool_calls (run_id, step_idx, idx, call_id, name, arguments, status, error)
         VALUES (@runId, @stepIndex, @i, @callId, @name, @arguments, @status, @error)`,
      )
      .run({ runId, stepIndex, i, callId: call.id, name: call.name, arguments: JSON.stringify(parseArguments(call.arguments) ?? {}), status, error: error && JSON.stringify(error) });
    this.deps.changes.notify(runId);
  }

  /** The conversation's messages as the model reads them. @throws {HttpError} 404 when it does not exist. */
  #history(tenant: Tenant, conversationId: string): WireMessage[] {
    const messages: WireMessage[] = [];
    let cursor: string | undefined;
    do {
      const page = this.#conversations.listMessages(tenant, { conversationId, limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
      for (const message of page.data) {
        const wire = toWireMessage(message.role, message.content, message.metadata);
        if (wire) messages.push(wire);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return messages;
  }

  /** Appends a message to the run's conversation, if it has one; a conversation deleted meanwhile is no longer written to. */
  #append(live: Live, role: "user" | "assistant" | "tool", content: string, metadata: Record<string, unknown>): void {
    if (live.conversationId === null) return;
    try {
      this.#conversations.addMessage(live.tenant, { conversationId: live.conversationId, role, content, metadata });
    } catch (error) {
      if (!(error instanceof HttpError && error.status === 404)) throw error;
      live.conversationId = null; // deleted while the run went on: the run goes on without it
    }
  }

  #stopped(live: Live): void {
    this.#end(live, "failed", null, { code: "platform_stopped", message: "the platform stopped while this run was under way; start the run again" });
  }

  /** A run whose loop threw (a database failure, say): reported, and failed if it can still be written. */
  #crashed(live: Live, error: unknown): void {
    this.deps.report(error);
    try {
      this.#end(live, "failed", null, { code: "internal", message: "the local platform failed while running this agent; its stderr has the details" });
    } catch (again) {
      this.deps.report(again);
    }
  }

  #end(live: Live, status: "succeeded" | "failed", output: string | null, error: AgentRunError | null): void {
    const now = this.deps.clock.now();
    this.deps.db
      .prepare("UPDATE agent_runs SET status = @status, output = @output, error = @error, finished_at = @now, updated_at = @now WHERE id = @id AND status IN ('queued', 'running')")
      .run({ id: live.id, status, output, error: error && JSON.stringify(error), now });
    this.deps.changes.notify(live.id);
    const run = this.#read(live.id);
    this.#emit(live.id, { type: status === "succeeded" ? "run.completed" : "run.failed", run });
    this.#listeners.delete(live.id);
  }

  #emit(id: string, event: AgentRunEvent): void {
    for (const listener of [...(this.#listeners.get(id) ?? [])]) {
      try {
        listener(event);
      } catch (error) {
        this.deps.report(error); // a listener's failure (a stream gone) never stops the run
      }
    }
  }

  #read(id: string): AgentRun {
    return this.#toRun(this.runById.get(id) as RunRow);
  }

  #toRun(row: RunRow): AgentRun {
    const calls = this.callsOf.all(row.id) as CallRow[];
    const steps = (this.stepsOf.all(row.id) as StepRow[]).map(
      (s): AgentRunStep => ({
        index: s.idx,
        text: s.text,
        toolCalls: calls
          .filter((c) => c.step_idx === s.idx)
          .map(
            (c): AgentToolCall => ({
              id: c.call_id,
              name: c.name,
              arguments: JSON.parse(c.arguments) as Record<string, unknown>,
              executionId: c.execution_id,
              status: c.status,
              output: c.output === null ? null : (JSON.parse(c.output) as unknown),
              error: c.error === null ? null : (JSON.parse(c.error) as AgentRunError),
            }),
          ),
        finishReason: s.finish_reason,
        startedAt: iso(s.started_at),
        finishedAt: s.finished_at === null ? null : iso(s.finished_at),
      }),
    );
    return {
      id: row.id,
      agentId: row.agent_id,
      conversationId: row.conversation_id,
      status: row.status,
      input: JSON.parse(row.input) as string | Record<string, unknown>,
      output: row.output,
      error: row.error === null ? null : (JSON.parse(row.error) as AgentRunError),
      steps,
      usage: { promptTokens: row.prompt_tokens, completionTokens: row.completion_tokens, totalTokens: row.total_tokens },
      metadata: JSON.parse(row.metadata) as Record<string, unknown>,
      requestId: row.request_id,
      createdAt: iso(row.created_at),
      startedAt: row.started_at === null ? null : iso(row.started_at),
      finishedAt: row.finished_at === null ? null : iso(row.finished_at),
    };
  }
}

/** A call's arguments as an object, or undefined when the text is not a JSON object (empty text reads as `{}`). */
function parseArguments(text: string): Record<string, unknown> | undefined {
  if (text.trim() === "") return {};
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A stored conversation message as the model reads it: assistant turns that called tools get
 * their `tool_calls` back from `metadata.toolCalls`, tool results their `tool_call_id` from
 * `metadata.toolCallId`. A tool message without one answers no call the model could know of: left out.
 */
function toWireMessage(role: string, content: string, metadata: Record<string, unknown>): WireMessage | undefined {
  if (role === "assistant") {
    const calls = Array.isArray(metadata["toolCalls"]) ? (metadata["toolCalls"] as unknown[]) : [];
    const toolCalls: WireToolCall[] = [];
    for (const call of calls) {
      if (!isPlainObject(call) || typeof call["id"] !== "string" || typeof call["name"] !== "string") continue;
      const args = call["arguments"];
      toolCalls.push({ id: call["id"], type: "function", function: { name: call["name"], arguments: typeof args === "string" ? args : JSON.stringify(args ?? {}) } });
    }
    return toolCalls.length === 0 ? { role, content } : { role, content: content === "" ? null : content, tool_calls: toolCalls };
  }
  if (role === "tool") {
    const callId = metadata["toolCallId"];
    return typeof callId === "string" ? { role, content, tool_call_id: callId } : undefined;
  }
  if (role === "system" || role === "user") return { role, content };
  return undefined;
}

/** What a failed model call says: the gateway's own message (it names no secret), else a generic one (the cause reported). */
function modelErrorMessage(model: string, error: unknown, report: (error: unknown) => void): string {
  if (error instanceof HttpError) return `the model ${model} failed: ${error.message}`;
  report(error);
  return `the model ${model} failed (${error instanceof Error ? error.name : "unknown error"}); the platform's stderr has the details`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
