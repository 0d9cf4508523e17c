import type { FlowLogger, LogFields } from "./logger.js";
import type { Redactor } from "./redactor.js";

/** Wraps the caller's logger so that every message and field passes through the redactor first. */
export function redactingLogger(target: FlowLogger, redactor: Redactor): FlowLogger {
  const forward = (level: keyof FlowLogger) => (message: string, fields?: LogFields) => {
    try {
      if (fields === undefined) target[level](redactor.text(message));
      else target[level](redactor.text(message), redactor.value(fields) as LogFields);
    } catch {
      // A broken logger must never break a platform call.
    }
  };
  return { debug: forward("debug"), info: forward("info"), warn: forward("warn"), error: forward("error") };
}
