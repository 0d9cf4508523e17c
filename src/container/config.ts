import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min, validateSync } from "../dto/class-validator.js";
import { FlowConfigError } from "../errors.js";
import { LOG_LEVEL_ENV, LOG_LEVELS, type FlowLogLevel } from "../logging/level.js";
import { redactWith } from "../logging/redactor.js";

let warnedLogLevel = false;

/**
 * `FLOW_LOG` from the environment, lowercased. A value that is not a level is ignored with one
 * line on stderr (once per process), as openai-node does with `OPENAI_LOG`: a stray variable in the
 * shell must not stop every block from starting. The `logLevel` option is still checked strictly.
 */
function envLogLevel(env: NodeJS.ProcessEnv): string | undefined {
  const value = lower(clean(env[LOG_LEVEL_ENV]));
  if (value === undefined || (LOG_LEVELS as readonly string[]).includes(value)) return value;
  if (!warnedLogLevel) {
    warnedLogLevel = true;
    process.stderr.write(`flow-sdk: ${LOG_LEVEL_ENV} is not one of ${LOG_LEVELS.join(", ")}; it is ignored\n`);
  }
  return undefined;
}

/** Where each setting comes from: the option name and its environment variable. */
export const CONFIG_ENV = {
  orgId: "ORG_ID",
  workspaceId: "WORKSPACE_ID",
  authToken: "AUTH_TOKEN",
  authTokenFile: "AUTH_TOKEN_FILE",
  platformUrl: "PLATFORM_API_URL",
  gatewayUrl: "GATEWAY_URL",
  serviceId: "SERVICE_ID",
  executionId: "EXECUTION_ID",
  jobId: "JOB_ID",
  requestId: "REQUEST_ID",
  ringId: "RING_ID",
  traceparent: "TRACEPARENT",
  tracestate: "TRACESTATE",
} as const;

/** A setting that has an environment variable. */
export type EnvSetting = keyof typeof CONFIG_ENV;

/** The resolved configuration of one FlowSDK instance, as `flow.config` shows it. Holds no token. */
export interface FlowConfig {
  /** Organisation id (`ORG_ID`). */
  readonly orgId: string | undefined;
  /** Workspace id (`WORKSPACE_ID`). */
  readonly workspaceId: string | undefined;
  /** Base URL of the platform API (`PLATFORM_API_URL`), without a trailing slash. */
  readonly platformUrl: string;
  /** Base URL of the gateway (`GATEWAY_URL`), the platform URL when unset. */
  readonly gatewayUrl: string;
  /** Id of the running service (`SERVICE_ID`). */
  readonly serviceId: string | undefined;
  /** Id of the current execution (`EXECUTION_ID`). */
  readonly executionId: string | undefined;
  /** Id of the current job (`JOB_ID`). */
  readonly jobId: string | undefined;
  /** Request id to send when no request context is bound (`REQUEST_ID`). */
  readonly requestId: string | undefined;
  /** Deployment ring (`RING_ID`). */
  readonly ringId: string | undefined;
  /** W3C `traceparent` to send when no request context with one is bound (`TRACEPARENT`); set for each code block execution. */
  readonly traceparent: string | undefined;
  /** W3C `tracestate` sent with {@link FlowConfig.traceparent} (`TRACESTATE`). */
  readonly tracestate: string | undefined;
  /** File the token is re-read from (`AUTH_TOKEN_FILE`); the path only, never the token. */
  readonly authTokenFile: string | undefined;
  /** Time limit of each request attempt, in milliseconds. */
  readonly timeoutMs: number;
  /** Retries after a failed attempt of a retryable request. */
  readonly maxRetries: number;
  /** How long `secrets.get` and `secrets.getMany` reuse a value read earlier, in milliseconds; 0 turns the cache off. */
  readonly secretsCacheTtlMs: number;
  /** Log level (`FLOW_LOG`): `debug`, `info`, `warn`, `error` or `off`; undefined when not set (the logger given gets every line, and none is given: silent). */
  readonly logLevel: FlowLogLevel | undefined;
}

