/**
 * The immutable, typed workflow builder.
 *
 * Every `.step()` returns a new builder whose type knows the outputs produced so far,
 * so a later step's `inputs` are checked and its `run` argument is typed. Steps are
 * kept in a persistent linked list (each builder points at the previous one), so
 * appending is O(1) and branching one base into several workflows is safe; the
 * array form is built once, on first use.
 */

import type { WorkflowResult } from "../result.js";
import type {
  AnyRecord,
  InputSpec,
  OutputShape,
  PickOutputs,
  ResolveInputs,
  StepName,
  StepOutputs,
} from "./inference.js";
import type { RetrySetting, WorkflowOptions } from "./options.js";
import type {
  CompensateFn,
  CompensationContext,
  InputBinding,
  StepContext,
  StepDefinition,
  StepErrorHandler,
  StepModule,
} from "./step.js";

/** Options shared by every kind of step. */
export interface StepCommonOptions<In, O extends readonly string[], WI, Steps> {
  description?: string;
  /** Explicit dependencies, added to those inferred from `inputs`. `"all"`: every step declared before. */
  dependsOn?: readonly (keyof Steps & string)[] | "all";
  /**
   * Values the step reads: names of workflow inputs or earlier outputs, or a mapping
   * `{ local: "name" | ["step", "output"] }`. Each producing step becomes a dependency.
   */
  inputs?: In;
  /** Names of the values the step returns; each must be present in what `run` returns. */
  outputs?: O;
  /** Limit for one attempt, in ms; the attempt's signal is aborted on expiry. @default no limit */
  timeout?: number;
  /** `n` retries after the first attempt, or a full policy. @default the workflow's maxRetries */
  retry?: RetrySetting;
  /** Decide per failed attempt, overriding the workflow's `onError`. */
  onError?: StepErrorHandler<WI, Steps>;
  /** `false`: run alone, with no other step in flight. @default true */
  parallel?: boolean;
}

/** A step given as a `run` function. */
export interface RunStepOptions<In, O extends readonly string[], R, WI, Steps, Input>
  extends StepCommonOptions<In, O, WI, Steps> {
  run: (input: Input, ctx: StepContext<WI, Steps>) => R | PromiseLike<R>;
  /** Undo the step's side effects when the workflow rolls back. */
  compensate?: (ctx: CompensationContext<Input, R, WI, Steps>, error: import("../errors.js").WorkflowError) => unknown;
  module?: never;
}

/** A step given as a module object (`execute`, `compensate?`, `validateInput?`). */
export interface ModuleStepOptions<In, O extends readonly string[], R, WI, Steps, Input>
  extends StepCommonOptions<In, O, WI, Steps> {
  module: StepModule<Input, R, WI, Steps>;
  run?: never;
  compensate?: never;
}

/** Options of `.step()`: exactly one of `run` or `module`. */
export type StepOptions<In, O extends readonly string[], R, WI, Steps, Input> =
  | RunStepOptions<In, O, R, WI, Steps, Input>
  | ModuleStepOptions<In, O, R, WI, Steps, Input>;

interface StepNode {
  readonly step: StepDefinition;
  readonly prev: StepNode | undefined;
  readonly length: number;
}

/** A workflow of any types; what the engine, planner and machines accept. */
export type AnyWorkflow = Workflow<any, any, any>;

/** The input type a workflow expects. */
export type InputOf<W> = W extends Workflow<infer WI, any, any> ? WI : never;
/** The outputs a workflow produces. */
export type OutputOf<W> = W extends Workflow<any, infer Out, any> ? Out : never;
/** The names of a workflow's steps (`string` for an erased workflow). */
export type StepNameOf<W> = W extends Workflow<any, any, infer Steps> ? keyof Steps & string : never;
/** The result type of executing a workflow. */
export type ResultOf<W> = WorkflowResult<OutputOf<W>, StepNameOf<W>>;

const stepArrays = new WeakMap<StepNode, readonly StepDefinition[]>();

/**
 * A workflow definition: a name, options, and steps in declaration order.
 * Immutable: `.step()` returns a new definition.
 */
export class Workflow<WI extends AnyRecord, Out extends AnyRecord, Steps extends StepOutputs> {
  readonly name: string;
  readonly options: Readonly<WorkflowOptions>;
  readonly #tail: StepNode | undefined;
  /** Type-level only: the input, outputs and per-step outputs of this workflow. */
  declare readonly types: { input: WI; output: Out; steps: Steps };

  /** @internal use {@link workflow} */
  constructor(name: string, options: WorkflowOptions, tail: StepNode | undefined) {
    this.name = name;
    // `.step()` passes its own (already frozen) options on: copy only what callers hand in.
    this.options = Object.isFrozen(options) ? options : Object.freeze(Object.assign({}, options));
    this.#tail = tail;
  }

  /** The version this definition declares. */
  get version(): string {
    return this.options.version ?? "1.0.0";
  }

