import type { WorkflowError } from "../errors.js";
import type { StandardSchemaV1 } from "../validation/standard-schema.js";

/**
 * What a workflow does when a step fails for good.
 *
 * - `compensate_all`: stop scheduling, abort steps in flight and let them settle, then run
 *   `compensate` of every succeeded step in reverse completion order.
 * - `fail_fast`: stop scheduling, abort steps in flight, no compensation.
 * - `continue`: skip the failed step's transitive dependents; independent branches run on.
 * - `compensate_failed`: stop like `fail_fast`, then run only the failed step's own `compensate`.
 *
 * @example
 * workflow("nightly_checks", { onError: "continue" }) // one failed check does not stop the others
 */
export type ErrorPolicy = "compensate_all" | "fail_fast" | "continue" | "compensate_failed";

/**
 * What a step's own `onError` handler decides for one failed attempt.
 *
 * @example
 * onError: (error): StepErrorDecision => (error.code === "STEP_TIMEOUT" ? "retry" : "fail_fast"),
 */
export type StepErrorDecision = "retry" | "fail_fast" | "compensate" | "continue";

/**
 * How to wait between attempts.
 *
 * @example
 * retry: { maxAttempts: 5, backoff: "linear", baseDelay: 500 } // waits 500, 1000, 1500, 2000 ms (before jitter)
 */
export type BackoffKind = "exponential" | "linear" | "fixed";

/**
 * Retry policy of a step (and of its compensation).
 *
 * @example
 * retry: { maxAttempts: 4, baseDelay: 200, maxDelay: 5_000, retryOn: (e) => e.code !== "VALIDATION_FAILED" }
 */
export interface RetryOptions {
  /**
   * Attempts in all, the first one included (`retry: 3` is `{ maxAttempts: 4 }`).
   * @default 1 + the workflow's maxRetries
   */
  maxAttempts?: number;
  /**
   * Delay growth: `exponential` is `baseDelay * factor^(retry-1)`, `linear` is
   * `baseDelay * retry`, `fixed` is `baseDelay`.
   * @default "exponential"
   */
  backoff?: BackoffKind;
  /** @default 1000 */
  baseDelay?: number;
  /** Upper bound of one delay, before jitter. @default 30_000 */
  maxDelay?: number;
  /** @default 2 */
  factor?: number;
  /** Full jitter: wait a uniformly random time between 0 and the computed delay. @default true */
  jitter?: boolean;
  /** Return false to stop retrying on this error. Not consulted for non-retryable errors. */
  retryOn?: (error: WorkflowError, attempt: number) => boolean;
}

/**
 * `retry: n` allows n retries after the first attempt; an object sets the whole policy.
 *
 * @example
 * retry: 3 // the same as retry: { maxAttempts: 4 }
 */
export type RetrySetting = number | RetryOptions;

/**
 * Options of a workflow.
 *
 * @example
 * workflow("code_analysis", { description: "Analyse code", onError: "compensate_all", parallelLimit: 4 })
 */
export interface WorkflowOptions {
  description?: string;
  /**
   * A Standard Schema (zod, valibot, arktype…) for the workflow input: checked before
   * any step runs (every issue listed); steps see its output.
   */
  input?: StandardSchemaV1;
  /**
   * Cache every step's outputs (steps may opt out with `cache: false`). `key` derives the
   * key part from the workflow input instead of hashing each step's input; `ttl` in ms.
   * @default false
   */
  cacheResults?: boolean | { key?: (input: any) => string; ttl?: number };
  /** Semver version; the registry keeps every version of a name. @default "1.0.0" */
  version?: string;
  tags?: readonly string[];
  /** Limit for a whole execution, in ms; on expiry everything in flight is aborted. @default no limit */
  timeout?: number;
  /** Retries for steps that set no `retry` of their own. @default 0 */
  maxRetries?: number;
  /** @default "compensate_all" */
  onError?: ErrorPolicy;
  /** Maximum steps in flight at once (`Infinity` allowed). @default 10 */
  parallelLimit?: number;
  /**
   * When the workflow stops (a failure, a cancel, the timeout), steps in flight have
   * their signal aborted and this long, in ms, to settle; a step that still succeeds
   * counts (and is compensated under `compensate_all`), one that has not settled by
   * then is `cancelled` and its late result ignored. A cancel or timeout while
   * stopping cuts the wait short. It also bounds an aborted compensation.
   * @default 5000
   */
  abortGrace?: number;
}
