// Agent routes of docs/protocol.md ("Agents and runs"), relative to the workspace prefix.
import { PassThrough } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AgentIdInput, AgentListInput, AgentRunIdInput, AgentRunInput, isFinalStatus, validateInput, WaitQuery } from "../../src/dto/index.js";
import type { Agent, AgentRun, AgentRunEvent } from "../agents/types.js";
import { needs, tenantOf } from "../auth.js";
import { callerOf } from "../compute/caller.js";
import type { Compute } from "../compute/compute.js";
import { HttpError } from "../errors.js";
import type { AgentDef, Manifest } from "../manifest.js";
import { pageOf, queryInput } from "../pagination.js";
import { sseText } from "../sse.js";
import { withPath } from "./with-path.js";

interface IdRoute {
  Params: { id: string };
  Body: unknown;
}

/** How often a streamed run with nothing to say sends a comment line. */
const KEEP_ALIVE_MS = 15_000;

/** True when the request asks for the run's events (`Accept: text/event-stream`). */
function wantsEvents(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === "string" && /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(accept);
}

/** `W/agents`, `W/agents/:id`, `W/agents/:id/runs`, `W/agent-runs/:id`. */
export function agentsRoutes(app: FastifyInstance, compute: Compute): void {
  const engine = compute.agents;

  app.get("/agents", needs("agents:read"), async (request) => {
    const input = validateInput(AgentListInput, queryInput(request.query), "GET agents");
    const manifest = compute.manifest;
    return pageOf([...manifest.agents.values()].map((agent) => toAgent(agent, manifest)), input, "agents", (agent) => agent.id);
  });

  app.get<IdRoute>("/agents/:id", needs("agents:read"), async (request) => {
    const { id } = validateInput(AgentIdInput, { id: request.params.id }, "GET agents/:id");
    return toAgent(compute.agent(id), compute.manifest);
  });

  app.post<IdRoute>(
    "/agents/:id/runs",
    {
      ...needs("agents:write"),
      // The streamed variant's answer is the run's live events: it cannot be stored and replayed.
      // It ignores Idempotency-Key as a GET does (neither looked up nor stored), which is what
      // `replay: false` does for a whole route; fastify's route config is per route, not per
      // request, so the key is taken off here, in an onRequest hook that runs before the
      // idempotency preHandler. The JSON variant keeps it: a retried create starts one run.
      onRequest: async (request) => {
        if (wantsEvents(request)) delete request.headers["idempotency-key"];
      },
    },
    async (request, reply) => {
      const body = validateInput(AgentRunInput, withPath(request.body ?? {}, { id: request.params.id }), "POST agents/:id/runs");
      const agent = compute.agent(body.id);
      const tenant = tenantOf(request);
      const options = { conversationId: body.conversationId, metadata: body.metadata ?? undefined };
      if (!wantsEvents(request)) {
        return reply.status(201).send(engine.startRun(tenant, callerOf(request), agent, body.input, options));
      }
      // Subscribed before the run moves, so run.started and every event after it are written.
      // A client that goes away ends the stream, never the run.
      const stream = new PassThrough();
      stream.on("error", () => {}); // a write racing the client's disconnect
      // A comment line now and then while a long tool runs: clients and proxies that cut idle
      // connections keep this one (SSE parsers skip comments).
      const keepAlive = setInterval(() => {
        if (!stream.destroyed && !stream.writableEnded) stream.write(": keep-alive\n\n");
      }, KEEP_ALIVE_MS);
      keepAlive.unref();
      stream.on("close", () => clearInterval(keepAlive));
      const write = (event: AgentRunEvent): void => {
        if (stream.destroyed || stream.writableEnded) return;
        stream.write(sseText(event.type, JSON.stringify(event)));
        if (event.type === "run.completed" || event.type === "run.failed") {
          clearInterval(keepAlive);
          stream.end();
        }
      };
      engine.startRun(tenant, callerOf(request), agent, body.input, { ...options, listener: write });
      return reply.status(200).header("content-type", "text/event-stream; charset=utf-8").header("cache-control", "no-cache").header("x-accel-buffering", "no").send(stream);
    },
  );

  app.get<IdRoute>("/agent-runs/:id", needs("agents:read"), async (request) => {
    const { runId } = validateInput(AgentRunIdInput, { runId: request.params.id }, "GET agent-runs/:id");
    const { wait } = validateInput(WaitQuery, queryInput(request.query), "GET agent-runs/:id");
    const tenant = tenantOf(request);
    const read = (): AgentRun => {
      const run = engine.get(tenant, runId);
      if (!run) throw new HttpError(404, "not_found", `Agent run ${JSON.stringify(runId)} does not exist in this workspace`);
      return run;
    };
    return compute.changes.hold(runId, wait, read, (run) => isFinalStatus(run.status));
  });
}

/** A manifest agent as the API shows it: dated by the manifest. */
function toAgent(agent: AgentDef, manifest: Manifest): Agent {
  const at = new Date(manifest.loadedAt).toISOString();
  return {
    id: agent.id,
    name: agent.name,
    description: agent.description,
    model: agent.model,
    instructions: agent.instructions,
    tools: agent.tools.map((tool) => ({ name: tool.name, codeBlockId: tool.codeBlock, description: tool.description, parameters: { ...tool.parameters } })),
    maxSteps: agent.maxSteps,
    createdAt: at,
    updatedAt: at,
  };
}
