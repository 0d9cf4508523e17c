import type { FastifyInstance, FastifyRequest } from "fastify";
import { isFinalStatus, JobIdInput, JobListInput, JobProgressInput, JobSubmitInput, validateInput, WaitQuery } from "../../src/dto/index.js";
import type { Job } from "../../src/namespaces/jobs.js";
import { needs, tenantOf } from "../auth.js";
import { callerOf } from "../compute/caller.js";
import type { Compute } from "../compute/compute.js";
import { HttpError } from "../errors.js";
import { queryInput } from "../pagination.js";
import { withPath } from "./with-path.js";

interface IdRoute {
  Params: { id: string };
  Body: unknown;
}

/** Jobs routes of docs/protocol.md, relative to the workspace prefix. */
export function jobsRoutes(app: FastifyInstance, compute: Compute): void {
  const { jobs } = compute;

  app.post("/jobs", needs("jobs:write"), async (request, reply) => {
    const input = validateInput(JobSubmitInput, request.body, "POST jobs");
    return reply.status(201).send(jobs.submit(tenantOf(request), callerOf(request), input, idempotencyKey(request)));
  });

  app.get("/jobs", needs("jobs:read"), async (request) => {
    const input = validateInput(JobListInput, queryInput(request.query), "GET jobs");
    return jobs.list(tenantOf(request), input);
  });

  app.get<IdRoute>("/jobs/:id", needs("jobs:read"), async (request) => {
    const { id } = validateInput(JobIdInput, { id: request.params.id }, "GET jobs/:id");
    const { wait } = validateInput(WaitQuery, queryInput(request.query), "GET jobs/:id");
    const tenant = tenantOf(request);
    const read = (): Job => {
      const job = jobs.get(tenant, id);
      if (!job) throw new HttpError(404, "not_found", `Job ${JSON.stringify(id)} does not exist in this workspace`);
      return job;
    };
    return compute.changes.hold(id, wait, read, (value) => isFinalStatus(value.status));
  });

  app.post<IdRoute>("/jobs/:id/cancel", needs("jobs:write"), (request) => {
    const { id } = validateInput(JobIdInput, { id: request.params.id }, "POST jobs/:id/cancel");
    return jobs.cancel(tenantOf(request), id);
  });

  app.post<IdRoute>("/jobs/:id/progress", needs("jobs:write"), (request) => {
    const input = validateInput(JobProgressInput, withPath(request.body, { id: request.params.id }), "POST jobs/:id/progress");
    return jobs.progress(tenantOf(request), input.id, input.percent, input.message);
  });
}

function idempotencyKey(request: FastifyRequest): string | undefined {
  const value = request.headers["idempotency-key"];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}
