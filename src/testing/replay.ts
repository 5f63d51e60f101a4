/**
 * Replay a model path on the real engine. The run loop:
 *
 *   start the scripted copy of the workflow on an engine with a SimulatedClock
 *   repeat until the run's result is in:
 *     let every pending promise callback run (one macrotask)
 *     if the user's own code is running (callSteps), wait for it;        else
 *     if the path's next event is a cancel, cancel the run;              else
 *     if the step of the path's next event waits for its turn, give it;  else
 *     if a timer is pending, fire the earliest (time jumps to it);       else
 *     the engine cannot follow the path: note why, and cancel the run.
 */

import { type Clock, createEngine, type Engine, plan, type WorkflowEvent, type WorkflowResult } from "../index.js";
import { Conductor } from "./conductor.js";
import type { WorkflowPath } from "./generate-paths.js";
import { scriptedWorkflow } from "./scripted-workflow.js";
import { nextMacrotask, SimulatedClock } from "./simulated-clock.js";
import { TestingError } from "./testing-error.js";

/**
 * Options of {@link replay}.
 *
 * @example
 * await replay(path, { engine: ({ clock, random }) => createEngine({ clock, random, inspect }) });
 */
export interface ReplayOptions {
  /**
   * Creates the engine to run on. It must use the `clock` it is given (and should use
   * `random`), or retries and time-outs wait in real time and the replay stalls.
   * @default ({ clock, random }) => createEngine({ clock, random })
   */
  engine?: (options: { readonly clock: Clock; readonly random: () => number }) => Engine;
  /**
   * The workflow input. When given, the workflow's input schema is kept and applied.
   * @default every input name a step reads, set to undefined
   */
  input?: Record<string, unknown>;
  /**
   * Call the user's own `run` (and `compensate`) for outcomes that succeed, so real
   * outputs flow and real side effects are undone. Failures stay scripted.
   * @default false
   */
  callSteps?: boolean;
  /** Give up after this many turns of the run loop (an engine that never ends). @default 100_000 */
  maxTurns?: number;
}

/**
 * A finished replay: the engine's result, every event of the run, and whether the
 * engine could follow the path.
 *
 * @example
 * const replayed = await replay(path);
 * replayed.result.compensation.compensated; // the engine's rollback order
 * replayed.events.filter((e) => e.type === "step.succeeded").map((e) => e.step);
 */
export interface Replay {
  readonly path: WorkflowPath;
  readonly result: WorkflowResult;
  /** Every event of the run, in `seq` order. */
  readonly events: readonly WorkflowEvent[];
  /**
   * Why the engine could not follow the path (the run was then cancelled), e.g. the
   * next event's step had not been started. Undefined when it followed it to the end.
   */
  readonly stalled: string | undefined;
  /** Events of the path the engine played before it ended or stalled. */
  readonly played: number;
}

/**
 * Run a path's workflow on the real engine, each step scripted by the path (the
 * user's step functions are not called unless `callSteps`), on a SimulatedClock so
 * retries and time-outs take no real time. The steps settle in the path's order.
 *
 * @throws {TestingError} `REPLAY_STUCK` if the run neither follows the path nor ends when cancelled.
 * @example
 * for (const path of generatePaths(codegen)) {
 *   const replayed = await replay(path);
 *   expect(checkInvariants(replayed, path)).toEqual([]);
 * }
 */
export async function replay(path: WorkflowPath, options: ReplayOptions = {}): Promise<Replay> {
  const clock = new SimulatedClock();
  const conductor = new Conductor(path.events);
  const wf = scriptedWorkflow(path, conductor, {
    callSteps: options.callSteps === true,
    keepInputSchema: options.input !== undefined,
  });
  const engine = (options.engine ?? defaultEngine)({ clock, random: () => 0 });
  const run = engine.start(wf, options.input ?? placeholderInput(path));
  const events: WorkflowEvent[] = [];
  run.events.subscribe((event) => {
    events.push(event);
    conductor.observe(event);
  });
  let outcome: { result: WorkflowResult } | { error: unknown } | undefined;
  run.result.then(
    (result) => (outcome = { result }),
    (error: unknown) => (outcome = { error }),
  );

  const maxTurns = options.maxTurns ?? 100_000;
  let stalled: string | undefined;
  let deadline = maxTurns;
  for (let turn = 0; ; turn++) {
    await nextMacrotask();
    if (outcome !== undefined) break;
    if (turn < deadline) {
      if (await conductor.settleBusy()) continue;
      if (conductor.cancelNow()) {
        run.cancel("cancelled by the path");
        continue;
      }
      if (conductor.release()) continue;
      if (clock.next()) continue;
    }
    if (stalled !== undefined) {
      throw new TestingError("REPLAY_STUCK", `Replay of \`${path.description}\` cannot end: ${stalled}`);
    }
    stalled = turn >= maxTurns ? `the run did not end within ${maxTurns} turns` : whyStalled(conductor);
    deadline = turn + maxTurns;
    run.cancel(`replay stalled: ${stalled}`);
    conductor.abandon();
  }
  if ("error" in outcome) throw outcome.error;
  return { path, result: outcome.result, events, stalled, played: conductor.played };
}

function defaultEngine(options: { readonly clock: Clock; readonly random: () => number }): Engine {
  return createEngine({ clock: options.clock, random: options.random });
}

function whyStalled(conductor: Conductor): string {
  const next = conductor.current;
  if (next === undefined) return "every event of the path was played, but the run did not end";
  if (next.type === "CANCEL") return "the run did not end after it was cancelled";
  const what = next.type === "STEP" ? "run" : "compensation";
  return `the path's next event is \`${next.step}\` (${what} ${next.outcome}), but the engine is not running it`;
}

/** Every workflow input name the steps read, so the input check passes. */
function placeholderInput(path: WorkflowPath): Record<string, unknown> {
  return Object.fromEntries(plan(path.workflow).requiredInputs.map((name) => [name, undefined]));
}
