/**
 * Run a workflow with chosen steps replaced by a given outcome (the guide's
 * `mock_step_failure`): fail with this error, succeed with these outputs, hang until
 * aborted, or run a stand-in. Everything else — the other steps, every `compensate`,
 * retries, timeouts, the error policy — stays as defined, so a test sees the real
 * rollback.
 */

import type { StepContext, StepDefinition } from "../dsl/step.js";
import { type AnyWorkflow, workflow } from "../dsl/workflow.js";
import { TestingError, TestingErrorCode } from "./testing-error.js";

/**
 * What a mocked step does instead of its work:
 * - `{ fail: error }`: every attempt throws it (a string becomes an Error);
 * - `{ succeed: outputs }`: every attempt returns these outputs;
 * - `"hang"`: every attempt waits until it is aborted (its timeout, the workflow stopping);
 * - a function: runs instead of the step's `run` (e.g. fail on the first attempt only).
 *
 * @example
 * const flaky: StepMock = (_input, ctx) => {
 *   if (ctx.attempt === 1) throw new Error("connection reset");
 *   return { review: "looks fine" };
 * };
 */
export type StepMock<Out = Record<string, unknown>> =
  | { readonly fail: unknown }
  | { readonly succeed: Out }
  | "hang"
  | ((input: any, ctx: StepContext) => unknown);

/** The outputs of step `K` of workflow `W`, for a typed `{ succeed }`. */
type StepsOf<W> = W extends { types: { steps: infer S } } ? S : Record<string, Record<string, unknown>>;

/**
 * Mocks by step name.
 *
 * @example
 * const mocks: StepMocks<typeof codegen> = { validate_code: { fail: "syntax error" }, deploy: "hang" };
 * const result = await createEngine().execute(mockSteps(codegen, mocks), input);
 */
export type StepMocks<W> = { readonly [K in keyof StepsOf<W> & string]?: StepMock<StepsOf<W>[K]> };

/**
 * A copy of `wf` whose named steps do what their mock says. Unknown step names throw a
 * TestingError (a typo would otherwise test nothing).
 *
 * @example
 * const result = await createEngine().execute(
 *   mockSteps(codegen, { validate_code: { fail: new Error("syntax error") } }),
 *   input,
 * );
 * expect(result).toHaveFailedAt("validate_code");
 * expect(result).toHaveCompensated(["generate_code", "reserve_resources"]);
 */
export function mockSteps<W extends AnyWorkflow>(wf: W, mocks: StepMocks<W>): W {
  const names = new Set(wf.steps.map((s) => s.name));
  const unknown = Object.keys(mocks).filter((name) => !names.has(name));
  if (unknown.length > 0) {
    throw new TestingError(
      TestingErrorCode.UNKNOWN_STEP,
      `mockSteps: workflow \`${wf.name}\` has no step ${unknown.map((n) => `\`${n}\``).join(", ")}`,
    );
  }
  let copy: AnyWorkflow = workflow(wf.name, wf.options);
  for (const step of wf.steps) {
    const mock = (mocks as Record<string, StepMock | undefined>)[step.name];
    copy = copy.step(step.name, (mock === undefined ? step.raw : mocked(step, mock)) as never);
  }
  return copy as W;
}

function mocked(step: StepDefinition, mock: StepMock): Record<string, unknown> {
  // The step keeps its own compensation (a module's too), and is no longer a sub-workflow;
  // it runs in the engine's process (a worker would run the real code).
  const { module: _module, workflow: _workflow, run: _run, executor: _executor, ...rest } = step.raw;
  // Never cached: a mocked outcome must not be served to the real step, nor the other way round.
  return { ...rest, compensate: step.compensate, run: runOf(mock), cache: false };
}

function runOf(mock: StepMock): (input: unknown, ctx: StepContext) => unknown {
  if (typeof mock === "function") return mock;
  if (mock === "hang") {
    return (_input, ctx) =>
      new Promise((_resolve, reject) => {
        if (ctx.signal.aborted) reject(ctx.signal.reason);
        ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true });
      });
  }
  if (Object.hasOwn(mock, "fail")) {
    const error = (mock as { fail: unknown }).fail;
    return () => {
      throw typeof error === "string" ? new Error(error) : error;
    };
  }
  const output = (mock as { succeed: unknown }).succeed;
  return () => output;
}
