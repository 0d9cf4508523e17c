import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches, MaxLength, MinLength } from "../src/dto/class-validator.js";
import { KeyString, NO_CONTROL_CHARS, TtlSeconds } from "../src/dto/index.js";

/** Body of `POST /v1/_local/tokens`; the local platform's only input the SDK never sends. */
export class MintTokenInput {
  /** Org claim. */
  @IsOptional()
  @KeyString("orgId", 128)
  orgId?: string;

  /** Workspace claim. */
  @IsOptional()
  @KeyString("workspaceId", 128)
  workspaceId?: string;

  /** Scopes claim, e.g. `["state:read"]`. */
  @IsOptional()
  @IsArray({ message: "scopes must be an array of strings" })
  @ArrayMaxSize(100, { message: "scopes must hold at most 100 scopes" })
  @IsString({ each: true, message: "each scope must be a string" })
  @MinLength(1, { each: true, message: "a scope must not be empty" })
  @MaxLength(128, { each: true, message: "a scope must be at most 128 characters" })
  @Matches(NO_CONTROL_CHARS, { each: true, message: "a scope must not contain control characters" })
  scopes?: string[];

  /** Lifetime in seconds. */
  @TtlSeconds()
  ttlSeconds?: number;

  /** Subject claim. */
  @IsOptional()
  @KeyString("subject", 256)
  subject?: string;
}
