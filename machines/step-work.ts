/**
 * The work of one attempt, run by the step actor:
 *
 *   input schema → module validateInput → cache lookup → run (or the sub-workflow)
 *     → declared outputs → output schema → freeze → cache store
 *
 * and of one compensation attempt. Everything thrown becomes a typed WorkflowError.
 */

import { freeze } from "immer";
import type { AnyActorRef } from "xstate";
import { type CacheAccess, cacheKeyOf, readCache } from "../src/cache/step-cache.js";
import { keep } from "../src/dsl/keep.js";
import type { CompensationContext, StepContext } from "../src/dsl/step.js";
import {
  CompensationError,
  ExecutorNotFoundError,
  StepOutputError,
  toWorkflowError,
  ValidationError,
  type WorkflowError,
} from "../src/errors.js";
import type { Executor } from "../src/executors/executor.js";
import type { PlannedStep } from "../src/planner/types.js";
import type { CompensationSummary } from "../src/result.js";
import type { AttemptInfo, Instrument } from "../src/telemetry/telemetry.js";
import { validate } from "../src/validation/standard-schema.js";
import type { AttemptSignal } from "./attempt-signal.js";

/** What a sub-workflow step needs from the workflow actor (which owns the machines). */
export interface SubWorkflowRunner {
  /**
   * Run the step's sub-workflow as a child actor of `parent` (the step's actor);
   * resolves to its outputs and a handle for a later rollback.
   */
  run(
    step: PlannedStep,
    input: Readonly<Record<string, unknown>>,
    signal: AttemptSignal,
    parent: AnyActorRef,
  ): Promise<SubWorkflowRun>;
  /** Compensate a succeeded sub-workflow's steps (nested saga); resolves to the rollback it did. */
  rollback(
    step: PlannedStep,
    handle: unknown,
    cause: WorkflowError,
    signal: AttemptSignal,
    parent: AnyActorRef,
  ): Promise<CompensationSummary>;
}

export interface SubWorkflowRun {
  readonly output: Readonly<Record<string, unknown>>;
  readonly handle: unknown;
}

export interface AttemptInput {
  readonly step: PlannedStep;
  readonly input: Readonly<Record<string, unknown>>;
  readonly ctx: StepContext;
  /** The attempt's signal, read without creating it. */
  readonly signal: AttemptSignal;
  readonly cache: CacheAccess | undefined;
  readonly subWorkflows: SubWorkflowRunner | undefined;
  /** The step's actor (the parent of a sub-workflow's actor). */
  readonly self: AnyActorRef;
  /** Wraps the step's own code (telemetry context), when the execution has one. */
  readonly instrument: Instrument | undefined;
  /**
   * For a step with a timeout: where to note how long its code ran before it first
   * returned (synchronously, holding the thread), for the timeout's message.
   */
  readonly timing: { blockedMs: number } | undefined;
  /** Where steps that name an executor run. */
  readonly executors: Readonly<Record<string, Executor>> | undefined;
  /** When the attempt times out (the execution's clock), if the step has a timeout. */
  readonly deadline: number | undefined;
  /** How long an aborted attempt may still settle (the workflow's `abortGrace`). */
  readonly abortGrace: number;
  /** The number of the attempt before this one, which started and never settled (its engine stopped). */
  readonly interrupted: number | undefined;
}

export interface AttemptOutcome {
  readonly output: Readonly<Record<string, unknown>>;
  /** The outputs came from the cache; nothing ran. */
  readonly cached: boolean;
  /** The key the outputs are cached under, if the step is cached. */
  readonly cacheKey: string | undefined;
  /** A sub-workflow step: the handle to roll it back with. */
  readonly sub: unknown;
}

