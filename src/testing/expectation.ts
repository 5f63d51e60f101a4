/**
 * What a run that follows a path must end with, derived from the model's final
 * state: the workflow status and error, each step's status and attempts, the
 * completion order, and the compensations in the order they run.
 */

import type { ErrorCode, StepStatus } from "../index.js";
import type { ModelState } from "./model.js";
import type { ModelConfig } from "./model-config.js";

/**
 * The model's prediction for one path.
 *
 * @example
 * const [path] = generatePaths(wf).filter((p) => p.expected.status === "failed");
 * path.expected.compensated; // ["generate_code", "reserve_resources"]
 */
export interface ExpectedOutcome {
  readonly status: "succeeded" | "failed" | "cancelled";
  /** The step (none for a cancel) and code of `result.error`; undefined when the run succeeds. */
  readonly error: { readonly step: string | undefined; readonly code: ErrorCode } | undefined;
  /** Steps that succeeded, in the order they completed. */
  readonly completed: readonly string[];
  /** `result.compensation.compensated`: compensations that succeeded, in the order they ran. */
  readonly compensated: readonly string[];
  /** Steps in `result.compensation.failed`, in order. */
  readonly compensationFailed: readonly string[];
  /**
   * Per step: `result.steps[name].status` and `.attempts`, and how many times its
   * compensation was attempted (its `step.compensating` events; a failing one is
   * retried per the step's retry policy).
   */
  readonly steps: Readonly<Record<string, ExpectedStep>>;
}

/**
 * What the model expects of one step.
 *
 * @example
 * path.expected.steps.reserve_resources; // { status: "compensated", attempts: 1, compensations: 1 }
 */
export interface ExpectedStep {
  readonly status: StepStatus;
  readonly attempts: number;
  readonly compensations: number;
}

/**
 * The expectation of a final model state.
 *
 * @example
 * const expected = expectationOf(config, simulate(config, path.events));
 */
export function expectationOf(config: ModelConfig, state: ModelState): ExpectedOutcome {
  const names = (indices: readonly number[]) => indices.map((i) => config.steps[i]!.name);
  const deciding = state.halted ?? state.firstFailure;
  const steps: Record<string, ExpectedStep> = {};
  for (const step of config.steps) {
    const status = state.status[step.index]!;
    const undo = state.undo[step.index];
    steps[step.name] = {
      status,
      attempts: attemptsOf(step.maxAttempts, status, state.run[step.index]),
      compensations: undo === undefined ? 0 : undo === "compensates" ? 1 : step.maxAttempts,
    };
  }
  return {
    status: state.cancelled ? "cancelled" : deciding === undefined ? "succeeded" : "failed",
    error: state.cancelled
      ? { step: undefined, code: "WORKFLOW_CANCELLED" }
      : deciding === undefined
        ? undefined
        : { step: config.steps[deciding]!.name, code: codeOf(config, state, deciding) },
    completed: names(state.completed),
    compensated: names(state.undone.filter((i) => state.undo[i] === "compensates")),
    compensationFailed: names(state.undone.filter((i) => state.undo[i] === "fails")),
    steps,
  };
}

function attemptsOf(maxAttempts: number, status: StepStatus, run: string | undefined): number {
  switch (run) {
    case "succeeds":
    case "ignores_abort":
      return 1;
    case "succeeds_on_retry":
      return 2;
    case "fails":
    case "times_out":
      return maxAttempts;
    default:
      // Never settled: cancelled in flight after its first start, or never started.
      return status === "cancelled" ? 1 : 0;
  }
}

/** A failure that used up a retry budget of more than one attempt is reported as exhausted retries. */
function codeOf(config: ModelConfig, state: ModelState, i: number): ErrorCode {
  if (config.steps[i]!.maxAttempts > 1) return "RETRIES_EXHAUSTED";
  return state.run[i] === "times_out" ? "STEP_TIMEOUT" : "STEP_FAILED";
}
