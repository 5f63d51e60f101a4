/**
 * The events step actors and their parent exchange. Children report attempts and
 * retries with `sendParent`, and their settled outcome as their output (the
 * parent's `xstate.done.actor.*` event); the parent talks to a child only to abort it.
 */

import type { WorkflowError } from "../src/errors.js";
import type { FailureDecision } from "../src/policy/failure-verdict.js";

/**
 * Parent → child: abort the current attempt (its signal is aborted). The attempt may
 * still settle within the step's abort grace period (a success then counts, so a
 * rollback can undo it); after that, or at once with `force`, it settles as cancelled
 * (a compensation: as failed) and any later result is ignored.
 */
export interface AbortStepEvent {
  type: "ABORT";
  reason: string;
  force?: boolean;
}

/** Child → parent, while the step is live. `index` is the step's index in the plan. */
export type StepReport =
  | { type: "STEP.STARTED"; index: number; attempt: number }
  | {
      type: "STEP.RETRYING";
      index: number;
      attempt: number;
      delayMs: number;
      /** When the next attempt may start, on the execution's clock. */
      retryAt: number;
      error: WorkflowError;
    }
  | { type: "STEP.COMPENSATING"; index: number; attempt: number };

/** A step actor's output (the final state it reached), delivered in its done event. */
export type SettledReport =
  | {
      type: "STEP.SUCCEEDED";
      index: number;
      attempt: number;
      output: Readonly<Record<string, unknown>>;
      /** From the cache: the step's work did not run. */
      cached: boolean;
      cacheKey: string | undefined;
      /** A sub-workflow step: the handle to roll its run back with. */
      sub: unknown;
    }
  | {
      type: "STEP.FAILED";
      index: number;
      attempt: number;
      error: WorkflowError;
      /** A decision of the step's own `onError` handler, overriding the workflow policy. */
      decision: FailureDecision | undefined;
    }
  | {
      /** An optional step failed for good, or its `onError` gave a fallback: the workflow goes on. */
      type: "STEP.DEGRADED";
      index: number;
      attempt: number;
      error: WorkflowError;
      /** The fallback outputs; undefined: its dependents see its outputs as undefined. */
      fallback: Readonly<Record<string, unknown>> | undefined;
    }
  | { type: "STEP.CANCELLED"; index: number; attempt: number; error: WorkflowError }
  | {
      type: "STEP.COMPENSATED";
      index: number;
      attempt: number;
      /** The compensation returned `keep(reason)`: the effect stays, for this reason. */
      kept: string | undefined;
    }
  | { type: "STEP.COMPENSATION_FAILED"; index: number; attempt: number; error: WorkflowError };

/** Sent to the workflow actor to stop an execution; compensation still runs per its policy. */
export interface CancelEvent {
  type: "CANCEL";
  reason?: string;
}

/** XState's event to a parent when a child actor reaches its final state. */
export interface StepDoneEvent {
  type: `xstate.done.actor.${string}`;
  output: SettledReport;
  actorId: string;
}
