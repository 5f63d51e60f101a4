/**
 * Retry policy: resolving the user's `retry` setting, deciding whether a failed
 * attempt is retried, and computing the backoff delay. Pure functions.
 */

import type { BackoffKind, RetryOptions, RetrySetting } from "../dsl/options.js";
import type { WorkflowError } from "../errors.js";
import { expected } from "../util/expected.js";

/**
 * A retry policy with every field filled in.
 *
 * @example
 * const { maxAttempts, backoff, baseDelay } = plan(codeAnalysis).steps[1].retry; // 4, "exponential", 1000
 */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly backoff: BackoffKind;
  readonly baseDelay: number;
  readonly maxDelay: number;
  readonly factor: number;
  readonly jitter: boolean;
  readonly retryOn: ((error: WorkflowError, attempt: number) => boolean) | undefined;
}

export const RETRY_DEFAULTS = {
  backoff: "exponential",
  baseDelay: 1000,
  maxDelay: 30_000,
  factor: 2,
  jitter: true,
} as const;

/** Fill in a step's retry policy from its own setting and the workflow's `maxRetries`. */
export function resolveRetry(setting: RetrySetting | undefined, workflowMaxRetries = 0): RetryPolicy {
  const options: RetryOptions =
    setting === undefined
      ? { maxAttempts: workflowMaxRetries + 1 }
      : typeof setting === "number"
        ? { maxAttempts: setting + 1 }
        : setting;
  return {
    maxAttempts: options.maxAttempts ?? workflowMaxRetries + 1,
    backoff: options.backoff ?? RETRY_DEFAULTS.backoff,
    baseDelay: options.baseDelay ?? RETRY_DEFAULTS.baseDelay,
    maxDelay: options.maxDelay ?? RETRY_DEFAULTS.maxDelay,
    factor: options.factor ?? RETRY_DEFAULTS.factor,
    jitter: options.jitter ?? RETRY_DEFAULTS.jitter,
    retryOn: options.retryOn,
  };
}

/** Problems with a `retry` setting, each as a sentence (empty when valid). */
export function checkRetry(setting: unknown): string[] {
  if (setting === undefined) return [];
  if (typeof setting === "number") {
    return isNonNegativeInteger(setting)
      ? []
      : [expected("retry", "a non-negative integer or an options object", setting)];
  }
  if (typeof setting !== "object" || setting === null || Array.isArray(setting)) {
    return [expected("retry", "a non-negative integer or an options object", setting)];
  }
  const o = setting as Record<string, unknown>;
  const problems: string[] = [];
  if (o.maxAttempts !== undefined && !(isNonNegativeInteger(o.maxAttempts) && o.maxAttempts >= 1)) {
    problems.push(expected("retry.maxAttempts", "an integer >= 1", o.maxAttempts));
  }
  if (o.backoff !== undefined && !["exponential", "linear", "fixed"].includes(o.backoff as string)) {
    problems.push(expected("retry.backoff", '"exponential", "linear" or "fixed"', o.backoff));
  }
  for (const key of ["baseDelay", "maxDelay"] as const) {
    if (o[key] !== undefined && !(typeof o[key] === "number" && Number.isFinite(o[key]) && o[key] >= 0)) {
      problems.push(expected(`retry.${key}`, "a non-negative number", o[key]));
    }
  }
  if (o.factor !== undefined && !(typeof o.factor === "number" && Number.isFinite(o.factor) && o.factor >= 1)) {
    problems.push(expected("retry.factor", "a number >= 1", o.factor));
  }
  if (o.jitter !== undefined && typeof o.jitter !== "boolean") {
    problems.push(expected("retry.jitter", "a boolean", o.jitter));
  }
  if (o.retryOn !== undefined && typeof o.retryOn !== "function") {
    problems.push(expected("retry.retryOn", "a function", o.retryOn));
  }
  return problems;
}

/**
 * Delay before retry number `retry` (1 for the first retry). Without jitter:
 * exponential `baseDelay * factor^(retry-1)`, linear `baseDelay * retry`, fixed
 * `baseDelay`, each capped at `maxDelay`. With full jitter, a uniform draw in [0, delay].
 */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const base =
    policy.backoff === "fixed"
      ? policy.baseDelay
      : policy.backoff === "linear"
        ? policy.baseDelay * retry
        : policy.baseDelay * policy.factor ** (retry - 1);
  const capped = Math.min(base, policy.maxDelay);
  return policy.jitter ? Math.floor(random() * (capped + 1)) : capped;
}

/**
 * Whether attempt number `attempt` (1-based) that failed with `error` is tried again.
 * Non-retryable errors (NonRetryableError, validation, a missing output) never are.
 * `forced` is a step `onError` handler's `"retry"`: it overrides `retryOn`, never
 * the error's retryability or the attempt budget.
 */
export function shouldRetry(policy: RetryPolicy, error: WorkflowError, attempt: number, forced = false): boolean {
  if (attempt >= policy.maxAttempts || !error.retryable) return false;
  if (forced) return true;
  return policy.retryOn === undefined || policy.retryOn(error, attempt) === true;
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}
