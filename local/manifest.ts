// The manifest (`flow-local.json`): what the hosted platform's UI would declare. Code blocks by
// id, job types, workflows, agents and the gateway's upstream. Read once at start (and again on a hot reload); a bad one is refused
// with every problem named, never half applied.
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { RESOURCE_ID } from "../src/dto/common.js";
import { TOOL_NAME } from "../src/dto/gateway.js";
import { SECRET_NAME } from "../src/dto/secrets.js";
import { MAX_EXECUTION_TIMEOUT_SECONDS } from "../src/dto/code-blocks.js";
import { MAX_JOB_ATTEMPTS } from "../src/dto/jobs.js";
import { FlowConfigError } from "../src/errors.js";

/** The manifest's file name, looked for in the working directory. */
export const MANIFEST_FILE = "flow-local.json";

/** File extensions a code block may have. */
export const BLOCK_EXTENSIONS = [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts"] as const;

/** Defaults of what the manifest leaves out. */
export const MANIFEST_DEFAULTS = {
  /** A block's run-time limit: five minutes. */
  timeoutSeconds: 300,
  /** Jobs of one type run one at a time. */
  concurrency: 1,
  /** A job or a workflow step is tried three times. */
  maxAttempts: 3,
  /** The first retry waits a second; each later one twice as long as the one before. */
  backoffSeconds: 1,
  /** A service has 30 seconds to accept connections on its port. */
  startTimeoutSeconds: 30,
  /** A connector's upstream call may take 30 seconds. */
  connectorTimeoutSeconds: 30,
} as const;

/** Longest wait between two attempts, however many there were. */
export const MAX_BACKOFF_SECONDS = 300;

/** How long after failed attempt number `attempt` (1-based) the next one is due: `backoffSeconds × 2^(attempt − 1)`, at most {@link MAX_BACKOFF_SECONDS}, in ms. */
export function backoffMs(backoffSeconds: number, attempt: number): number {
  return Math.min(MAX_BACKOFF_SECONDS, backoffSeconds * 2 ** (attempt - 1)) * 1000;
}

/** A code block as the manifest declares it, its file resolved. */
export interface BlockDef {
  /** Its id (the manifest key). */
  id: string;
  /** Absolute path of its module file. */
  file: string;
  /** Where its processes run: the manifest's directory. */
  cwd: string;
  /** Display name. @default the id */
  name: string;
  /** What it does, or null. */
  description: string | null;
  /** Run-time limit of one execution. */
  timeoutSeconds: number;
  /** Extra environment variables for its executions. */
  env: Readonly<Record<string, string>>;
  /** JSON schema of its input, shown to models when the block is an agent's tool; null when unsaid. */
  inputSchema: Readonly<Record<string, unknown>> | null;
}

/** A job type: which block runs it, and how. */
export interface JobTypeDef {
  /** The type (the manifest key). */
  type: string;
  /** The code block that runs each job of this type. */
  codeBlock: string;
  /** Jobs of this type running at once, at most. */
  concurrency: number;
  /** Attempts before a job fails (a submit may say otherwise). */
  maxAttempts: number;
  /** Wait before the first retry, doubling after each failure (at most {@link MAX_BACKOFF_SECONDS}). */
  backoffSeconds: number;
  /** Run-time limit of one attempt; the block's own when unset. */
  timeoutSeconds: number | undefined;
}

/** One step of a workflow. */
export interface StepDef {
  /** The step's id, unique in its workflow. */
  id: string;
  /** The code block it runs. */
  codeBlock: string;
  /** Attempts before the step (and so the run) fails. */
  maxAttempts: number;
  /** Wait before the first retry, doubling after each failure. */
  backoffSeconds: number;
  /** Run-time limit of one attempt; the block's own when unset. */
  timeoutSeconds: number | undefined;
}

/** A workflow: steps run in order. */
export interface WorkflowDef {
  /** Its id (the manifest key). */
  id: string;
  /** Display name. @default the id */
  name: string;
  /** What it does, or null. */
  description: string | null;
  /** The steps, in order (at least one). */
  steps: readonly StepDef[];
}

/** One tool of an agent: a code block, as the model is shown it. */
export interface AgentToolDef {
  /** The name the model calls it by: 1 to 64 letters, digits, '_' or '-'. */
  name: string;
  /** The code block each call runs. */
  codeBlock: string;
  /** What it does, for the model. */
  description: string;
  /** JSON schema of its input (the call's arguments). */
  parameters: Readonly<Record<string, unknown>>;
}

/** An agent: a model, its instructions, its tools and a step limit. */
export interface AgentDef {
  /** Its id (the manifest key). */
  id: string;
  /** Display name. @default the id */
  name: string;
  /** What it is for, or null. */
  description: string | null;
  /** The model it calls (a local model, or one the upstream serves). */
  model: string;
  /** Its system message. */
  instructions: string;
  /** Its tools, by name. */
  tools: readonly AgentToolDef[];
  /** Model calls per run, at most; a run still calling tools after that many fails with `step_limit`. */
  maxSteps: number;
}

/** Where models the platform does not have are sent: an OpenAI-compatible API. */
export interface UpstreamDef {
  /** Base URL as OpenAI clients take it, e.g. `https://api.openai.com/v1`; `/chat/completions` and `/embeddings` are added. */
  baseUrl: string;
  /** Name of the workspace secret holding the upstream's API key, sent as `Authorization: Bearer`. */
  apiKeySecret: string;
}

/** The gateway's settings. */
export interface GatewayDef {
  /** Where other models go; without it, only the local models answer. */
  upstream: UpstreamDef | null;
  /** The model `memory` embeds with; null: the local embedding. */
  memoryEmbeddingModel: string | null;
}

/** One named action of an `http` connector. */
export interface ConnectorActionDef {
  /** The action's name (its key). */
  name: string;
  /** HTTP method of the upstream call. */
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Path template on the base URL, e.g. `/repos/{owner}/{repo}/issues`: each `{name}` is a required parameter, percent-encoded. */
  path: string;
  /** The template's parameter names, in order. */
  pathParams: readonly string[];
  /** What it does, or null. */
  description: string | null;
}

/** A connector: an `http` integration whose credential only the platform holds. */
export interface ConnectorDef {
  /** Its id (the manifest key). */
  id: string;
  /** Always `http` for now. */
  type: "http";
  /** Display name. @default the id */
  name: string;
  /** What it connects to, or null. */
  description: string | null;
  /** Base URL of the upstream API, without a trailing slash. */
  baseUrl: string;
  /** The credential: the workspace secret whose value goes in `header` (after `prefix`) on every upstream call; null for none. */
  auth: { secret: string; header: string; prefix: string } | null;
  /** Fixed headers sent on every upstream call (no credentials here: use `auth`). */
  headers: Readonly<Record<string, string>>;
  /** Its actions, by name. */
  actions: ReadonlyMap<string, ConnectorActionDef>;
  /** Longest an upstream call may take. */
  timeoutSeconds: number;
}

/** A service: a long-running HTTP server, either at a URL or started by the platform from a file. */
export interface ServiceDef {
  /** Its id (the manifest key), given to its process as `SERVICE_ID`. */
  id: string;
  /** Display name, unique among services; `services.call` takes it in place of the id. @default the id */
  name: string;
  /** What it does, or null. */
  description: string | null;
  /** Where it already runs (no process is started), or null. */
  url: string | null;
  /** The module file the platform runs (with `PORT` and `SERVICE_ID`), or null. */
  file: string | null;
  /** Where its process runs: the manifest's directory. */
  cwd: string;
  /** Extra environment variables for its process. */
  env: Readonly<Record<string, string>>;
  /** How long a start may take until the port accepts connections. */
  startTimeoutSeconds: number;
}

/** The models the local gateway answers itself. */
export const LOCAL_CHAT_MODEL = "flow-local-chat";
/** The local embedding model (the one `memory` uses without a configured model). */
export const LOCAL_EMBED_MODEL = "flow-local-hash-v2";
/** Every local model. */
export const LOCAL_MODELS: readonly string[] = [LOCAL_CHAT_MODEL, LOCAL_EMBED_MODEL];

/** An agent's step limit when the manifest leaves it out. */
export const DEFAULT_MAX_STEPS = 8;
/** The highest step limit. */
export const MAX_AGENT_STEPS = 100;

/** A checked manifest. */
export interface Manifest {
  /** Where it came from: the file's absolute path, or `(object)`. */
  source: string;
  /** Directory its relative paths were resolved against. */
  dir: string;
  /** When it was last changed (the file's mtime, or when the object was loaded), ms since the epoch. */
  loadedAt: number;
  /** Code blocks by id. */
  codeBlocks: ReadonlyMap<string, BlockDef>;
  /** Job types by type. */
  jobs: ReadonlyMap<string, JobTypeDef>;
  /** Workflows by id. */
  workflows: ReadonlyMap<string, WorkflowDef>;
  /** Agents by id. */
  agents: ReadonlyMap<string, AgentDef>;
  /** The gateway's settings. */
  gateway: GatewayDef;
  /** Connectors by id. */
  connectors: ReadonlyMap<string, ConnectorDef>;
  /** Services by id. */
  services: ReadonlyMap<string, ServiceDef>;
}

/** What `startLocalPlatform({ manifest })` and `--manifest` accept: a path, or the manifest itself. */
export type ManifestInput = string | ManifestObject;

/** The manifest as written (JSON). */
export interface ManifestObject {
  /** Code blocks by id: a module path, or `{ file, name?, description?, timeoutSeconds?, env?, inputSchema? }`. */
  codeBlocks?: Record<
    string,
    string | { file: string; name?: string; description?: string; timeoutSeconds?: number; env?: Record<string, string>; inputSchema?: Record<string, unknown> }
  >;
  /** Job types: `{ codeBlock, concurrency?, maxAttempts?, backoffSeconds?, timeoutSeconds? }`. */
  jobs?: Record<string, { codeBlock: string; concurrency?: number; maxAttempts?: number; backoffSeconds?: number; timeoutSeconds?: number }>;
  /** Workflows: `{ name?, description?, steps: [{ id, codeBlock, maxAttempts?, backoffSeconds?, timeoutSeconds? }] }`. */
  workflows?: Record<
    string,
    { name?: string; description?: string; steps: Array<{ id: string; codeBlock: string; maxAttempts?: number; backoffSeconds?: number; timeoutSeconds?: number }> }
  >;
  /** Agents: `{ model, instructions?, tools?: [blockId | { codeBlock, name?, description?, parameters? }], maxSteps?, name?, description? }`. */
  agents?: Record<
    string,
    {
      model: string;
      instructions?: string;
      tools?: Array<string | { codeBlock: string; name?: string; description?: string; parameters?: Record<string, unknown> }>;
      maxSteps?: number;
      name?: string;
      description?: string;
    }
  >;
  /** Connectors: `{ type: "http", baseUrl, auth?: { secret, header?, prefix? }, headers?, actions: { name: { method, path, description? } }, name?, description?, timeoutSeconds? }`. */
  connectors?: Record<
    string,
    {
      type: "http";
      baseUrl: string;
      auth?: { secret: string; header?: string; prefix?: string };
      headers?: Record<string, string>;
      actions: Record<string, { method: string; path: string; description?: string }>;
      name?: string;
      description?: string;
      timeoutSeconds?: number;
    }
  >;
  /** Services: `{ url }` (already running) or `{ file, env? }` (started by the platform), with `name?`, `description?`, `startTimeoutSeconds?`. */
  services?: Record<string, { url?: string; file?: string; env?: Record<string, string>; name?: string; description?: string; startTimeoutSeconds?: number }>;
  /** Gateway settings: `{ upstream?: { baseUrl, apiKeySecret }, memory?: { embeddingModel } }`. */
  gateway?: { upstream?: { baseUrl: string; apiKeySecret: string }; memory?: { embeddingModel: string } };
}

/** A manifest with nothing in it: the platform serves the data namespaces only. */
export function emptyManifest(dir = process.cwd()): Manifest {
  return {
    source: "(none)",
    dir,
    loadedAt: Date.now(),
    codeBlocks: new Map(),
    jobs: new Map(),
    workflows: new Map(),
    agents: new Map(),
    gateway: { upstream: null, memoryEmbeddingModel: null },
    connectors: new Map(),
    services: new Map(),
  };
}

/** The manifest file in `dir`, when there is one. */
export function findManifest(dir = process.cwd()): string | undefined {
  const file = path.join(dir, MANIFEST_FILE);
  return existsSync(file) ? file : undefined;
}

/**
 * Reads and checks a manifest: a path (relative paths inside resolve against its directory), or
 * an object (they resolve against the working directory).
 *
 * @throws {FlowConfigError} naming every problem, each as `<where>: <what to fix>`.
 */
export function loadManifest(input: ManifestInput): Manifest {
  if (typeof input === "string") {
    const file = path.resolve(input);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
      throw manifestError(file, [`the file could not be read (${code})`]);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw manifestError(file, [`it is not valid JSON (${(error as Error).message})`]);
    }
    return checkManifest(parsed, file, path.dirname(file), statSync(file).mtimeMs);
  }
  return checkManifest(input, "(object)", process.cwd(), Date.now());
}

