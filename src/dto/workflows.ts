// Inputs of the workflows namespace, validated by the SDK before any request and by the local platform.
import { IsIn, IsOptional } from "./class-validator.js";
import { JsonPayload, PageQuery, PlatformId, ResourceId } from "./common.js";

/** Where a workflow run stands. */
export const WORKFLOW_RUN_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;

/** Input of `workflows.get`. */
export class WorkflowIdInput {
  /** The workflow's id (its key in the manifest). */
  @ResourceId("id")
  id!: string;
}

/** Input of `workflows.list`. */
export class WorkflowListInput extends PageQuery {}

/** Input of `workflows.start` (the id from the path, the input in the body). */
export class WorkflowStartInput {
  /** The workflow's id. */
  @ResourceId("id")
  id!: string;

  /** The run's input, which every step sees: any JSON value (absent: `null`). */
  @JsonPayload("input")
  input?: unknown;
}

/** Input of `workflows.listRuns`. */
export class WorkflowListRunsInput extends PageQuery {
  /** The workflow's id. */
  @ResourceId("id")
  id!: string;

  /** Only runs in this status. */
  @IsOptional()
  @IsIn(WORKFLOW_RUN_STATUSES, { message: `status must be one of ${WORKFLOW_RUN_STATUSES.join(", ")}` })
  status?: (typeof WORKFLOW_RUN_STATUSES)[number];
}

/** Input of `workflows.getRun`, `workflows.waitForRun` and `workflows.cancelRun`. */
export class WorkflowRunIdInput {
  /** The run's id. */
  @PlatformId("runId")
  runId!: string;
}
