// Inputs of the serviceTokens namespace, validated by the SDK before any request and by the local platform.
import { IsInt, IsOptional, Max, Min, ValidateBy } from "./class-validator.js";
import { KeyString, Located, PageQuery, PlatformId } from "./common.js";

/** Longest a service token may live: one year, in seconds. */
export const MAX_SERVICE_TOKEN_TTL_SECONDS = 31_536_000;
/** Most scopes one service token may carry. */
export const MAX_SERVICE_TOKEN_SCOPES = 100;
/** Longest service token name, in characters. */
export const MAX_SERVICE_TOKEN_NAME_LENGTH = 200;

/**
 * The shape of a scope a service token may be given: `*` (everything), or `<area>:<action>`
 * (`state:read`, `codeBlocks:write`, `gateway:invoke`, `services:call`), where the action may be
 * `*` (`state:*`: every action on the area). At most 128 characters.
 */
export const SCOPE_PATTERN = /^(\*|[A-Za-z][A-Za-z0-9]{0,63}:(\*|[a-z][A-Za-z]{0,62}))$/;

/** What is wrong with `value` as a service token's scopes, or `undefined`: a non-empty array of at most 100 well-shaped scopes. */
export function scopesIssue(value: unknown, where = "scopes"): string | undefined {
  if (!Array.isArray(value)) return `${where} must be an array of scopes, e.g. ["state:read"]`;
  if (value.length === 0) return `${where} must hold at least one scope`;
  if (value.length > MAX_SERVICE_TOKEN_SCOPES) return `${where} must hold at most ${MAX_SERVICE_TOKEN_SCOPES} scopes`;
  for (let i = 0; i < value.length; i++) {
    const scope: unknown = value[i];
    if (typeof scope !== "string" || !SCOPE_PATTERN.test(scope)) {
      return `${where}[${i}] must be "*" or "<area>:<action>" such as "state:read", "state:*" or "gateway:invoke"`;
    }
  }
  return undefined;
}

/** Prefix of every service token's secret, which the SDK and the platform recognise to keep it out of URLs and messages. */
export const SERVICE_TOKEN_PREFIX = "fst_";

/** Decorator: refuses a service token's secret where its id belongs, so the secret never goes into a URL, a log line or an error. */
function NotASecret(field: string): PropertyDecorator {
  return ValidateBy({
    name: "isNotServiceTokenSecret",
    validator: {
      validate: (value) => typeof value !== "string" || !value.startsWith(SERVICE_TOKEN_PREFIX),
      defaultMessage: () => `${field} must be the token's id (stk_...), not its secret (${SERVICE_TOKEN_PREFIX}...)`,
    },
  });
}

/** Input of `serviceTokens.create`. */
export class ServiceTokenCreateInput {
  /** What the token is for, e.g. `nightly-export`: 1 to 200 characters, no control characters. */
  @KeyString("name", MAX_SERVICE_TOKEN_NAME_LENGTH)
  name!: string;

  /** The scopes it grants: each one the creating token must hold itself. */
  @Located("isScopes", (value, where) => scopesIssue(value, where))
  scopes!: string[];

  /** Lifetime in seconds, 1 to one year. @default no expiry */
  @IsOptional()
  @IsInt({ message: "expiresInSeconds must be a whole number of seconds" })
  @Min(1, { message: "expiresInSeconds must be at least 1" })
  @Max(MAX_SERVICE_TOKEN_TTL_SECONDS, { message: `expiresInSeconds must be at most ${MAX_SERVICE_TOKEN_TTL_SECONDS} (one year)` })
  expiresInSeconds?: number;
}

/** Input of `serviceTokens.get` and `serviceTokens.revoke`. */
export class ServiceTokenIdInput {
  /** The token's id (`stk_…`), not its secret. */
  @PlatformId("id")
  @NotASecret("id")
  id!: string;
}

/** Input of `serviceTokens.list`. */
export class ServiceTokenListInput extends PageQuery {}