export interface CompensationInput {
  readonly step: PlannedStep;
  readonly ctx: CompensationContext;
  readonly cause: WorkflowError;
  readonly signal: AttemptSignal;
  readonly sub: unknown;
  readonly subWorkflows: SubWorkflowRunner | undefined;
  readonly self: AnyActorRef;
  readonly instrument: Instrument | undefined;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

export async function runAttempt(attempt: AttemptInput): Promise<AttemptOutcome> {
  const { step, ctx, signal } = attempt;
  // Start user code on a later microtask: the actor that calls this runs it
  // synchronously, and a CPU-bound step would otherwise hold up the parent's
  // bookkeeping (and the start of its siblings) until it returns.
  await undefined;
  try {
    // Aborted before it began (the workflow stopped in the meantime): do not start it.
    if (signal.aborted) throw signal.reason;
    const { definition } = step;
    let input = attempt.input;
    if (definition.inputSchema !== undefined) {
      input = (await validate(definition.inputSchema, input, `Step \`${step.name}\` input`, step.name)) as typeof input;
    }
    if (definition.validateInput !== undefined) await checkInput(step.name, definition.validateInput, input);

    const cacheKey = attempt.cache === undefined ? undefined : cacheKeyOf(attempt.cache, step, input, ctx);
    if (cacheKey !== undefined) {
      const output = await readCache(attempt.cache!, step, cacheKey, (hit) => pickOutputs(step, hit));
      if (output !== undefined) return { output, cached: true, cacheKey, sub: undefined };
    }

    let value: unknown;
    let sub: unknown;
    if (definition.workflow !== undefined) {
      const run = await attempt.subWorkflows!.run(step, input, signal, attempt.self);
      value = run.output;
      sub = run.handle;
    } else if (definition.executor !== undefined) {
      value = await runOn(definition.executor, attempt, input);
    } else {
      const call = () => definition.run!(input, ctx);
      const timing = attempt.timing;
      const began = timing === undefined ? 0 : performance.now();
      const pending = attempt.instrument === undefined ? call() : attempt.instrument(infoOf(ctx, "run"), call);
      if (timing !== undefined) timing.blockedMs = performance.now() - began;
      value = await pending;
    }
    let output = pickOutputs(step, value);
    if (definition.outputSchema !== undefined) {
      const parsed = await validate(definition.outputSchema, output, `Step \`${step.name}\` output`, step.name);
      output = freeze(parsed as Record<string, unknown>, true);
    }
    // Not written to the cache here: only the step actor knows whether it accepts this result.
    return { output, cached: false, cacheKey, sub };
  } catch (thrown) {
    // Whatever failed — the step, a getter on its result, freezing it — becomes a typed error.
    throw toWorkflowError(thrown, step.name);
  }
}

export async function runCompensation({
  step,
  ctx,
  cause,
  signal,
  sub,
  subWorkflows,
  self,
  instrument,
}: CompensationInput): Promise<unknown> {
  await undefined;
  try {
    if (step.definition.workflow !== undefined) {
      const { compensated, failed, kept } = await subWorkflows!.rollback(step, sub, cause, signal, self);
      if (failed.length > 0) {
        const names = failed.map((f) => f.step).join(", ");
        throw new CompensationError(step.name, `its sub-workflow could not compensate ${names}`);
      }
      // A nested saga whose steps all kept their effects kept the step's too.
      if (compensated.length === 0 && kept.length > 0) {
        return keep(`its sub-workflow kept ${kept.map((k) => `${k.step} (${k.reason})`).join(", ")}`);
      }
      return;
    }
    const call = () => step.definition.compensate!(ctx, cause);
    // What it returns matters: `keep(reason)` keeps the effect.
    return await (instrument === undefined ? call() : instrument(infoOf(ctx, "compensate"), call));
  } catch (thrown) {
    throw toWorkflowError(thrown, step.name);
  }
}

/** Hand the attempt to the executor its step names. */
function runOn(name: string, attempt: AttemptInput, input: Readonly<Record<string, unknown>>): Promise<unknown> {
  const { step, ctx, executors } = attempt;
  const executor = executors === undefined || !Object.hasOwn(executors, name) ? undefined : executors[name];
  if (executor === undefined) throw new ExecutorNotFoundError(step.name, name, Object.keys(executors ?? {}));
  // The step's actor stopping releases the attempt (before aborting it): the engine is going away.
  const detached = new AbortController();
  attempt.signal.onDispose(() => detached.abort());
  const call = () =>
    executor.run({
      executionId: ctx.executionId,
      workflow: ctx.workflow,
      version: ctx.version,
      step: step.name,
      attempt: ctx.attempt,
      idempotencyKey: ctx.idempotencyKey,
      input,
      outputs: step.definition.outputs,
      signal: ctx.signal,
      detached: detached.signal,
      deadline: attempt.deadline,
      abortGrace: attempt.abortGrace,
      interruptedAttempt: attempt.interrupted,
      definition: step.definition,
      ctx,
      dependencyResults: () => {
        const results: Record<string, Readonly<Record<string, unknown>>> = {};
        for (const dependency of step.dependencies) {
          const output = ctx.results.get(dependency);
          if (output !== undefined) results[dependency] = output;
        }
        return results;
      },
    });
  return attempt.instrument === undefined ? call() : attempt.instrument(infoOf(ctx, "run"), call);
}

function infoOf(ctx: StepContext, kind: AttemptInfo["kind"]): AttemptInfo {
  return {
    executionId: ctx.executionId,
    workflow: ctx.workflow,
    step: ctx.step,
    attempt: ctx.attempt,
    kind,
    path: undefined,
  };
}

/** Keep exactly the declared outputs, deeply frozen; fail if one is missing. */
export function pickOutputs(step: PlannedStep, value: unknown): Readonly<Record<string, unknown>> {
  const declared = step.definition.outputs;
  if (declared.length === 0) return EMPTY;
  const source = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  // Own properties only: `toString` is not an output of `{}`.
  const missing = source === undefined ? [...declared] : declared.filter((key) => !Object.hasOwn(source, key));
  if (missing.length > 0) throw new StepOutputError(step.name, missing);
  const output: Record<string, unknown> = {};
  for (const key of declared) output[key] = source![key];
  return freeze(output, true);
}

async function checkInput(stepName: string, validateInput: (input: unknown) => unknown, input: unknown): Promise<void> {
  let verdict: unknown;
  try {
    verdict = await validateInput(input);
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
