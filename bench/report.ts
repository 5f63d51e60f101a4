/**
 * The printed report: one row per measured row of every workload, with each
 * runner's value, the engine's ratios to the others, and the workload's target
 * (on its last row); then W6's per-step scaling.
 */

import { type Estimate, ratio, scaled } from "./estimate.js";
import type { TargetOutcome, WorkloadOutcome } from "./outcome.js";
import { RUNNERS } from "./runners/types.js";
import type { MeasuredRow, Metric, TargetUnit } from "./workloads.js";

function num(value: number, digits: number): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const prefix = (e: Estimate): string => (e.bound === "atLeast" ? "> " : e.bound === "atMost" ? "< " : "");

function cell(e: Estimate | undefined, format: (value: number) => string): string {
  return e === undefined ? "—" : `${prefix(e)}${format(e.value)}`;
}

const FORMATS: Readonly<Record<Metric, (value: number) => string>> = {
  ms: (v) => `${num(v, v < 100 ? 2 : v < 10_000 ? 1 : 0)} ms`,
  "exec/s": (v) => `${num(v, 0)} exec/s`,
  bytes: (v) => `${num(v / 1024, 1)} KiB`,
};

const times = (v: number): string => `${num(v, 2)}×`;

const TARGET_FORMATS: Readonly<Record<TargetUnit, (value: number) => string>> = {
  "×": times,
  "%": (v) => `${v >= 0 ? "+" : ""}${num(v, 1)} %`,
  ms: (v) => `${num(v, 0)} ms`,
};

const targetValue = (target: TargetOutcome): string => cell(target.value, TARGET_FORMATS[target.unit]);

function table(header: readonly string[], rows: readonly (readonly string[])[], leftColumns = 1): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((text, c) => (c < leftColumns ? text.padEnd(widths[c]!) : text.padStart(widths[c]!)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function rowCells(row: MeasuredRow): string[] {
  const { engine, plain } = row.values;
  const pGraph = row.values["p-graph"];
  const format = FORMATS[row.spec.metric];
  return [
    row.spec.label,
    cell(engine, format),
    cell(plain, format),
    cell(pGraph, format),
    cell(ratio(engine, plain), times),
    cell(ratio(engine, pGraph), times),
  ];
}

export function resultsTable(outcomes: readonly WorkloadOutcome[]): string {
  const header = [
    "ID",
    "Workload",
    "Engine",
    "Plain",
    "p-graph",
    "Eng/plain",
    "Eng/p-graph",
    "Target",
    "Value",
    "Verdict",
  ];
  const rows: string[][] = [];
  for (const { workload, rows: measured, target } of outcomes) {
    measured.forEach((row, i) => {
      const last = i === measured.length - 1;
      const targetCells = !last
        ? ["", "", ""]
        : target === undefined
          ? ["(report only)", "", ""]
          : [target.text, targetValue(target), target.verdict];
      rows.push([i === 0 ? workload.id : "", ...rowCells(row), ...targetCells]);
    });
  }
  return table(header, rows, 2);
}

/** W6: each runner's µs per step at both widths and the ratio of total times. */
export function scalingTable(outcome: WorkloadOutcome): string {
  const [small, large] = outcome.rows;
  if (small === undefined || large === undefined) return "";
  const perStep = (row: MeasuredRow, e: Estimate | undefined) => scaled(e, 1000 / row.spec.steps);
  const us = (v: number) => num(v, 2);
  return table(
    ["Runner", `µs/step, ${small.spec.label}`, `µs/step, ${large.spec.label}`, "Total time ratio"],
    RUNNERS.map((runner) => {
      const a = small.values[runner];
      const b = large.values[runner];
      return [runner, cell(perStep(small, a), us), cell(perStep(large, b), us), cell(ratio(b, a), times)];
    }),
  );
}
