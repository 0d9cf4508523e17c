import { describe, expect, it } from "vitest";
import { PagePromise, type PageData } from "../src/index.js";

function pager(items: number[], size: number) {
  const calls: Array<string | undefined> = [];
  const fetch = async (cursor: string | undefined): Promise<PageData<number>> => {
    calls.push(cursor);
    const start = cursor === undefined ? 0 : Number(cursor);
    const end = start + size;
    return { data: items.slice(start, end), nextCursor: end < items.length ? String(end) : null };
  };
  return { fetch, calls };
}

describe("PagePromise", () => {
  it("resolves to the first page when awaited", async () => {
    const { fetch, calls } = pager([1, 2, 3, 4, 5], 2);
    const page = await new PagePromise(fetch);
    expect(page.data).toEqual([1, 2]);
    expect(page.nextCursor).toBe("2");
    expect(page.hasNextPage()).toBe(true);
    expect(calls).toEqual([undefined]);
  });

  it("yields every item of every page with for await, fetching page by page", async () => {
    const { fetch, calls } = pager([1, 2, 3, 4, 5], 2);
    const seen: number[] = [];
    for await (const item of new PagePromise(fetch)) seen.push(item);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(calls).toEqual([undefined, "2", "4"]);
  });

  it("walks pages with getNextPage and pages()", async () => {
    const { fetch } = pager([1, 2, 3], 2);
    const first = await new PagePromise(fetch);
    const second = await first.getNextPage();
    expect(second?.data).toEqual([3]);
    expect(second?.hasNextPage()).toBe(false);
    expect(await second?.getNextPage()).toBeNull();
    const sizes: number[] = [];
    for await (const page of first.pages()) sizes.push(page.data.length);
    expect(sizes).toEqual([2, 1]);
  });

  it("stops early without fetching further pages when the loop breaks", async () => {
    const { fetch, calls } = pager([1, 2, 3, 4, 5], 2);
    for await (const item of new PagePromise(fetch)) if (item === 1) break;
    expect(calls).toEqual([undefined]);
  });

  it("rejects both ways when the first page fails", async () => {
    const failing = () => Promise.reject(new Error("boom"));
    await expect(new PagePromise<number>(failing)).rejects.toThrow("boom");
    const iterate = async () => {
      for await (const _ of new PagePromise<number>(failing)) void _;
    };
    await expect(iterate()).rejects.toThrow("boom");
  });
});
