import { IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateBy } from "class-validator";

/** Checks the caller's per-call options before any request; see `RequestOptions`. */
export class RequestOptionsInput {
  /** Aborts the call. */
  @IsOptional()
  @ValidateBy({
    name: "isAbortSignal",
    validator: { validate: (v) => v instanceof AbortSignal, defaultMessage: () => "signal must be an AbortSignal" },
  })
  signal?: AbortSignal;

  /** Per-attempt time limit. */
  @IsOptional()
  @IsInt({ message: "timeoutMs must be a whole number of milliseconds" })
  @Min(1, { message: "timeoutMs must be at least 1 (there is no 'no limit' value)" })
  @Max(3_600_000, { message: "timeoutMs must be at most 3600000 (one hour)" })
  timeoutMs?: number;

  /** Key that makes the call safe to repeat. */
  @IsOptional()
  @IsString({ message: "idempotencyKey must be a string" })
  @MinLength(1, { message: "idempotencyKey must not be empty" })
  @MaxLength(255, { message: "idempotencyKey must be at most 255 characters" })
  @Matches(/^[\x21-\x7e]+$/, { message: "idempotencyKey must be printable ASCII without spaces (it is a header value)" })
  idempotencyKey?: string;

  /** Extra headers. */
  @IsOptional()
  @IsObject({ message: "headers must be an object of header names to string values" })
  @ValidateBy({
    name: "isHeaderRecord",
    validator: {
      validate: (v) => typeof v === "object" && v !== null && Object.values(v).every((value) => typeof value === "string"),
      defaultMessage: () => "every header value must be a string",
    },
  })
  headers?: Record<string, string>;
}
