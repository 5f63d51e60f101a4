/**
 * Targets are reported, never asserted: a measured number is checked against a
 * range and found MET or MISSED, or UNKNOWN when it is missing or only a bound
 * that cannot decide (e.g. "more than 1.5×" against "≤ 2×").
 */

import type { Estimate } from "./estimate.js";

export type Verdict = "MET" | "MISSED" | "UNKNOWN";

/** Accepted values: `min ≤ v`, `v ≤ max`, `v < below` (any combination). */
export interface Range {
  readonly min?: number;
  readonly max?: number;
  readonly below?: number;
}

const aboveMin = (range: Range, v: number): boolean => range.min === undefined || v >= range.min;
const underMax = (range: Range, v: number): boolean =>
  (range.max === undefined || v <= range.max) && (range.below === undefined || v < range.below);
const hasUpperLimit = (range: Range): boolean => range.max !== undefined || range.below !== undefined;

export function verdict(estimate: Estimate | undefined, range: Range): Verdict {
  if (estimate === undefined) return "UNKNOWN";
  const { value, bound } = estimate;
  const inside = aboveMin(range, value) && underMax(range, value);
  switch (bound) {
    case "exact":
      return inside ? "MET" : "MISSED";
    case "atLeast":
      // The true value is value or more: too big already, or only a lower limit and reached.
      if (!underMax(range, value)) return "MISSED";
      return !hasUpperLimit(range) && aboveMin(range, value) ? "MET" : "UNKNOWN";
    case "atMost":
      if (!aboveMin(range, value)) return "MISSED";
      return range.min === undefined && underMax(range, value) ? "MET" : "UNKNOWN";
  }
}
