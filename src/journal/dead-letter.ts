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
