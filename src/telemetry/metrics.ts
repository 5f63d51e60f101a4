/**
 * Measurements of one execution, in `result.metrics`: how long it took, how each step
 * spent its time (waiting for a slot, each attempt), the critical path as it actually
 * ran, and the parallelism achieved.
 */

/**
 * One attempt of a step. Times in ms since the epoch (the engine's clock).
 *
 * @example
 * for (const a of result.metrics.steps.parse_files.attempts) console.log(a.attempt, a.durationMs);
 */
export interface AttemptMetrics {
  readonly attempt: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly durationMs: number;
}

/**
 * How one step spent its time: `result.metrics.steps[name]`.
 *
 * @example
 * const { queueWaitMs, durationMs, attempts } = result.metrics.steps.parse_files;
 */
export interface StepMetrics {
  /** From the moment its dependencies were done to its first attempt (waiting for a slot). */
  readonly queueWaitMs: number | undefined;
  /** From its first attempt's start to its settlement, retry waits included. */
  readonly durationMs: number | undefined;
  readonly attempts: readonly AttemptMetrics[];
}

/**
 * Measurements of one execution: `result.metrics`.
 *
 * @example
 * const { totalMs, criticalPath, parallelism } = result.metrics;
 * console.log(`${totalMs} ms; critical path ${criticalPath.steps.join(" → ")}; at most ${parallelism.max} at once`);
 */
export interface WorkflowMetrics {
  readonly totalMs: number;
  readonly steps: Readonly<Record<string, StepMetrics>>;
  /**
   * The chain of steps that decided the finish time, as it actually ran: from the last
   * step to settle back through, at each step, the dependency that settled last.
   */
  readonly criticalPath: { readonly steps: readonly string[]; readonly durationMs: number };
  /** Steps in flight: the most at once, and the time-weighted mean while the run lasted. */
  readonly parallelism: { readonly max: number; readonly mean: number };
}
