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
 * The step (or compensation) whose attempts were cut off by its engine's death the most
 * times in a row, and how many: each `step.started` (or `step.compensating`) of it that
 * the journal follows with another, with no retry or settlement between, was cut off;
 * so is the last one, in flight when the journal ends. A step that settles, or retries
 * after a failure of its own, starts again from 0. Sub-workflow steps are counted by
 * their path. Other executions' crashes do not count here unless this one had a step
 * running at the time.
 */
export function cutOffAttempts(history: readonly TimedRunEvent[]): { step: string; times: number } | undefined {
  const running = new Map<string, number>();
  for (const event of history) {
    if (event.step === undefined) continue;
    const key = `${event.path === undefined ? "" : `${event.path.join("/")}/`}${event.step}`;
    switch (event.type) {
      case "step.started":
        running.set(`run:${key}`, (running.get(`run:${key}`) ?? -1) + 1);
        break;
      case "step.compensating":
        running.set(`compensate:${key}`, (running.get(`compensate:${key}`) ?? -1) + 1);
        break;
      case "step.retrying":
      case "step.succeeded":
      case "step.failed":
      case "step.degraded":
      case "step.cancelled":
      case "step.skipped":
        running.delete(`run:${key}`);
        break;
      case "step.compensated":
      case "step.kept":
      case "step.compensation_failed":
        running.delete(`compensate:${key}`);
        break;
      default:
        break;
    }
  }
  // What is still in `running` was in flight at the end: cut off once more.
  let worst: { step: string; times: number } | undefined;
  for (const [key, before] of running) {
    const times = before + 1;
    if (worst === undefined || times > worst.times) worst = { step: key.slice(key.indexOf(":") + 1), times };
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
