/**
 * The saga invariants every run must keep, checked on a run's result and events:
 * the universal ones (from the plan and the events alone) and the model's
 * expectation for the path it followed.
 */

import { plan, type WorkflowEvent, type WorkflowPlan, type WorkflowResult } from "../index.js";
import type { WorkflowPath } from "./generate-paths.js";

/**
 * Which invariant a {@link Violation} breaks.
 *
 * - `followed_path`: the engine could not play the path's events to the end.
 * - `dependencies`: a step started before one of its dependencies succeeded.
 * - `limit`: more steps in flight than `parallelLimit`, or a `parallel: false` step not alone.
 * - `compensated_ran`: a compensation of a step that never ran (never succeeded; under
 *   `compensate_failed`, not the failed step).
 * - `compensated_once`: a step compensated more than once.
 * - `compensation_order`: the rollback is not what the policy prescribes (`compensate_all`:
 *   every succeeded compensable step, in reverse completion order; `fail_fast`,
 *   `continue`: none; `compensate_failed`: only the failed step). A cancelled run is
 *   held to the same rule (with no failed step); a timed-out one is not checked.
 * - `result_events`: the result's compensation summary disagrees with the events.
 * - `expected`: status, error, a step's status, attempts or compensation attempts, the
 *   completion order or the compensations differ from the model's expectation.
 *
 * @example
 * const broken = checkInvariants(replayed, path).filter((v) => v.invariant === "compensation_order");
 */
export type InvariantName =
  | "followed_path"
  | "dependencies"
  | "limit"
  | "compensated_ran"
  | "compensated_once"
  | "compensation_order"
  | "result_events"
  | "expected";

/**
 * One broken invariant, in words.
 *
 * @example
 * const violation: Violation = {
 *   invariant: "dependencies",
 *   message: "`generate_code` started before reserve_resources succeeded",
 * };
 */
export interface Violation {
  readonly invariant: InvariantName;
  readonly message: string;
}

/**
 * What {@link checkInvariants} reads: a run's result and every event of it (what
 * `replay` returns, or a run of your own recorded from `run.events`).
 *
 * @example
 * const run = engine.start(wf, input);
 * const events: WorkflowEvent[] = [];
 * run.events.subscribe((e) => events.push(e));
 * checkInvariants({ result: await run.result, events }, path);
 */
export interface RunRecord {
  readonly result: WorkflowResult;
  readonly events: readonly WorkflowEvent[];
  /** From `replay`: why the engine could not follow the path. */
  readonly stalled?: string | undefined;
  /** From `replay`: how many of the path's events were played. */
  readonly played?: number;
}

/**
 * Check a run against the saga invariants and against the model's expectation for
 * `path`. Returns every violation found (empty when the run is right).
 *
 * @example
 * const replayed = await replay(path);
 * const violations = checkInvariants(replayed, path);
 * expect(violations).toEqual([]);
 */
export function checkInvariants(run: RunRecord, path: WorkflowPath): Violation[] {
  const p = plan(path.workflow);
  const violations: Violation[] = [];
  const report = (invariant: InvariantName, message: string) => violations.push({ invariant, message });
  const own = run.events.filter((e) => e.path === undefined);

  if (run.stalled !== undefined) report("followed_path", run.stalled);
  else if (run.played !== undefined && run.played < path.events.length) {
    report("followed_path", `the run ended after ${run.played} of the path's ${path.events.length} events`);
  }
  checkScheduling(p, own, report);
  checkCompensation(p, run, own, report);
  checkExpectation(path, run.result, own, report);
  return violations;
}

type Report = (invariant: InvariantName, message: string) => void;

const SETTLED = new Set(["step.succeeded", "step.failed", "step.cancelled"]);

const list = (names: readonly string[]) => (names.length === 0 ? "none" : names.join(", "));
const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const stepsOf = (events: readonly WorkflowEvent[], type: string) =>
  events.filter((e) => e.type === type).map((e) => e.step!);

function checkScheduling(p: WorkflowPlan, events: readonly WorkflowEvent[], report: Report): void {
  const succeeded = new Set<string>();
  const inFlight = new Set<string>();
  for (const event of events) {
    const step = event.step;
    if (step === undefined) continue;
    if (event.type === "step.succeeded") succeeded.add(step);
    if (SETTLED.has(event.type)) inFlight.delete(step);
    if (event.type !== "step.started" || inFlight.has(step)) continue;
    const planned = p.steps[p.indexOf.get(step)!]!;
    const missing = planned.dependencies.filter((d) => !succeeded.has(d));
    if (missing.length > 0) report("dependencies", `\`${step}\` started before ${list(missing)} succeeded`);
    inFlight.add(step);
    if (inFlight.size > p.parallelLimit) {
      report("limit", `${inFlight.size} steps in flight (${list([...inFlight])}), limit ${p.parallelLimit}`);
    }
    const alone = [...inFlight].find((s) => !p.steps[p.indexOf.get(s)!]!.definition.parallel);
    if (alone !== undefined && inFlight.size > 1) {
      report(
        "limit",
        `\`${alone}\` (parallel: false) in flight with ${list([...inFlight].filter((s) => s !== alone))}`,
      );
    }
  }
}

