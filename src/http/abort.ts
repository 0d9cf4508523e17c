/** Signals that may end a wait; undefined entries are ignored. */
export type Signals = ReadonlyArray<AbortSignal | undefined>;

/** Settles like `promise`, or rejects with the reason of the first of `signals` to abort. */
export function untilAborted<T>(promise: Promise<T>, signals: Signals): Promise<T> {
  const active = signals.filter((s): s is AbortSignal => s !== undefined);
  const aborted = active.find((s) => s.aborted);
  if (aborted) {
    promise.catch(() => undefined); // abandoned: its failure is nobody's business now
    return Promise.reject(aborted.reason);
  }
  if (active.length === 0) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (event: Event) => {
      cleanup();
      promise.catch(() => undefined);
      reject((event.target as AbortSignal).reason);
    };
    const cleanup = () => active.forEach((s) => s.removeEventListener("abort", onAbort));
    active.forEach((s) => s.addEventListener("abort", onAbort, { once: true }));
    promise.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}

/** Waits `ms`, or rejects as soon as one of `signals` aborts; the timer never outlives the wait. */
export function sleep(ms: number, signals: Signals = []): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return untilAborted(waited, signals).finally(() => clearTimeout(timer));
}

/**
 * One signal that aborts when any of `signals` does, with the first one's reason; `dispose`
 * removes its listeners (call it when the wait is over, so a long-lived signal does not collect
 * one listener per call).
 */
export function anySignal(signals: Signals): { signal: AbortSignal; dispose: () => void } {
  const active = signals.filter((s): s is AbortSignal => s !== undefined);
  const controller = new AbortController();
  const aborted = active.find((s) => s.aborted);
  if (aborted) {
    controller.abort(aborted.reason);
    return { signal: controller.signal, dispose: () => undefined };
  }
  const onAbort = (event: Event): void => {
    dispose();
    controller.abort((event.target as AbortSignal).reason);
  };
  const dispose = (): void => active.forEach((s) => s.removeEventListener("abort", onAbort));
  active.forEach((s) => s.addEventListener("abort", onAbort, { once: true }));
  return { signal: controller.signal, dispose };
}
