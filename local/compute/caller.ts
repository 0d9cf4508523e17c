import type { FastifyRequest } from "fastify";
import { identityOf } from "../auth.js";
import type { Caller } from "./executions.js";

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const HEADER_VALUE = /^[\x20-\x7e]{1,512}$/;
const ID = /^[\x21-\x7e]{1,256}$/;

/**
 * Who made `request` and the context it came in: work it causes (an execution, a job, a run)
 * acts as this subject with these scopes, and carries on the request id and trace context.
 */
export function callerOf(request: FastifyRequest): Caller {
  const identity = identityOf(request);
  const header = (name: string, shape: RegExp): string | null => {
    const value = request.headers[name];
    return typeof value === "string" && shape.test(value) ? value : null;
  };
  const traceparent = header("traceparent", TRACEPARENT);
  return {
    subject: identity.subject,
    scopes: identity.scopes,
    requestId: request.id,
    traceparent,
    tracestate: traceparent === null ? null : header("tracestate", HEADER_VALUE),
    parentExecutionId: header("x-execution-id", ID),
  };
}
