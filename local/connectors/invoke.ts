// Invoking an `http` connector's action (docs/protocol.md, "Connectors"): the path template filled
// from the params (each value percent-encoded), the other params as the query string or the JSON
// body, the connector's fixed headers and its credential (the calling workspace's secret) added,
// one call to the upstream with the connector's timeout, and the upstream's answer passed back or
// its failure mapped to the platform's errors. The credential's value is masked in every text that
// leaves here: the answer (body and headers), every error message and detail.
import { invalidInput } from "../../src/dto/validate.js";
import type { FlowValidationIssue } from "../../src/errors.js";
import { HttpError } from "../errors.js";
import { maskSecrets } from "../compute/mask.js";
import type { ConnectorActionDef, ConnectorDef } from "../manifest.js";

/** What an invocation answers: the upstream's status, headers and body. */
export interface ConnectorAnswer {
  /** The upstream's status (2xx). */
  status: number;
  /** The upstream's headers, names lower-cased, less hop-by-hop and content encoding/length ones. */
  headers: Record<string, string>;
  /** The body: parsed when the upstream says it is JSON, else its text; `null` when empty. */
  body: unknown;
}

/** One invocation. */
export interface ConnectorCall {
  /** The connector. */
  connector: ConnectorDef;
  /** The action's name (checked against the connector's here). */
  action: string;
  /** The action's params: path parameters, then query or body. */
  params: Readonly<Record<string, unknown>>;
  /** The credential's value (the workspace secret `connector.auth.secret`), when the connector has `auth`. */
  credential: string | undefined;
  /** The calling request's id, sent on as `X-Request-Id`. */
  requestId: string;
}

/** A failed invocation, with the `Retry-After` of an upstream 429 to pass on. */
export class ConnectorError extends HttpError {
  override name = "ConnectorError";

  /** Creates it; `retryAfter` is the upstream's header, when it sent one. */
  constructor(status: number, code: string, message: string, details?: unknown, readonly retryAfter?: string) {
    super(status, code, message, details);
  }
}

/** Longest upstream answer body passed back: what fits in one JSON answer of the platform with room for its envelope. */
export const MAX_CONNECTOR_ANSWER_BYTES = 8 * 1024 * 1024 - 64 * 1024;
/** How much of a failed upstream's body goes into `details.body`. */
export const MAX_ERROR_BODY_BYTES = 4096;

const BODY_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH"]);
/** Headers of the upstream's answer not passed back: hop-by-hop ones, and those the decoded body no longer matches. */
const DROPPED_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "content-encoding",
  "content-length",
]);
/** What an HTTP header value may hold once trimmed: visible Latin-1 and inner spaces or tabs, no line breaks. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * `text` with the credential, its JSON-escaped and its percent-encoded forms replaced by the
 * platform's mask. Unlike the block log masking, a credential of any length is masked.
 */
export function maskCredential(text: string, credential: string | undefined): string {
  // Whatever its length: a connector's credential is the one value here, and none may show.
  return credential === undefined ? text : maskSecrets(text, [credential], { minLength: 1, percentEncoded: true });
}

