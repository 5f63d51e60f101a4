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

/** The states a step actor ends in. */
const FINAL = new Set<StepState>(["succeeded", "failed", "cancelled", "compensated", "compensation_failed"]);

/**
 * What the Stately inspector reads off a logic's `config`: a machine config, for drawing only.
 *
 * @example
 * const machine = createMachine(stepChartConfig as StepChartConfig); // XState accepts it, e.g. to walk it with @xstate/graph
 */
export interface StepChartConfig {
  readonly id: "step";
  readonly initial: "idle";
  readonly states: Readonly<
    Record<
      StepState,
      {
        readonly type?: "final";
        readonly on?: Readonly<Record<string, readonly { readonly target: StepState }[]>>;
      }
    >
  >;
}

/**
 * The step actor's chart as a machine config (`stepLogic.config`): the Stately inspector
 * serialises it with each step actor and draws it, with the actor's current state (its
 * snapshot's `value`). Generated from `stepStates`, so it is exactly the checked chart:
 * an event with several targets lists them all (the logic picks one by the outcome).
 *
 * @example
 * stepChartConfig.states.running.on?.SETTLED; // [{ target: "succeeded" }, { target: "retrying" }, …]
 */
export const stepChartConfig: StepChartConfig = {
  id: "step",
  initial: "idle",
  states: Object.fromEntries(
    Object.entries(stepStates as Record<StepState, Record<string, readonly StepState[]>>).map(([state, events]) => [
      state,
      FINAL.has(state as StepState)
        ? { type: "final" }
        : {
            on: Object.fromEntries(
              Object.entries(events).map(([event, targets]) => [event, targets.map((target) => ({ target }))]),
            ),
          },
    ]),
  ) as StepChartConfig["states"],
};
