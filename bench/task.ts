/**
 * What one series measures: a serialisable task, sent to the worker thread that runs
 * it (see measure.ts and worker.ts). A series is one warm-up sample, discarded, then
 * `runs` timed samples of the task.
 */

import type { DagSpec } from "./dags.js";
import type { ParallelLimit, RunnerName } from "./runners/types.js";

/** What each step does before returning its small object. */
export type StepWork = { readonly kind: "noop" } | { readonly kind: "sleep"; readonly ms: number };

export type SeriesTask =
  /** Sample: ms to compile the DAG afresh and run it once. */
  | {
      readonly kind: "execute";
      readonly runner: RunnerName;
      readonly dag: DagSpec;
      readonly work: StepWork;
      readonly parallelLimit: ParallelLimit;
    }
  /** Sample: ms to plan the DAG; with `timed: "build+plan"`, building the runner's definition too. */
  | {
      readonly kind: "plan";
      readonly runner: RunnerName;
      readonly dag: DagSpec;
      readonly timed: "build+plan" | "plan";
    }
  /**
   * Sample: ms for `executions` executions of one DAG compiled once (outside the
   * timing, before the warm-up), `inFlight` at a time: each finished one starts the next.
   */
  | {
      readonly kind: "throughput";
      readonly runner: RunnerName;
      readonly dag: DagSpec;
      readonly executions: number;
      readonly inFlight: number;
      readonly parallelLimit: ParallelLimit;
    }
  /**
   * Sample: bytes of heap per in-flight execution. `executions` executions of one DAG
   * compiled once are started, and each waits at its first step for a gate; heapUsed
   * after a full GC is compared with heapUsed (after a full GC) before they started.
   * Then the gate opens and all must finish.
   */
  | {
      readonly kind: "heap";
      readonly runner: RunnerName;
      readonly dag: DagSpec;
      readonly executions: number;
      readonly parallelLimit: ParallelLimit;
    };

export interface SeriesRequest {
  readonly task: SeriesTask;
  /** Timed samples, after one discarded warm-up sample. */
  readonly runs: number;
}

/** What samples of a task measure. */
export function unitOf(task: SeriesTask): "ms" | "bytes" {
  return task.kind === "heap" ? "bytes" : "ms";
}