/** A JSON value with the credential masked in every string (keys too). */
function maskValue(value: unknown, credential: string | undefined): unknown {
  if (credential === undefined || credential === "") return value;
  if (typeof value === "string") return maskCredential(value, credential);
  if (Array.isArray(value)) return value.map((item) => maskValue(item, credential));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) Object.defineProperty(out, maskCredential(key, credential), { value: maskValue(item, credential), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/** Where the upstream call goes: the method, the full URL (query included) and the JSON body, if any. */
export interface ConnectorRequest {
  /** The action. */
  action: ConnectorActionDef;
  /** The action's method. */
  method: ConnectorActionDef["method"];
  /** `baseUrl` + the filled path + the query string. */
  url: string;
  /** The JSON body of a POST, PUT or PATCH. */
  body: string | undefined;
}

/**
 * The upstream request of `action` with `params`: the path template filled (each value
 * percent-encoded), the other params as the query (GET, DELETE) or the JSON body (POST, PUT, PATCH).
 * @throws {FlowValidationError} (400 `validation_error`) on `action` for an unknown action (naming the actions), on `params.<name>` for a missing or unusable parameter.
 */
export function planRequest(connector: ConnectorDef, actionName: string, params: Readonly<Record<string, unknown>>): ConnectorRequest {
  const what = `POST connectors/${connector.id}/invoke`;
  const action = connector.actions.get(actionName);
  if (!action) {
    const names = [...connector.actions.keys()];
    throw invalidInput(what, [{ path: "action", message: `connector ${connector.id} has no action ${JSON.stringify(actionName)}; its actions are ${names.join(", ")}` }]);
  }
  const issues: FlowValidationIssue[] = [];
  const filled = new Map<string, string>();
  for (const name of new Set(action.pathParams)) {
    const value = Object.hasOwn(params, name) ? params[name] : undefined;
    const at = `params.${name}`;
    const template = `${action.method} ${action.path}`;
    if (value === undefined || value === null) issues.push({ path: at, message: `the path parameter ${name} of action ${action.name} (${template}) is missing` });
    else if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") issues.push({ path: at, message: `the path parameter ${name} must be a string, a number or a boolean` });
    else if (String(value) === "") issues.push({ path: at, message: `the path parameter ${name} must not be empty` });
    else if (value === "." || value === "..") issues.push({ path: at, message: `the path parameter ${name} must not be "." or ".." (a URL cannot carry it)` });
    else filled.set(name, encodeURIComponent(String(value)));
  }
  const rest = Object.entries(params).filter(([name, value]) => !filled.has(name) && !action.pathParams.includes(name) && value !== undefined);
  const query = new URLSearchParams();
  let body: string | undefined;
  if (BODY_METHODS.has(action.method)) body = JSON.stringify(Object.fromEntries(rest));
  else {
    for (const [name, value] of rest) {
      const items = Array.isArray(value) ? value : [value];
      if (value === null) continue;
      if (!items.every((item) => typeof item === "string" || typeof item === "number" || typeof item === "boolean")) {
        issues.push({ path: `params.${name}`, message: `a query parameter of a ${action.method} action is a string, a number, a boolean or an array of them (objects go in the body of a POST, PUT or PATCH)` });
        continue;
      }
      for (const item of items) query.append(name, String(item));
    }
  }
  if (issues.length > 0) throw invalidInput(what, issues);
  const path = action.path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => filled.get(name) ?? "");
  const search = query.toString();
  return { action, method: action.method, url: `${connector.baseUrl}${path}${search === "" ? "" : `?${search}`}`, body };
}

/**
 * Calls the upstream for `call` and resolves to its `2xx` answer, the credential masked in it.
 * Redirects are not followed (a `3xx` is an upstream error): a credential in a custom header
 * would otherwise go to wherever the upstream points.
 * @throws {FlowValidationError} for an unknown action or a bad parameter, before any call.
 * @throws {ConnectorError} 429 `rate_limited` (with the upstream's Retry-After), 502 `connector_auth_failed`, `connector_upstream_error` (details `{ status, body }`) or `connector_unavailable`.
 */
export async function invokeConnector(call: ConnectorCall): Promise<ConnectorAnswer> {
  const { connector, credential } = call;
  const request = planRequest(connector, call.action, call.params);
  try {
    return await send(call, request);
  } catch (error) {
    if (error instanceof HttpError) throw error;
    // Not expected: reported as an internal error, but never with the credential in it.
    const masked = new Error(maskCredential(error instanceof Error ? error.message : String(error), credential));
    masked.stack = maskCredential(error instanceof Error ? (error.stack ?? masked.message) : masked.message, credential);
    throw masked;
  }
}

async function send(call: ConnectorCall, request: ConnectorRequest): Promise<ConnectorAnswer> {
  const { connector, credential } = call;
  const where = `The upstream of connector ${connector.id} (${connector.baseUrl}), action ${request.action.name},`;
  const headers = new Headers({ accept: "application/json, text/plain;q=0.9, */*;q=0.8", "x-request-id": call.requestId });
  for (const [name, value] of Object.entries(connector.headers)) headers.set(name, value);
  if (request.body !== undefined) headers.set("content-type", "application/json");
  if (connector.auth) {
    const secret = connector.auth.secret;
    if (credential === undefined || credential === "") {
      throw new ConnectorError(502, "connector_auth_failed", `Connector ${connector.id} has no credential: the secret ${secret} is ${credential === undefined ? "not set in this workspace" : "empty"}; ${HOW_TO_SET(secret)}`);
    }
    if (!HEADER_VALUE.test(connector.auth.prefix + credential)) {
      throw new ConnectorError(502, "connector_auth_failed", `Connector ${connector.id} cannot send its credential: the secret ${secret} holds characters an HTTP header cannot carry (a line break, say); fix its value`);
    }
    headers.set(connector.auth.header, `${connector.auth.prefix}${credential}`);
  }

  const timeoutMs = connector.timeoutSeconds * 1000;
  const signal = AbortSignal.timeout(timeoutMs);
  const unavailable = (error: unknown, what: string): ConnectorError => {
    const why = signal.aborted ? `did not answer within timeoutSeconds ${connector.timeoutSeconds}` : `${what} (${describe(error, credential)})`;
    return new ConnectorError(502, "connector_unavailable", `${where} ${why}`);
  };
  let response: Response;
  try {
    response = await fetch(request.url, { method: request.method, headers, ...(request.body === undefined ? {} : { body: request.body }), redirect: "manual", signal });
  } catch (error) {
    throw unavailable(error, "could not be reached");
  }
  let bytes: Buffer;
  let cut: boolean;
  try {
    ({ bytes, cut } = await readBody(response, response.ok ? MAX_CONNECTOR_ANSWER_BYTES : MAX_ERROR_BODY_BYTES));
  } catch (error) {
    throw unavailable(error, "broke off while it answered");
  }
  const status = response.status;
  if (response.ok && cut) {
    throw new ConnectorError(502, "connector_upstream_error", `${where} answered ${status} with a body over ${MAX_CONNECTOR_ANSWER_BYTES} bytes, more than the platform passes back`, {
      status,
      body: maskCredential(cutText(bytes.toString("utf8"), MAX_ERROR_BODY_BYTES), credential),
    });
  }
  const text = bytes.toString("utf8");
  if (response.ok) return { status, headers: answerHeaders(response.headers, credential), body: bodyOf(text, response.headers.get("content-type"), credential) };

  const shown = maskCredential(cutText(text, MAX_ERROR_BODY_BYTES), credential);
  const excerpt = shown.trim() === "" ? "(no body)" : shown.trim().slice(0, 200);
  if (status === 429) {
    const retryAfter = response.headers.get("retry-after") ?? undefined;
    const safeRetryAfter = retryAfter === undefined ? undefined : maskCredential(retryAfter, credential);
    throw new ConnectorError(429, "rate_limited", `${where} is rate-limiting (its status 429)${safeRetryAfter === undefined ? "" : `; retry after ${safeRetryAfter}`}: ${excerpt}`, { status, body: shown }, safeRetryAfter);
  }
  if ((status === 401 || status === 403) && connector.auth) {
    throw new ConnectorError(502, "connector_auth_failed", `${where} refused the credential in the secret ${connector.auth.secret} (its status ${status}): ${excerpt}; check the secret's value`, { status, body: shown });
  }
  if (status === 401 || status === 403) {
    throw new ConnectorError(502, "connector_auth_failed", `${where} refused the call (its status ${status}) and the connector has no auth in the manifest: ${excerpt}`, { status, body: shown });
  }
  throw new ConnectorError(502, "connector_upstream_error", `${where} answered ${status}: ${excerpt}`, { status, body: shown });
}

const HOW_TO_SET = (secret: string): string =>
  `set it with flow-sdk-local start --secrets-file FILE (a JSON object of names to values) or startLocalPlatform({ secrets: { ${secret}: "..." } })`;

/** How a fetch failure reads (with its cause's message and code), the credential masked. */
function describe(error: unknown, credential: string | undefined): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? `${error.message}${cause ? `: ${cause.message}` : ""}` : String(error);
  return maskCredential(code !== undefined && !message.includes(code) ? `${code}: ${message}` : message, credential);
}

