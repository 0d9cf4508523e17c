/**
 * Time, as a seam. The SDK's token manager and secrets cache, and every local-platform store,
 * read the time through a `Clock` instead of `Date.now()`, so tests of TTLs, leases and expiry
 * move a {@link ManualClock} forward instead of sleeping on the wall clock.
 */
export interface Clock {
  /** Milliseconds since the epoch, like `Date.now()`. */
  now(): number;
  /**
   * Calls `fn` once `ms` milliseconds have passed on this clock; returns a function that cancels
   * it. The system clock's timers never keep the process alive.
   */
  setTimer(ms: number, fn: () => void): () => void;
}

// setTimeout takes at most 2^31 - 1 ms (about 24.8 days); Node turns anything longer into 1 ms.
const MAX_TIMER_MS = 2_147_483_647;

/** The real clock: `Date.now()` and unref'd `setTimeout`s. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    let timer: NodeJS.Timeout;
    let cancelled = false;
    // A wait past setTimeout's limit is taken in steps, so a far-off timer never fires early.
    const arm = (left: number): void => {
      const step = Math.min(Math.max(0, left), MAX_TIMER_MS);
      const due = Date.now() + left;
      timer = setTimeout(() => {
        if (cancelled) return;
        if (left > MAX_TIMER_MS) arm(due - Date.now());
        else fn();
      }, step);
      timer.unref();
    };
    arm(ms);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  },
};

/**
 * A clock that moves only when told to: `advance(ms)` fires, in order, every timer that falls
 * due. For tests.
 *
 * @example
 * const clock = new ManualClock();
 * const platform = await startTestPlatform({ clock });
 * await flow.state.set("k", 1, { ttlSeconds: 60 });
 * clock.advance(60_000);              // the key has expired, no sleep needed
 */
export class ManualClock implements Clock {
  #now: number;
  #timers: Array<{ due: number; seq: number; fn: () => void }> = [];
  #seq = 0;

  /** Starts at `start` (ms since the epoch). @default the real time now */
  constructor(start: number | Date = Date.now()) {
    this.#now = start instanceof Date ? start.getTime() : start;
  }

  /** The clock's time in ms since the epoch. */
  now(): number {
    return this.#now;
  }

  /** Runs `fn` once the clock has been advanced by `ms`; returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void {
    const timer = { due: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Moves the clock forward by `ms`, firing every timer that falls due on the way, earliest first. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`ManualClock.advance: ms must be a finite number ≥ 0, got ${ms}`);
    const target = this.#now + ms;
    for (;;) {
      const next = this.#timers.filter((t) => t.due <= target).sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = Math.max(this.#now, next.due);
      next.fn();
    }
    this.#now = target;
  }

  /** Sets the clock to `time` (never backwards), firing the timers due by then. */
  set(time: number | Date): void {
    const target = time instanceof Date ? time.getTime() : time;
    if (target < this.#now) throw new RangeError("ManualClock.set: a clock does not go backwards");
    this.advance(target - this.#now);
  }
}
