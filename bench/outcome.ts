/**
 * Measuring the workloads: every row's series for every runner (an identical series
 * asked for twice, like W2 and W6's first row, is measured once), their values in
 * the row's metric, and the target's verdict.
 */

import { type Estimate, exact, median, reciprocal } from "./estimate.js";
import { measureSeries, type SeriesResult } from "./measure.js";
import { RUNNERS, type RunnerName } from "./runners/types.js";
import type { Settings } from "./settings.js";
import { type Verdict, verdict } from "./targets.js";
import { type SeriesTask, unitOf } from "./task.js";
import type { MeasuredRow, RowSpec, TargetUnit, Workload } from "./workloads.js";

export interface TargetOutcome {
  readonly text: string;
  readonly value: Estimate | undefined;
  readonly unit: TargetUnit;
  readonly verdict: Verdict;
}

export interface WorkloadOutcome {
  readonly workload: Workload;
  readonly rows: readonly MeasuredRow[];
  readonly target: TargetOutcome | undefined;
}

/**
 * A series' duration in ms. For a series that ran out of time: a lower bound, the
 * median of every sample it took (the warm-up included) and of the time the
 * unfinished one had run.
 */
function durationOf(result: SeriesResult): Estimate | undefined {
  switch (result.status) {
    case "ok":
      return exact(result.median);
    case "timeout": {
      const seen = [...(result.warmup === undefined ? [] : [result.warmup]), ...result.samples];
      return { value: median([...seen, result.unfinishedAfterMs]), bound: "atLeast" };
    }
    case "failed":
      return undefined;
  }
}

/** A series' value in the row's metric. */
export function rowValue(row: RowSpec, result: SeriesResult): Estimate | undefined {
  switch (row.metric) {
    case "ms":
      return durationOf(result);
    case "exec/s":
      return reciprocal(durationOf(result), row.executions * 1000);
    case "bytes":
      if (result.status === "ok") return exact(result.median);
      return result.status === "timeout" && result.samples.length > 0 ? exact(median(result.samples)) : undefined;
  }
}

function progress(result: SeriesResult, unit: "ms" | "bytes"): string {
  const fmt = (v: number) => (unit === "ms" ? `${v.toFixed(1)} ms` : `${Math.round(v)} B`);
  switch (result.status) {
    case "ok":
      return `median ${fmt(result.median)} (warm-up ${fmt(result.warmup)}; ${result.samples.map(fmt).join(", ")})`;
    case "timeout":
      return `TIMEOUT after ${result.budgetMs / 1000} s (${result.samples.length} timed samples finished)`;
    case "failed":
      return `FAILED: ${result.message.split("\n")[0]}`;
  }
}

/** Stable key of a task (`Infinity` and `undefined` limits kept apart). */
const keyOf = (task: SeriesTask): string =>
  JSON.stringify(task, (_key, value: unknown) => (value === Number.POSITIVE_INFINITY ? "Infinity" : value));

export async function measureWorkloads(
  selected: readonly Workload[],
  settings: Settings,
  log: (line: string) => void,
): Promise<WorkloadOutcome[]> {
  const measured = new Map<string, SeriesResult>();
  const measure = async (task: SeriesTask, label: string): Promise<SeriesResult> => {
    const key = keyOf(task);
    const known = measured.get(key);
    if (known !== undefined) {
      log(`  ${label} … (measured above)`);
      return known;
    }
    const result = await measureSeries({ task, runs: settings.runs }, settings.timeoutSeconds * 1000);
    log(`  ${label} … ${progress(result, unitOf(task))}`);
    measured.set(key, result);
    return result;
  };

  const outcomes: WorkloadOutcome[] = [];
  for (const workload of selected) {
    const rows: MeasuredRow[] = [];
    for (const spec of workload.rows) {
      const series = {} as Record<RunnerName, SeriesResult>;
      for (const runner of RUNNERS) {
        series[runner] = await measure(spec.task(runner), `${workload.id} ${spec.label} / ${runner}`);
      }
      const values = {} as Record<RunnerName, Estimate | undefined>;
      for (const runner of RUNNERS) values[runner] = rowValue(spec, series[runner]);
      rows.push({ spec, series, values });
    }
    const target = workload.target;
    const value = target?.measure(rows);
    outcomes.push({
      workload,
      rows,
      target: target && { text: target.text, value, unit: target.unit, verdict: verdict(value, target.range) },
    });
  }
  return outcomes;
}

interface SeriesEntry {
  readonly workload: Workload;
  readonly spec: RowSpec;
  readonly runner: RunnerName;
  readonly result: SeriesResult;
}

/** Every distinct series once (a series shared by two rows is listed under the first). */
function* eachSeries(outcomes: readonly WorkloadOutcome[]): Generator<SeriesEntry> {
  const seen = new Set<SeriesResult>();
  for (const { workload, rows } of outcomes) {
    for (const { spec, series } of rows) {
      for (const runner of RUNNERS) {
        const result = series[runner];
        if (seen.has(result)) continue;
        seen.add(result);
        yield { workload, spec, runner, result };
      }
    }
  }
}

/** Series that failed (errors, or checks that did not hold): these make the run fail. */
export function failuresOf(outcomes: readonly WorkloadOutcome[]): string[] {
  const failures: string[] = [];
  for (const { workload, spec, runner, result } of eachSeries(outcomes)) {
    if (result.status === "failed") failures.push(`${workload.id} ${spec.label} / ${runner}: ${result.message}`);
  }
  return failures;
}

/** Series that ran out of time (reported as bounds, not failures). */
export function timeoutsOf(outcomes: readonly WorkloadOutcome[]): string[] {
  const timeouts: string[] = [];
  for (const { workload, spec, runner, result } of eachSeries(outcomes)) {
    if (result.status !== "timeout") continue;
    const running = (result.unfinishedAfterMs / 1000).toFixed(1);
    timeouts.push(
      `${workload.id} ${spec.label} / ${runner}: stopped after ${result.budgetMs / 1000} s ` +
        `(${result.samples.length} timed samples done; the one in progress had run ${running} s)`,
    );
  }
  return timeouts;
}