/** The body's first `max` bytes, and whether there was more (the rest is not read). */
async function readBody(response: Response, max: number): Promise<{ bytes: Buffer; cut: boolean }> {
  if (response.body === null) return { bytes: Buffer.alloc(0), cut: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: Buffer.concat(chunks), cut: false };
    chunks.push(value);
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return { bytes: Buffer.concat(chunks).subarray(0, max), cut: true };
    }
  }
}

/** At most `max` bytes of `text` as UTF-8, never half a character. */
function cutText(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let out = Buffer.from(text).subarray(0, max).toString("utf8");
  while (out.endsWith("\uFFFD") || Buffer.byteLength(out) > max) out = out.slice(0, -1);
  return out;
}

/** True when a content type says JSON: `application/json`, `text/json` or any `+json`. */
function isJsonType(type: string | null): boolean {
  return type !== null && /^(application|text)\/([\w.-]+\+)?json\s*(;|$)/i.test(type.trim());
}

function bodyOf(text: string, type: string | null, credential: string | undefined): unknown {
  if (text === "") return null;
  if (isJsonType(type)) {
    try {
      return maskValue(JSON.parse(text), credential);
    } catch {
      // said JSON but is not: its text
    }
  }
  return maskCredential(text, credential);
}

function answerHeaders(headers: Headers, credential: string | undefined): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  headers.forEach((value, name) => {
    if (DROPPED_HEADERS.has(name)) return;
    const masked = maskCredential(value, credential);
    out[name] = Object.hasOwn(out, name) ? `${out[name]}, ${masked}` : masked;
  });
  return out;
}
