/**
 * An event as the run state folds it: the fields of a WorkflowEvent, plus what
 * rebuilding the run needs that subscribers are not shown.
 */

import type { WorkflowEventFields } from "../events.js";
import type { FailureDecision } from "./failure-verdict.js";

export interface RunEvent extends WorkflowEventFields {
  /** The step's index in the plan (the live actor knows it; recovery resolves `step`). */
  readonly index?: number;
  /** `step.failed`: the decision of the step's own `onError`, overriding the workflow policy. */
  readonly decision?: FailureDecision;
  /** `step.retrying`: when the next attempt may start (ms since the epoch). */
  readonly retryAt?: number;
  /** `step.succeeded`: the cache key its outputs were stored under. */
  readonly cacheKey?: string;
  /** A sub-workflow's event, forwarded: the steps that ran it, outermost first. */
  readonly path?: readonly string[];
}

/** A journaled event, decoded: the fields and when it happened. */
export interface TimedRunEvent extends RunEvent {
  readonly at: number;
}
