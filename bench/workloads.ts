/**
 * The workloads W1–W8: what each measures for every runner (one or more rows of
 * series) and the target it is checked against. Steps are no-ops returning a small
 * object unless said otherwise, so the numbers measure orchestration.
 */

import { type DagSpec, stepCount } from "./dags.js";
import { type Estimate, ratio } from "./estimate.js";
import type { SeriesResult } from "./measure.js";
import type { ParallelLimit, RunnerName } from "./runners/types.js";
import type { Settings, WorkloadId } from "./settings.js";
import type { Range } from "./targets.js";
import type { SeriesTask, StepWork } from "./task.js";

/** What a row's numbers are: median ms, executions per second, or heap bytes per in-flight execution. */
export type Metric = "ms" | "exec/s" | "bytes";

export interface RowSpec {
  /** Stable key within the workload, e.g. `fan-out-10000`. */
  readonly key: string;
  readonly label: string;
  readonly metric: Metric;
  /** Steps of one execution. */
  readonly steps: number;
  /** Executions per sample (1 unless the row measures many). */
  readonly executions: number;
  readonly task: (runner: RunnerName) => SeriesTask;
}

/** A row once measured: every runner's series and its value in the row's metric. */
export interface MeasuredRow {
  readonly spec: RowSpec;
  readonly series: Readonly<Record<RunnerName, SeriesResult>>;
  readonly values: Readonly<Record<RunnerName, Estimate | undefined>>;
}

/** A ratio, a deviation in percent, or a duration. */
export type TargetUnit = "×" | "%" | "ms";

export interface Target {
  /** e.g. "engine/p-graph ≤ 2×". */
  readonly text: string;
  /** The number the target is about, in `unit`. */
  readonly measure: (rows: readonly MeasuredRow[]) => Estimate | undefined;
  readonly unit: TargetUnit;
  readonly range: Range;
}

export interface Workload {
  readonly id: WorkloadId;
  readonly title: string;
  /** How the rows are measured, for the printed notes. */
  readonly method: string;
  readonly rows: readonly RowSpec[];
  readonly target: Target | undefined;
}

// ---------------------------------------------------------------------------------

const NOOP: StepWork = { kind: "noop" };
const SLEEP_MS = 100;
const LAYERED_SEED = 0x5eed;
/** W5 and W8: a 10-step diamond, 1 → 8 → 1. */
const DIAMOND: DagSpec = { shape: "fan-out", width: 8 };

const n = (value: number): string => value.toLocaleString("en-US");

/** A row timing compile + execute of a fresh definition per run. */
function executeRow(key: string, label: string, dag: DagSpec, work: StepWork, parallelLimit: ParallelLimit): RowSpec {
  return {
    key,
    label,
    metric: "ms",
    steps: stepCount(dag),
    executions: 1,
    task: (runner) => ({ kind: "execute", runner, dag, work, parallelLimit }),
  };
}

const engineValue = (row: MeasuredRow | undefined): Estimate | undefined => row?.values.engine;

/** Target on the first row: the engine's value ÷ another runner's. */
function engineTo(other: RunnerName, text: string, range: Range): Target {
  return {
    text,
    measure: ([row]) => row && ratio(row.values.engine, row.values[other]),
    unit: "×",
    range,
  };
}