function manifestError(source: string, problems: string[]): FlowConfigError {
  const list = problems.map((p) => `  - ${p}`).join("\n");
  return new FlowConfigError(`flow-local: the manifest ${source} has ${problems.length === 1 ? "a problem" : `${problems.length} problems`}:\n${list}`, problems);
}

/** Variables the platform sets for each execution; the manifest may not set them. */
const PLATFORM_VARIABLES = ["PLATFORM_API_URL", "GATEWAY_URL", "ORG_ID", "WORKSPACE_ID", "AUTH_TOKEN", "AUTH_TOKEN_FILE", "EXECUTION_ID", "JOB_ID", "REQUEST_ID", "TRACEPARENT", "TRACESTATE"];
/** Variables the platform sets for each service process, on top of its environment. */
const SERVICE_VARIABLES = [...PLATFORM_VARIABLES, "PORT", "SERVICE_ID"];

const TOP_LEVEL = ["codeBlocks", "jobs", "workflows", "agents", "connectors", "services", "gateway"];

/** Checks a parsed manifest; see {@link loadManifest}. */
function checkManifest(raw: unknown, source: string, dir: string, loadedAt: number): Manifest {
  const problems: string[] = [];
  const codeBlocks = new Map<string, BlockDef>();
  const jobs = new Map<string, JobTypeDef>();
  const workflows = new Map<string, WorkflowDef>();
  const agents = new Map<string, AgentDef>();
  if (!isObject(raw)) throw manifestError(source, ["it must be a JSON object with keys such as codeBlocks, jobs and workflows"]);
  for (const key of Object.keys(raw)) {
    if (!TOP_LEVEL.includes(key)) problems.push(`${key}: not a manifest key; the keys are ${TOP_LEVEL.join(", ")}`);
  }
  const check = new Checker(problems);

  for (const [id, entry] of check.section(raw, "codeBlocks")) {
    const where = `codeBlocks.${id}`;
    const spec = typeof entry === "string" ? { file: entry } : entry;
    if (!check.id(id, where) || !check.object(spec, where, 'a module path, or { "file": ... }')) continue;
    check.keys(spec, where, ["file", "name", "description", "timeoutSeconds", "env", "inputSchema"]);
    const file = check.blockFile(spec["file"], `${where}.file`, dir);
    const env = check.env(spec["env"], `${where}.env`, PLATFORM_VARIABLES, "for each execution");
    const block: BlockDef = {
      id,
      file: file ?? "",
      cwd: dir,
      name: check.text(spec["name"], `${where}.name`) ?? id,
      description: check.text(spec["description"], `${where}.description`) ?? null,
      timeoutSeconds: check.int(spec["timeoutSeconds"], `${where}.timeoutSeconds`, 1, MAX_EXECUTION_TIMEOUT_SECONDS) ?? MANIFEST_DEFAULTS.timeoutSeconds,
      env,
      inputSchema: check.schema(spec["inputSchema"], `${where}.inputSchema`) ?? null,
    };
    codeBlocks.set(id, block);
  }

  for (const [type, spec] of check.section(raw, "jobs")) {
    const where = `jobs.${type}`;
    if (!check.id(type, where) || !check.object(spec, where, '{ "codeBlock": ... }')) continue;
    check.keys(spec, where, ["codeBlock", "concurrency", "maxAttempts", "backoffSeconds", "timeoutSeconds"]);
    jobs.set(type, {
      type,
      codeBlock: check.blockRef(spec["codeBlock"], `${where}.codeBlock`, codeBlocks),
      concurrency: check.int(spec["concurrency"], `${where}.concurrency`, 1, 64) ?? MANIFEST_DEFAULTS.concurrency,
      maxAttempts: check.int(spec["maxAttempts"], `${where}.maxAttempts`, 1, MAX_JOB_ATTEMPTS) ?? MANIFEST_DEFAULTS.maxAttempts,
      backoffSeconds: check.int(spec["backoffSeconds"], `${where}.backoffSeconds`, 0, MAX_BACKOFF_SECONDS) ?? MANIFEST_DEFAULTS.backoffSeconds,
      timeoutSeconds: check.int(spec["timeoutSeconds"], `${where}.timeoutSeconds`, 1, MAX_EXECUTION_TIMEOUT_SECONDS),
    });
  }

  for (const [id, spec] of check.section(raw, "workflows")) {
    const where = `workflows.${id}`;
    if (!check.id(id, where) || !check.object(spec, where, '{ "steps": [...] }')) continue;
    check.keys(spec, where, ["name", "description", "steps"]);
    const steps: StepDef[] = [];
    const rawSteps = spec["steps"];
    if (!Array.isArray(rawSteps) || rawSteps.length === 0) {
      problems.push(`${where}.steps: must be a non-empty array of { "id", "codeBlock" }`);
    } else {
      const seen = new Set<string>();
      rawSteps.forEach((step: unknown, i) => {
        const at = `${where}.steps[${i}]`;
        if (!check.object(step, at, '{ "id": ..., "codeBlock": ... }')) return;
        check.keys(step, at, ["id", "codeBlock", "maxAttempts", "backoffSeconds", "timeoutSeconds"]);
        const stepId = step["id"];
        if (typeof stepId !== "string" || !check.id(stepId, `${at}.id`)) {
          if (typeof stepId !== "string") problems.push(`${at}.id: must be a string`);
          return;
        }
        if (seen.has(stepId)) problems.push(`${at}.id: "${stepId}" is used by an earlier step; step ids are unique in a workflow`);
        seen.add(stepId);
        steps.push({
          id: stepId,
          codeBlock: check.blockRef(step["codeBlock"], `${at}.codeBlock`, codeBlocks),
          maxAttempts: check.int(step["maxAttempts"], `${at}.maxAttempts`, 1, MAX_JOB_ATTEMPTS) ?? MANIFEST_DEFAULTS.maxAttempts,
          backoffSeconds: check.int(step["backoffSeconds"], `${at}.backoffSeconds`, 0, MAX_BACKOFF_SECONDS) ?? MANIFEST_DEFAULTS.backoffSeconds,
          timeoutSeconds: check.int(step["timeoutSeconds"], `${at}.timeoutSeconds`, 1, MAX_EXECUTION_TIMEOUT_SECONDS),
        });
      });
    }
    workflows.set(id, { id, name: check.text(spec["name"], `${where}.name`) ?? id, description: check.text(spec["description"], `${where}.description`) ?? null, steps });
  }

  const gateway = checkGateway(raw["gateway"], check, problems);
  const models = gateway.upstream ? "" : ` (without gateway.upstream only the local models answer: ${LOCAL_MODELS.join(", ")})`;
  const knownModel = (model: string): boolean => gateway.upstream !== null || LOCAL_MODELS.includes(model);
  if (gateway.memoryEmbeddingModel !== null && !knownModel(gateway.memoryEmbeddingModel)) {
    problems.push(`gateway.memory.embeddingModel: flow-local has no model "${gateway.memoryEmbeddingModel}"${models}; add gateway.upstream to use it`);
  }

  for (const [id, spec] of check.section(raw, "agents")) {
    const where = `agents.${id}`;
    if (!check.id(id, where) || !check.object(spec, where, '{ "model": ..., "instructions": ..., "tools": [...] }')) continue;
    check.keys(spec, where, ["name", "description", "model", "instructions", "tools", "maxSteps"]);
    const model = spec["model"];
    if (typeof model !== "string" || model === "" || model.length > 256) problems.push(`${where}.model: must be the name of a model, e.g. "${LOCAL_CHAT_MODEL}"`);
    else if (!knownModel(model)) problems.push(`${where}.model: flow-local has no model "${model}"${models}; add gateway.upstream to use it`);
    const instructions = spec["instructions"];
    if (instructions !== undefined && (typeof instructions !== "string" || instructions.length > 100_000)) problems.push(`${where}.instructions: must be a string of at most 100000 characters`);
    const tools: AgentToolDef[] = [];
    const rawTools = spec["tools"] ?? [];
    if (!Array.isArray(rawTools)) problems.push(`${where}.tools: must be an array of code block ids or { "codeBlock", "name"?, "description"?, "parameters"? }`);
    else {
      const names = new Set<string>();
      rawTools.forEach((entry: unknown, i) => {
        const at = `${where}.tools[${i}]`;
        const tool = typeof entry === "string" ? { codeBlock: entry } : entry;
        if (!check.object(tool, at, 'a code block id, or { "codeBlock": ... }')) return;
        check.keys(tool, at, ["codeBlock", "name", "description", "parameters"]);
        const blockId = check.blockRef(tool["codeBlock"], `${at}.codeBlock`, codeBlocks);
        const block = codeBlocks.get(blockId);
        const name = tool["name"] ?? blockId;
        if (typeof name !== "string" || !TOOL_NAME.test(name)) {
          problems.push(`${at}.name: a tool name is 1 to 64 letters, digits, '_' or '-'${tool["name"] === undefined ? ` (the block id "${blockId}" is not one: give the tool a name)` : ""}`);
          return;
        }
        if (names.has(name)) problems.push(`${at}.name: "${name}" is the name of an earlier tool; tool names are unique in an agent`);
        names.add(name);
        tools.push({
          name,
          codeBlock: blockId,
          description: check.text(tool["description"], `${at}.description`) ?? block?.description ?? `Runs the code block ${blockId}.`,
          parameters: check.schema(tool["parameters"], `${at}.parameters`) ?? block?.inputSchema ?? { type: "object" },
        });
      });
    }
    agents.set(id, {
      id,
      name: check.text(spec["name"], `${where}.name`) ?? id,
      description: check.text(spec["description"], `${where}.description`) ?? null,
      model: typeof model === "string" ? model : "",
      instructions: typeof instructions === "string" ? instructions : "",
      tools,
      maxSteps: check.int(spec["maxSteps"], `${where}.maxSteps`, 1, MAX_AGENT_STEPS) ?? DEFAULT_MAX_STEPS,
    });
  }

  const connectors = new Map<string, ConnectorDef>();
  for (const [id, spec] of check.section(raw, "connectors")) {
    const connector = checkConnector(id, spec, check, problems);
    if (connector) connectors.set(id, connector);
  }

  const services = new Map<string, ServiceDef>();
  const serviceNames = new Map<string, string>();
  for (const [id, spec] of check.section(raw, "services")) {
    const where = `services.${id}`;
    if (!check.id(id, where) || !check.object(spec, where, '{ "file": ... } or { "url": ... }')) continue;
    check.keys(spec, where, ["url", "file", "env", "name", "description", "startTimeoutSeconds"]);
    const hasUrl = spec["url"] !== undefined;
    const hasFile = spec["file"] !== undefined;
    if (hasUrl === hasFile) problems.push(`${where}: give either "file" (the platform starts it) or "url" (it runs already), not ${hasUrl ? "both" : "neither"}`);
    const url = hasUrl ? check.httpUrl(spec["url"], `${where}.url`) : undefined;
    const file = hasFile ? check.blockFile(spec["file"], `${where}.file`, dir) : undefined;
    const name = check.text(spec["name"], `${where}.name`) ?? id;
    const other = serviceNames.get(name) ?? (services.has(name) ? name : undefined);
    if (other !== undefined && other !== id) problems.push(`${where}.name: "${name}" is already the name or id of service ${other}; names are unique among services`);
    serviceNames.set(name, id);
    services.set(id, {
      id,
      name,
      description: check.text(spec["description"], `${where}.description`) ?? null,
      url: url ?? null,
      file: file ?? null,
      cwd: dir,
      env: check.env(spec["env"], `${where}.env`, SERVICE_VARIABLES, "for each service process"),
      startTimeoutSeconds: check.int(spec["startTimeoutSeconds"], `${where}.startTimeoutSeconds`, 1, 600) ?? MANIFEST_DEFAULTS.startTimeoutSeconds,
    });
  }

  if (problems.length > 0) throw manifestError(source, problems);
  return { source, dir, loadedAt, codeBlocks, jobs, workflows, agents, gateway, connectors, services };
}

