import { describe, expect, it } from "vitest";
import { axisTicks, formatMs } from "../../src/trace-viewer/time-axis.js";

describe("axisTicks", () => {
  it("picks a round interval and covers the whole run", () => {
    expect(axisTicks(1023)).toEqual([0, 200, 400, 600, 800, 1000, 1200]);
    expect(axisTicks(257)).toEqual([0, 50, 100, 150, 200, 250, 300]);
    expect(axisTicks(0)).toEqual([0, 1]);
    expect(axisTicks(90_000)).toEqual([0, 15_000, 30_000, 45_000, 60_000, 75_000, 90_000]);
  });

  it("stays about `target` ticks long, even for days", () => {
    for (const ms of [3, 77, 4_321, 600_000, 7 * 86_400_000, 400 * 86_400_000]) {
      const ticks = axisTicks(ms);
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      expect(ticks.length).toBeLessThanOrEqual(10);
      expect(ticks.at(-1)).toBeGreaterThanOrEqual(ms);
    }
  });
});

describe("formatMs", () => {
  it.each([
    [0, "0 ms"],
    [0.4, "0.4 ms"],
    [250, "250 ms"],
    [1000, "1 s"],
    [1023, "1.02 s"],
    [12_500, "12.5 s"],
    [60_000, "1 min"],
    [125_000, "2 min 5 s"],
    [5_400_000, "1 h 30 min"],
  ])("%d ms → %s", (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });
});
