import type { WorkflowError } from "./errors.js";
import type { WorkflowMetrics } from "./telemetry/metrics.js";
import type { TraceEntry } from "./telemetry/trace.js";

/**
 * How an execution ended.
 *
 * @example
 * process.exitCode = result.status === "succeeded" ? 0 : result.status === "timed_out" ? 124 : 1;
 */
export type WorkflowStatus = "succeeded" | "failed" | "cancelled" | "timed_out";

/**
 * Where a step is. `pending`: never started (not ready yet, or the workflow stopped
 * first). `degraded`: it failed, but it is `optional` or its `onError` gave a fallback,
 * so the workflow went on. `kept`: its compensation ran and chose to keep its effect.
 *
 * @example
 * const failed = Object.entries(result.steps).filter(([, step]) => step.status === "failed").map(([name]) => name);
 */
export type StepStatus =
  | "pending"
  | "running"
  | "retrying"
  | "succeeded"
  | "failed"
  | "degraded"
  | "skipped"
  | "cancelled"
  | "compensating"
  | "compensated"
  | "kept"
  | "compensation_failed";

/** A step that failed without failing the workflow: `result.degraded`. */
export interface DegradedStep {
  readonly step: string;
  /** Why it failed. */
  readonly error: WorkflowError;
  /** Its `onError` gave fallback outputs (else its dependents saw its outputs as undefined). */
  readonly fallback: boolean;
}

/**
 * What happened to one step: `result.steps[name]`.
 *
 * @example
 * const { status, attempts, durationMs, cached } = result.steps.parse_files;
 */
export interface StepResult {
  readonly status: StepStatus;
  /** Attempts started (0 if the step never ran). */
  readonly attempts: number;
  /** From the first attempt's start to the step's settlement, retry waits included. */
  readonly durationMs: number | undefined;
  /** Whether the result came from the cache instead of running the step. */
  readonly cached: boolean;
  /** The error the step failed (or was aborted, or failed compensation) with. */
  readonly error: WorkflowError | undefined;
}

/**
 * The rollback that ran, if any.
 *
 * @example
 * result.compensation.compensated; // ["generate_code", "reserve_resources"]
 * for (const { step, error } of result.compensation.failed) console.error(`${step} not undone: ${error.detail}`);
 */
export interface CompensationSummary {
  /** Steps whose compensation succeeded, in the order it ran. */
  readonly compensated: readonly string[];
  /** Steps whose compensation failed after its retries; the others still ran. */
  readonly failed: readonly { readonly step: string; readonly error: WorkflowError }[];
  /** Steps whose compensation ran and deliberately kept the effect (`keep(reason)`), in order. */
  readonly kept: readonly { readonly step: string; readonly reason: string }[];
  /**
   * The rollbacks that ran inside sub-workflow steps, by step name (absent when none
   * did): a sub-workflow that failed or was cancelled rolls back its own steps, and one
   * that succeeded is rolled back as a nested saga when this workflow compensates.
   */
  readonly nested?: Readonly<Record<string, CompensationSummary>>;
}

/**
 * Fields every WorkflowResult has, whatever its status.
 *
 * @example
 * console.log(result.executionId, `${result.durationMs} ms`, result.errors.length, result.metrics.parallelism.max);
 */
export interface WorkflowResultBase<StepName extends string = string> {
  readonly executionId: string;
  readonly workflow: string;
  readonly version: string;
  readonly steps: Readonly<Record<StepName, StepResult>>;
  readonly compensation: CompensationSummary;
  /** Every step failure, in the order they happened (several under `onError: "continue"`). */
  readonly errors: readonly WorkflowError[];
  /** Steps that failed without failing the workflow (optional ones, fallbacks), in order. */
  readonly degraded: readonly DegradedStep[];
  /** What the caller attached to the execution (`start(…, { metadata })`), frozen. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Durations, queue waits, attempts, the critical path as run, parallelism achieved. */
  readonly metrics: WorkflowMetrics;
  /** With `debug: true`: every event and actor state transition, in order. */
  readonly trace?: readonly TraceEntry[];
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly durationMs: number;
}

/**
 * The outcome of an execution. `execute` resolves to it whatever happened to the
 * steps; narrow on `status` to get every output typed as present.
 *
 * @example
 * const result = await engine.execute(codeAnalysis, { file_paths });
 * if (result.status === "succeeded") console.log(result.output.analysis_report);
 * else console.error(result.error.code, result.error.step, result.compensation.compensated);
 */
export type WorkflowResult<Out = Record<string, unknown>, StepName extends string = string> =
  | (WorkflowResultBase<StepName> & {
      readonly status: "succeeded";
      /** Every declared output, by name. */
      readonly output: Readonly<Out>;
      readonly error: undefined;
    })
  | (WorkflowResultBase<StepName> & {
      readonly status: Exclude<WorkflowStatus, "succeeded">;
      /** Outputs of the steps that succeeded and were not compensated. */
      readonly output: Readonly<Partial<Out>>;
      /** Why the execution stopped: the first step failure, the timeout or the cancellation. */
      readonly error: WorkflowError;
    });