/** Default time limit of one request attempt. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Default number of retries. */
export const DEFAULT_MAX_RETRIES = 2;
/** Default lifetime of a cached secret value: one minute. */
export const DEFAULT_SECRETS_CACHE_TTL_MS = 60_000;
/** Longest lifetime of a cached secret value: one hour, so a rotated secret is picked up within it. */
export const MAX_SECRETS_CACHE_TTL_MS = 3_600_000;

const ID = /^[^\s/\\?#%\u0000-\u001f\u007f]+$/;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const ID_MESSAGE = "must not contain spaces, slashes, '?', '#', '%' or control characters";
const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ["http", "https"] };
/** No `user:password@` before the host: axios would send it as Basic auth in place of the bearer token. */
const NO_USER_INFO = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@]*(?:[/?#]|$)/i;

/** The raw settings, validated with class-validator before anything is built from them. */
class ConfigInput {
  @IsString() @IsUrl(URL_OPTIONS) @Matches(NO_USER_INFO) platformUrl!: string;
  @IsOptional() @IsString() @IsUrl(URL_OPTIONS) @Matches(NO_USER_INFO) gatewayUrl?: string;
  @IsOptional() @IsString() @MaxLength(256) @Matches(ID, { message: ID_MESSAGE }) orgId?: string;
  @IsOptional() @IsString() @MaxLength(256) @Matches(ID, { message: ID_MESSAGE }) workspaceId?: string;
  @IsOptional() @IsString() @MaxLength(256) @Matches(ID, { message: ID_MESSAGE }) serviceId?: string;
  @IsOptional() @IsString() @MaxLength(256) @Matches(ID, { message: ID_MESSAGE }) executionId?: string;
  @IsOptional() @IsString() @MaxLength(256) @Matches(ID, { message: ID_MESSAGE }) jobId?: string;
  @IsOptional() @IsString() @MaxLength(256) @Matches(ID, { message: ID_MESSAGE }) ringId?: string;
  @IsOptional() @IsString() @MaxLength(256) @Matches(/^[\x21-\x7e]+$/, { message: "must be printable ASCII without spaces" }) requestId?: string;
  @IsOptional() @IsString() @Matches(TRACEPARENT, { message: "must be a W3C traceparent: 00-<32 hex>-<16 hex>-<2 hex>" }) traceparent?: string;
  @IsOptional() @IsString() @MaxLength(512) @Matches(/^[\x20-\x7e]+$/, { message: "must be printable ASCII (a header value)" }) tracestate?: string;
  @IsOptional() @IsString() @Matches(/^[\x21-\x7e]+$/, { message: "must be printable ASCII without spaces (a header value)" }) authToken?: string;
  @IsOptional() @IsString() authTokenFile?: string;
  @IsInt() @Min(1) @Max(3_600_000) timeoutMs!: number;
  @IsInt() @Min(0) @Max(10) maxRetries!: number;
  @IsInt() @Min(0) @Max(MAX_SECRETS_CACHE_TTL_MS) secretsCacheTtlMs!: number;
  @IsOptional() @IsIn(LOG_LEVELS) logLevel?: string;
}

/** The settings `FlowSDK.create()` reads from its options before falling back to the environment. */
export interface ConfigOptions {
  /** Organisation id; else `ORG_ID`. */
  orgId?: string | undefined;
  /** Workspace id; else `WORKSPACE_ID`. */
  workspaceId?: string | undefined;
  /** Bearer token; else `AUTH_TOKEN`. */
  authToken?: string | undefined;
  /** File holding the token, re-read when it nears expiry or is rejected; else `AUTH_TOKEN_FILE`. */
  authTokenFile?: string | undefined;
  /** Platform API base URL; else `PLATFORM_API_URL` (required). */
  platformUrl?: string | undefined;
  /** Gateway base URL; else `GATEWAY_URL`, else the platform URL. */
  gatewayUrl?: string | undefined;
  /** Running service id; else `SERVICE_ID`. */
  serviceId?: string | undefined;
  /** Execution id; else `EXECUTION_ID`. */
  executionId?: string | undefined;
  /** Job id; else `JOB_ID`. */
  jobId?: string | undefined;
  /** Request id used when no context is bound; else `REQUEST_ID`. */
  requestId?: string | undefined;
  /** Deployment ring; else `RING_ID`. */
  ringId?: string | undefined;
  /** W3C `traceparent` sent when no bound context has one; else `TRACEPARENT`. */
  traceparent?: string | undefined;
  /** W3C `tracestate` sent with that `traceparent`; else `TRACESTATE`. */
  tracestate?: string | undefined;
  /**
   * Time limit of each request attempt, in milliseconds.
   * @default 30000
   */
  timeoutMs?: number | undefined;
  /**
   * Retries of a retryable failure (connection errors, timeouts, 408, 429, 5xx).
   * @default 2
   */
  maxRetries?: number | undefined;
  /**
   * How long a secret value read by `secrets.get` or `secrets.getMany` is reused without asking
   * the platform again, in milliseconds (0 to 3600000); 0 turns the cache off. `close()` empties
   * it, and `secrets.get(name, { fresh: true })` skips it.
   * @default 60000
   */
  secretsCacheTtlMs?: number | undefined;
  /**
   * Log level, for debugging without a code change: `debug`, `info`, `warn`, `error` or `off`;
   * else `FLOW_LOG`. Set and no `logger` given, the SDK logs to standard error (redacted, as
   * every line is) from this level up; with a `logger`, it gets only the lines from this level up.
   * Unset: the `logger` gets every line, and without one the SDK is silent.
   */
  logLevel?: FlowLogLevel | undefined;
  /**
   * The environment to read; only this one is read when given.
   * @default process.env
   */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** The configuration plus the credentials, which stay out of {@link FlowConfig}. */
export interface ResolvedConfig {
  /** What `flow.config` shows. */
  config: FlowConfig;
  /** The initial token, if one was given. */
  authToken: string | undefined;
}

const HINTS: Partial<Record<keyof ConfigInput, string>> = {
  platformUrl: "set it to the platform's base URL, e.g. https://api.flow.example or the url `flow-sdk-local start` prints",
  gatewayUrl: "set it to the gateway's base URL, or leave it unset to use the platform URL",
  timeoutMs: "use a whole number of milliseconds from 1 to 3600000",
  maxRetries: "use a whole number from 0 to 10",
  secretsCacheTtlMs: "use a whole number of milliseconds from 0 (no cache) to 3600000",
  authToken: "set it to the token exactly as issued (no quotes, spaces or line breaks)",
  traceparent: "use a W3C traceparent such as 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  tracestate: "use a W3C tracestate: printable ASCII, at most 512 characters",
  logLevel: `use one of ${LOG_LEVELS.join(", ")}`,
};

/**
 * Reads every setting from `options` first, then the environment, and validates them all at once.
 *
 * @throws {FlowConfigError} naming every bad setting, its environment variable and the fix.
 */
export function resolveConfig(options: ConfigOptions, processEnv: Readonly<Record<string, string | undefined>>): ResolvedConfig {
  const env = options.env ?? processEnv;
  const pick = (key: EnvSetting): string | undefined => clean(options[key]) ?? clean(env[CONFIG_ENV[key]]);

  const input = Object.assign(new ConfigInput(), {
    platformUrl: pick("platformUrl"),
    gatewayUrl: pick("gatewayUrl"),
    orgId: pick("orgId"),
    workspaceId: pick("workspaceId"),
    serviceId: pick("serviceId"),
    executionId: pick("executionId"),
    jobId: pick("jobId"),
    requestId: pick("requestId"),
    ringId: pick("ringId"),
    traceparent: pick("traceparent"),
    tracestate: pick("tracestate"),
    authToken: pick("authToken"),
    authTokenFile: pick("authTokenFile"),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
    secretsCacheTtlMs: options.secretsCacheTtlMs ?? DEFAULT_SECRETS_CACHE_TTL_MS,
    // Any case (FLOW_LOG=DEBUG); not in CONFIG_ENV, which the local platform clears from a block's
    // environment: a FLOW_LOG of the shell that runs a block reaches the block.
    logLevel: lower(clean(options.logLevel)) ?? envLogLevel(env),
  });

  const errors = validateSync(input);
  if (errors.length > 0) {
    // Every credential this configuration holds, hidden from the message and `problems` before the
    // error is built: no instance (and no Redactor) exists yet to know them. A token set in both
    // the options and the environment is a credential either way.
    const secrets = [options.authToken, env[CONFIG_ENV.authToken], input.authToken, tokenFileContents(input.authTokenFile)].filter(
      (value): value is string => typeof value === "string" && value.trim() !== "",
    );
    const problems = errors.map((error) => redactWith(describeProblem(error.property as keyof ConfigInput, input), [...secrets, ...secrets.map((value) => value.trim())]));
    throw new FlowConfigError(`FlowSDK.create(): invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`, problems);
  }

  const platformUrl = trimSlash(input.platformUrl);
  const config: FlowConfig = Object.freeze({
    orgId: input.orgId,
    workspaceId: input.workspaceId,
    platformUrl,
    gatewayUrl: input.gatewayUrl ? trimSlash(input.gatewayUrl) : platformUrl,
    serviceId: input.serviceId,
    executionId: input.executionId,
    jobId: input.jobId,
    requestId: input.requestId,
    ringId: input.ringId,
    traceparent: input.traceparent,
    tracestate: input.traceparent === undefined ? undefined : input.tracestate,
    authTokenFile: input.authTokenFile,
    timeoutMs: input.timeoutMs,
    maxRetries: input.maxRetries,
    secretsCacheTtlMs: input.secretsCacheTtlMs,
    logLevel: input.logLevel as FlowLogLevel | undefined,
  });
  return { config, authToken: input.authToken };
}

function describeProblem(property: keyof ConfigInput, input: ConfigInput): string {
  const envName = property === "logLevel" ? LOG_LEVEL_ENV : property in CONFIG_ENV ? CONFIG_ENV[property as EnvSetting] : undefined;
  const label = envName ? `${envName} (option ${property})` : `option ${property}`;
  const value = input[property];
  const hint = HINTS[property] ?? `it ${ID_MESSAGE}`;
  if (value === undefined) return `${label} is not set: ${hint}`;
  if (property === "authToken") return `${label} is invalid; ${hint}`; // never echoed
  const text = String(value);
  if (property === "platformUrl" || property === "gatewayUrl") {
    if (typeof value === "string" && !NO_USER_INFO.test(value) && /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value)) {
      return `${label} must not contain user:password@ (got ${JSON.stringify(stripUserInfo(text))}): the SDK authenticates with its bearer token, and credentials in the URL would be sent as Basic auth in its place; remove them`;
    }
    // Something that is not even shaped like a URL may be a credential put in the wrong variable.
    if (!text.includes("://")) return `${label} is invalid: got ${describeShape(text)}, not a URL (the value is not shown: it may be a credential); ${hint}`;
    return `${label} is invalid: got ${JSON.stringify(stripUserInfo(text))}; ${hint}`;
  }
  return `${label} is invalid: got ${JSON.stringify(text)}; ${hint}`;
}

/** How long a value is, without showing it. */
function describeShape(text: string): string {
  return `${text.length} character${text.length === 1 ? "" : "s"}`;
}

/**
 * The token in AUTH_TOKEN_FILE, to hide it from a configuration error; undefined when unset or
 * unreadable. Read only when the configuration is refused, at most 64 KiB (a token, not a disk).
 */
function tokenFileContents(path: unknown): string | undefined {
  if (typeof path !== "string" || path === "") return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    if (!fstatSync(fd).isFile()) return undefined;
    const buffer = Buffer.alloc(65_536);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, length).toString("utf8");
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

// Options may come from JSON or plain JavaScript: a non-string is passed on untouched so that
// validation names it, instead of a TypeError from trim().
function clean(value: unknown): string | undefined {
  if (typeof value !== "string") return value as string | undefined;
  const trimmed = value.trim();
  return trimmed ? trimmed : undefined;
}

function lower(value: string | undefined): string | undefined {
  return typeof value === "string" ? value.toLowerCase() : value;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

function stripUserInfo(value: string): string {
  return value.replace(/\/\/[^/@]*@/, "//***@");
}
