/**
 * The executor seam: where one attempt of one step runs. The engine runs a step's code
 * in its own process unless the step names an executor (`executor: "threads"`); then the
 * attempt is handed to that executor, which may run it on a worker thread
 * (`@rubberduck/workflows/threads`) or on another machine (`@rubberduck/workflows/bullmq`).
 *
 * An executor runs the step's code and nothing else: the engine keeps the orchestration
 * (input schemas and `validateInput` before, output checks and the cache after, retries,
 * timeouts, compensation, the journal).
 */

import type { ExecutionPhase, StepContext, StepDefinition, StepResults } from "../dsl/step.js";
import { deserializeError, type SerializedError, serializeError } from "../error-codec.js";
import { SerializationError } from "../errors.js";
import { findNonJson } from "../util/json-data.js";

/** Which attempt of which step: the fields of the step's `ctx` that say so. */
type AttemptIdentity = Pick<
  StepContext,
  "executionId" | "workflow" | "version" | "step" | "attempt" | "idempotencyKey"
>;

/**
 * One attempt of one step, as an executor receives it.
 *
 * @example
 * const logging: Executor = {
 *   run: (request) => {
 *     console.log(`${request.workflow}/${request.step} attempt ${request.attempt}`);
 *     return request.definition.run!(request.input, request.ctx);
 *   },
 * };
 */
export interface ExecutorRequest extends AttemptIdentity {
  /** The step's input (after its input schema), frozen. */
  readonly input: Readonly<Record<string, unknown>>;
  /** The names of the step's declared outputs (what an executor must send back). */
  readonly outputs: readonly string[];
  /**
   * Aborted when the attempt must stop: its timeout (the reason is a `StepTimeoutError`),
   * a cancel, the workflow's halt. The step's `ctx.signal` must follow it.
   */
  readonly signal: AbortSignal;
  /**
   * Aborted (before `signal`) when the engine stops driving the attempt without ending it:
   * the engine closes, or lost its lease. The attempt is not over: an executor whose work
   * outlives an engine (a queue's job) leaves it to run, for the engine that resumes the
   * execution to adopt.
   */
  readonly detached: AbortSignal;
  /** When the attempt times out (ms since the epoch, on the engine's clock); undefined: no timeout. */
  readonly deadline: number | undefined;
  /**
   * How long an attempt aborted by anything but its timeout may still take to settle, in
   * ms (the workflow's `abortGrace`): past it, or at once on a timeout, an executor that
   * can stop the code by force (a worker thread) does.
   */
  readonly abortGrace: number;
  /**
   * Resumed after its engine stopped: the attempt before this one started and never
   * settled. An executor whose work outlives an engine (a queue's job) may adopt that
   * attempt's outcome instead of running the step again.
   */
  readonly interruptedAttempt: number | undefined;
  /** The step as defined: an executor that runs code in this process calls `definition.run`. */
  readonly definition: StepDefinition;
  /** The step's `ctx` in this process (what `definition.run` expects as its second argument). */
  readonly ctx: StepContext;
  /** The outputs of the steps this step depends on, by step name: a remote `ctx.results`. */
  readonly dependencyResults: () => Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/**
 * Runs attempts of steps: resolves with what the step's code returned (an object holding
 * its declared outputs), or rejects with what it threw (a `WorkflowError` when the
 * executor itself failed: {@link ExecutorError} for a lost worker, `SerializationError`
 * for a value that cannot cross).
 *
 * @example
 * createEngine({ workflows: [codeAnalysis], executors: { threads: threadExecutor({ modules: [new URL("./code-analysis.ts", import.meta.url)] }) } });
 */
export interface Executor {
  run(request: ExecutorRequest): Promise<unknown>;
  /** Release the executor's threads or connections; `engine.close()` calls it. */
  close?(): Promise<void>;
}

/**
 * An executor that runs the step's code in this process, as a step without `executor`
 * does: for tests, and to run a workflow written for workers on one machine.
 *
 * @example
 * createEngine({ workflows: [codeAnalysis], executors: { threads: inProcessExecutor() } }); // no worker threads in this test
 */
export function inProcessExecutor(): Executor {
  return { run: (request) => Promise.resolve(request.definition.run!(request.input, request.ctx)) };
}

/**
 * One attempt as it crosses a thread or a machine: plain JSON data. A worker looks the
 * step up by `workflow`, `version` and `step` in the modules it imported.
 */
export interface StepTask extends AttemptIdentity {
  readonly input: Readonly<Record<string, unknown>>;
  readonly outputs: readonly string[];
  readonly workflowInput: Readonly<Record<string, unknown>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly results: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly startedAt: number;
  readonly status: ExecutionPhase;
  readonly deadline: number | undefined;
}

/** What a worker sends back for one task. */
export type StepTaskResult =
  | { readonly ok: true; readonly output: Readonly<Record<string, unknown>> }
  | { readonly ok: false; readonly error: SerializedError; readonly stack?: string };

/**
 * The task of a request, for executor `name`: every value that crosses is checked, and
 * one that JSON would change fails the attempt with a `SerializationError` naming its
 * path (`input.files[2]`), before anything is sent.
 */
export function taskOf(request: ExecutorRequest, name: string): StepTask {
  const { ctx } = request;
  const results = request.dependencyResults();
  const crossing = `executor "${name}"`;
  const check = (value: unknown, root: string) => {
    const bad = findNonJson(value, root);
    if (bad !== undefined) throw new SerializationError(request.step, bad.path, bad.found, crossing);
  };
  check(request.input, "input");
  check(ctx.workflowInput, "ctx.workflowInput");
  check(ctx.metadata, "ctx.metadata");
  check(results, "ctx.results");
  return {
    executionId: request.executionId,
    workflow: request.workflow,
    version: request.version,
    step: request.step,
    attempt: request.attempt,
    idempotencyKey: request.idempotencyKey,
    input: request.input,
    outputs: request.outputs,
    workflowInput: ctx.workflowInput,
    metadata: ctx.metadata,
    results,
    startedAt: ctx.startedAt,
    status: ctx.status,
    deadline: request.deadline,
  };
}

/** A worker's answer as the attempt's outcome: the output, or the error rebuilt into its class. */
export function failureOf(result: Extract<StepTaskResult, { ok: false }>): unknown {
  const error = deserializeError(result.error);
  if (result.stack !== undefined && error instanceof Error) error.stack = result.stack;
  return error;
}

/** A worker's answer to a task that threw. */
export function failed(error: unknown): StepTaskResult {
  return {
    ok: false,
    error: serializeError(error),
    ...(error instanceof Error && typeof error.stack === "string" ? { stack: error.stack } : {}),
  };
}

/** `ctx.results` of a remote attempt: the outputs of the step's dependencies. */
export class TaskResults implements StepResults {
  readonly #results: Readonly<Record<string, Readonly<Record<string, unknown>>>>;

  constructor(results: Readonly<Record<string, Readonly<Record<string, unknown>>>>) {
    this.#results = results;
  }

  get(step: string): Readonly<Record<string, unknown>> | undefined {
    return Object.hasOwn(this.#results, step) ? this.#results[step] : undefined;
  }

  has(step: string): boolean {
    return Object.hasOwn(this.#results, step);
  }

  all(): Record<string, Readonly<Record<string, unknown>>> {
    return { ...this.#results };
  }

  entries(): [string, Readonly<Record<string, unknown>>][] {
    return Object.entries(this.#results);
  }
}
