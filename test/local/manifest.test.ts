// The manifest (flow-local.json): read, defaults filled, paths resolved against the manifest's
// own directory, and a bad one refused with every problem named at once.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadManifest, MANIFEST_DEFAULTS, type ManifestObject } from "../../local/manifest.js";
import { startTestPlatform } from "../../local/testing.js";
import { FlowConfigError } from "../../src/index.js";
import { caught } from "../helpers/flows.js";

const BLOCKS = fileURLToPath(new URL("../fixtures/code-blocks/", import.meta.url));
const MANIFEST_FILE = path.join(BLOCKS, "flow-local.json");
const block = (file: string): string => path.join(BLOCKS, file);

const scratch = mkdtempSync(path.join(os.tmpdir(), "flow-manifest-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes `text` to a new file in the scratch directory and returns its path. */
let files = 0;
function manifestFile(text: string): string {
  const file = path.join(scratch, `manifest-${++files}.json`);
  writeFileSync(file, text);
  return file;
}

/** The FlowConfigError that loading `input` throws. */
function refusal(input: Parameters<typeof loadManifest>[0]): FlowConfigError {
  let error: unknown;
  try {
    loadManifest(input);
  } catch (thrown) {
    error = thrown;
  }
  expect(error).toBeInstanceOf(FlowConfigError);
  return error as FlowConfigError;
}

describe("loadManifest: a good manifest", () => {
  it("resolves a block's file against the manifest file's directory and fills the defaults of a string shorthand", () => {
    const manifest = loadManifest(MANIFEST_FILE);
    expect(manifest.source).toBe(MANIFEST_FILE);
    expect(manifest.dir).toBe(path.dirname(MANIFEST_FILE));
    expect(manifest.codeBlocks.get("echo")).toEqual({
      id: "echo",
      file: block("echo.mjs"),
      cwd: path.dirname(MANIFEST_FILE),
      name: "echo",
      description: null,
      timeoutSeconds: MANIFEST_DEFAULTS.timeoutSeconds,
      env: {},
      inputSchema: null,
    });
    expect(MANIFEST_DEFAULTS.timeoutSeconds).toBe(300);
  });

  it("keeps a block's name, description, timeoutSeconds and env as written", () => {
    const manifest = loadManifest(MANIFEST_FILE);
    expect(manifest.codeBlocks.get("context")).toEqual({
      id: "context",
      file: block("context.mjs"),
      cwd: path.dirname(MANIFEST_FILE),
      name: "Context",
      description: "Reports its execution id, its request and REGION",
      timeoutSeconds: 30,
      env: { REGION: "eu-west" },
      inputSchema: null,
    });
  });

  it("fills a job type's defaults, and keeps the settings given", () => {
    const manifest = loadManifest(MANIFEST_FILE);
    expect(manifest.jobs.get("echo-job")).toEqual({ type: "echo-job", codeBlock: "echo", concurrency: 1, maxAttempts: 3, backoffSeconds: 1, timeoutSeconds: undefined });
    expect(manifest.jobs.get("slow-job")).toEqual({ type: "slow-job", codeBlock: "slow", concurrency: 2, maxAttempts: 5, backoffSeconds: 0, timeoutSeconds: 10 });
  });

  it("fills a workflow's name and each step's defaults, keeping the steps in order", () => {
    const manifest = loadManifest(MANIFEST_FILE);
    expect(manifest.workflows.get("pipeline")).toEqual({
      id: "pipeline",
      name: "Echo then context",
      description: null,
      steps: [
        { id: "first", codeBlock: "echo", maxAttempts: 3, backoffSeconds: 1, timeoutSeconds: undefined },
        { id: "second", codeBlock: "context", maxAttempts: 1, backoffSeconds: 2, timeoutSeconds: 5 },
      ],
    });
  });

  it("dates the manifest by its file's modification time", () => {
    expect(loadManifest(MANIFEST_FILE).loadedAt).toBe(statSync(MANIFEST_FILE).mtimeMs);
  });

  it("resolves a relative manifest path against the working directory, and the blocks still against the manifest's directory", () => {
    const relative = path.relative(process.cwd(), MANIFEST_FILE);
    expect(path.isAbsolute(relative)).toBe(false);
    const manifest = loadManifest(relative);
    expect(manifest.source).toBe(MANIFEST_FILE);
    expect(manifest.codeBlocks.get("typed")!.file).toBe(block("typed.ts"));
  });

  it("resolves the relative paths of a manifest object against the working directory", () => {
    const relative = path.relative(process.cwd(), block("echo.mjs"));
    const manifest = loadManifest({ codeBlocks: { echo: relative } });
    expect(manifest.source).toBe("(object)");
    expect(manifest.dir).toBe(process.cwd());
    expect(manifest.codeBlocks.get("echo")).toMatchObject({ file: block("echo.mjs"), cwd: process.cwd() });
  });

  it("accepts an empty manifest and empty reserved sections", () => {
    const manifest = loadManifest({ agents: {}, connectors: {}, services: {}, gateway: {} });
    expect(manifest.codeBlocks.size).toBe(0);
    expect(manifest.jobs.size).toBe(0);
    expect(manifest.workflows.size).toBe(0);
  });
});

describe("loadManifest: a bad manifest", () => {
  it("is refused with one FlowConfigError naming every problem, each as <where>: <what to fix>", () => {
    const bad = {
      codeBlocks: {
        ok: block("echo.mjs"),
        missing: { file: block("no-such-block.mjs") },
        wrongExt: block("flow-local.json"),
        tuned: { file: block("echo.mjs"), timeoutSeconds: 0, retries: 2, env: { AUTH_TOKEN: "mine", "1BAD": "x" } },
        "-bad-id": block("echo.mjs"),
      },
      jobs: {
        orphan: { codeBlock: "nope", concurrency: 65, maxAttempts: 101, backoffSeconds: 301 },
      },
      workflows: {
        twice: { steps: [{ id: "a", codeBlock: "ok" }, { id: "a", codeBlock: "ok", maxAttempts: 0 }] },
        empty: { steps: [] },
      },
      agents: { helper: {} },
      extra: true,
    };
    const error = refusal(bad as unknown as ManifestObject);
    const problems = error.problems;
    const expected = [
      "extra: not a manifest key; the keys are codeBlocks, jobs, workflows, agents, connectors, services, gateway",
      'agents.helper.model: must be the name of a model, e.g. "flow-local-chat"',
      `codeBlocks.missing.file: ${block("no-such-block.mjs")} does not exist (looked for ${block("no-such-block.mjs")})`,
      `codeBlocks.wrongExt.file: ${block("flow-local.json")} is not a .js, .mjs, .cjs, .ts, .mts, .cts file`,
      "codeBlocks.tuned.retries: not a known setting; the settings are file, name, description, timeoutSeconds, env, inputSchema",
      "codeBlocks.tuned.env.AUTH_TOKEN: set by the platform for each execution; choose another name",
      "codeBlocks.tuned.env.1BAD: not a valid environment variable name",
      "codeBlocks.tuned.timeoutSeconds: must be a whole number from 1 to 86400, got 0",
      "codeBlocks.-bad-id: the id must be 1 to 128 letters, digits, '_', '.' or '-', starting with a letter or digit",
      'jobs.orphan.codeBlock: no code block "nope" in codeBlocks (there are: ok, missing, wrongExt, tuned)',
      "jobs.orphan.concurrency: must be a whole number from 1 to 64, got 65",
      "jobs.orphan.maxAttempts: must be a whole number from 1 to 100, got 101",
      "jobs.orphan.backoffSeconds: must be a whole number from 0 to 300, got 301",
      'workflows.twice.steps[1].id: "a" is used by an earlier step; step ids are unique in a workflow',
      "workflows.twice.steps[1].maxAttempts: must be a whole number from 1 to 100, got 0",
      'workflows.empty.steps: must be a non-empty array of { "id", "codeBlock" }',
    ];
    expect([...problems].sort()).toEqual([...expected].sort());
    expect(error.message).toContain(`the manifest (object) has ${expected.length} problems:`);
    for (const problem of expected) expect(error.message).toContain(`  - ${problem}`);
  });

  it("refuses a file that is not valid JSON, naming the file", () => {
    const file = manifestFile('{ "codeBlocks": { "echo": "echo.mjs", } }');
    const error = refusal(file);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^it is not valid JSON \(/);
    expect(error.message).toContain(`the manifest ${file} has a problem:`);
  });

  it("refuses a file that does not exist, with the reason it could not be read", () => {
    const file = path.join(scratch, "absent.json");
    expect(refusal(file).problems).toEqual(["the file could not be read (ENOENT)"]);
  });

  it("refuses JSON that is not an object", () => {
    const file = manifestFile("[]");
    expect(refusal(file).problems).toEqual(["it must be a JSON object with keys such as codeBlocks, jobs and workflows"]);
  });

  it("resolves a file's block paths against its own directory: a block beside another manifest is missing", () => {
    // The manifest lives in the scratch directory, where there is no echo.mjs.
    const file = manifestFile(JSON.stringify({ codeBlocks: { echo: "echo.mjs" } }));
    expect(refusal(file).problems).toEqual([`codeBlocks.echo.file: echo.mjs does not exist (looked for ${path.join(scratch, "echo.mjs")})`]);
  });

  it("refuses sections and steps of the wrong shape", () => {
    const error = refusal({ codeBlocks: [], jobs: { j: "echo" }, workflows: { w: { steps: [{ codeBlock: "x" }, 7] } }, gateway: "on" } as unknown as ManifestObject);
    expect([...error.problems].sort()).toEqual(
      [
        'gateway: must be { "upstream"?: ..., "memory"?: ... }',
        "codeBlocks: must be an object keyed by id",
        'jobs.j: must be { "codeBlock": ... }',
        "workflows.w.steps[0].id: must be a string",
        'workflows.w.steps[1]: must be { "id": ..., "codeBlock": ... }',
      ].sort(),
    );
  });
});

describe("loadManifest: agents, the gateway and input schemas", () => {
  const addSchema = { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] };

  it("keeps a block's inputSchema, and null when it has none", () => {
    const manifest = loadManifest({ codeBlocks: { add: { file: block("echo.mjs"), inputSchema: addSchema }, plain: block("echo.mjs") } });
    expect(manifest.codeBlocks.get("add")!.inputSchema).toEqual(addSchema);
    expect(manifest.codeBlocks.get("plain")!.inputSchema).toBeNull();
  });

  it("fills an agent's defaults: name from the id, no description, empty instructions, no tools, 8 steps", () => {
    const manifest = loadManifest({ agents: { bare: { model: "flow-local-chat" } } });
    expect(manifest.agents.get("bare")).toEqual({ id: "bare", name: "bare", description: null, model: "flow-local-chat", instructions: "", tools: [], maxSteps: 8 });
  });

  it("describes a tool given by block id with the block's description and inputSchema, and a tool object with its own", () => {
    const manifest = loadManifest({
      codeBlocks: {
        add: { file: block("echo.mjs"), description: "Adds two numbers", inputSchema: addSchema },
        plain: block("echo.mjs"),
      },
      agents: {
        calc: {
          model: "flow-local-chat",
          name: "Calculator",
          description: "Adds",
          instructions: "You add numbers.",
          maxSteps: 3,
          tools: ["add", "plain", { codeBlock: "add", name: "sum", description: "Sums", parameters: { type: "object", properties: {} } }],
        },
      },
    });
    expect(manifest.agents.get("calc")).toEqual({
      id: "calc",
      name: "Calculator",
      description: "Adds",
      model: "flow-local-chat",
      instructions: "You add numbers.",
      maxSteps: 3,
      tools: [
        { name: "add", codeBlock: "add", description: "Adds two numbers", parameters: addSchema },
        { name: "plain", codeBlock: "plain", description: "Runs the code block plain.", parameters: { type: "object" } },
        { name: "sum", codeBlock: "add", description: "Sums", parameters: { type: "object", properties: {} } },
      ],
    });
  });

  it("reads the gateway section: the upstream's base URL without a trailing slash, the secret's name, memory's model", () => {
    const manifest = loadManifest({
      gateway: { upstream: { baseUrl: "https://api.example.com/v1/", apiKeySecret: "OPENAI_API_KEY" }, memory: { embeddingModel: "text-embedding-3-small" } },
      agents: { remote: { model: "gpt-4o-mini" } },
    });
    expect(manifest.gateway).toEqual({ upstream: { baseUrl: "https://api.example.com/v1", apiKeySecret: "OPENAI_API_KEY" }, memoryEmbeddingModel: "text-embedding-3-small" });
    expect(manifest.agents.get("remote")!.model).toBe("gpt-4o-mini");
  });

  it("has no upstream and the local embedding without a gateway section", () => {
    expect(loadManifest({}).gateway).toEqual({ upstream: null, memoryEmbeddingModel: null });
  });

  it("refuses bad agents, tools, schemas and gateway settings, naming each", () => {
    const bad = {
      codeBlocks: {
        ok: block("echo.mjs"),
        "dotted.id": block("echo.mjs"),
        listed: { file: block("echo.mjs"), inputSchema: [] },
        huge: { file: block("echo.mjs"), inputSchema: { description: "x".repeat(70_000) } },
      },
      agents: {
        remote: { model: "gpt-4o" },
        empty: { model: "" },
        wordy: { model: "flow-local-chat", instructions: 42, maxSteps: 0, temperature: 1 },
        many: { model: "flow-local-chat", maxSteps: 101, tools: "ok" },
        tooling: {
          model: "flow-local-chat",
          tools: ["ok", "ok", "nope", "dotted.id", { codeBlock: "ok", name: "bad name" }, { codeBlock: "ok", name: "p", parameters: "any", extra: 1 }, 7],
        },
      },
      gateway: { memory: { embeddingModel: "text-embedding-3-small" }, retries: 2 },
    };
    const error = refusal(bad as unknown as ManifestObject);
    const models = "(without gateway.upstream only the local models answer: flow-local-chat, flow-local-hash-v2); add gateway.upstream to use it";
    const expected = [
      'codeBlocks.listed.inputSchema: must be a JSON schema object (at most 64 KiB), e.g. { "type": "object", "properties": { ... } }',
      'codeBlocks.huge.inputSchema: must be a JSON schema object (at most 64 KiB), e.g. { "type": "object", "properties": { ... } }',
      `agents.remote.model: flow-local has no model "gpt-4o" ${models}`,
      'agents.empty.model: must be the name of a model, e.g. "flow-local-chat"',
      "agents.wordy.temperature: not a known setting; the settings are name, description, model, instructions, tools, maxSteps",
      "agents.wordy.instructions: must be a string of at most 100000 characters",
      "agents.wordy.maxSteps: must be a whole number from 1 to 100, got 0",
      'agents.many.tools: must be an array of code block ids or { "codeBlock", "name"?, "description"?, "parameters"? }',
      "agents.many.maxSteps: must be a whole number from 1 to 100, got 101",
      'agents.tooling.tools[1].name: "ok" is the name of an earlier tool; tool names are unique in an agent',
      'agents.tooling.tools[2].codeBlock: no code block "nope" in codeBlocks (there are: ok, dotted.id, listed, huge)',
      `agents.tooling.tools[3].name: a tool name is 1 to 64 letters, digits, '_' or '-' (the block id "dotted.id" is not one: give the tool a name)`,
      "agents.tooling.tools[4].name: a tool name is 1 to 64 letters, digits, '_' or '-'",
      "agents.tooling.tools[5].extra: not a known setting; the settings are codeBlock, name, description, parameters",
      'agents.tooling.tools[5].parameters: must be a JSON schema object (at most 64 KiB), e.g. { "type": "object", "properties": { ... } }',
      `agents.tooling.tools[6]: must be a code block id, or { "codeBlock": ... }`,
      "gateway.retries: not a known setting; the settings are upstream, memory",
      `gateway.memory.embeddingModel: flow-local has no model "text-embedding-3-small" ${models}`,
    ];
    expect([...error.problems].sort()).toEqual([...expected].sort());
  });

  it("refuses an upstream with a bad base URL or a key in place of the secret's name", () => {
    for (const baseUrl of ["ftp://example.com", "https://user:pw@example.com/v1", "https://example.com/v1?x=1", "not a url"]) {
      expect(refusal({ gateway: { upstream: { baseUrl, apiKeySecret: "KEY" } } }).problems).toEqual([
        'gateway.upstream.baseUrl: must be an http(s) URL without credentials, query or fragment, e.g. "https://api.openai.com/v1"',
      ]);
    }
    expect(refusal({ gateway: { upstream: { baseUrl: "https://example.com/v1", apiKeySecret: "sk live key!" } } }).problems).toEqual([
      "gateway.upstream.apiKeySecret: must be the name of the secret holding the upstream's API key (the key itself never goes in the manifest)",
    ]);
  });

  it("refuses sections that are not objects", () => {
    const error = refusal({ connectors: [], services: "api" } as unknown as ManifestObject);
    expect([...error.problems].sort()).toEqual(["connectors: must be an object keyed by id", "services: must be an object keyed by id"].sort());
  });
});

describe("startTestPlatform with a bad manifest", () => {
  it("rejects with the manifest's FlowConfigError, so no platform starts", async () => {
    const error = await caught(() => startTestPlatform({ manifest: { codeBlocks: { gone: block("no-such-block.mjs") }, bogus: {} } as unknown as ManifestObject }));
    expect(error).toBeInstanceOf(FlowConfigError);
    expect((error as FlowConfigError).problems).toEqual([
      "bogus: not a manifest key; the keys are codeBlocks, jobs, workflows, agents, connectors, services, gateway",
      `codeBlocks.gone.file: ${block("no-such-block.mjs")} does not exist (looked for ${block("no-such-block.mjs")})`,
    ]);
  });
});
