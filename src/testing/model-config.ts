/**
 * What the abstract model needs to know about a workflow, read from its plan: the
 * graph, the scheduling priority and limit, the error policy, and per step which
 * outcomes it can have (a retry budget, a timeout, a `compensate`).
 */

import { type AnyWorkflow, type ErrorPolicy, plan, type WorkflowPlan } from "../index.js";
import { type FailureKind, STEP_FAILURE_KINDS } from "./outcomes.js";
import { TestingError } from "./testing-error.js";

/**
 * Bounds of the path search. The count of paths grows polynomially, about
 * `steps^maxFailures` (times the completion orders of parallel steps with
 * `interleavings: "all"`), so keep `maxFailures` small on large workflows.
 *
 * @example
 * generatePaths(wf, { maxFailures: 2, failing: ["commit_code"], limit: 200 });
 */
export interface ModelOptions {
  /**
   * Failures per path: every `fails`, `times_out`, `succeeds_on_retry`, failed
   * compensation, cancel and `ignores_abort` counts as one.
   * @default 1
   */
  maxFailures?: number;
  /** Steps that may fail (their compensations too). @default every step */
  failing?: readonly string[];
  /**
   * The kinds of failure to explore; add `"cancelled"` to also cancel the run between
   * any two settling steps, `"ignores_abort"` to let steps in flight when the run
   * stops succeed anyway (unless `abortGrace` is 0).
   * @default ["fails", "times_out", "succeeds_on_retry", "compensation_fails"]
   */
  kinds?: readonly FailureKind[];
  /**
   * `"canonical"`: steps in flight settle in the order they started (one order per
   * set of outcomes). `"all"`: any step in flight may settle next, so every
   * completion order of parallel steps is explored (and every compensation order).
   * @default "canonical"
   */
  interleavings?: "canonical" | "all";
}

/**
 * One step as the model sees it.
 *
 * @example
 * modelConfig(codegen).steps[1]; // { name: "generate_code", deps: [0], compensable: true, kinds: Set { "fails", "compensation_fails" }, … }
 */
export interface ModelStep {
  readonly index: number;
  readonly name: string;
  readonly deps: readonly number[];
  readonly dependents: readonly number[];
  /** Scheduling priority (longest remaining path), as the engine's ready queue uses. */
  readonly remaining: number;
  readonly parallel: boolean;
  readonly maxAttempts: number;
  readonly hasTimeout: boolean;
  /** It has a `compensate` (or is a sub-workflow, compensated as a nested saga). */
  readonly compensable: boolean;
  /** The failure kinds this step may have on a path. */
  readonly kinds: ReadonlySet<FailureKind>;
}

/**
 * The model of one workflow under one set of options.
 *
 * @example
 * const config = modelConfig(codegen, { maxFailures: 2 });
 * config.policy; // "compensate_all"
 */
export interface ModelConfig {
  readonly workflow: AnyWorkflow;
  readonly plan: WorkflowPlan;
  readonly steps: readonly ModelStep[];
  readonly policy: ErrorPolicy;
  readonly limit: number;
  readonly maxFailures: number;
  readonly interleavings: "canonical" | "all";
  /** Paths may cancel the run. */
  readonly cancel: boolean;
  /** Steps in flight when the run stops may succeed anyway (`ignores_abort`, and a grace period). */
  readonly lateSuccess: boolean;
}

/**
 * Read what the model needs from a workflow's plan, and check the options.
 *
 * @throws {WorkflowDefinitionError} if the workflow is invalid.
 * @throws {TestingError} `INVALID_OPTION` for a bad `maxFailures` or an unknown `failing` step.
 * @example
 * const config = modelConfig(codegen, { failing: ["commit_code"] });
 */
export function modelConfig(wf: AnyWorkflow, options: ModelOptions = {}): ModelConfig {
  const p = plan(wf);
  const maxFailures = options.maxFailures ?? 1;
  if (!(Number.isInteger(maxFailures) && maxFailures >= 0)) {
    throw new TestingError(
      "INVALID_OPTION",
      `Expected \`maxFailures\` to be a non-negative integer, got ${maxFailures}`,
    );
  }
  const failing = options.failing === undefined ? undefined : new Set(options.failing);
  const unknown = [...(failing ?? [])].filter((name) => !p.indexOf.has(name));
  if (unknown.length > 0) {
    throw new TestingError(
      "INVALID_OPTION",
      `\`failing\` names steps that \`${p.workflow}\` lacks: ${unknown.join(", ")}`,
    );
  }
  const kinds = new Set(options.kinds ?? STEP_FAILURE_KINDS);
  const steps = p.steps.map((step): ModelStep => {
    const compensable = step.definition.compensate !== undefined || step.definition.workflow !== undefined;
    const allowed = new Set<FailureKind>();
    if (failing === undefined || failing.has(step.name)) {
      // Only outcomes the step can really have: a retry needs a budget, a timeout a limit.
      if (kinds.has("fails")) allowed.add("fails");
      if (kinds.has("succeeds_on_retry") && step.retry.maxAttempts > 1) allowed.add("succeeds_on_retry");
      if (kinds.has("times_out") && step.timeout !== undefined) allowed.add("times_out");
      if (kinds.has("compensation_fails") && compensable) allowed.add("compensation_fails");
    }
    return {
      index: step.index,
      name: step.name,
      deps: step.deps,
      dependents: step.dependents,
      remaining: step.remaining,
      parallel: step.definition.parallel,
      maxAttempts: step.retry.maxAttempts,
      hasTimeout: step.timeout !== undefined,
      compensable,
      kinds: allowed,
    };
  });
  return {
    workflow: wf,
    plan: p,
    steps,
    policy: p.onError,
    limit: p.parallelLimit,
    maxFailures,
    interleavings: options.interleavings ?? "canonical",
    cancel: kinds.has("cancelled"),
    lateSuccess: kinds.has("ignores_abort") && p.abortGrace > 0,
  };
}
