import type { CachePolicy } from "../cache/policy.js";
import type { ErrorPolicy } from "../dsl/options.js";
import type { StepDefinition } from "../dsl/step.js";
import type { RetryPolicy } from "../policy/retry.js";
import type { StandardSchemaV1 } from "../validation/standard-schema.js";

/**
 * Where one value of a step's input comes from. `step` is -1 for the workflow input.
 *
 * @example
 * plan(codeAnalysis).steps[0].inputs; // [{ as: "file_paths", step: -1, key: "file_paths" }]
 */
export interface ResolvedInput {
  readonly as: string;
  readonly step: number;
  readonly key: string;
}

/**
 * A step with its dependencies resolved and its options filled in.
 *
 * @example
 * const step = plan(codeAnalysis).steps[1];
 * step.dependencies; // ["parse_files"]
 * step.depth; // 1
 */
export interface PlannedStep {
  readonly index: number;
  readonly name: string;
  readonly definition: StepDefinition;
  /** Indices of the steps this one waits for (inferred from inputs, plus `dependsOn`). */
  readonly deps: readonly number[];
  /** Indices of the steps that wait for this one. */
  readonly dependents: readonly number[];
  /** Names of the steps this one waits for, in declaration order. */
  readonly dependencies: readonly string[];
  readonly inputs: readonly ResolvedInput[];
  /** The step's depth group: 0 for steps with no dependencies. */
  readonly depth: number;
  /** Steps on the longest path from this step to the end, itself included: the scheduling priority. */
  readonly remaining: number;
  readonly retry: RetryPolicy;
  readonly timeout: number | undefined;
  /** Its failure degrades the workflow instead of failing it. */
  readonly optional: boolean;
  /** How the step's outputs are cached; undefined: not cached. */
  readonly cache: CachePolicy | undefined;
}

/**
 * A validated workflow ready to run: `plan(wf)`.
 *
 * @example
 * const { order, criticalPath, requiredInputs } = plan(codeAnalysis);
 * requiredInputs; // ["file_paths"]
 */
export interface WorkflowPlan {
  readonly workflow: string;
  readonly version: string;
  readonly steps: readonly PlannedStep[];
  readonly indexOf: ReadonlyMap<string, number>;
  /** A topological order (dependencies first; ties in declaration order). */
  readonly order: readonly string[];
  /** The guide's parallel groups: steps grouped by depth. */
  readonly groups: readonly (readonly string[])[];
  /** The longest dependency chain, counted in steps (ties broken by declaration order). */
  readonly criticalPath: readonly string[];
  /** Workflow input names that some step reads and no step produces. */
  readonly requiredInputs: readonly string[];
  readonly onError: ErrorPolicy;
  readonly parallelLimit: number;
  readonly timeout: number | undefined;
  /** The workflow input schema, if any. */
  readonly inputSchema: StandardSchemaV1 | undefined;
  /** ms an aborted step may still settle in. */
  readonly abortGrace: number;
}