/** Reads the `gateway` section: `{ upstream?: { baseUrl, apiKeySecret }, memory?: { embeddingModel } }`. */
function checkGateway(raw: unknown, check: Checker, problems: string[]): GatewayDef {
  const gateway: GatewayDef = { upstream: null, memoryEmbeddingModel: null };
  if (raw === undefined || !check.object(raw, "gateway", '{ "upstream"?: ..., "memory"?: ... }')) return gateway;
  check.keys(raw, "gateway", ["upstream", "memory"]);
  const upstream = raw["upstream"];
  if (upstream !== undefined && check.object(upstream, "gateway.upstream", '{ "baseUrl": "https://...", "apiKeySecret": "SECRET_NAME" }')) {
    check.keys(upstream, "gateway.upstream", ["baseUrl", "apiKeySecret"]);
    const url = check.httpUrl(upstream["baseUrl"], "gateway.upstream.baseUrl", "https://api.openai.com/v1");
    const secret = upstream["apiKeySecret"];
    if (typeof secret !== "string" || !SECRET_NAME.test(secret)) {
      problems.push("gateway.upstream.apiKeySecret: must be the name of the secret holding the upstream's API key (the key itself never goes in the manifest)");
    }
    if (url !== undefined && typeof secret === "string") gateway.upstream = { baseUrl: url, apiKeySecret: secret };
  }
  const memory = raw["memory"];
  if (memory !== undefined && check.object(memory, "gateway.memory", '{ "embeddingModel": "..." }')) {
    check.keys(memory, "gateway.memory", ["embeddingModel"]);
    const model = memory["embeddingModel"];
    if (typeof model !== "string" || model === "" || model.length > 256) problems.push("gateway.memory.embeddingModel: must be the name of an embedding model");
    else gateway.memoryEmbeddingModel = model;
  }
  return gateway;
}