export function workloads(settings: Settings): Workload[] {
  const limit = settings.parallelLimit;
  const ratioTarget = engineTo("p-graph", "engine/p-graph ≤ 2×", { max: 2 });
  const fanOut = (width: number): RowSpec =>
    executeRow(`fan-out-${width}`, `fan-out 1 → ${n(width)} → 1`, { shape: "fan-out", width }, NOOP, limit);
  const compileAndExecute = "compile + execute, a fresh definition per run";
  const all: Workload[] = [
    {
      id: "W1",
      title: "chain",
      method: compileAndExecute,
      rows: [executeRow("chain-1000", "chain of 1,000", { shape: "chain", length: 1_000 }, NOOP, limit)],
      target: ratioTarget,
    },
    {
      id: "W2",
      title: "fan-out",
      method: compileAndExecute,
      rows: [fanOut(1_000)],
      target: ratioTarget,
    },
    {
      id: "W3",
      title: "random layers",
      method: `${compileAndExecute}; each step after layer 1 depends on 3 distinct steps of the previous layer (mulberry32 seed 0x${LAYERED_SEED.toString(16)}); no sink`,
      rows: [
        executeRow(
          "layered-20x50",
          "20 layers × 50, 3 random deps",
          { shape: "layered", layers: 20, width: 50, fanIn: 3, seed: LAYERED_SEED },
          NOOP,
          limit,
        ),
      ],
      target: ratioTarget,
    },
    {
      id: "W4",
      title: "parallel sleeps",
      method: `wall time; every step awaits setTimeout(${SLEEP_MS} ms); runners' default parallelism (engine 10)`,
      rows: [
        executeRow(
          "sleep-10",
          `10 independent × sleep ${SLEEP_MS} ms`,
          { shape: "independent", count: 10 },
          { kind: "sleep", ms: SLEEP_MS },
          undefined,
        ),
      ],
      target: {
        text: `engine ${SLEEP_MS} ms ±10 %`,
        measure: ([row]) => {
          const e = engineValue(row);
          return e && { value: (e.value / SLEEP_MS - 1) * 100, bound: e.bound };
        },
        unit: "%",
        range: { min: -10, max: 10 },
      },
    },
    {
      id: "W5",
      title: "throughput",
      method:
        "1,000 executions, 100 in flight (each finished one starts the next), of one definition compiled " +
        "before the warm-up: the engine's one engine.execute(wf, {}) per execution, p-graph's one PGraph.run(); " +
        "default parallelism (engine 10)",
      rows: [
        {
          key: "diamond-throughput",
          label: "1,000 × diamond 1→8→1, 100 in flight",
          metric: "exec/s",
          steps: stepCount(DIAMOND),
          executions: 1_000,
          task: (runner) => ({
            kind: "throughput",
            runner,
            dag: DIAMOND,
            executions: 1_000,
            inFlight: 100,
            parallelLimit: undefined,
          }),
        },
      ],
      target: engineTo("p-graph", "exec/s ≥ ½ p-graph", { min: 0.5 }),
    },
    {
      id: "W6",
      title: "scaling",
      method: `W2 at two widths (${compileAndExecute}); target on the ratio of the engine's total times`,
      rows: [fanOut(1_000), fanOut(10_000)],
      target: {
        text: "10,000 ≤ 12× 1,000",
        measure: ([small, large]) => ratio(engineValue(large), engineValue(small)),
        unit: "×",
        range: { max: 12 },
      },
    },
    {
      id: "W7",
      title: "planning",
      method:
        "engine: build the definition + plan(wf), or plan(wf) alone (a fresh definition built untimed); " +
        "plain: name → deps map + Kahn's sort; p-graph: nodes/edges + new PGraph (cycle check, priorities)",
      rows: (["build+plan", "plan"] as const).map((timed) => {
        const dag: DagSpec = { shape: "chain", length: 100_000 };
        return {
          key: timed === "plan" ? "plan-chain-100000" : "build-plan-chain-100000",
          label: `chain of 100,000: ${timed === "plan" ? "plan alone" : "build + plan"}`,
          metric: "ms",
          steps: stepCount(dag),
          executions: 1,
          task: (runner) => ({ kind: "plan", runner, dag, timed }),
        };
      }),
      target: {
        text: "plan(wf) < 1 s",
        measure: (rows) => engineValue(rows[1]),
        unit: "ms",
        range: { below: 1_000 },
      },
    },
    {
      id: "W8",
      title: "heap per execution",
      method:
        "1,000 executions of a diamond 1→8→1 compiled once, all waiting at a gate in their first step; " +
        "heapUsed after GC, in flight minus before; then the gate opens and all must finish",
      rows: [
        {
          key: "diamond-heap",
          label: "1,000 × diamond 1→8→1 in flight",
          metric: "bytes",
          steps: stepCount(DIAMOND),
          executions: 1_000,
          task: (runner) => ({ kind: "heap", runner, dag: DIAMOND, executions: 1_000, parallelLimit: undefined }),
        },
      ],
      target: undefined,
    },
  ];
  return all.filter((w) => settings.only.includes(w.id));
}
