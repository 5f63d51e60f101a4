/**
 * A finished execution's result, rebuilt from its journal by the same fold the live run
 * used (no step runs): for `runs.get`, and for a start whose idempotency key names an
 * execution that already finished.
 */

import type { WorkflowPlan } from "../planner/types.js";
import type { TimedRunEvent } from "../policy/run-event.js";
import { RunState } from "../policy/run-state.js";
import type { WorkflowResult } from "../result.js";

export function rebuildResult(
  plan: WorkflowPlan,
  executionId: string,
  events: readonly TimedRunEvent[],
): WorkflowResult {
  const started = events[0];
  const startedAt = started?.at ?? 0;
  const ledger = new RunState(plan, executionId, Object.freeze({}), () => events.at(-1)?.at ?? startedAt, startedAt);
  if (started?.metadata !== undefined) ledger.metadata = Object.freeze({ ...started.metadata });
  for (const event of events) ledger.apply(event, event.at);
  return ledger.result();
}
