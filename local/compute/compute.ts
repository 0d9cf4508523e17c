// The platform's compute half, in one place: the manifest, the executor that runs code blocks,
// the job queue and the workflow engine. server.ts hands it to the routes; platform.ts starts it
// once the server listens (executions need its URL) and stops it before the database closes.
import type { Clock } from "../../src/container/clock.js";
import { AgentEngine } from "../agents/engine.js";
import type { LocalDb } from "../db.js";
import type { Gateway } from "../gateway/gateway.js";
import { ServiceSupervisor } from "../services/supervisor.js";
import { HttpError } from "../errors.js";
import type { AgentDef, BlockDef, Manifest, WorkflowDef } from "../manifest.js";
import type { SecretsStore } from "../store/secrets.js";
import type { TokenService } from "../tokens.js";
import { Changes } from "./changes.js";
import { Executor } from "./executions.js";
import { JobQueue } from "./jobs.js";
import { WorkflowEngine } from "./workflows.js";

/** What the compute half is built from. */
export interface ComputeDeps {
  /** The platform database. */
  db: LocalDb;
  /** The platform's clock. */
  clock: Clock;
  /** Signs each execution's token. */
  tokens: TokenService;
  /** The tenants' secrets, masked in what blocks log. */
  secrets: SecretsStore;
  /** What the platform runs. */
  manifest: Manifest;
  /** The model gateway agents call. */
  gateway: Gateway;
  /** After a cancel or a timeout, how long a block has to end before SIGKILL. */
  graceMs: number;
  /** The tail of each execution's stdout and stderr kept. */
  maxLogBytes: number;
  /** Where unexpected errors go. */
  report: (error: unknown) => void;
}

/** Code blocks, executions, jobs and workflows of one platform. */
export class Compute {
  /** Wakes long-polls when an execution, job or run changes. */
  readonly changes = new Changes();
  /** Runs code blocks. */
  readonly executor: Executor;
  /** The job queue. */
  readonly jobs: JobQueue;
  /** The workflow engine. */
  readonly workflows: WorkflowEngine;
  /** Runs agents. */
  readonly agents: AgentEngine;
  /** Runs the manifest's file services. */
  readonly services: ServiceSupervisor;
  /** The model gateway. */
  readonly gateway: Gateway;
  /** The tenants' secrets (connectors' credentials are some). */
  readonly secrets: SecretsStore;
  #manifest: Manifest;
  #baseUrl = "";

  /** Builds it; nothing runs before {@link Compute.start}. */
  constructor(deps: ComputeDeps) {
    this.#manifest = deps.manifest;
    const manifest = (): Manifest => this.#manifest;
    this.executor = new Executor({
      db: deps.db,
      clock: deps.clock,
      tokens: deps.tokens,
      changes: this.changes,
      baseUrl: () => this.#baseUrl,
      secretValues: (tenant) => deps.secrets.allValues(tenant),
      graceMs: deps.graceMs,
      maxLogBytes: deps.maxLogBytes,
      report: deps.report,
    });
    const common = { db: deps.db, clock: deps.clock, executor: this.executor, changes: this.changes, manifest, report: deps.report };
    this.jobs = new JobQueue(common);
    this.workflows = new WorkflowEngine(common);
    this.agents = new AgentEngine({ ...common, gateway: deps.gateway });
    this.services = new ServiceSupervisor({ db: deps.db, clock: deps.clock, tokens: deps.tokens, manifest, report: deps.report });
    this.gateway = deps.gateway;
    this.secrets = deps.secrets;
  }

  /** The manifest in force. */
  get manifest(): Manifest {
    return this.#manifest;
  }

  /**
   * The code block `id`.
   * @throws {HttpError} 404 `not_found` naming the blocks there are.
   */
  block(id: string): BlockDef {
    const block = this.#manifest.codeBlocks.get(id);
    if (!block) throw new HttpError(404, "not_found", `No code block ${JSON.stringify(id)} in this workspace; ${known("code blocks", this.#manifest.codeBlocks)}`);
    return block;
  }

  /**
   * The workflow `id`.
   * @throws {HttpError} 404 `not_found` naming the workflows there are.
   */
  workflow(id: string): WorkflowDef {
    const workflow = this.#manifest.workflows.get(id);
    if (!workflow) throw new HttpError(404, "not_found", `No workflow ${JSON.stringify(id)} in this workspace; ${known("workflows", this.#manifest.workflows)}`);
    return workflow;
  }

  /**
   * The agent `id`.
   * @throws {HttpError} 404 `not_found` naming the agents there are.
   */
  agent(id: string): AgentDef {
    const agent = this.#manifest.agents.get(id);
    if (!agent) throw new HttpError(404, "not_found", `No agent ${JSON.stringify(id)} in this workspace; ${known("agents", this.#manifest.agents)}`);
    return agent;
  }

  /**
   * Starts running: executions, jobs and runs a killed platform left behind are recovered, then
   * due jobs start. `baseUrl` is where executions reach the platform.
   */
  start(baseUrl: string): void {
    this.#baseUrl = baseUrl;
    this.executor.recover();
    this.jobs.start();
    this.workflows.start();
    this.agents.start();
    this.services.start(baseUrl);
  }

  /** Puts a new manifest in force: later executions, jobs and steps use it; those running go on. */
  reload(manifest: Manifest): void {
    this.#manifest = manifest;
    this.jobs.wake();
    this.services.reload();
  }

  /** Stops everything running (their processes end) and wakes every long-poll. */
  async close(): Promise<void> {
    this.jobs.close();
    this.workflows.close();
    await Promise.all([this.agents.close(), this.executor.close(), this.services.close()]);
    this.changes.close();
  }
}

function known(what: string, map: ReadonlyMap<string, unknown>): string {
  const ids = [...map.keys()];
  return ids.length === 0 ? `the manifest (flow-local.json) declares no ${what}` : `the ${what} are: ${ids.join(", ")}`;
}
