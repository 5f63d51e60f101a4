import type { WorkflowError } from "../errors.js";
import type { StandardSchemaV1 } from "../validation/standard-schema.js";
import type { RetryOptions, RetrySetting, StepErrorDecision } from "./options.js";

/**
 * Read-only access to the outputs of steps that have already succeeded (or fallen
 * back). The guide's `all_results`: `ctx.results.all()`.
 *
 * @example
 * run: (_input, ctx) => ({ report: Object.entries(ctx.results.all()).map(([step, out]) => `${step}: ${JSON.stringify(out)}`) })
 */
export interface StepResults<Steps = Record<string, Record<string, unknown>>> {
  /** The outputs a succeeded step returned (frozen), or `undefined` if it has not succeeded. */
  get<K extends keyof Steps & string>(step: K): Readonly<Steps[K]> | undefined;
  has(step: keyof Steps & string): boolean;
  /** Every step's outputs that are there so far, by step name, in declaration order (a new object). */
  all(): { readonly [K in keyof Steps]?: Readonly<Steps[K]> };
  /** `[step, outputs]` of the same, in declaration order. */
  entries(): StepResultEntry<Steps>[];
}

/** One `[step, outputs]` pair of {@link StepResults.entries}. */
export type StepResultEntry<Steps> = { [K in keyof Steps & string]: readonly [K, Readonly<Steps[K]>] }[keyof Steps &
  string];

/** Where the execution is, as a step sees it. */
export type ExecutionPhase = "running" | "stopping" | "compensating";

/**
 * The second argument of a step's `run`: who and where it is, and how to stop early.
 *
 * @example
 * run: async ({ url }, ctx) => ({ body: await (await fetch(url, { signal: ctx.signal })).text() })
 */
export interface StepContext<WI = Record<string, unknown>, Steps = Record<string, Record<string, unknown>>> {
  readonly executionId: string;
  readonly workflow: string;
  readonly version: string;
  readonly step: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number;
  /**
   * `${executionId}:${step}`: the same on every attempt of this step in this execution
   * (and, with a durable store, after a resume). Pass it to the services a step calls
   * (a payment API's idempotency key) so that an attempt run again does not act twice.
   */
  readonly idempotencyKey: string;
  /** Aborted when the attempt times out or the workflow stops (failure elsewhere, timeout, cancel). */
  readonly signal: AbortSignal;
  /** The workflow's input, frozen. */
  readonly workflowInput: Readonly<WI>;
  /** Outputs of steps that have already succeeded, frozen. */
  readonly results: StepResults<Steps>;
  /** What the caller attached to the execution (`start(…, { metadata })`), frozen. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** When the execution started (ms since the epoch, on the engine's clock). */
  readonly startedAt: number;
  /** Where the execution is now: `running`, `stopping` (a failure, cancel or timeout), `compensating`. */
  readonly status: ExecutionPhase;
}

/**
 * Context of a `compensate` call: the step's own input and output, plus the usual context.
 *
 * @example
 * compensate: async ({ input, output, signal }) => {
 *   if (output !== undefined) await fetch(`${api}/reservations/${output.id}`, { method: "DELETE", signal });
 *   else console.warn(`no reservation was made for ${input.env}`);
 * },
 */
export interface CompensationContext<
  In = Record<string, unknown>,
  Out = Record<string, unknown>,
  WI = Record<string, unknown>,
  Steps = Record<string, Record<string, unknown>>,
> extends StepContext<WI, Steps> {
  /** The input the step ran with. */
  readonly input: Readonly<In>;
  /**
   * What the step returned. `undefined` when the step itself failed (the
   * `compensate_failed` policy compensates the failed step so it can clean up partial work).
   */
  readonly output: Readonly<Out> | undefined;
}

/**
 * Undo a step's side effects. Receives the error that made the workflow roll back.
 *
 * @example
 * const releaseLock: CompensateFn = async ({ output }, error) => {
 *   if (output !== undefined) await locks.release(output.lock_id, `rolled back: ${error.code}`);
 * };
 */
export type CompensateFn<In = any, Out = any, WI = any, Steps = any> = (
  ctx: CompensationContext<In, Out, WI, Steps>,
  error: WorkflowError,
) => unknown;

/**
 * What a step's `onError` may answer for one failed attempt:
 * - `undefined`: the step's retry policy and the workflow's `onError` decide;
 * - `"retry"`: retry even an error `retryOn` would reject, within the step's `retry`
 *   budget (3 attempts in all when it has none);
 * - `{ retry: { maxAttempts: 5, … } }`: retry with this budget and backoff (the guide's
 *   `{:retry, max_attempts: 5}`);
 * - `"fail_fast"`, `"compensate"` (`compensate_all`), `"continue"`: fail the step now
 *   and apply that policy;
 * - `{ fallback: outputs }`: the step degrades to these outputs and the workflow goes
 *   on (its dependents read them); it ends `succeeded`, listing the step in `degraded`.
 *
 * A non-retryable error (NonRetryableError, validation, a missing output) is never retried.
 */
