/**
 * The immutable, typed workflow builder.
 *
 * Every `.step()` returns a new builder whose type knows the outputs produced so far,
 * so a later step's `inputs` are checked and its `run` argument is typed. Steps are
 * kept in a persistent linked list (each builder points at the previous one), so
 * appending is O(1) and branching one base into several workflows is safe; the
 * array form is built once, on first use.
 */

import type { WorkflowError } from "../errors.js";
import type { WorkflowResult } from "../result.js";
import { isStandardSchema, type StandardSchemaV1 } from "../validation/standard-schema.js";
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
  StepCacheSetting,
  StepContext,
  StepDefinition,
  StepErrorHandler,
  StepModule,
} from "./step.js";

/**
 * Options shared by every kind of step.
 *
 * @example
 * .step("llm_review", {
 *   inputs: ["ast_trees"], outputs: ["review"], timeout: 30_000, retry: 2, optional: true, run: review,
 * })
 */
export interface StepCommonOptions<In, O extends readonly string[], WI, Steps, Input, SI, SO, Fallback = unknown> {
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
  /**
   * A Standard Schema (zod, valibot, arktype…) for the step's input object: checked
   * before the step runs; `run` receives its output. A failure is never retried.
   */
  input?: SI;
  /** A Standard Schema for the object of declared outputs; its output is what is stored. */
  output?: SO;
  /** Limit for one attempt, in ms; the attempt's signal is aborted on expiry. @default no limit */
  timeout?: number;
  /** `n` retries after the first attempt, or a full policy. @default the workflow's maxRetries */
  retry?: RetrySetting;
  /**
   * A step whose failure must not fail the workflow (after its retries): it is
   * `degraded`, its dependents run and read its outputs as `undefined` (typed so), and
   * the workflow can still end `succeeded`, listing it in `result.degraded`.
   * @default false
   */
  optional?: boolean;
  /**
   * Decide per failed attempt: retry (with its own budget), fail with a policy, or fall
   * back to outputs of the step's own output types.
   */
  onError?: StepErrorHandler<WI, Steps, Fallback>;
  /** `false`: run alone, with no other step in flight. @default true */
  parallel?: boolean;
  /**
   * Cache the step's outputs (see README, Caching). `true`: keyed by the workflow's name
   * and version, the step's name and a stable hash of its input. @default the workflow's `cacheResults`
   */
  cache?: StepCacheSetting<Input, WI, Steps>;
}

/**
 * A step given as a `run` function.
 *
 * @example
 * .step("upload", {
 *   inputs: ["bundle"], outputs: ["url"], run: async ({ bundle }) => ({ url: await upload(bundle) }),
 *   compensate: async ({ output }) => { if (output) await remove(output.url); },
 * })
 */
export interface RunStepOptions<In, O extends readonly string[], R, WI, Steps, Input, SI, SO>
  extends StepCommonOptions<In, O, WI, Steps, Input, SI, SO, NoInfer<PickOutputs<R, O>>> {
  run: (input: Input, ctx: StepContext<WI, Steps>) => R | PromiseLike<R>;
  /** Undo the step's side effects when the workflow rolls back. */
  compensate?: (ctx: CompensationContext<Input, R, WI, Steps>, error: WorkflowError) => unknown;
  /**
   * Where the step's code runs: the name of one of the engine's `executors` (`"threads"`
   * for a worker-thread pool, a BullMQ queue's name…). Its input and outputs then cross a
   * thread or a machine and must be plain JSON data; its `ctx.results` holds the outputs of
   * the steps it depends on. Its `compensate` runs in the engine's process.
   * @default in the engine's process
   */
  executor?: string;
  module?: never;
  workflow?: never;
}

/**
 * A step given as a module object (`execute`, `compensate?`, `validateInput?`).
 *
 * @example
 * .step("parse_files", { inputs: ["file_paths"], outputs: ["ast_trees"], module: FileParser })
 */
export interface ModuleStepOptions<In, O extends readonly string[], R, WI, Steps, Input, SI, SO>
  extends StepCommonOptions<In, O, WI, Steps, Input, SI, SO, NoInfer<PickOutputs<R, O>>> {
  module: StepModule<Input, R, WI, Steps>;
  /**
   * Where the step's code runs: the name of one of the engine's `executors` (`"threads"`
   * for a worker-thread pool, a BullMQ queue's name…). Its input and outputs then cross a
   * thread or a machine and must be plain JSON data; its `ctx.results` holds the outputs of
   * the steps it depends on. Its `compensate` runs in the engine's process.
   * @default in the engine's process
   */
  executor?: string;
  run?: never;
  compensate?: never;
  workflow?: never;
}

