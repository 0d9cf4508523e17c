import { IsObject, IsOptional } from "./class-validator.js";
import { IsDateTimeWithZone, IsJsonValue, KeyString, Located, MAX_METADATA_BYTES, OptionalNotNull, PageQuery } from "./common.js";

/** Input of `audit.log`. */
export class AuditLogInput {
  /** What happened, e.g. `visit` or `invoice.paid`. */
  @KeyString("action", 128)
  action!: string;

  /** Kind of resource acted on, e.g. `page`. */
  @KeyString("resourceType", 128)
  resourceType!: string;

  /** Identifier of the resource acted on. */
  @KeyString("resourceId", 512)
  resourceId!: string;

  /** Free-form JSON details, at most 64 KiB as JSON (as `metadata` is elsewhere); left out, not `null`, for none. */
  @OptionalNotNull()
  @IsObject({ message: "details must be a plain object" })
  @IsJsonValue("details must hold only JSON values, nested at most 100 levels: no undefined, functions, bigints, NaN or cycles")
  @Located("isSmallDetails", (value) => detailsSizeIssue(value))
  details?: Record<string, unknown>;
}

// Only a JSON object is measured: anything else has its issue from the rules above.
function detailsSizeIssue(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch {
    return undefined;
  }
  return Buffer.byteLength(json) > MAX_METADATA_BYTES ? `details must be at most ${MAX_METADATA_BYTES} bytes as JSON` : undefined;
}

/** Input of `audit.list`. */
export class AuditListInput extends PageQuery {
  /** Only events on this kind of resource. */
  @IsOptional()
  @KeyString("resourceType", 128)
  resourceType?: string;

  /** Only events on this resource. */
  @IsOptional()
  @KeyString("resourceId", 512)
  resourceId?: string;

  /** Only events at or after this time: an ISO 8601 (RFC 3339) date-time with a time zone. */
  @IsOptional()
  @IsDateTimeWithZone("since must be an ISO 8601 date-time with a time zone, e.g. 2026-01-31T00:00:00Z")
  since?: string;
}
