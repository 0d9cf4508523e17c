// Agent runs: the loop model → tool calls (code block executions) → model, on the platform,
// recorded step by step. See docs/protocol.md, "Agents and runs".
import type { Clock } from "../../src/container/clock.js";
import type { LocalDb } from "../db.js";
import type { Manifest } from "../manifest.js";
import type { Changes } from "../compute/changes.js";
import type { Executor } from "../compute/executions.js";
import type { Gateway } from "../gateway/gateway.js";

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

/** Runs agents and keeps their runs. */
export class AgentEngine {
  /** Builds it; nothing runs before {@link AgentEngine.start}. */
  constructor(readonly deps: AgentEngineDeps) {}

  /** Marks runs a killed platform left running as failed (`platform_restarted`). */
  start(): void {}

  /** Stops: runs under way fail with `platform_stopped` once their tool processes are gone. */
  async close(): Promise<void> {}
}
