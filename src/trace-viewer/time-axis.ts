/**
 * The time axis of the timeline: a tick interval a person would choose (1, 2, 5 ×10ⁿ
 * ms; then 1, 2, 5, 10, 15, 30 s; minutes and hours alike), and short duration labels.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Candidate tick intervals, ascending. */
const STEPS: readonly number[] = [
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  200,
  500,
  ...[1, 2, 5, 10, 15, 30].map((n) => n * SECOND),
  ...[1, 2, 5, 10, 15, 30].map((n) => n * MINUTE),
  ...[1, 2, 3, 6, 12, 24].map((n) => n * HOUR),
];

/**
 * Tick positions (ms) from 0 to at least `durationMs`, about `target` of them.
 *
 * @example
 * axisTicks(1023); // [0, 200, 400, 600, 800, 1000, 1200]
 * axisTicks(0); // [0, 1]
 */
export function axisTicks(durationMs: number, target = 8): number[] {
  const span = Math.max(durationMs, 1);
  const wanted = span / target;
  let step = STEPS.find((s) => s >= wanted);
  if (step === undefined) step = 24 * HOUR * 10 ** Math.ceil(Math.log10(wanted / (24 * HOUR)));
  const ticks: number[] = [];
  for (let t = 0; t < span + step; t += step) {
    ticks.push(t);
    if (t >= span) break;
  }
  return ticks;
}

/**
 * A duration, short: `0 ms`, `0.4 ms`, `250 ms`, `1.5 s`, `2 min 5 s`, `1 h 30 min`.
 *
 * @example
 * formatMs(1023); // "1.02 s"
 * formatMs(125_000); // "2 min 5 s"
 */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const abs = Math.abs(ms);
  if (abs < 10 && !Number.isInteger(ms)) return `${trim(ms.toFixed(1))} ms`;
  if (abs < SECOND) return `${Math.round(ms)} ms`;
  if (abs < MINUTE) return `${trim((ms / SECOND).toFixed(abs < 10 * SECOND ? 2 : 1))} s`;
  if (abs < HOUR) return compound(ms, MINUTE, "min", SECOND, "s");
  return compound(ms, HOUR, "h", MINUTE, "min");
}

function compound(ms: number, big: number, bigUnit: string, small: number, smallUnit: string): string {
  const sign = ms < 0 ? "-" : "";
  const total = Math.round(Math.abs(ms) / small);
  const per = big / small;
  const major = Math.floor(total / per);
  const minor = total % per;
  return minor === 0 ? `${sign}${major} ${bigUnit}` : `${sign}${major} ${bigUnit} ${minor} ${smallUnit}`;
}

/** `1.50` → `1.5`, `2.00` → `2`. */
function trim(fixed: string): string {
  return fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
}
