// A streamed agent run: its events as they happen, and the run they end with.
import { FlowError } from "../errors.js";
import type { RequestOptions } from "../http/request-options.js";
import type { AgentRun, AgentRunEvent } from "../namespaces/agents.js";
import { EventStream, type OpenEvents } from "./event-stream.js";

/**
 * A streamed agent run: `for await` over its {@link AgentRunEvent}s, or await
 * {@link AgentRunStream.finalRun} (which reads it to the end when nobody does). Read once;
 * nothing is sent before the first read; `break` or {@link AgentRunStream.abort} closes the
 * request (the run goes on).
 */
export class AgentRunStream extends EventStream<AgentRunEvent> {
  #text = "";
  #run: AgentRun | undefined;

  /** @internal Made by `agents.stream`. */
  constructor(open: OpenEvents<AgentRunEvent>, options: RequestOptions | undefined) {
    super(open, options);
  }

  /** The answer's text streamed so far. */
  get text(): string {
    return this.#text;
  }

  /** The run as last seen (from `run.started`, then the final event), or `undefined` before the first event. */
  get run(): AgentRun | undefined {
    return this.#run;
  }

  /** Resolves to the answer's text once the stream has ended (all of its `message.delta` events). */
  async finalText(): Promise<string> {
    await this.untilEnd();
    return this.#text;
  }

  /** Resolves to the finished run (succeeded or failed) once the stream has ended. */
  async finalRun(): Promise<AgentRun> {
    await this.untilEnd();
    if (!this.#run) throw new FlowError("the agent run stream ended without a run");
    return this.#run;
  }

  /** @internal Keeps the totals. */
  protected observe(event: AgentRunEvent): void {
    if (event.type === "message.delta") this.#text += event.delta;
    else if (event.type === "run.started" || event.type === "run.completed" || event.type === "run.failed") this.#run = event.run;
  }
}
