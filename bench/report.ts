/**
 * Turning measured series into numbers (with lower bounds for series that ran out
 * of time), the printed table, and the JSON written to bench/results/latest.json.
 */

import type { DagSpec } from "./dags.js";
import { median, type SeriesResult } from "./measure.js";
import type { RunnerName } from "./runners.js";

export interface Workload {
  readonly id: string;
  readonly label: string;
  readonly mode: "execute" | "plan";
  readonly dag: DagSpec;
  readonly steps: number;
}

export interface WorkloadResult {
  readonly workload: Workload;
  readonly series: Readonly<Record<RunnerName, SeriesResult>>;
}

/** A measured value, or (`atLeast`) a lower bound when the series ran out of time. */
export interface Estimate {
  readonly value: number;
  readonly atLeast: boolean;
}

export const RUNNERS: readonly RunnerName[] = ["engine", "plain", "p-graph"];

/** The median of the timed runs; for a series that timed out, the best lower bound known. */
export function timeOf(result: SeriesResult): Estimate | undefined {
  switch (result.status) {
    case "ok":
      return { value: result.medianMs, atLeast: false };
    case "timeout":
      return result.finishedMs.length > 0
        ? { value: median(result.finishedMs), atLeast: false }
        : { value: result.unfinishedAfterMs, atLeast: true };
    case "failed":
      return undefined;
  }
}

export function perStepUs(result: SeriesResult, steps: number): Estimate | undefined {
  const time = timeOf(result);
  return time && { value: (time.value * 1000) / steps, atLeast: time.atLeast };
}

/** `a / b`, a lower bound if `a` is one; undefined if `b` is only a bound (or either is missing). */
export function ratio(a: Estimate | undefined, b: Estimate | undefined): Estimate | undefined {
  if (a === undefined || b === undefined || b.atLeast || b.value === 0) return undefined;
  return { value: a.value / b.value, atLeast: a.atLeast };
}

// ---------------------------------------------------------------------------------
// Text

function num(value: number, digits: number): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function cell(estimate: Estimate | undefined, digits: number, suffix = ""): string {
  if (estimate === undefined) return "—";
  return `${estimate.atLeast ? "> " : ""}${num(estimate.value, digits)}${suffix}`;
}

function seriesCell(result: SeriesResult): string {
  if (result.status === "failed") return "FAILED";
  const text = cell(timeOf(result), 2);
  return result.status === "timeout" ? `${text} (timeout)` : text;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((text, c) => (c === 0 ? text.padEnd(widths[c]!) : text.padStart(widths[c]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function resultsTable(results: readonly WorkloadResult[]): string {
  const header = [
    "Workload",
    "Steps",
    "Engine ms",
    "µs/step",
    "Plain ms",
    "p-graph ms",
    "Engine/plain",
    "Engine/p-graph",
  ];
  const rows = results.map(({ workload, series }) => {
    const engine = timeOf(series.engine);
    return [
      workload.label,
      num(workload.steps, 0),
      seriesCell(series.engine),
      cell(perStepUs(series.engine, workload.steps), 2),
      seriesCell(series.plain),
      seriesCell(series["p-graph"]),
      cell(ratio(engine, timeOf(series.plain)), 1, "×"),
      cell(ratio(engine, timeOf(series["p-graph"])), 1, "×"),
    ];
  });
  return table(header, rows);
}

export interface Scaling {
  readonly runner: RunnerName;
  readonly small: Estimate | undefined;
  readonly large: Estimate | undefined;
  /** µs/step at the large size ÷ µs/step at the small size: 1 is linear, 10 would be quadratic. */
  readonly ratio: Estimate | undefined;
}

export function scaling(small: WorkloadResult, large: WorkloadResult): Scaling[] {
  return RUNNERS.map((runner) => {
    const a = perStepUs(small.series[runner], small.workload.steps);
    const b = perStepUs(large.series[runner], large.workload.steps);
    return { runner, small: a, large: b, ratio: ratio(b, a) };
  });
}

export function scalingTable(rows: readonly Scaling[], smallLabel: string, largeLabel: string): string {
  return table(
    ["Runner", `µs/step ${smallLabel}`, `µs/step ${largeLabel}`, "Ratio (1.0 = linear)"],
    rows.map((s) => [s.runner, cell(s.small, 2), cell(s.large, 2), cell(s.ratio, 2, "×")]),
  );
}