export type StepErrorVerdict<Out = Record<string, unknown>> =
  | StepErrorDecision
  | { readonly retry: RetryOptions }
  | { readonly fallback: Out }
  | undefined
  | void;

/**
 * A step's own error handler, consulted for every failed attempt (see {@link StepErrorVerdict}).
 *
 * @example
 * onError: (error) =>
 *   error.code === "STEP_TIMEOUT" ? { retry: { maxAttempts: 5, baseDelay: 500 } }
 *   : error.code === "VALIDATION_FAILED" ? "fail_fast"
 *   : { fallback: { review: "no review: the model is unavailable" } },
 */
export type StepErrorHandler<WI = any, Steps = any, Out = any> = (
  error: WorkflowError,
  ctx: StepContext<WI, Steps>,
) => StepErrorVerdict<Out>;

/**
 * A step written as an object (the guide's StepExecutor behaviour).
 *
 * @example
 * const FileParser: StepModule<{ file_paths: string[] }, { ast_trees: Ast[] }> = {
 *   async execute({ file_paths }) { return { ast_trees: await Promise.all(file_paths.map(parse)) } },
 *   validateInput: ({ file_paths }) => file_paths.length > 0 || "file_paths is empty",
 * };
 */
export interface StepModule<In = any, Out = any, WI = any, Steps = any> {
  execute(input: In, ctx: StepContext<WI, Steps>): Out | PromiseLike<Out>;
  compensate?(ctx: CompensationContext<In, Out, WI, Steps>, error: WorkflowError): unknown;
  /**
   * Checked before `execute`; a failure is a `ValidationError` and is never retried.
   * Reject by returning `false`, a message, a list of messages, or by throwing.
   */
  validateInput?(input: In): ValidateInputResult | PromiseLike<ValidateInputResult>;
}

/**
 * What `validateInput` may return: `false`, a message or messages reject; anything else accepts.
 *
 * @example
 * validateInput: ({ file_paths }) => file_paths.length > 0 || "file_paths is empty",
 */
export type ValidateInputResult = boolean | string | readonly string[] | undefined | void;

/**
 * Where a step input comes from: a workflow input value or another step's output.
 *
 * @example
 * codeAnalysis.steps.find((s) => s.name === "generate_report")?.inputs;
 * // [{ as: "semantic", step: "semantic_analysis", key: "semantic_results" }]
 */
export interface InputBinding {
  /** The key in the object the step's `run` receives. */
  readonly as: string;
  /** The producing step, when the mapping names one explicitly. */
  readonly step?: string;
  /** The output (or workflow input) name. */
  readonly key: string;
}

/**
 * A step as the runtime sees it: the builder's options, normalised and untyped.
 * Produced by `workflow().step()`, validated by the planner.
 *
 * @example
 * for (const step of codeAnalysis.steps) console.log(step.name, step.outputs, step.timeout, step.optional);
 */
export interface StepDefinition {
  readonly name: string;
  readonly description: string | undefined;
  readonly dependsOn: readonly string[] | "all";
  readonly inputs: readonly InputBinding[];
  readonly outputs: readonly string[];
  readonly timeout: number | undefined;
  readonly retry: RetrySetting | undefined;
  readonly onError: StepErrorHandler | undefined;
  /** `false`: the step runs alone, with nothing else in flight. */
  readonly parallel: boolean;
  /** `true`: its failure degrades the workflow instead of failing it. */
  readonly optional: boolean;
  readonly run: ((input: any, ctx: StepContext<any, any>) => unknown) | undefined;
  readonly compensate: CompensateFn | undefined;
  readonly validateInput: ((input: any) => unknown) | undefined;
  /** Standard Schema of the step's input object. */
  readonly inputSchema: StandardSchemaV1 | undefined;
  /** Standard Schema of the step's outputs object. */
  readonly outputSchema: StandardSchemaV1 | undefined;
  readonly cache: StepCacheSetting | undefined;
  /** A sub-workflow this step runs. */
  readonly workflow: AnyWorkflowLike | undefined;
  /** The executor its code runs on (a name of the engine's `executors`); undefined: in-process. */
  readonly executor: string | undefined;
  /** The options exactly as given, for diagnostics. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/**
 * Caching of one step. `key` replaces the default hash of the input (it may use
 * `ctx.workflowInput`, e.g. a content hash of the files); `ttl` in ms.
 */
export type StepCacheSetting<Input = any, WI = any, Steps = any> =
  | boolean
  | {
      key?: (input: Input, ctx: StepContext<WI, Steps>) => string;
      /** @default the workflow's cacheResults ttl, else no expiry */
      ttl?: number;
    };

/** A workflow definition, as the runtime sees it inside a step (avoids a type cycle). */
export interface AnyWorkflowLike {
  readonly name: string;
  readonly version: string;
  readonly steps: readonly StepDefinition[];
}
