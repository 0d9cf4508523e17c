import type { AxiosInstance } from "axios";
import { PagePromise, type PageData } from "../pagination.js";
import { FlowError } from "../errors.js";
import { callConfig } from "./call-options.js";
import { objectBody } from "./response-body.js";
import type { RequestOptions } from "./request-options.js";

/** The route and parameters of a list call, worked out (and validated) once, before the first page. */
export interface ListRequest {
  /** Path of the list route. */
  path: string;
  /** Query parameters other than `cursor`, for a list read with GET. */
  query?: object | undefined;
  /** The JSON body of a list read with POST (a query too large for a URL); `cursor` is added to it. */
  body?: object | undefined;
}

/**
 * A cursor-paged list (GET with a query, or POST with a body) as a {@link PagePromise}. `prepare` runs once, inside the first fetch,
 * so invalid input rejects the returned promise (before any request) rather than throwing.
 * `toItem`, when given, reshapes each item received (e.g. keeps only the fields its type promises).
 *
 * @example
 * return pagedList<StateEntry>(this.http, () => ({ path, query: validateInput(StateListInput, params, "state.list") }), options);
 */
export function pagedList<T>(http: AxiosInstance, prepare: () => ListRequest, options?: RequestOptions, toItem?: (raw: T) => T): PagePromise<T> {
  let prepared: (ListRequest & { config: ReturnType<typeof callConfig> }) | undefined;
  return new PagePromise<T>(async (cursor) => {
    prepared ??= { ...prepare(), config: callConfig(options) };
    const { path, query, body, config } = prepared;
    const withCursor = (given: object | undefined) => (cursor === undefined ? given : { ...given, cursor });
    const response = body === undefined ? await http.get<PageData<T>>(path, { ...config, params: withCursor(query) }) : await http.post<PageData<T>>(path, withCursor(body), config);
    const page = objectBody<PageData<T>>(response);
    if (!Array.isArray(page.data)) throw new FlowError(`${body === undefined ? "GET" : "POST"} ${path} answered without a page of data; check that the base URL points at the Flow platform`);
    return { data: toItem ? page.data.map(toItem) : page.data, nextCursor: typeof page.nextCursor === "string" ? page.nextCursor : null };
  });
}
