import { IsObject, IsOptional, isISO8601, ValidateBy } from "class-validator";
import { IsJsonValue, KeyString, PageQuery } from "./common.js";

// RFC 3339 date-time: a full date, a time, and a time zone (Z or ±hh:mm). Week and ordinal dates
// (2026-W05, 2026-031) and times without a zone (read in whatever zone the server is in) are out.
const DATE_TIME_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** True for an RFC 3339 date-time with a time zone that is a real date and that Date.parse reads. */
function isDateTimeWithZone(value: unknown): boolean {
  return typeof value === "string" && DATE_TIME_WITH_ZONE.test(value) && isISO8601(value, { strict: true }) && !Number.isNaN(Date.parse(value));
}

/** Decorator: the property must be an RFC 3339 date-time with a `Z` or `±hh:mm` time zone. */
function IsDateTimeWithZone(message: string): PropertyDecorator {
  return ValidateBy({ name: "isDateTimeWithZone", validator: { validate: (value) => isDateTimeWithZone(value), defaultMessage: () => message } });
}

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

  /** Free-form JSON details. */
  @IsOptional()
  @IsObject({ message: "details must be a plain object" })
  @IsJsonValue("details must hold only JSON values, nested at most 100 levels: no undefined, functions, bigints, NaN or cycles")
  details?: Record<string, unknown>;
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
