// Inputs of the jobs namespace, validated by the SDK before any request and by the local platform.
import { IsIn, IsInt, IsNumber, IsOptional, Max, MaxLength, Min } from "./class-validator.js";
import { IsDateTimeWithZone, JsonPayload, KeyString, PageQuery, PlatformId, ResourceId, WellFormed } from "./common.js";

/** Where a job stands, as the platform reports it. */
export const JOB_STATUSES = ["scheduled", "queued", "running", "succeeded", "failed", "cancelled"] as const;
/** Most attempts a job may be given. */
export const MAX_JOB_ATTEMPTS = 100;
/** Longest progress message accepted. */
export const MAX_PROGRESS_MESSAGE = 1000;

/** Input of `jobs.submit`. */
export class JobSubmitInput {
  /** The job type, which selects the code block that runs it (a key of the manifest's `jobs`). */
  @ResourceId("type")
  type!: string;

  /** What the job's block receives as `input`: any JSON value (absent: `null`). */
  @JsonPayload("payload")
  payload?: unknown;

  /** When to start, as an RFC 3339 date-time with a time zone (the SDK sends a `Date` as its ISO string). */
  @IsOptional()
  @IsDateTimeWithZone("runAt must be a Date or an ISO 8601 date-time with a time zone, e.g. 2026-01-31T09:00:00Z")
  runAt?: string;

  /** Attempts before the job fails, 1 to 100. @default the job type's `maxAttempts` in the manifest */
  @IsOptional()
  @IsInt({ message: "maxAttempts must be a whole number" })
  @Min(1, { message: "maxAttempts must be at least 1" })
  @Max(MAX_JOB_ATTEMPTS, { message: `maxAttempts must be at most ${MAX_JOB_ATTEMPTS}` })
  maxAttempts?: number;
}

/** Input of `jobs.get`, `jobs.cancel` and `jobs.wait`. */
export class JobIdInput {
  /** The job's id. */
  @PlatformId("id")
  id!: string;
}

/** Input of `jobs.list`. */
export class JobListInput extends PageQuery {
  /** Only jobs of this type. */
  @IsOptional()
  @ResourceId("type")
  type?: string;

  /** Only jobs in this status. */
  @IsOptional()
  @IsIn(JOB_STATUSES, { message: `status must be one of ${JOB_STATUSES.join(", ")}` })
  status?: (typeof JOB_STATUSES)[number];
}

/** Input of `jobs.reportProgress` (the id from `JOB_ID`, the rest in the body). */
export class JobProgressInput {
  /** The job's id. */
  @PlatformId("id")
  id!: string;

  /** Percent done, 0 to 100. */
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: "percent must be a number from 0 to 100" })
  @Min(0, { message: "percent must be at least 0" })
  @Max(100, { message: "percent must be at most 100" })
  percent!: number;

  /** What the job is doing now. */
  @IsOptional()
  @KeyString("message", MAX_PROGRESS_MESSAGE)
  @MaxLength(MAX_PROGRESS_MESSAGE)
  @WellFormed("message")
  message?: string;
}
