/**
 * The JSON written to bench/results/latest.json: settings, environment, and per
 * workload every row's raw series, values and ratios, and the target's verdict.
 */

import { cpus } from "node:os";
import { type Estimate, ratio } from "./estimate.js";
import type { WorkloadOutcome } from "./outcome.js";
import { RUNNERS } from "./runners/types.js";
import type { Settings } from "./settings.js";
import type { MeasuredRow } from "./workloads.js";

/** Estimates as JSON (`null` when unknown); `Infinity` limits as "unbounded". */
const json = (e: Estimate | undefined) => e ?? null;
const limitJson = (limit: number | undefined) =>
  limit === undefined ? "runner default" : Number.isFinite(limit) ? limit : "unbounded";

export function environment() {
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
  };
}

function rowJson(row: MeasuredRow) {
  const { spec, values } = row;
  const engineTask = spec.task("engine");
  return {
    key: spec.key,
    label: spec.label,
    metric: spec.metric,
    steps: spec.steps,
    executions: spec.executions,
    task: {
      ...engineTask,
      runner: undefined,
      parallelLimit: "parallelLimit" in engineTask ? limitJson(engineTask.parallelLimit) : undefined,
    },
    values: Object.fromEntries(RUNNERS.map((runner) => [runner, json(values[runner])])),
    ratios: {
      engineToPlain: json(ratio(values.engine, values.plain)),
      engineToPGraph: json(ratio(values.engine, values["p-graph"])),
    },
    series: row.series,
  };
}

export function resultsJson(
  outcomes: readonly WorkloadOutcome[],
  settings: Settings,
  failures: readonly string[],
  timeouts: readonly string[],
) {
  return {
    generatedAt: new Date().toISOString(),
    environment: environment(),
    settings: {
      runs: settings.runs,
      warmupRuns: 1,
      timeoutSeconds: settings.timeoutSeconds,
      parallelLimitW1W3W6: limitJson(settings.parallelLimit),
      quick: settings.quick,
    },
    notes: [
      "values: ms = median of the timed runs; exec/s = executions ÷ median batch time; bytes = median heap bytes per in-flight execution",
      "bound: exact, or atLeast/atMost for series stopped at their time budget",
      "ratios: engine ÷ other in the row's metric",
      "series: raw samples in ms (for exec/s rows, ms per batch of executions) or, for bytes rows, bytes",
    ],
    workloads: outcomes.map(({ workload, rows, target }) => ({
      id: workload.id,
      title: workload.title,
      method: workload.method,
      target: target && {
        text: target.text,
        value: json(target.value),
        unit: target.unit,
        verdict: target.verdict,
      },
      rows: rows.map(rowJson),
    })),
    failures,
    timeouts,
  };
}
