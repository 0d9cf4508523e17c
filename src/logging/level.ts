import type { FlowLogger, LogFields } from "./logger.js";

/** The levels `FLOW_LOG` (option `logLevel`) takes, most detail first; `off` logs nothing. */
export const LOG_LEVELS = ["debug", "info", "warn", "error", "off"] as const;

/** A log level: lines at it and above are logged (`off`: none). */
export type FlowLogLevel = (typeof LOG_LEVELS)[number];

/** The environment variable that sets the log level without a code change, like openai-node's `OPENAI_LOG`. */
export const LOG_LEVEL_ENV = "FLOW_LOG";

const RANK: Record<FlowLogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, off: 4 };

/** `target` keeping only the lines at `level` and above; `off` drops every line. */
export function levelLogger(target: FlowLogger, level: FlowLogLevel): FlowLogger {
  const at = (line: Exclude<FlowLogLevel, "off">) => (RANK[line] >= RANK[level] ? (message: string, fields?: LogFields) => target[line](message, fields) : () => {});
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/**
 * A logger writing one line per call to standard error, `[flow-sdk] warn: <message> <fields as JSON>`:
 * what `FLOW_LOG` logs to when no logger is given. Standard error, so a block's standard output
 * (its result, say) stays clean. The SDK wraps it in the redacting logger before any line is written.
 */
export function stderrLogger(write: (line: string) => void = (line) => process.stderr.write(line)): FlowLogger {
  const at = (level: Exclude<FlowLogLevel, "off">) => (message: string, fields?: LogFields) => {
    let tail = "";
    if (fields !== undefined && Object.keys(fields).length > 0) {
      try {
        tail = ` ${JSON.stringify(fields)}`;
      } catch {
        tail = " (fields that JSON cannot show)";
      }
    }
    write(`[flow-sdk] ${level}: ${message}${tail}\n`);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
