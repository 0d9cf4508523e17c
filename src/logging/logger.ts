/** Structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** What the SDK logs to; pass your own as `logger` (pino, winston and console all fit). */
export interface FlowLogger {
  /** Per-request detail. */
  debug(message: string, fields?: LogFields): void;
  /** Notable events, such as a token refresh. */
  info(message: string, fields?: LogFields): void;
  /** Recoverable trouble, such as a retry. */
  warn(message: string, fields?: LogFields): void;
  /** Failures the SDK could not recover from. */
  error(message: string, fields?: LogFields): void;
}

/** The default logger: says nothing. */
export const silentLogger: FlowLogger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});
