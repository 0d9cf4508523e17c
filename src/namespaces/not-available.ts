import { FlowNotAvailableError } from "../errors.js";
import { PagePromise } from "../pagination.js";
import { SDK_VERSION } from "../version.js";

/**
 * The error every method of a namespace that has not shipped yet rejects with. Nothing pretends
 * to work: the method's types are the planned API, its body says plainly that it is not there.
 */
export function notAvailable(method: string): FlowNotAvailableError {
  return new FlowNotAvailableError(
    `flow.${method}() is not available yet in flow-sdk ${SDK_VERSION}; see the namespace table in the README for what works today`,
  );
}

/** What a list method of a namespace that has not shipped yet returns: a page promise that rejects. */
export function notAvailablePage<T>(method: string): PagePromise<T> {
  return new PagePromise<T>(() => Promise.reject(notAvailable(method)));
}
