import type { FlowConfig } from "../container/config.js";
import type { RequestContext } from "../context/request-context.js";
import { SDK_VERSION } from "../version.js";

/** The `User-Agent` every request carries. */
export const USER_AGENT = `flow-sdk/${SDK_VERSION} node/${process.versions.node}`;

/** Headers copied from the bound context's incoming headers when present (W3C trace context). */
const PROPAGATED = ["traceparent", "tracestate"] as const;

/** A fresh request id, used when neither the bound context nor `REQUEST_ID` has one. */
export function newRequestId(): string {
  return `req_${randomUUID().replace(/-/g, "")}`;
}

function idOf(part: Readonly<Record<string, unknown>>): string | undefined {
  const id = part["id"];
  return typeof id === "string" && id ? id : typeof id === "number" ? String(id) : undefined;
}

/**
 * The platform headers of docs/protocol.md for one request, from the bound context first, then the
 * configuration. `X-Request-Id` is left out when unknown so the caller can generate one per call.
 */
export function contextHeaders(config: FlowConfig, context: RequestContext): Record<string, string> {
  const headers: Record<string, string> = {};
  const set = (name: string, value: string | undefined) => {
    if (value) headers[name] = value;
  };
  set("X-Request-Id", context.headers["x-request-id"] ?? config.requestId);
  set("X-Execution-Id", idOf(context.execution) ?? config.executionId);
  set("X-Job-Id", config.jobId);
  set("X-Service-Id", idOf(context.service) ?? config.serviceId);
  set("X-Ring-Id", config.ringId);
  // A bound trace context wins as a pair; else the one the process was started with (TRACEPARENT).
  const bound = context.headers["traceparent"] !== undefined;
  for (const name of PROPAGATED) set(name, bound ? context.headers[name] : config[name]);
  return headers;
}

/**
 * A random UUID from node:crypto, loaded at the first request rather than at import: loading it
 * costs a cold start about 2.5 ms that `import` + `FlowSDK.create()` does not need.
 */
export function randomUUID(): string {
  return process.getBuiltinModule("node:crypto").randomUUID();
}
