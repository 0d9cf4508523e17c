// Long-poll support: a route that may hold its answer (`?wait=`) waits here until the resource it
// reads changes, its wait runs out, or the platform closes.

/** Wakes the long-polls waiting on a resource when it changes. */
export class Changes {
  readonly #waiters = new Map<string, Set<() => void>>();
  #closed = false;

  /** Resolves when `id` changes (see {@link Changes.notify}), after `ms`, or when the platform closes. */
  wait(id: string, ms: number): Promise<void> {
    if (this.#closed || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const set = this.#waiters.get(id) ?? new Set();
      this.#waiters.set(id, set);
      const done = (): void => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.#waiters.get(id) === set) this.#waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  /** Waits on `id` until `done()` says so, at most `ms` in all (or until the platform closes). */
  async waitUntil(id: string, ms: number, done: () => boolean): Promise<void> {
    const until = Date.now() + ms;
    while (!this.#closed && !done()) {
      const left = until - Date.now();
      if (left <= 0) return;
      await this.wait(id, left);
    }
  }

  /**
   * A long-poll's answer: `read()` once `done` says the resource finished, or when `waitSeconds`
   * (absent or 0: no wait) run out, whichever comes first.
   */
  async hold<T>(id: string, waitSeconds: number | undefined, read: () => T, done: (value: T) => boolean): Promise<T> {
    const first = read();
    if (!waitSeconds || done(first)) return first;
    await this.waitUntil(id, waitSeconds * 1000, () => done(read()));
    return read();
  }

  /** Wakes everything waiting on `id`. */
  notify(id: string): void {
    for (const done of [...(this.#waiters.get(id) ?? [])]) done();
  }

  /** Wakes every waiter, and makes later waits return at once. */
  close(): void {
    this.#closed = true;
    for (const set of [...this.#waiters.values()]) for (const done of [...set]) done();
  }
}