function checkCompensation(p: WorkflowPlan, run: RunRecord, events: readonly WorkflowEvent[], report: Report): void {
  const { result } = run;
  const compensable = (step: string) => {
    const { definition } = p.steps[p.indexOf.get(step)!]!;
    return definition.compensate !== undefined || definition.workflow !== undefined;
  };
  const completed = stepsOf(events, "step.succeeded");
  const failed = result.status === "succeeded" ? undefined : result.error.step;
  const undone = events
    .filter((e) => e.type === "step.compensated" || e.type === "step.compensation_failed")
    .map((e) => e.step!);

  const seen = new Set<string>();
  for (const step of undone) {
    if (seen.has(step)) report("compensated_once", `\`${step}\` was compensated more than once`);
    seen.add(step);
    const ran = completed.includes(step) || (p.onError === "compensate_failed" && step === failed);
    if (!ran) report("compensated_ran", `\`${step}\` was compensated but never ran to completion`);
  }

  // A cancel stops the run like a failure under the policy; compensate_failed then has no failed step.
  let required: string[] = [];
  if ((result.status === "failed" || result.status === "cancelled") && p.onError === "compensate_all") {
    required = completed.filter(compensable).reverse();
  } else if (result.status === "failed" && p.onError === "compensate_failed" && failed !== undefined) {
    required = compensable(failed) ? [failed] : [];
  }
  // A stalled replay was cancelled by the replay itself: its rollback says nothing about the policy.
  if (run.stalled === undefined && result.status !== "timed_out" && !same(undone, required)) {
    report(
      "compensation_order",
      `compensations ran ${list(undone)}; ${p.onError} requires ${list(required)}` +
        (p.onError === "compensate_all" ? ` (reverse of completion order ${list(completed)})` : ""),
    );
  }

  const compensatedEvents = stepsOf(events, "step.compensated");
  const failedEvents = stepsOf(events, "step.compensation_failed");
  if (!same(result.compensation.compensated, compensatedEvents)) {
    report(
      "result_events",
      `result.compensation.compensated is ${list(result.compensation.compensated)}, the events say ${list(compensatedEvents)}`,
    );
  }
  const failedInResult = result.compensation.failed.map((f) => f.step);
  if (!same(failedInResult, failedEvents)) {
    report(
      "result_events",
      `result.compensation.failed is ${list(failedInResult)}, the events say ${list(failedEvents)}`,
    );
  }
}

function checkExpectation(
  path: WorkflowPath,
  result: WorkflowResult,
  events: readonly WorkflowEvent[],
  report: Report,
): void {
  const expected = path.expected;
  const mismatch = (what: string, actual: unknown, wanted: unknown) =>
    report("expected", `${what} is ${JSON.stringify(actual)}, the model expects ${JSON.stringify(wanted)}`);
  if (result.status !== expected.status) mismatch("status", result.status, expected.status);
  const error = result.error === undefined ? undefined : { step: result.error.step, code: result.error.code };
  if (error?.step !== expected.error?.step || error?.code !== expected.error?.code) {
    mismatch("error", error, expected.error);
  }
  for (const [name, want] of Object.entries(expected.steps)) {
    const got = result.steps[name];
    if (got?.status !== want.status) mismatch(`steps.${name}.status`, got?.status, want.status);
    if (got?.attempts !== want.attempts) mismatch(`steps.${name}.attempts`, got?.attempts, want.attempts);
    const compensations = events.filter((e) => e.type === "step.compensating" && e.step === name).length;
    if (compensations !== want.compensations) {
      mismatch(`compensation attempts of ${name}`, compensations, want.compensations);
    }
  }
  const completed = stepsOf(events, "step.succeeded");
  if (!same(completed, expected.completed)) mismatch("completion order", completed, expected.completed);
  if (!same(result.compensation.compensated, expected.compensated)) {
    mismatch("compensation.compensated", result.compensation.compensated, expected.compensated);
  }
  const failed = result.compensation.failed.map((f) => f.step);
  if (!same(failed, expected.compensationFailed)) mismatch("compensation.failed", failed, expected.compensationFailed);
}
