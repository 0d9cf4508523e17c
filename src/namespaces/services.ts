// flow.services: find the workspace's other services and call them with the request context passed on.
// Not available yet: the types below are the planned API; every method rejects with
// FlowNotAvailableError.
import { injectable } from "tsyringe";
import type { RequestOptions } from "../http/request-options.js";
import type { PagePromise } from "../pagination.js";
import { notAvailable, notAvailablePage } from "./not-available.js";
import type { ServiceInfo, ServiceStatus } from "./service.js";

/** HTTP method of a service call. */
export type ServicesCallMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS";

/** Parameters of `services.list`. */
export interface ServicesListParams {
  /** Only services in this status. */
  status?: ServiceStatus | undefined;
  /** Items per page, 1 to 1000. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** Parameters of `services.call`. */
export interface ServicesCallParams {
  /**
   * HTTP method.
   * @default "GET"
   */
  method?: ServicesCallMethod | undefined;
  /** Path on the target service, e.g. `/orders/42`. */
  path: string;
  /** Request body, sent as JSON unless it is a string. */
  body?: unknown;
  /** Query-string parameters. */
  query?: Record<string, string | number | boolean> | undefined;
  /** Extra headers; the request context headers (`X-Request-Id`, `traceparent`...) are added for you. */
  headers?: Record<string, string> | undefined;
}

/** Lists and calls other services. Not available yet: every method rejects with `FlowNotAvailableError`. */
@injectable()
export class ServicesNamespace {
  /** Lists the workspace's services. */
  list(params?: ServicesListParams, options?: RequestOptions): PagePromise<ServiceInfo> {
    return notAvailablePage<ServiceInfo>("services.list");
  }

  /** Resolves to the service with this id or name. */
  async get(idOrName: string, options?: RequestOptions): Promise<ServiceInfo> {
    throw notAvailable("services.get");
  }

  /**
   * Calls a route of another service, through the same auth, context, retry and error handling as
   * every SDK call; resolves to the parsed JSON body, or the text when the response is not JSON.
   * @example
   * const order = await flow.services.call<Order>("orders", { path: "/orders/42" });
   */
  async call<T = unknown>(idOrName: string, params: ServicesCallParams, options?: RequestOptions): Promise<T> {
    throw notAvailable("services.call");
  }
}
