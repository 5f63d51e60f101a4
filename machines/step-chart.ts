/**
 * The step actor's chart, as data: the named states (its snapshot's `value`, which the
 * inspector shows) and, for each state and event, the states it may go to. The logic
 * (step.machine.ts) is checked against it (test/step-chart.test.ts); the diagrams are
 * drawn from it.
 */

/**
 * The named states of a step actor.
 *
 * @example
 * for (const entry of result.trace ?? []) {
 *   if (entry.kind === "state" && entry.actor === "step:parse_files") console.log(entry.state as StepState);
 * }
 */
export type StepState =
  | "idle"
  | "running"
  | "retrying"
  | "succeeded"
  | "failed"
  | "cancelled"
  | "compensating"
  | "compensated"
  | "compensation_failed";

/**
 * The step actor's chart as data: state → event → next states.
 *
 * @example
 * stepStates.running.SETTLED; // ["succeeded", "retrying", "failed", "cancelled"]
 */
export const stepStates = {
  idle: { START: ["running", "retrying", "compensating"], ABORT: ["cancelled", "compensation_failed"] },
  running: {
    SETTLED: ["succeeded", "retrying", "failed", "cancelled"],
    TIMEOUT: ["running", "retrying", "failed", "cancelled"],
    ABORT: ["running", "cancelled"],
    GRACE: ["cancelled"],
  },
  retrying: { BACKOFF: ["running"], ABORT: ["cancelled"] },
  succeeded: {},
  failed: {},
  cancelled: {},
  compensating: {
    SETTLED: ["compensated", "compensating", "compensation_failed"],
    TIMEOUT: ["compensating", "compensation_failed"],
    BACKOFF: ["compensating"],
    ABORT: ["compensating", "compensation_failed"],
    GRACE: ["compensation_failed"],
  },
  compensated: {},
  compensation_failed: {},
} as const satisfies Record<StepState, Record<string, readonly StepState[]>>;
