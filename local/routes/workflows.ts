import type { FastifyInstance } from "fastify";
import { isFinalStatus, validateInput, WaitQuery, WorkflowIdInput, WorkflowListInput, WorkflowListRunsInput, WorkflowRunIdInput, WorkflowStartInput } from "../../src/dto/index.js";
import type { Workflow, WorkflowRun } from "../../src/namespaces/workflows.js";
import { needs, tenantOf } from "../auth.js";
import { callerOf } from "../compute/caller.js";
import type { Compute } from "../compute/compute.js";
import { HttpError } from "../errors.js";
import type { Manifest, WorkflowDef } from "../manifest.js";
import { pageOf, queryInput } from "../pagination.js";
import { withPath } from "./with-path.js";

interface IdRoute {
  Params: { id: string };
  Body: unknown;
}

/** Workflows and workflow runs routes of docs/protocol.md, relative to the workspace prefix. */
export function workflowsRoutes(app: FastifyInstance, compute: Compute): void {
  const engine = compute.workflows;

  app.get("/workflows", needs("workflows:read"), async (request) => {
    const input = validateInput(WorkflowListInput, queryInput(request.query), "GET workflows");
    const manifest = compute.manifest;
    return pageOf([...manifest.workflows.values()].map((w) => toWorkflow(w, manifest)), input, "workflows", (w) => w.id);
  });

  app.get<IdRoute>("/workflows/:id", needs("workflows:read"), async (request) => {
    const { id } = validateInput(WorkflowIdInput, { id: request.params.id }, "GET workflows/:id");
    return toWorkflow(compute.workflow(id), compute.manifest);
  });

  app.post<IdRoute>("/workflows/:id/runs", needs("workflows:write"), async (request, reply) => {
    const input = validateInput(WorkflowStartInput, withPath(request.body ?? {}, { id: request.params.id }), "POST workflows/:id/runs");
    const run = engine.startRun(tenantOf(request), callerOf(request), compute.workflow(input.id), JSON.stringify(input.input ?? null));
    return reply.status(201).send(run);
  });

  app.get<IdRoute>("/workflows/:id/runs", needs("workflows:read"), async (request) => {
    const input = validateInput(WorkflowListRunsInput, { ...queryInput(request.query), id: request.params.id }, "GET workflows/:id/runs");
    return engine.listRuns(tenantOf(request), input);
  });

  app.get<IdRoute>("/workflow-runs/:id", needs("workflows:read"), async (request) => {
    const { runId } = validateInput(WorkflowRunIdInput, { runId: request.params.id }, "GET workflow-runs/:id");
    const { wait } = validateInput(WaitQuery, queryInput(request.query), "GET workflow-runs/:id");
    const tenant = tenantOf(request);
    const read = (): WorkflowRun => {
      const run = engine.get(tenant, runId);
      if (!run) throw new HttpError(404, "not_found", `Workflow run ${JSON.stringify(runId)} does not exist in this workspace`);
      return run;
    };
    return compute.changes.hold(runId, wait, read, (value) => isFinalStatus(value.status));
  });

  app.post<IdRoute>("/workflow-runs/:id/cancel", needs("workflows:write"), (request) => {
    const { runId } = validateInput(WorkflowRunIdInput, { runId: request.params.id }, "POST workflow-runs/:id/cancel");
    return engine.cancel(tenantOf(request), runId);
  });
}

function toWorkflow(workflow: WorkflowDef, manifest: Manifest): Workflow {
  const at = new Date(manifest.loadedAt).toISOString();
  return {
    id: workflow.id,
    name: workflow.name,
    description: workflow.description,
    steps: workflow.steps.map((s) => ({ id: s.id, codeBlockId: s.codeBlock, maxAttempts: s.maxAttempts })),
    createdAt: at,
    updatedAt: at,
  };
}
