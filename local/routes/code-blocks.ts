import { statSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { CodeBlockIdInput, CodeBlockInvokeInput, CodeBlockListInput, ExecutionIdInput, isFinalStatus, validateInput, WaitQuery } from "../../src/dto/index.js";
import type { CodeBlock, Execution } from "../../src/namespaces/code-blocks.js";
import { needs, tenantOf } from "../auth.js";
import { callerOf } from "../compute/caller.js";
import type { Compute } from "../compute/compute.js";
import { HttpError } from "../errors.js";
import type { BlockDef } from "../manifest.js";
import { pageOf, queryInput } from "../pagination.js";
import { withPath } from "./with-path.js";

interface IdRoute {
  Params: { id: string };
  Body: unknown;
}

/** Code blocks and executions routes of docs/protocol.md, relative to the workspace prefix. */
export function codeBlocksRoutes(app: FastifyInstance, compute: Compute): void {
  app.get("/code-blocks", needs("codeBlocks:read"), async (request) => {
    const input = validateInput(CodeBlockListInput, queryInput(request.query), "GET code-blocks");
    return pageOf([...compute.manifest.codeBlocks.values()].map(toCodeBlock), input, "code-blocks", (block) => block.id);
  });

  app.get<IdRoute>("/code-blocks/:id", needs("codeBlocks:read"), async (request) => {
    const { id } = validateInput(CodeBlockIdInput, { id: request.params.id }, "GET code-blocks/:id");
    return toCodeBlock(compute.block(id));
  });

  app.post<IdRoute>("/code-blocks/:id/invoke", needs("codeBlocks:write"), async (request, reply) => {
    const input = validateInput(CodeBlockInvokeInput, withPath(request.body ?? {}, { id: request.params.id }), "POST code-blocks/:id/invoke");
    const { execution } = compute.executor.start({
      tenant: tenantOf(request),
      block: compute.block(input.id),
      input: JSON.stringify(input.input ?? null),
      caller: callerOf(request),
      timeoutSeconds: input.timeoutSeconds,
    });
    return reply.status(202).send(execution);
  });

  app.get<IdRoute>("/executions/:id", needs("codeBlocks:read"), async (request) => {
    const { executionId } = validateInput(ExecutionIdInput, { executionId: request.params.id }, "GET executions/:id");
    const { wait } = validateInput(WaitQuery, queryInput(request.query), "GET executions/:id");
    const tenant = tenantOf(request);
    const read = (): Execution => {
      const execution = compute.executor.get(tenant, executionId);
      if (!execution) throw new HttpError(404, "not_found", `Execution ${JSON.stringify(executionId)} does not exist in this workspace`);
      return execution;
    };
    return compute.changes.hold(executionId, wait, read, (execution) => isFinalStatus(execution.status));
  });
}

/** A manifest block as the API shows it: dates from its file. */
function toCodeBlock(block: BlockDef): CodeBlock {
  let created = Date.now();
  let updated = created;
  try {
    const stat = statSync(block.file);
    updated = stat.mtimeMs;
    created = stat.birthtimeMs > 0 ? stat.birthtimeMs : stat.ctimeMs;
  } catch {
    // the file was removed since the manifest was read: an invocation will say so
  }
  return {
    id: block.id,
    name: block.name,
    description: block.description,
    timeoutSeconds: block.timeoutSeconds,
    createdAt: new Date(Math.min(created, updated)).toISOString(),
    updatedAt: new Date(updated).toISOString(),
  };
}
