/** One page of a list as the platform sends it. */
export interface PageData<T> {
  /** The items of this page. */
  data: T[];
  /** Cursor of the next page, or `null` on the last page. */
  nextCursor: string | null;
}

/** Fetches the page that starts at `cursor` (`undefined` for the first page). */
export type PageFetcher<T> = (cursor: string | undefined) => Promise<PageData<T>>;

/** A page of results; `for await` over it yields its items and those of every later page. */
export class Page<T> implements AsyncIterable<T> {
  /** The items of this page. */
  readonly data: T[];
  /** Cursor of the next page, or `null` on the last page. */
  readonly nextCursor: string | null;
  readonly #fetch: PageFetcher<T>;

  /** Wraps a fetched page; `fetch` loads the following ones. */
  constructor(page: PageData<T>, fetch: PageFetcher<T>) {
    this.data = page.data;
    this.nextCursor = page.nextCursor;
    this.#fetch = fetch;
  }

  /** True when another page follows this one. */
  hasNextPage(): boolean {
    return this.nextCursor !== null;
  }

  /** Fetches the next page, or resolves to `null` on the last page. */
  async getNextPage(): Promise<Page<T> | null> {
    if (this.nextCursor === null) return null;
    return new Page(await this.#fetch(this.nextCursor), this.#fetch);
  }

  /** Yields the items of this page, then of each later page, fetching one page at a time. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    let page: Page<T> | null = this;
    while (page) {
      yield* page.data;
      page = await page.getNextPage();
    }
  }

  /** Yields whole pages, starting with this one. */
  async *pages(): AsyncGenerator<Page<T>> {
    let page: Page<T> | null = this;
    while (page) {
      yield page;
      page = await page.getNextPage();
    }
  }
}

/**
 * What a list method returns: await it for the first page, or iterate it with `for await` for
 * every item, page by page.
 *
 * @example
 * const first = await flow.audit.list({ limit: 10 });   // Page: first.data, first.nextCursor
 * for await (const event of flow.audit.list()) { ... }  // every event
 */
export class PagePromise<T> implements PromiseLike<Page<T>>, AsyncIterable<T> {
  readonly #first: Promise<Page<T>>;

  /** Starts fetching the first page at once, like any promise. */
  constructor(fetch: PageFetcher<T>) {
    this.#first = fetch(undefined).then((page) => new Page(page, fetch));
    // A caller that only iterates still sees the rejection through the iterator; this keeps an
    // unobserved first page from becoming an unhandled rejection in the meantime.
    this.#first.catch(() => undefined);
  }

  /** Resolves to the first page. */
  then<R1 = Page<T>, R2 = never>(
    onFulfilled?: ((page: Page<T>) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#first.then(onFulfilled, onRejected);
  }

  /** Handles a failure to fetch the first page. */
  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<Page<T> | R> {
    return this.#first.catch(onRejected);
  }

  /** Yields every item of every page. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    yield* await this.#first;
  }
}
