/**
 * Measured numbers that may be only bounds: a series that ran out of time gives a
 * lower bound on its duration (so an upper bound on its throughput), and every
 * derived number keeps track of which way it is bounded.
 */

/** `exact`: a measured median; `atLeast` / `atMost`: the true value is at least / at most `value`. */
export type Bound = "exact" | "atLeast" | "atMost";

export interface Estimate {
  readonly value: number;
  readonly bound: Bound;
}

export const exact = (value: number): Estimate => ({ value, bound: "exact" });

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const flipped: Readonly<Record<Bound, Bound>> = { exact: "exact", atLeast: "atMost", atMost: "atLeast" };

/** The bound of a product of two positive numbers bounded `a` and `b`; undefined if they pull apart. */
function combine(a: Bound, b: Bound): Bound | undefined {
  if (a === "exact") return b;
  if (b === "exact" || b === a) return a;
  return undefined;
}

/** `e × factor` for a positive factor. */
export function scaled(e: Estimate | undefined, factor: number): Estimate | undefined {
  return e && { value: e.value * factor, bound: e.bound };
}

/** `numerator / e` for a positive numerator (a lower bound becomes an upper bound). */
export function reciprocal(e: Estimate | undefined, numerator = 1): Estimate | undefined {
  if (e === undefined || e.value <= 0) return undefined;
  return { value: numerator / e.value, bound: flipped[e.bound] };
}

/** `a / b`, bounded as far as the bounds of `a` and `b` allow; undefined when unknown. */
export function ratio(a: Estimate | undefined, b: Estimate | undefined): Estimate | undefined {
  const inverse = reciprocal(b);
  if (a === undefined || inverse === undefined) return undefined;
  const bound = combine(a.bound, inverse.bound);
  return bound && { value: a.value * inverse.value, bound };
}
