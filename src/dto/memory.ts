// Inputs of the memory namespace, validated by the SDK before any request and by the local platform.
import { IsInt, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from "./class-validator.js";
import { IsMetadata, KeyString, NO_CONTROL_CHARS, NotDotSegment, OptionalNotNull, PageQuery, WellFormed } from "./common.js";
import { IsFilter, type Filter } from "./filter.js";

/** The scope a memory is filed under when the caller names none. */
export const DEFAULT_MEMORY_SCOPE = "default";

/** Longest scope name accepted. */
export const MAX_MEMORY_SCOPE = 256;

/** Longest memory content accepted, in characters. */
export const MAX_MEMORY_CONTENT = 32_768;

/** Most results one `search` may ask for. */
export const MAX_MEMORY_SEARCH_LIMIT = 100;

/** Decorators for an optional scope name: 1 to 256 characters, no control characters. */
function OptionalScope(): PropertyDecorator {
  return (target, property) => {
    IsOptional()(target, property);
    KeyString("scope", MAX_MEMORY_SCOPE)(target, property);
  };
}

/** Decorators for a text: a string of 1 to 32 768 characters with more than whitespace, and well-formed Unicode (stored and read back exactly). */
function Text(field: string): PropertyDecorator {
  return (target, property) => {
    IsString({ message: `${field} must be a string` })(target, property);
    MinLength(1, { message: `${field} must not be empty` })(target, property);
    MaxLength(MAX_MEMORY_CONTENT, { message: `${field} must be at most ${MAX_MEMORY_CONTENT} characters` })(target, property);
    Matches(/\S/, { message: `${field} must contain more than whitespace` })(target, property);
    WellFormed(field)(target, property);
  };
}

/** Input of `memory.add`. */
export class MemoryAddInput {
  /** The text to remember. */
  @Text("content")
  content!: string;

  /** Free-form JSON data stored with it. */
  @IsMetadata()
  metadata?: Record<string, unknown>;

  /** Scope to file it under; "default" when absent. */
  @OptionalScope()
  scope?: string;
}

/** Input of `memory.search`. */
export class MemorySearchInput {
  /** The text to match by meaning. */
  @Text("query")
  query!: string;

  /** Most results, best first; 10 when absent. */
  @IsOptional()
  @IsInt({ message: "limit must be a whole number" })
  @Min(1, { message: "limit must be at least 1" })
  @Max(MAX_MEMORY_SEARCH_LIMIT, { message: `limit must be at most ${MAX_MEMORY_SEARCH_LIMIT}` })
  limit?: number;

  /** Scope to search; "default" when absent. */
  @OptionalScope()
  scope?: string;

  /** Only memories whose metadata matches. Left out, not `null`, for none. */
  @OptionalNotNull()
  @IsFilter()
  filter?: Filter;

  /** Leave out results scoring below this (0 to 1). */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: "minScore must be a finite number" })
  @Min(0, { message: "minScore must be between 0 and 1" })
  @Max(1, { message: "minScore must be between 0 and 1" })
  minScore?: number;
}

/** Input of `memory.list`. */
export class MemoryListInput extends PageQuery {
  /** Scope to list; "default" when absent. */
  @OptionalScope()
  scope?: string;
}

/** Input of `memory.get` and `memory.delete`. */
export class MemoryIdInput {
  /** The memory's id. */
  @KeyString("id", 128)
  @NotDotSegment("id")
  id!: string;
}

/** Input of `memory.clear`: the scope is required, so nothing is cleared by accident. */
export class MemoryClearInput {
  /** The scope to empty. */
  @IsString({ message: "scope must be a string (memory.clear needs the scope to empty, e.g. \"default\")" })
  @MinLength(1, { message: "scope must not be empty" })
  @MaxLength(MAX_MEMORY_SCOPE, { message: `scope must be at most ${MAX_MEMORY_SCOPE} characters` })
  @Matches(NO_CONTROL_CHARS, { message: "scope must not contain control characters" })
  @WellFormed("scope")
  scope!: string;
}
