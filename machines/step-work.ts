/**
 * The work of one attempt, run inside the step actor's invoked promise:
 * validate the input, run the step, check and freeze its outputs.
 */

import { freeze } from "immer";
import type { CompensationContext, StepContext } from "../src/dsl/step.js";
import type { WorkflowError } from "../src/errors.js";
import { StepOutputError, toWorkflowError, ValidationError } from "../src/errors.js";
import type { PlannedStep } from "../src/planner/types.js";
import type { AttemptSignal } from "./attempt-signal.js";

export interface AttemptInput {
  readonly step: PlannedStep;
  readonly input: Readonly<Record<string, unknown>>;
  readonly ctx: StepContext;
  /** The attempt's signal, read without creating it. */
  readonly signal: AttemptSignal;
}

export interface CompensationInput {
  readonly step: PlannedStep;
  readonly ctx: CompensationContext;
  readonly cause: WorkflowError;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

export async function runAttempt({
  step,
  input,
  ctx,
  signal,
}: AttemptInput): Promise<Readonly<Record<string, unknown>>> {
  // Start user code on a later microtask: the actor that invokes this runs it
  // synchronously, and a CPU-bound step would otherwise hold up the parent's
  // bookkeeping (and the start of its siblings) until it returns.
  await undefined;
  try {
    // Aborted before it began (the workflow stopped in the meantime): do not start it.
    if (signal.aborted) throw signal.reason;
    const { definition } = step;
    if (definition.validateInput !== undefined) await checkInput(step.name, definition.validateInput, input);
    return pickOutputs(step, await definition.run!(input, ctx));
  } catch (thrown) {
    // Whatever failed — the step, a getter on its result, freezing it — becomes a typed error.
    throw toWorkflowError(thrown, step.name);
  }
}

export async function runCompensation({ step, ctx, cause }: CompensationInput): Promise<void> {
  await undefined;
  try {
    await step.definition.compensate!(ctx, cause);
  } catch (thrown) {
    throw toWorkflowError(thrown, step.name);
  }
}

/** Keep exactly the declared outputs, deeply frozen; fail if one is missing. */
function pickOutputs(step: PlannedStep, value: unknown): Readonly<Record<string, unknown>> {
  const declared = step.definition.outputs;
  if (declared.length === 0) return EMPTY;
  const source = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  const missing = source === undefined ? [...declared] : declared.filter((key) => !(key in source));
  if (missing.length > 0) throw new StepOutputError(step.name, missing);
  const output: Record<string, unknown> = {};
  for (const key of declared) output[key] = source![key];
  return freeze(output, true);
}

async function checkInput(stepName: string, validate: (input: unknown) => unknown, input: unknown): Promise<void> {
  let verdict: unknown;
  try {
    verdict = await validate(input);
  } catch (thrown) {
    if (thrown instanceof ValidationError) throw thrown;
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    throw new ValidationError(`Step \`${stepName}\`: input rejected: ${message}`, [{ message, path: [] }], {
      step: stepName,
      cause: thrown,
    });
  }
  const messages =
    verdict === false
      ? ["validateInput returned false"]
      : typeof verdict === "string"
        ? [verdict]
        : Array.isArray(verdict)
          ? verdict.map(String)
          : [];
  if (messages.length > 0) {
    throw new ValidationError(
      `Step \`${stepName}\`: input rejected: ${messages.join("; ")}`,
      messages.map((message) => ({ message, path: [] })),
      { step: stepName },
    );
  }
}