/**
 * A step that runs another workflow as a child actor (a sub-workflow). Its input is the
 * step's input object; its declared `outputs` are taken from the sub-workflow's
 * outputs. On rollback, it compensates its own succeeded steps in reverse order.
 */
export interface SubWorkflowStepOptions<In, O extends readonly string[], WI, Steps, Input, SI, SO, SW>
  extends StepCommonOptions<In, O, WI, Steps, Input, SI, SO, { [K in O[number]]: unknown }> {
  workflow: SW;
  run?: never;
  module?: never;
  compensate?: never;
  /** A sub-workflow runs on the engine; its own steps may name executors. */
  executor?: never;
}

/**
 * Options of `.step()`: exactly one of `run`, `module` or `workflow`.
 *
 * @example
 * .step("parse_files", { inputs: ["file_paths"], outputs: ["ast_trees"], run: parseFiles })
 * .step("lint", { inputs: ["ast_trees"], outputs: ["findings"], module: Linter })
 * .step("database", { inputs: ["env"], outputs: ["db_url"], workflow: createDatabase })
 */
export type StepOptions<
  In,
  O extends readonly string[],
  R,
  WI,
  Steps,
  Input,
  SI = undefined,
  SO = undefined,
  SW = undefined,
> =
  | RunStepOptions<In, O, R, WI, Steps, Input, SI, SO>
  | ModuleStepOptions<In, O, R, WI, Steps, Input, SI, SO>
  | SubWorkflowStepOptions<In, O, WI, Steps, Input, SI, SO, SW>;

/** What a step adds to the workflow's outputs: from its output schema, its sub-workflow, or its `run`. */
export type ProducedBy<R, O extends readonly string[], SO, SW> = SO extends StandardSchemaV1
  ? PickOutputs<StandardSchemaV1.InferOutput<SO>, O>
  : SW extends Workflow<any, infer SubOut, any, any>
    ? PickOutputs<SubOut, O>
    : PickOutputs<R, O>;

/** An optional step's outputs may be missing (it failed without a fallback): each is `T | undefined`. */
export type MaybeMissing<P, Opt> = Opt extends true ? { [K in keyof P]: P[K] | undefined } : P;

/** The object a step's `run` receives: its input schema's output, or its resolved inputs. */
export type StepInputOf<SI, Resolved> = SI extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<SI> : Resolved;

interface StepNode {
  readonly step: StepDefinition;
  readonly prev: StepNode | undefined;
  readonly length: number;
}

/**
 * A workflow of any types; what the engine, planner and machines accept.
 *
 * @example
 * let wf: AnyWorkflow = workflow("dynamic").step("parse", { inputs: ["files"], outputs: ["ast"], run: parse });
 * if (needsSecurity) wf = wf.step("security", { inputs: ["ast"], outputs: ["issues"], run: scan });
 */
export type AnyWorkflow = Workflow<any, any, any, any>;

/**
 * Whether a value is a workflow definition — also one built by another copy of this
 * library (e.g. a module loaded through a different loader), so it checks the shape.
 *
 * @example
 * const workflows = Object.values(await import("./flows.js")).filter(isWorkflow);
 */
export function isWorkflow(value: unknown): value is AnyWorkflow {
  const v = value as Partial<AnyWorkflow> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.name === "string" &&
    typeof v.step === "function" &&
    Array.isArray(v.steps) &&
    typeof v.options === "object"
  );
}

/**
 * The input a workflow expects from its caller (its input schema's input type, if it has one).
 *
 * @example
 * const input: InputOf<typeof codeAnalysis> = { file_paths: ["src/a.ts"] };
 */
export type InputOf<W> = W extends Workflow<any, any, any, infer RI> ? RI : never;
/**
 * The outputs a workflow produces.
 *
 * @example
 * function publish(output: OutputOf<typeof codeAnalysis>) { return post(output.analysis_report); }
 */
