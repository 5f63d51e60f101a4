/**
 * The copy of a workflow that a replay runs: same name, steps, inputs, outputs,
 * dependencies, parallelism, retry budgets and error policy, with every step's work
 * and compensation replaced by the path's script.
 *
 * What the copy changes, and why:
 * - Backoff delays are 0: how long a retry waits is not what the model covers.
 * - `retryOn` and per-step `onError` handlers are dropped (they are user code the
 *   model cannot predict), and so are caching and step input/output schemas
 *   (scripted outputs are placeholders) and the workflow's `timeout`.
 * - Only a step scripted to time out keeps a `timeout`, and a value chosen so that
 *   time-outs happen in the path's order: each is longer than all the simulated time
 *   that can pass before its turn. Any other step is never late, so it needs none.
 */

import { type AnyWorkflow, plan, type StepContext, type WorkflowOptions, workflow } from "../index.js";
import { type Conductor, hang } from "./conductor.js";
import type { WorkflowPath } from "./generate-paths.js";

/**
 * What a scripted step throws when the path says it fails.
 *
 * @example
 * result.steps.validate_code.error?.cause instanceof ScriptedFailure; // true
 */
export class ScriptedFailure extends Error {
  override readonly name = "ScriptedFailure";

  constructor(step: string, what: "run" | "compensate", attempt: number) {
    super(`scripted ${what === "run" ? "failure" : "compensation failure"} of \`${step}\` (attempt ${attempt})`);
  }
}

/**
 * How {@link scriptedWorkflow} builds the copy.
 *
 * @example
 * scriptedWorkflow(path, conductor, { callSteps: false, keepInputSchema: false });
 */
export interface ScriptOptions {
  /** Call the user's `run`/`compensate` for successful outcomes instead of placeholders. */
  readonly callSteps: boolean;
  /** Keep the workflow's input schema (the caller gave a real input). */
  readonly keepInputSchema: boolean;
}

/** Base of the time-outs given to steps scripted to time out, in ms. */
const TIMEOUT_UNIT = 1_000;

/**
 * The scripted copy of `path.workflow` (see the module comment for what it changes).
 *
 * @example
 * const wf = scriptedWorkflow(path, new Conductor(path.events), { callSteps: false, keepInputSchema: false });
 * engine.start(wf, {});
 */
export function scriptedWorkflow(path: WorkflowPath, conductor: Conductor, options: ScriptOptions): AnyWorkflow {
  const original = path.workflow;
  const p = plan(original);
  const timeouts = timeoutsFor(path, (step) => p.steps[p.indexOf.get(step)!]!.retry.maxAttempts);
  const o = original.options;
  const workflowOptions: WorkflowOptions = {
    description: o.description,
    version: original.version,
    tags: o.tags,
    onError: p.onError,
    parallelLimit: p.parallelLimit,
    abortGrace: p.abortGrace,
  };
  if (options.keepInputSchema && o.input !== undefined) workflowOptions.input = o.input;
  let copy: AnyWorkflow = workflow(original.name, workflowOptions);
  for (const step of p.steps) {
    const { definition, name } = step;
    const script = path.outcomes[name] ?? {};
    const outputs = definition.outputs;
    const produce = async (input: unknown, ctx: StepContext): Promise<unknown> => {
      if (options.callSteps && definition.run !== undefined) {
        return conductor.track(Promise.resolve(definition.run(input, ctx)));
      }
      return Object.fromEntries(outputs.map((output) => [output, `${name}.${output}`]));
    };
    const outlivesAbort = script.run === "cancelled" || script.run === "ignores_abort";
    const run = async (input: unknown, ctx: StepContext): Promise<unknown> => {
      await conductor.turn("STEP", name, ctx.signal, outlivesAbort);
      switch (script.run) {
        case "succeeds":
        case "ignores_abort":
          return produce(input, ctx);
        case "cancelled":
          // Its turn comes after the run stopped: give up as the abort asks.
          throw ctx.signal.reason;
        case "succeeds_on_retry":
          if (ctx.attempt === 1) throw new ScriptedFailure(name, "run", ctx.attempt);
          return produce(input, ctx);
        case "fails":
          throw new ScriptedFailure(name, "run", ctx.attempt);
        default:
          // Times out, or the path never gives this step an outcome: wait for the abort.
          return hang(ctx.signal);
      }
    };
    const compensable = definition.compensate !== undefined || definition.workflow !== undefined;
    const compensate = async (ctx: Parameters<NonNullable<typeof definition.compensate>>[0], cause: unknown) => {
      await conductor.turn("COMPENSATE", name, ctx.signal);
      if (script.compensate === "fails") throw new ScriptedFailure(name, "compensate", ctx.attempt);
      if (options.callSteps && definition.compensate !== undefined) {
        await conductor.track(Promise.resolve(definition.compensate(ctx, cause as never)));
      }
    };
    const raw = definition.raw;
    const stepOptions: Record<string, unknown> = {
      description: definition.description,
      dependsOn: raw.dependsOn,
      inputs: raw.inputs,
      outputs: raw.outputs,
      parallel: definition.parallel,
      retry: { maxAttempts: step.retry.maxAttempts, backoff: "fixed", baseDelay: 0, jitter: false },
      timeout: timeouts.get(name),
      cache: false,
      run,
      compensate: compensable ? compensate : undefined,
    };
    // The erased builder cannot type a step it only knows at run time.
    copy = copy.step(name, stepOptions as never);
  }
  return copy;
}

/**
 * Time-outs for the steps scripted to time out, in path order. Simulated time only
 * passes while a step waits out its time-out (every other step is instant), so the
 * j-th such step gets one longer than everything the earlier ones can take
 * (`maxAttempts` time-outs each): its deadline can never come before theirs.
 */
function timeoutsFor(path: WorkflowPath, attemptsOf: (step: string) => number): Map<string, number> {
  const timeouts = new Map<string, number>();
  let elapsed = 0;
  for (const event of path.events) {
    if (event.type !== "STEP" || event.outcome !== "times_out") continue;
    const timeout = elapsed + TIMEOUT_UNIT;
    timeouts.set(event.step, timeout);
    elapsed += attemptsOf(event.step) * timeout;
  }
  return timeouts;
}
