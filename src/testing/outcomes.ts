/**
 * The vocabulary of model-based tests: what can happen to one step (its outcome)
 * and to its compensation, as events of the abstract model.
 */

/**
 * What a step does in a scripted run.
 *
 * - `succeeds`: the first attempt returns every declared output.
 * - `fails`: every attempt throws (a retry budget is used up: `RETRIES_EXHAUSTED`).
 * - `succeeds_on_retry`: the first attempt throws, the second succeeds (needs `retry`).
 * - `times_out`: every attempt hangs until its timeout aborts it (needs `timeout`).
 *
 * And for a step in flight when the run stops (explored with the `ignores_abort` kind):
 * - `cancelled`: it gives up when its signal is aborted.
 * - `ignores_abort`: it succeeds anyway, within the abort grace period.
 *
 * @example
 * const outcome: StepOutcome = "succeeds_on_retry";
 */
export type StepOutcome = "succeeds" | "fails" | "succeeds_on_retry" | "times_out" | "cancelled" | "ignores_abort";

/**
 * What a step's `compensate` does in a scripted run: `compensates`, or `fails` on
 * every attempt its retry policy allows.
 *
 * @example
 * const outcome: CompensationOutcome = "fails";
 */
export type CompensationOutcome = "compensates" | "fails";

/**
 * The kinds of trouble a path may script; each one used counts against `maxFailures`.
 * Two are not explored unless asked for: `cancelled`, the whole run cancelled
 * (`run.cancel()`) between two steps settling; and `ignores_abort`, a step in flight
 * when the run stops that succeeds anyway within `abortGrace` (then each step in
 * flight settles by an event of its own, `cancelled` or `ignores_abort`).
 *
 * @example
 * generatePaths(wf, { kinds: ["fails", "compensation_fails", "cancelled"] });
 */
export type FailureKind =
  | "fails"
  | "succeeds_on_retry"
  | "times_out"
  | "compensation_fails"
  | "cancelled"
  | "ignores_abort";

/**
 * The failure kinds explored by default, in the order the model tries them.
 *
 * @example
 * generatePaths(wf, { kinds: [...STEP_FAILURE_KINDS, "cancelled"] });
 */
export const STEP_FAILURE_KINDS: readonly FailureKind[] = Object.freeze([
  "fails",
  "times_out",
  "succeeds_on_retry",
  "compensation_fails",
]);

/**
 * One event of the abstract model: a step settles with an outcome, a step's
 * compensation settles, or the run is cancelled. A path is a sequence of them, in
 * the order they happen.
 *
 * @example
 * const events: ModelEvent[] = [
 *   { type: "STEP", step: "reserve_resources", outcome: "succeeds" },
 *   { type: "STEP", step: "generate_code", outcome: "fails" },
 *   { type: "COMPENSATE", step: "reserve_resources", outcome: "compensates" },
 * ];
 */
export type ModelEvent =
  | { readonly type: "STEP"; readonly step: string; readonly outcome: StepOutcome }
  | { readonly type: "COMPENSATE"; readonly step: string; readonly outcome: CompensationOutcome }
  | { readonly type: "CANCEL" };

/**
 * The scripted behaviour of one step on a path. A step with no `run` outcome never
 * gets its turn: it stays pending, or (if it was started) is aborted and cancelled.
 *
 * @example
 * path.outcomes.generate_code; // { run: "succeeds", compensate: "compensates" }
 */
export interface StepScript {
  readonly run?: StepOutcome;
  readonly compensate?: CompensationOutcome;
}

/**
 * Whether an event uses up one of the path's failures.
 *
 * @example
 * path.events.filter(isFailure).length; // <= maxFailures
 */
export function isFailure(event: ModelEvent): boolean {
  if (event.type === "CANCEL") return true;
  if (event.type === "COMPENSATE") return event.outcome === "fails";
  return event.outcome !== "succeeds" && event.outcome !== "cancelled";
}

/**
 * The event in words, for a path's description.
 *
 * @example
 * describeEvent({ type: "COMPENSATE", step: "reserve_resources", outcome: "fails" }); // "undo reserve_resources FAILS"
 */
export function describeEvent(event: ModelEvent): string {
  if (event.type === "CANCEL") return "CANCELLED";
  if (event.type === "COMPENSATE") return event.outcome === "fails" ? `undo ${event.step} FAILS` : `undo ${event.step}`;
  switch (event.outcome) {
    case "succeeds":
      return event.step;
    case "succeeds_on_retry":
      return `${event.step} (fails once, retried)`;
    case "fails":
      return `${event.step} FAILS`;
    case "times_out":
      return `${event.step} TIMES OUT`;
    case "cancelled":
      return `${event.step} cancelled`;
    case "ignores_abort":
      return `${event.step} (finishes despite the abort)`;
  }
}

/**
 * The per-step scripts of a sequence of events.
 *
 * @example
 * scriptsOf(path.events).generate_code; // { run: "succeeds", compensate: "compensates" }
 */
export function scriptsOf(events: readonly ModelEvent[]): Record<string, StepScript> {
  const scripts: Record<string, { run?: StepOutcome; compensate?: CompensationOutcome }> = {};
  for (const event of events) {
    if (event.type === "CANCEL") continue;
    const script = (scripts[event.step] ??= {});
    if (event.type === "STEP") script.run = event.outcome;
    else script.compensate = event.outcome;
  }
  return scripts;
}
