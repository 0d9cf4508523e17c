// flow.service: the service this code runs as (`SERVICE_ID`) and the request it is serving now.
// Not available yet: the types below are the planned API; every member throws or rejects with
// FlowNotAvailableError.
import { injectable } from "tsyringe";
import type { RequestContext } from "../context/request-context.js";
import type { RequestOptions } from "../http/request-options.js";
import { notAvailable } from "./not-available.js";

/** Whether a service is taking requests. */
export type ServiceStatus = "starting" | "running" | "degraded" | "stopped";

/** A service as the platform describes it. */
export interface ServiceInfo {
  /** The service's id (`SERVICE_ID`). */
  id: string;
  /** Name, unique in the workspace; `services.call` accepts it in place of the id. */
  name: string;
  /** Whether it is taking requests. */
  status: ServiceStatus;
  /** The deployed version, if the service reports one. */
  version: string | null;
  /** The base URL it is reachable at inside the platform. */
  url: string;
  /** When it last sent a heartbeat, or `null` if never. */
  lastHeartbeatAt: string | null;
  /** When the service was created, as an ISO 8601 timestamp. */
  createdAt: string;
}

/** Parameters of `service.heartbeat`. */
export interface ServiceHeartbeatParams {
  /**
   * The status to report.
   * @default "running"
   */
  status?: ServiceStatus | undefined;
  /** Free-form health details, e.g. queue depth. */
  details?: Record<string, unknown> | undefined;
}

/** The running service and its current request. Not available yet: every member throws or rejects with `FlowNotAvailableError`. */
@injectable()
export class ServiceNamespace {
  /** Resolves to the running service's description. */
  async info(options?: RequestOptions): Promise<ServiceInfo> {
    throw notAvailable("service.info");
  }

  /** The request being served now (the bound request context); throws `FlowNotAvailableError` for now. */
  get request(): RequestContext {
    throw notAvailable("service.request");
  }

  /** Tells the platform the service is alive, so it is not marked unhealthy. */
  async heartbeat(params?: ServiceHeartbeatParams, options?: RequestOptions): Promise<void> {
    throw notAvailable("service.heartbeat");
  }
}
