import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from "class-validator";

/** Largest page a list call may ask for. */
export const MAX_PAGE_SIZE = 1000;

/** Cursor-page parameters shared by every list call. */
export class PageQuery {
  /** Items per page, 1 to 1000. */
  @IsOptional()
  @IsInt({ message: "limit must be a whole number" })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  /** The `nextCursor` of the previous page. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  cursor?: string;
}

/** Control characters (and NUL) are refused in keys and identifiers: they break logs and paths. */
// eslint-disable-next-line no-control-regex
export const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f]*$/;

/** Decorators for a key-like string: 1 to `max` characters, no control characters. */
export function KeyString(field: string, max: number): PropertyDecorator {
  return (target, property) => {
    IsString({ message: `${field} must be a string` })(target, property);
    MinLength(1, { message: `${field} must not be empty` })(target, property);
    MaxLength(max, { message: `${field} must be at most ${max} characters` })(target, property);
    Matches(NO_CONTROL_CHARS, { message: `${field} must not contain control characters` })(target, property);
  };
}