  /** Steps in declaration order. */
  get steps(): readonly StepDefinition[] {
    const tail = this.#tail;
    if (tail === undefined) return [];
    let steps = stepArrays.get(tail);
    if (steps === undefined) {
      const array = new Array<StepDefinition>(tail.length);
      for (let node: StepNode | undefined = tail; node !== undefined; node = node.prev) {
        array[node.length - 1] = node.step;
      }
      steps = Object.freeze(array);
      stepArrays.set(tail, steps);
    }
    return steps;
  }

  /**
   * Add a step. Its dependencies are the producers of its `inputs` plus `dependsOn`.
   *
   * @example
   * workflow<{ file_paths: string[] }>("analysis")
   *   .step("parse_files", {
   *     inputs: ["file_paths"],
   *     outputs: ["ast_trees"],
   *     run: async ({ file_paths }, ctx) => ({ ast_trees: await parse(file_paths, ctx.signal) }),
   *   })
   *   .step("report", {
   *     inputs: { trees: ["parse_files", "ast_trees"] },
   *     outputs: ["report"],
   *     run: ({ trees }) => ({ report: summarise(trees) }),
   *   });
   */
  step<
    const N extends string,
    const In extends InputSpec<WI, Out, Steps> = readonly [],
    const O extends readonly string[] = readonly [],
    R extends OutputShape<O> = OutputShape<O>,
  >(
    name: StepName<N, Steps>,
    options: StepOptions<In, O, R, WI, Steps, NoInfer<ResolveInputs<In, WI, Out, Steps>>>,
  ): Workflow<WI, Out & PickOutputs<R, O>, Steps & { [K in N]: PickOutputs<R, O> }> {
    const node: StepNode = {
      step: normalizeStep(name, options as unknown as Record<string, unknown>),
      prev: this.#tail,
      length: (this.#tail?.length ?? 0) + 1,
    };
    return new Workflow(this.name, this.options, node);
  }

  /** A copy of this workflow with other options (e.g. a new version). */
  with(options: WorkflowOptions): Workflow<WI, Out, Steps> {
    return new Workflow(this.name, { ...this.options, ...options }, this.#tail);
  }
}

/**
 * Start a workflow definition. Give the input type as a type argument to have step
 * inputs checked against it; without it, any input name is accepted as `unknown`.
 *
 * @example
 * const wf = workflow<{ file_paths: string[] }>("code_analysis", { onError: "compensate_all" })
 *   .step("parse_files", { inputs: ["file_paths"], outputs: ["ast_trees"], run: parseFiles });
 */
export function workflow<WI extends AnyRecord = Record<string, unknown>>(
  name: string,
  options: WorkflowOptions = {},
): Workflow<WI, {}, {}> {
  return new Workflow(name, options, undefined);
}

/** Turn typed builder options into the runtime's plain step definition. */
function normalizeStep(name: string, raw: Record<string, unknown>): StepDefinition {
  const module = raw.module as StepModule | undefined;
  const hasModule = module !== undefined && module !== null && typeof module === "object";
  const run = typeof raw.run === "function" ? (raw.run as StepDefinition["run"]) : undefined;
  return Object.freeze({
    name,
    description: typeof raw.description === "string" ? raw.description : undefined,
    dependsOn:
      raw.dependsOn === "all" ? "all" : Array.isArray(raw.dependsOn) ? Object.freeze(raw.dependsOn.slice()) : NONE,
    inputs: normalizeInputs(raw.inputs),
    outputs: Array.isArray(raw.outputs) ? Object.freeze(raw.outputs.slice()) : NONE,
    timeout: raw.timeout as number | undefined,
    retry: raw.retry as RetrySetting | undefined,
    onError: typeof raw.onError === "function" ? (raw.onError as StepErrorHandler) : undefined,
    parallel: raw.parallel !== false,
    run: run ?? (hasModule && typeof module.execute === "function" ? module.execute.bind(module) : undefined),
    compensate:
      typeof raw.compensate === "function"
        ? (raw.compensate as CompensateFn)
        : hasModule && typeof module.compensate === "function"
          ? (module.compensate.bind(module) as CompensateFn)
          : undefined,
    validateInput:
      hasModule && typeof module.validateInput === "function" ? module.validateInput.bind(module) : undefined,
    raw: Object.freeze(Object.assign({}, raw)),
  });
}

const NONE: readonly never[] = Object.freeze([]);

function normalizeInputs(inputs: unknown): readonly InputBinding[] {
  if (inputs === undefined || inputs === null) return NONE;
  if (Array.isArray(inputs)) {
    if (inputs.length === 0) return NONE;
    return Object.freeze(inputs.map((key) => ({ as: String(key), key: String(key) })));
  }
  if (typeof inputs === "object") {
    return Object.freeze(
      Object.entries(inputs as Record<string, unknown>).map(([as, source]) =>
        Array.isArray(source) ? { as, step: String(source[0]), key: String(source[1]) } : { as, key: String(source) },
      ),
    );
  }
  // Anything else is reported by the planner, which sees `raw.inputs`.
  return NONE;
}
