// The time seam: ManualClock must behave like time passing (timers in due order, never backwards),
// and systemClock's timers must really fire, and really stop when cancelled.
import { describe, expect, it } from "vitest";
import { ManualClock, systemClock } from "../../src/container/clock.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("ManualClock", () => {
  it("starts at the time it is given, as a number or a Date, and moves only when told", () => {
    expect(new ManualClock(1_000).now()).toBe(1_000);
    const clock = new ManualClock(new Date("2026-01-01T00:00:00.000Z"));
    expect(clock.now()).toBe(Date.parse("2026-01-01T00:00:00.000Z"));
    clock.advance(250);
    expect(clock.now()).toBe(Date.parse("2026-01-01T00:00:00.250Z"));
  });

  it("fires the timers that fall due on advance, earliest first, those due together in the order set, each at its due time", () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    const at = (name: string) => () => fired.push(`${name}@${clock.now()}`);
    clock.setTimer(300, at("c"));
    clock.setTimer(100, at("a"));
    clock.setTimer(200, at("b1"));
    clock.setTimer(200, at("b2"));
    clock.setTimer(1_000, at("later"));
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(201);
    expect(fired).toEqual(["a@100", "b1@200", "b2@200", "c@300"]);
    expect(clock.now()).toBe(300);
    clock.advance(700);
    expect(fired.at(-1)).toBe("later@1000");
  });

  it("fires within the same advance a timer that a firing timer sets, when it falls due in time", () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    clock.setTimer(10, () => {
      fired.push(clock.now());
      clock.setTimer(10, () => fired.push(clock.now()));
    });
    clock.advance(25);
    expect(fired).toEqual([10, 20]);
  });

  it("does not fire a cancelled timer, and cancelling twice is harmless", () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    const cancel = clock.setTimer(50, () => fired.push("cancelled"));
    clock.setTimer(50, () => fired.push("kept"));
    cancel();
    cancel();
    clock.advance(100);
    expect(fired).toEqual(["kept"]);
  });

  it("set moves to a time, firing what falls due, and refuses to go backwards", () => {
    const clock = new ManualClock(1_000);
    const fired: number[] = [];
    clock.setTimer(500, () => fired.push(clock.now()));
    clock.set(new Date(2_000));
    expect(fired).toEqual([1_500]);
    expect(clock.now()).toBe(2_000);
    clock.set(2_000);
    expect(() => clock.set(1_999)).toThrow(RangeError);
    expect(clock.now()).toBe(2_000);
  });

  it("refuses to advance by a negative or non-finite amount", () => {
    const clock = new ManualClock(0);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
    expect(() => clock.advance(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(clock.now()).toBe(0);
  });
});

// Real timers on purpose: what is under test is that systemClock drives setTimeout.
describe("systemClock", () => {
  it("reads the wall clock", () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it("fires a timer once its time has passed", async () => {
    const started = Date.now();
    const firedAt = await new Promise<number>((resolve) => systemClock.setTimer(20, () => resolve(Date.now())));
    // setTimeout may fire up to a millisecond early by Date.now()'s rounding.
    expect(firedAt - started).toBeGreaterThanOrEqual(19);
  });

  it("does not fire a cancelled timer", async () => {
    let fired = false;
    const cancel = systemClock.setTimer(10, () => {
      fired = true;
    });
    cancel();
    await sleep(50);
    expect(fired).toBe(false);
  });
});
