/**
 * What happens to a step after a failed attempt: retry (after which delay), fail (and
 * which policy then applies), or degrade (an optional step, or a fallback output: the
 * workflow goes on). Pure: the step's `onError` answer is computed by the caller.
 *
 *   answer { fallback }         → degrade with that output
 *   answer "fail_fast" | "compensate" | "continue" → fail, with that policy
 *   answer "retry"              → retry within the step's budget (3 attempts if it has none)
 *   answer { retry: options }   → retry within that budget and backoff
 *   no answer                   → retry within the step's budget if `retryOn` agrees
 *   not retried                 → degrade if the step is `optional`, else fail
 *
 * A non-retryable error is never retried, whatever the answer.
 */

import type { RetryOptions, StepErrorDecision } from "../dsl/options.js";
import { CompensationError, RetriesExhaustedError, type WorkflowError } from "../errors.js";
import type { PlannedStep } from "../planner/types.js";
import { backoffDelay, checkRetry, type RetryPolicy, shouldRetry } from "./retry.js";

/** How a failed step settles, when it is not retried. */
export type FailureDecision = Exclude<StepErrorDecision, "retry">;

export type FailureVerdict =
  | { readonly kind: "retry"; readonly delay: number }
  | { readonly kind: "fail"; readonly error: WorkflowError; readonly decision: FailureDecision | undefined }
  | { readonly kind: "degrade"; readonly error: WorkflowError; readonly fallback: { value: unknown } | undefined };

/** An `onError` answer, understood. Anything unrecognised is no answer. */
type Answer =
  | { readonly kind: "none" }
  | { readonly kind: "decision"; readonly decision: StepErrorDecision }
  | { readonly kind: "retry"; readonly options: RetryOptions }
  | { readonly kind: "fallback"; readonly value: unknown };

const DECISIONS: ReadonlySet<unknown> = new Set<StepErrorDecision>(["retry", "fail_fast", "compensate", "continue"]);

/** The guide's default budget for a bare `"retry"` on a step that has none of its own. */
const DEFAULT_RETRY_ATTEMPTS = 3;

export function readAnswer(answer: unknown): Answer {
  if (DECISIONS.has(answer)) return { kind: "decision", decision: answer as StepErrorDecision };
  if (typeof answer !== "object" || answer === null) return { kind: "none" };
  if (Object.hasOwn(answer, "fallback")) return { kind: "fallback", value: (answer as { fallback: unknown }).fallback };
  const retry = (answer as { retry?: unknown }).retry;
  if (typeof retry === "object" && retry !== null && checkRetry(retry).length === 0) {
    return { kind: "retry", options: retry as RetryOptions };
  }
  return { kind: "none" };
}

export interface FailedAttempt {
  readonly step: PlannedStep;
  /** The attempt that failed (1-based). */
  readonly attempt: number;
  readonly error: WorkflowError;
  /** Every attempt's error so far, this one included. */
  readonly errors: readonly WorkflowError[];
  /** The step's `onError` answer, as it returned it (undefined: none, or no handler). */
  readonly answer: unknown;
  readonly random: () => number;
}

export function failureVerdict(failed: FailedAttempt): FailureVerdict {
  const { step, attempt, error } = failed;
  const answer = readAnswer(failed.answer);
  if (answer.kind === "fallback") {
    return { kind: "degrade", error: finalError(failed, step.retry), fallback: { value: answer.value } };
  }
  if (answer.kind === "decision" && answer.decision !== "retry") {
    return { kind: "fail", error: finalError(failed, step.retry), decision: answer.decision };
  }
  const policy = budgetOf(step.retry, answer);
  const forced = answer.kind !== "none";
  let retry = false;
  try {
    retry = shouldRetry(policy, error, attempt, forced);
  } catch {
    // A `retryOn` that throws stops retrying.
  }
  if (retry) return { kind: "retry", delay: backoffDelay(policy, attempt, failed.random) };
  const final = finalError(failed, policy);
  if (step.optional) return { kind: "degrade", error: final, fallback: undefined };
  return { kind: "fail", error: final, decision: undefined };
}

/** The retry policy that applies to this failure. */
function budgetOf(own: RetryPolicy, answer: Answer): RetryPolicy {
  if (answer.kind === "retry") {
    const defined = Object.fromEntries(Object.entries(answer.options).filter(([, v]) => v !== undefined));
    return { ...own, ...defined, maxAttempts: answer.options.maxAttempts ?? Math.max(own.maxAttempts, 2) };
  }
  if (answer.kind === "decision" && own.maxAttempts <= 1) return { ...own, maxAttempts: DEFAULT_RETRY_ATTEMPTS };
  return own;
}

/** A step that used up a retry budget of more than one attempt fails with every attempt's error. */
function finalError({ step, attempt, error, errors }: FailedAttempt, policy: RetryPolicy): WorkflowError {
  if (policy.maxAttempts > 1 && attempt >= policy.maxAttempts && error.retryable) {
    return new RetriesExhaustedError(step.name, [...errors], attempt);
  }
  return error;
}

/**
 * What happens to a compensation after a failed attempt: retried (after which delay)
 * per its step's retry policy, unless the rollback was aborted; or failed for good, as a
 * CompensationError. A retry policy that throws retries nothing.
 */
export function compensationVerdict(failed: {
  readonly step: PlannedStep;
  readonly attempt: number;
  readonly error: WorkflowError;
  readonly aborted: boolean;
  readonly random: () => number;
}): { readonly kind: "retry"; readonly delay: number } | { readonly kind: "fail"; readonly error: CompensationError } {
  const { step, attempt, error } = failed;
  let retry = false;
  if (!failed.aborted) {
    try {
      retry = shouldRetry(step.retry, error, attempt, false);
    } catch {
      retry = false;
    }
  }
  if (retry) return { kind: "retry", delay: backoffDelay(step.retry, attempt, failed.random) };
  return { kind: "fail", error: error instanceof CompensationError ? error : new CompensationError(step.name, error) };
}
