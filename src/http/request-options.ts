/** Per-call options accepted as the last argument of every SDK method. */
export interface RequestOptions {
  /** Aborts the call; it then rejects with `FlowAbortError`. */
  signal?: AbortSignal | undefined;
  /**
   * Time limit for each attempt, in milliseconds.
   * @default the SDK's `timeoutMs` (30000)
   */
  timeoutMs?: number | undefined;
  /**
   * Key that makes a non-idempotent call safe to retry: the platform answers a repeat with the
   * first answer instead of doing the work twice.
   * @default generated once per logical call
   */
  idempotencyKey?: string | undefined;
  /** Extra headers for this call; they win over the SDK's own, except `Authorization`. */
  headers?: Record<string, string> | undefined;
}