export type OutputOf<W> = W extends Workflow<any, infer Out, any, any> ? Out : never;
/** The names of a workflow's steps (`string` for an erased workflow). */
export type StepNameOf<W> = W extends Workflow<any, any, infer Steps, any> ? keyof Steps & string : never;
/** The result type of executing a workflow. */
export type ResultOf<W> = WorkflowResult<OutputOf<W>, StepNameOf<W>>;

const stepArrays = new WeakMap<StepNode, readonly StepDefinition[]>();

/**
 * A workflow definition: a name, options, and steps in declaration order.
 * Immutable: `.step()` returns a new definition.
 *
 * @example
 * console.log(codeAnalysis.name, codeAnalysis.version, codeAnalysis.steps.length);
 * const next = codeAnalysis.with({ version: "1.1.0" }); // same steps, a new version to register
 */
export class Workflow<WI extends AnyRecord, Out extends AnyRecord, Steps extends StepOutputs, RI = WI> {
  readonly name: string;
  readonly options: Readonly<WorkflowOptions>;
  readonly #tail: StepNode | undefined;
  /**
   * Type-level only: the input steps see (after the input schema), the input callers
   * pass, the outputs and the per-step outputs of this workflow.
   */
  declare readonly types: { input: WI; rawInput: RI; output: Out; steps: Steps };

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
    SI extends StandardSchemaV1 | undefined = undefined,
    SO extends StandardSchemaV1 | undefined = undefined,
    SW extends AnyWorkflow | undefined = undefined,
    const Opt extends boolean = false,
  >(
    name: StepName<N, Steps>,
    options: StepOptions<
      In,
      O,
      R,
      WI,
      Steps,
      NoInfer<StepInputOf<SI, ResolveInputs<In, WI, Out, Steps>>>,
      SI,
      SO,
      SW
    > & {
      optional?: Opt;
    },
  ): Workflow<
    WI,
    Out & MaybeMissing<ProducedBy<R, O, SO, SW>, Opt>,
    Steps & { [K in N]: MaybeMissing<ProducedBy<R, O, SO, SW>, Opt> },
    RI
  > {
    const node: StepNode = {
      step: normalizeStep(name, options as unknown as Record<string, unknown>),
      prev: this.#tail,
      length: (this.#tail?.length ?? 0) + 1,
    };
    return new Workflow(this.name, this.options, node);
  }

  /** A copy of this workflow with other options (e.g. a new version). */
  with(options: WorkflowOptions): Workflow<WI, Out, Steps, RI> {
    return new Workflow(this.name, { ...this.options, ...options }, this.#tail);
  }
}

/**
 * Start a workflow definition. Type its input with an `input` schema (zod, valibot…:
 * any Standard Schema), whose output type the steps then see, or with a type
 * argument; without either, any input name is accepted as `unknown`.
 *
 * @example
 * const wf = workflow("code_analysis", { input: z.object({ file_paths: z.array(z.string()) }) })
 *   .step("parse_files", { inputs: ["file_paths"], outputs: ["ast_trees"], run: parseFiles });
 * const typed = workflow<{ file_paths: string[] }>("code_analysis");
 */
export function workflow<S extends StandardSchemaV1<any, AnyRecord>>(
  name: string,
  options: WorkflowOptions & { input: S },
): Workflow<StandardSchemaV1.InferOutput<S>, {}, {}, StandardSchemaV1.InferInput<S>>;
export function workflow<WI extends AnyRecord = Record<string, unknown>>(
  name: string,
  options?: WorkflowOptions,
): Workflow<WI, {}, {}, WI>;
export function workflow(name: string, options: WorkflowOptions = {}): AnyWorkflow {
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
    optional: raw.optional === true,
    run: run ?? (hasModule && typeof module.execute === "function" ? module.execute.bind(module) : undefined),
    compensate:
      typeof raw.compensate === "function"
        ? (raw.compensate as CompensateFn)
        : hasModule && typeof module.compensate === "function"
          ? (module.compensate.bind(module) as CompensateFn)
          : undefined,
    validateInput:
      hasModule && typeof module.validateInput === "function" ? module.validateInput.bind(module) : undefined,
    inputSchema: isStandardSchema(raw.input) ? raw.input : undefined,
    outputSchema: isStandardSchema(raw.output) ? raw.output : undefined,
    cache: raw.cache as StepDefinition["cache"],
    workflow: raw.workflow instanceof Workflow ? raw.workflow : undefined,
    executor: typeof raw.executor === "string" ? raw.executor : undefined,
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
