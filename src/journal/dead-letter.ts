/**
 * The journal rows that dead-letter an execution: the events the fold of its journal
 * needs to end it failed, with a RecoveryLimitError, and run nothing more. Each step in
 * flight is cancelled (a compensation in flight failed) with that error, then
 * `workflow.failed`. Pure: the same journal gives the same rows.
 */

import type { RecoveryLimitError } from "../errors.js";
import type { WorkflowPlan } from "../planner/types.js";
import type { RunEvent, TimedRunEvent } from "../policy/run-event.js";
import { RunState } from "../policy/run-state.js";
import type { JournalEvent } from "../store/execution-store.js";
import { encodeEvent } from "./codec.js";

/**
 * The step whose attempts were cut off by its engine's death the most times in a row,
 * and how many: each `step.started` of it that the journal follows with another, with no
 * retry or settlement between, was cut off; so is the last one, in flight when the
 * journal ends. A step that settles, or retries after a failure of its own, starts again
 * from 0; a sub-workflow step also does when a step of its sub run settles (its run
 * makes progress). Sub-workflow steps' own steps are counted by their path. An engine
 * that closed journaled `workflow.lease_lost`: the attempts it interrupted do not count.
 * Compensations are not counted: a compensation's retries are not journaled, so a
 * retry cannot be told from a crash.
 */
export function cutOffAttempts(history: readonly TimedRunEvent[]): { step: string; times: number } | undefined {
  const running = new Map<string, number>();
  for (const event of history) {
    // Its engine closed here (a deploy, not a crash): what it interrupted does not count.
    if (event.type === "workflow.lease_lost" && event.path === undefined) running.clear();
    if (event.step === undefined) continue;
    const prefix = event.path === undefined ? "" : `${event.path.join("/")}/`;
    const key = `${prefix}${event.step}`;
    switch (event.type) {
      case "step.started":
        running.set(key, (running.get(key) ?? -1) + 1);
        break;
      case "step.retrying":
      case "step.succeeded":
      case "step.failed":
      case "step.degraded":
      case "step.cancelled":
      case "step.skipped":
        running.delete(key);
        // Progress of a sub run is progress of the steps that run it.
        if (event.path !== undefined) {
          for (let n = 1; n <= event.path.length; n++) running.delete(event.path.slice(0, n).join("/"));
        }
        break;
      default:
        break;
    }
  }
  // What is still in `running` was in flight at the end: cut off once more.
  let worst: { step: string; times: number } | undefined;
  for (const [step, before] of running) {
    if (worst === undefined || before + 1 > worst.times) worst = { step, times: before + 1 };
  }
  return worst;
}

export function deadLetterEvents(
  plan: WorkflowPlan,
  executionId: string,
  history: readonly TimedRunEvent[],
  error: RecoveryLimitError,
  at: number,
): JournalEvent[] {
  const startedAt = history[0]?.at ?? at;
  const state = new RunState(plan, executionId, Object.freeze({}), () => at, startedAt);
  for (const event of history) state.apply(event, event.at);
  const rows: JournalEvent[] = [];
  const emit = (fields: RunEvent) => {
    state.apply(fields, at);
    rows.push(encodeEvent(state.event(fields), fields));
  };
  plan.steps.forEach((step, index) => {
    if (state.inFlight.has(index)) emit({ type: "step.cancelled", step: step.name, index, error });
    else if (state.status[index] === "compensating") {
      emit({ type: "step.compensation_failed", step: step.name, index, error });
    }
  });
  emit({ type: "workflow.failed", status: "failed", error });
  return rows;
}