const CONNECTOR_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
/** A path template's parameter: `{name}`. */
const PATH_PARAM = /\{([A-Za-z_][A-Za-z0-9_]{0,63})\}/g;

/** Reads one connector: `{ type: "http", baseUrl, auth?, headers?, actions, name?, description?, timeoutSeconds? }`. */
function checkConnector(id: string, spec: unknown, check: Checker, problems: string[]): ConnectorDef | undefined {
  const where = `connectors.${id}`;
  if (!check.id(id, where) || !check.object(spec, where, '{ "type": "http", "baseUrl": ..., "actions": { ... } }')) return undefined;
  check.keys(spec, where, ["type", "baseUrl", "auth", "headers", "actions", "name", "description", "timeoutSeconds"]);
  if (spec["type"] !== "http") problems.push(`${where}.type: must be "http" (the one connector type of flow-local)`);
  const baseUrl = check.httpUrl(spec["baseUrl"], `${where}.baseUrl`);
  let auth: ConnectorDef["auth"] = null;
  const rawAuth = spec["auth"];
  if (rawAuth !== undefined && check.object(rawAuth, `${where}.auth`, '{ "secret": "SECRET_NAME", "header"?: "Authorization", "prefix"?: "Bearer " }')) {
    check.keys(rawAuth, `${where}.auth`, ["secret", "header", "prefix"]);
    const secret = rawAuth["secret"];
    const header = rawAuth["header"] ?? "Authorization";
    const prefix = rawAuth["prefix"] ?? (typeof header === "string" && header.toLowerCase() === "authorization" ? "Bearer " : "");
    if (typeof secret !== "string" || !SECRET_NAME.test(secret)) problems.push(`${where}.auth.secret: must be the name of the workspace secret holding the credential (the credential itself never goes in the manifest)`);
    if (typeof header !== "string" || !HEADER_NAME.test(header)) problems.push(`${where}.auth.header: must be an HTTP header name`);
    if (typeof prefix !== "string" || prefix.length > 64 || /[\r\n]/.test(prefix)) problems.push(`${where}.auth.prefix: must be a short text without line breaks, e.g. "Bearer "`);
    if (typeof secret === "string" && typeof header === "string" && typeof prefix === "string") auth = { secret, header, prefix };
  }
  const headers: Record<string, string> = {};
  const rawHeaders = spec["headers"];
  if (rawHeaders !== undefined && check.object(rawHeaders, `${where}.headers`, "an object of header names to values")) {
    for (const [name, value] of Object.entries(rawHeaders)) {
      if (!HEADER_NAME.test(name) || typeof value !== "string" || /[\r\n]/.test(value)) problems.push(`${where}.headers.${name}: must be a header name with a text value`);
      else if (["authorization", "proxy-authorization", "cookie"].includes(name.toLowerCase())) problems.push(`${where}.headers.${name}: credentials go in auth (a secret's name), never in the manifest`);
      else headers[name] = value;
    }
  }
  const actions = new Map<string, ConnectorActionDef>();
  const rawActions = spec["actions"];
  if (!isObject(rawActions) || Object.keys(rawActions).length === 0) problems.push(`${where}.actions: must name at least one action: { "name": { "method": "GET", "path": "/..." } }`);
  else {
    for (const [name, action] of Object.entries(rawActions)) {
      const at = `${where}.actions.${name}`;
      if (!TOOL_NAME.test(name)) problems.push(`${at}: an action name is 1 to 64 letters, digits, '_' or '-'`);
      if (!check.object(action, at, '{ "method": "GET", "path": "/..." }')) continue;
      check.keys(action, at, ["method", "path", "description"]);
      const method = typeof action["method"] === "string" ? action["method"].toUpperCase() : action["method"];
      if (!CONNECTOR_METHODS.includes(method as (typeof CONNECTOR_METHODS)[number])) problems.push(`${at}.method: must be one of ${CONNECTOR_METHODS.join(", ")}`);
      const template = action["path"];
      if (typeof template !== "string" || !template.startsWith("/") || /[\s?#]/.test(template)) {
        problems.push(`${at}.path: must be a path template starting with "/", without a query or spaces, e.g. "/repos/{owner}/{repo}"`);
        continue;
      }
      const pathParams = [...template.matchAll(PATH_PARAM)].map((m) => m[1]!);
      if (/[{}]/.test(template.replace(PATH_PARAM, ""))) problems.push(`${at}.path: a parameter is {name}: letters, digits and '_', starting with a letter`);
      actions.set(name, { name, method: method as ConnectorActionDef["method"], path: template, pathParams, description: check.text(action["description"], `${at}.description`) ?? null });
    }
  }
  return {
    id,
    type: "http",
    name: check.text(spec["name"], `${where}.name`) ?? id,
    description: check.text(spec["description"], `${where}.description`) ?? null,
    baseUrl: baseUrl ?? "",
    auth,
    headers,
    actions,
    timeoutSeconds: check.int(spec["timeoutSeconds"], `${where}.timeoutSeconds`, 1, 600) ?? MANIFEST_DEFAULTS.connectorTimeoutSeconds,
  };
}

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;

/** Collects problems while reading one manifest. */
class Checker {
  constructor(private readonly problems: string[]) {}

  /** The entries of a top-level section, or none (with a problem when it is not an object). */
  section(raw: Record<string, unknown>, key: string): Array<[string, unknown]> {
    const value = raw[key];
    if (value === undefined) return [];
    if (!isObject(value)) {
      this.problems.push(`${key}: must be an object keyed by id`);
      return [];
    }
    return Object.entries(value);
  }

  id(id: string, where: string): boolean {
    if (RESOURCE_ID.test(id)) return true;
    this.problems.push(`${where}: the id must be 1 to 128 letters, digits, '_', '.' or '-', starting with a letter or digit`);
    return false;
  }

  object(value: unknown, where: string, shape: string): value is Record<string, unknown> {
    if (isObject(value)) return true;
    this.problems.push(`${where}: must be ${shape}`);
    return false;
  }

  keys(value: Record<string, unknown>, where: string, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.problems.push(`${where}.${key}: not a known setting; the settings are ${allowed.join(", ")}`);
    }
  }

  text(value: unknown, where: string): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value === "string" && value.length <= 1000) return value;
    this.problems.push(`${where}: must be a string of at most 1000 characters`);
    return undefined;
  }

  int(value: unknown, where: string, min: number, max: number): number | undefined {
    if (value === undefined) return undefined;
    if (Number.isInteger(value) && (value as number) >= min && (value as number) <= max) return value as number;
    this.problems.push(`${where}: must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return undefined;
  }

  blockFile(value: unknown, where: string, dir: string): string | undefined {
    if (typeof value !== "string" || value.trim() === "") {
      this.problems.push(`${where}: must be the path of the block's module file`);
      return undefined;
    }
    const file = path.resolve(dir, value);
    if (!BLOCK_EXTENSIONS.includes(path.extname(file).toLowerCase() as (typeof BLOCK_EXTENSIONS)[number])) {
      this.problems.push(`${where}: ${value} is not a ${BLOCK_EXTENSIONS.join(", ")} file`);
    } else if (!existsSync(file) || !statSync(file).isFile()) {
      this.problems.push(`${where}: ${value} does not exist (looked for ${file})`);
    }
    return file;
  }

  blockRef(value: unknown, where: string, blocks: ReadonlyMap<string, BlockDef>): string {
    if (typeof value !== "string") {
      this.problems.push(`${where}: must be the id of a code block in codeBlocks`);
      return "";
    }
    if (!blocks.has(value)) {
      const known = [...blocks.keys()];
      this.problems.push(`${where}: no code block "${value}" in codeBlocks${known.length > 0 ? ` (there are: ${known.join(", ")})` : " (there are none)"}`);
    }
    return value;
  }

  /** An http(s) URL without credentials, query or fragment, returned without a trailing slash. */
  httpUrl(value: unknown, where: string, example?: string): string | undefined {
    let url: URL | undefined;
    try {
      url = typeof value === "string" ? new URL(value) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
      this.problems.push(`${where}: must be an http(s) URL without credentials, query or fragment${example ? `, e.g. "${example}"` : ""}`);
      return undefined;
    }
    return url.href.replace(/\/+$/, "");
  }

  /** A JSON schema: an object (of at most 64 KiB as JSON); its content is the model's business. */
  schema(value: unknown, where: string): Record<string, unknown> | undefined {
    if (value === undefined) return undefined;
    if (isObject(value) && JSON.stringify(value).length <= 65_536) return value;
    this.problems.push(`${where}: must be a JSON schema object (at most 64 KiB), e.g. { "type": "object", "properties": { ... } }`);
    return undefined;
  }

  env(value: unknown, where: string, reserved: readonly string[], setFor: string): Record<string, string> {
    if (value === undefined) return {};
    if (!isObject(value) || !Object.values(value).every((v) => typeof v === "string")) {
      this.problems.push(`${where}: must be an object of variable names to string values`);
      return {};
    }
    for (const name of Object.keys(value)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) this.problems.push(`${where}.${name}: not a valid environment variable name`);
      else if (reserved.includes(name)) this.problems.push(`${where}.${name}: set by the platform ${setFor}; choose another name`);
    }
    return value as Record<string, string>;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
