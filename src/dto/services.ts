// Inputs of the services and service namespaces, validated by the SDK before any request and by the local platform.
import { IsIn, IsOptional } from "./class-validator.js";
import { IsMetadata, KeyString, Located, NotDotSegment, PageQuery, ResourceId } from "./common.js";
import { rawBodyIssue, rawMethodIssue, rawQueryIssue, servicePathIssue } from "./raw-request.js";
import { headersIssue } from "./request-options.js";

/** Where a service stands. */
export const SERVICE_STATUSES = ["starting", "running", "degraded", "stopped"] as const;

/** What a heartbeat may report. */
export const HEARTBEAT_STATUSES = ["running", "degraded"] as const;

/** How `services.call` hands over the service's answer body. */
export const SERVICE_RESPONSE_TYPES = ["auto", "text", "buffer", "stream"] as const;

/** Longest service name (the manifest's display names are at most 1000 characters). */
const MAX_NAME_LENGTH = 1000;

/** Decorators for a service's id or display name: a key-like string a URL path segment can carry. */
function IdOrName(field: string): PropertyDecorator {
  return (target, property) => {
    KeyString(field, MAX_NAME_LENGTH)(target, property);
    NotDotSegment(field)(target, property);
  };
}

/** Input of `services.get` and of the route `GET W/services/:idOrName`. */
export class ServiceIdOrNameInput {
  /** The service's id (its manifest key) or its display name. */
  @IdOrName("idOrName")
  idOrName!: string;
}

/** Input of `services.list`. */
export class ServiceListInput extends PageQuery {
  /** Only services in this status. */
  @IsOptional()
  @IsIn(SERVICE_STATUSES, { message: `status must be one of ${SERVICE_STATUSES.join(", ")}` })
  status?: (typeof SERVICE_STATUSES)[number];
}

/** Input of `service.heartbeat` and of `POST W/services/:id/heartbeat` (the id from the path). */
export class ServiceHeartbeatInput {
  /** The service's id. */
  @ResourceId("id")
  id!: string;

  /** What the service says of itself. @default "running" */
  @IsOptional()
  @IsIn(HEARTBEAT_STATUSES, { message: `status must be ${HEARTBEAT_STATUSES.join(" or ")}` })
  status?: (typeof HEARTBEAT_STATUSES)[number];

  /** Free-form health details (a queue depth, say): a JSON object of at most 64 KiB. */
  @IsMetadata()
  details?: Record<string, unknown> | null;
}

/** Input of `services.call`: the service, and the request to forward to it. */
export class ServiceCallInput {
  /** The service's id or display name. */
  @IdOrName("idOrName")
  idOrName!: string;

  /** HTTP method; GET when absent. */
  @Located("isServiceMethod", (value, where) => rawMethodIssue(value, where))
  method?: string;

  /** Path on the service, starting with a single `/`. */
  @Located("isServicePath", (value, where) => servicePathIssue(value, where)?.replace("on the base URL such as /v1/models", "on the service such as /orders/42"))
  path!: string;

  /** Query parameters. */
  @Located("isServiceQuery", (value, where) => rawQueryIssue(value, where))
  query?: Record<string, string | number | boolean | undefined>;

  /** Extra headers, by the rule of `RequestOptions.headers`. */
  @Located("isServiceHeaders", (value, where) => (value === undefined ? undefined : headersIssue(value, where)))
  headers?: Record<string, string>;

  /** A JSON value, or a string, bytes or a readable stream sent as they are. */
  @Located("isServiceBody", (value, where) => rawBodyIssue(value, where))
  body?: unknown;

  /** How to hand over the answer's body. @default "auto" */
  @IsOptional()
  @IsIn(SERVICE_RESPONSE_TYPES, { message: `responseType must be one of ${SERVICE_RESPONSE_TYPES.join(", ")}` })
  responseType?: (typeof SERVICE_RESPONSE_TYPES)[number];
}
