/**
 * Paths through a workflow's abstract model, found by @xstate/graph: each is a
 * sequence of step outcomes (and compensation outcomes) from the start to the end of
 * an execution, with what the real engine must produce when it follows it.
 */

import { getShortestPaths, getSimplePaths } from "@xstate/graph";
import type { AnyWorkflow } from "../index.js";
import { machineOf } from "./build-model-machine.js";
import { type ExpectedOutcome, expectationOf } from "./expectation.js";
import { enabledEvents, serializeState, simulate } from "./model.js";
import { type ModelOptions, modelConfig } from "./model-config.js";
import { describeEvent, isFailure, type ModelEvent, type StepScript, scriptsOf } from "./outcomes.js";
import { TestingError } from "./testing-error.js";

/**
 * Options of {@link generatePaths}: the bounds of the model (see {@link ModelOptions})
 * and of the walk.
 *
 * @example
 * generatePaths(wf, { maxFailures: 2, interleavings: "all", traversal: "simple", limit: 500 });
 */
export interface GeneratePathsOptions extends ModelOptions {
  /**
   * `"shortest"`: one path to every distinct end state of the model (`getShortestPaths`).
   * `"simple"`: every path to every end state (`getSimplePaths`); it differs only where
   * different orders lead to the same state (`interleavings: "all"` without
   * `compensate_all`), and costs about the square of the number of model states.
   * @default "shortest"
   */
  traversal?: "shortest" | "simple";
  /** At most this many paths, those with the fewest failures first. @default Infinity */
  limit?: number;
  /**
   * Give up (with a `MODEL_TOO_LARGE` TestingError) past this many model states.
   * @default 200_000 with `"shortest"`, 2_000 with `"simple"`
   */
  maxStates?: number;
}

/**
 * One execution of the model, ready to replay against the engine.
 *
 * @example
 * const path = generatePaths(codegen).find((p) => p.outcomes.validate_code?.run === "fails")!;
 * path.description; // "reserve_resources → generate_code → validate_code FAILS → undo generate_code → undo reserve_resources ⇒ failed"
 * path.expected.compensated; // ["generate_code", "reserve_resources"]
 */
export interface WorkflowPath {
  /** The workflow the path runs (its user functions are not called unless `replay` is asked to). */
  readonly workflow: AnyWorkflow;
  /** The events in words: each settled step, `FAILS`, `TIMES OUT`, `undo x`…, then the final status. */
  readonly description: string;
  /** The model events, in the order the steps (then the compensations) settle. */
  readonly events: readonly ModelEvent[];
  /** Per step: how it runs and how its compensation runs, when it gets to. */
  readonly outcomes: Readonly<Record<string, StepScript>>;
  /** What the real run must end with. */
  readonly expected: ExpectedOutcome;
}

/**
 * Enumerate the paths of a workflow's abstract model (events are step outcomes:
 * succeeds, fails, succeeds on retry, times out; compensation succeeds or fails),
 * walked with `@xstate/graph`. Only outcomes a step can have are used: a retry needs
 * a retry budget, a time-out a `timeout`, a failed compensation a `compensate`.
 *
 * How many: polynomial in the number of steps, about `n^f` for `n` steps and
 * `f = maxFailures` (under `compensate_all` a failure at the k-th step leaves k−1
 * compensations that may fail in turn). A 10-step saga with retries and time-outs
 * gives 16, 89 and 339 paths for `f` = 1, 2, 3; a 30-step one 48 and 801 for
 * `f` = 1, 2. `interleavings: "all"` multiplies that by the completion orders of
 * parallel steps, which is exponential in the width of the graph. Bound it with
 * `maxFailures`, `failing`, `kinds` and `limit`.
 *
 * @throws {WorkflowDefinitionError} if the workflow is invalid.
 * @throws {TestingError} `MODEL_TOO_LARGE` past `maxStates` model states.
 * @example
 * const paths = generatePaths(codegen, { maxFailures: 1 });
 * for (const path of paths) console.log(path.description, path.expected.status);
 */
export function generatePaths(wf: AnyWorkflow, options: GeneratePathsOptions = {}): WorkflowPath[] {
  const config = modelConfig(wf, options);
  const machine = machineOf(config);
  const simple = options.traversal === "simple";
  const maxStates = options.maxStates ?? (simple ? 2_000 : 200_000);
  const traversal = {
    events: (snapshot: { context: Parameters<typeof enabledEvents>[1] }) => enabledEvents(config, snapshot.context),
    serializeState: (snapshot: { context: Parameters<typeof serializeState>[1] }) =>
      serializeState(config, snapshot.context),
    toState: (snapshot: { status: string }) => snapshot.status === "done",
    limit: maxStates,
  };
  let walked: { steps: { event: ModelEvent | { type: "xstate.init" } }[] }[];
  try {
    walked = simple ? getSimplePaths(machine, traversal) : getShortestPaths(machine, traversal);
  } catch (error) {
    if (error instanceof Error && error.message.includes("limit exceeded")) {
      throw new TestingError(
        "MODEL_TOO_LARGE",
        `The model of \`${wf.name}\` has more than ${maxStates} states: lower \`maxFailures\`, ` +
          "name fewer `failing` steps or `kinds`, or raise `maxStates`" +
          (simple ? ' (`traversal: "simple"` costs about the square of the states: prefer "shortest")' : ""),
        { cause: error },
      );
    }
    throw error;
  }
  const paths = walked.map((walk): WorkflowPath => {
    const events = walk.steps.slice(1).map((step) => step.event as ModelEvent);
    const expected = expectationOf(config, simulate(config, events));
    return {
      workflow: wf,
      description: `${events.length === 0 ? "no steps" : events.map(describeEvent).join(" → ")} ⇒ ${expected.status}`,
      events,
      outcomes: scriptsOf(events),
      expected,
    };
  });
  const failures = (path: WorkflowPath) => path.events.filter(isFailure).length;
  // Array.prototype.sort is stable: paths with as many failures keep the walk's order.
  paths.sort((a, b) => failures(a) - failures(b));
  return paths.slice(0, options.limit ?? Number.POSITIVE_INFINITY);
}
