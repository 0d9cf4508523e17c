import { FlowNotAvailableError } from "../errors.js";
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
