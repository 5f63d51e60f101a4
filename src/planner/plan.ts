/**
 * Planning: definition → validated plan.
 *
 *   1. check option values (workflow and every step)
 *   2. index steps by name; index outputs by name (each produced once)
 *   3. resolve every step's inputs to a producer (or the workflow input) and
 *      add the explicit `dependsOn` edges ("all" = every step declared before)
 *   4. topological sort; leftover steps are cycles, reported with their path
 *   5. depth groups, remaining-path lengths (scheduling priority), critical path
 *
 * Every problem is collected and thrown at once as a WorkflowDefinitionError.
 * Linear in steps + edges; plans are memoised per definition object.
 */

import { type CachePolicy, resolveCache } from "../cache/policy.js";
import type { StepDefinition } from "../dsl/step.js";
import type { AnyWorkflow } from "../dsl/workflow.js";
import { type DefinitionIssue, WorkflowDefinitionError } from "../errors.js";
import { type RetryPolicy, resolveRetry } from "../policy/retry.js";
import type { StandardSchemaV1 } from "../validation/standard-schema.js";
import { checkStepOptions, checkWorkflowOptions } from "./check-options.js";
import { analyse, criticalPath, findCycles } from "./graph.js";
import type { PlannedStep, ResolvedInput, WorkflowPlan } from "./types.js";

const plans = new WeakMap<AnyWorkflow, WorkflowPlan>();
const NONE: ResolvedInput[] = [];

/**
 * A sub-workflow step: the sub-workflow must be valid, produce the step's declared
 * outputs, and get every input it needs from the step's inputs.
 */
function checkSubWorkflow(step: StepDefinition, issues: DefinitionIssue[]): void {
  const sub = step.workflow as AnyWorkflow;
  let subPlan: WorkflowPlan;
  try {
    subPlan = plan(sub);
  } catch (error) {
    if (!(error instanceof WorkflowDefinitionError)) throw error;
    for (const issue of error.issues) {
      issues.push({ ...issue, message: `Step \`${step.name}\` (sub-workflow \`${sub.name}\`): ${issue.message}` });
    }
    return;
  }
  const produced = new Set(subPlan.steps.flatMap((s) => s.definition.outputs));
  for (const output of step.outputs) {
    if (!produced.has(output)) {
      issues.push({
        code: "INVALID_OPTION",
        message: `Step \`${step.name}\`: output \`${output}\` is not produced by sub-workflow \`${sub.name}\``,
        steps: [step.name],
      });
    }
  }
  if (step.inputSchema === undefined) {
    const given = new Set(step.inputs.map((b) => b.as));
    const missing = subPlan.requiredInputs.filter((name) => !given.has(name));
    if (missing.length > 0) {
      issues.push({
        code: "INVALID_OPTION",
        message: `Step \`${step.name}\`: sub-workflow \`${sub.name}\` needs ${missing.map((m) => `\`${m}\``).join(", ")}, which the step's \`inputs\` do not provide`,
        steps: [step.name],
      });
    }
  }
}

/** Record that step `i` waits for `dep`, once; a step waiting for itself is a cycle. */
function addDependency(
  own: number[],
  stamp: Int32Array,
  i: number,
  dep: number,
  name: string,
  issues: DefinitionIssue[],
) {
  if (dep === i) {
    issues.push({ code: "CYCLE", message: `Step \`${name}\` depends on itself`, steps: [name, name] });
  } else if (stamp[dep] !== i) {
    stamp[dep] = i;
    own.push(dep);
  }
}

/**
 * Validate a workflow and compute how it runs: dependencies, a topological order,
 * the depth groups and the critical path.
 *
 * @throws {WorkflowDefinitionError} listing every problem found.
 * @example
 * const { groups, criticalPath } = plan(codeAnalysis);
 * // groups: [["parse_files"], ["semantic_analysis", "security_scan"], ["generate_report"]]
 */
export function plan(wf: AnyWorkflow): WorkflowPlan {
  let result = plans.get(wf);
  if (result === undefined) {
    result = buildPlan(wf);
    plans.set(wf, result);
  }
  return result;
}

function buildPlan(wf: AnyWorkflow): WorkflowPlan {
  const definitions = wf.steps;
  const n = definitions.length;
  const issues: DefinitionIssue[] = checkWorkflowOptions(wf.name, wf.options);

  const indexOf = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const step = definitions[i]!;
    checkStepOptions(step, issues);
    if (indexOf.has(step.name)) {
      issues.push({
        code: "DUPLICATE_STEP",
        message: `Step \`${step.name}\` is defined more than once`,
        steps: [step.name],
      });
    } else {
      indexOf.set(step.name, i);
    }
  }

  for (const step of definitions) if (step.workflow !== undefined) checkSubWorkflow(step, issues);

  const producerOf = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    for (const output of definitions[i]!.outputs) {
      const other = producerOf.get(output);
      if (other === undefined) producerOf.set(output, i);
      else {
        const names = [definitions[other]!.name, definitions[i]!.name];
        issues.push({
          code: "DUPLICATE_OUTPUT",
          message: `Output \`${output}\` is produced by both \`${names[0]}\` and \`${names[1]}\``,
          steps: names,
        });
      }
    }
  }

  const deps: number[][] = new Array(n);
  const inputs: ResolvedInput[][] = new Array(n);
  const required = new Set<string>();
  // stamp[d] === i: d is already a dependency of step i (dedupe without a Set per step).
  const stamp = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const step = definitions[i]!;
    const own: number[] = [];
    const resolved: ResolvedInput[] = step.inputs.length === 0 ? NONE : [];
    for (const binding of step.inputs) {
      let source: number | undefined;
      if (binding.step === undefined) {
        source = producerOf.get(binding.key);
        if (source === undefined) required.add(binding.key);
        resolved.push({ as: binding.as, step: source ?? -1, key: binding.key });
      } else {
        source = indexOf.get(binding.step);
        if (source === undefined) {
          issues.push({
            code: "UNKNOWN_INPUT_SOURCE",
            message: `Step \`${step.name}\`: input \`${binding.as}\` reads from unknown step \`${binding.step}\``,
            steps: [step.name, binding.step],
          });
        } else if (!definitions[source]!.outputs.includes(binding.key)) {
          issues.push({
            code: "UNKNOWN_INPUT_SOURCE",
            message: `Step \`${step.name}\`: input \`${binding.as}\` reads \`${binding.key}\`, which \`${binding.step}\` does not declare in its outputs`,
            steps: [step.name, binding.step],
          });
          source = undefined;
        } else {
          resolved.push({ as: binding.as, step: source, key: binding.key });
        }
      }
      if (source !== undefined) addDependency(own, stamp, i, source, step.name, issues);
    }
    if (step.dependsOn === "all") {
      for (let j = 0; j < i; j++) addDependency(own, stamp, i, j, step.name, issues);
    } else {
      for (const name of step.dependsOn) {
        const dep = indexOf.get(name);
        if (dep === undefined) {
          issues.push({
            code: "UNKNOWN_DEPENDENCY",
            message: `Step \`${step.name}\` depends on unknown step \`${name}\``,
            steps: [step.name, name],
          });
        } else addDependency(own, stamp, i, dep, step.name, issues);
      }
    }
    if (own.length > 1) own.sort((x, y) => x - y);
    deps[i] = own;
    inputs[i] = resolved;
  }

  const dependents: number[][] = new Array(n);
  for (let i = 0; i < n; i++) dependents[i] = [];
  for (let i = 0; i < n; i++) for (const d of deps[i]!) dependents[d]!.push(i);

  const facts = analyse(deps, dependents);
  if (facts.order.length < n) {
    for (const cycle of findCycles(deps, facts.order)) {
      const names = cycle.map((i) => definitions[i]!.name);
      const isSelf = cycle.length === 2 && cycle[0] === cycle[1];
      if (isSelf) continue; // reported above
      issues.push({
        code: "CYCLE",
        message: `Dependency cycle: ${names.map((s) => `\`${s}\``).join(" waits for ")}`,
        steps: names,
      });
    }
  }
  if (issues.length > 0) throw new WorkflowDefinitionError(String(wf.name), issues);

  const options = wf.options;
  const defaultRetry = resolveRetry(undefined, options.maxRetries ?? 0);
  const steps: PlannedStep[] = new Array(n);
  for (let index = 0; index < n; index++) {
    const definition = definitions[index]!;
    steps[index] = new Planned(
      index,
      definition,
      deps[index]!,
      dependents[index]!,
      inputs[index]!,
      facts.depth[index]!,
      facts.remaining[index]!,
      definition.retry === undefined ? defaultRetry : resolveRetry(definition.retry, options.maxRetries ?? 0),
      resolveCache(definition.cache, options.cacheResults),
      definitions,
    );
  }

  return new Plan(wf, steps, indexOf, facts.order, [...required]);
}

/**
 * A plan. The name-based views (`order`, `groups`, `criticalPath`) are computed on
 * first read: running a workflow needs only the indexed steps.
 */
class Plan implements WorkflowPlan {
  readonly workflow: string;
  readonly version: string;
  readonly onError: WorkflowPlan["onError"];
  readonly parallelLimit: number;
  readonly timeout: number | undefined;
  readonly inputSchema: StandardSchemaV1 | undefined;
  readonly abortGrace: number;
  #order: readonly string[] | undefined;
  #groups: readonly (readonly string[])[] | undefined;
  #criticalPath: readonly string[] | undefined;

  constructor(
    wf: AnyWorkflow,
    readonly steps: readonly PlannedStep[],
    readonly indexOf: ReadonlyMap<string, number>,
    private readonly topological: readonly number[],
    readonly requiredInputs: readonly string[],
  ) {
    this.workflow = wf.name;
    this.version = wf.version;
    this.onError = wf.options.onError ?? "compensate_all";
    this.parallelLimit = wf.options.parallelLimit ?? 10;
    this.timeout = wf.options.timeout;
    this.inputSchema = wf.options.input;
    this.abortGrace = wf.options.abortGrace ?? 5_000;
    Object.freeze(this.requiredInputs);
  }

  get order(): readonly string[] {
    if (this.#order === undefined) this.#order = Object.freeze(this.topological.map((i) => this.steps[i]!.name));
    return this.#order;
  }

  get groups(): readonly (readonly string[])[] {
    if (this.#groups === undefined) {
      const groups: string[][] = [];
      for (const step of this.steps) (groups[step.depth] ??= []).push(step.name);
      this.#groups = Object.freeze(groups.map((g) => Object.freeze(g)));
    }
    return this.#groups;
  }

  get criticalPath(): readonly string[] {
    if (this.#criticalPath === undefined) {
      const deps = this.steps.map((s) => s.deps);
      const dependents = this.steps.map((s) => s.dependents);
      const remaining = Int32Array.from(this.steps, (s) => s.remaining);
      const path = criticalPath(this.topological, deps, dependents, remaining);
      this.#criticalPath = Object.freeze(path.map((i) => this.steps[i]!.name));
    }
    return this.#criticalPath;
  }
}

/** A planned step; `dependencies` (names) is computed on first read. */
class Planned implements PlannedStep {
  readonly name: string;
  #dependencies: readonly string[] | undefined;
  readonly timeout: number | undefined;
  readonly optional: boolean;

  constructor(
    readonly index: number,
    readonly definition: StepDefinition,
    readonly deps: readonly number[],
    readonly dependents: readonly number[],
    readonly inputs: readonly ResolvedInput[],
    readonly depth: number,
    readonly remaining: number,
    readonly retry: RetryPolicy,
    readonly cache: CachePolicy | undefined,
    private readonly all: readonly StepDefinition[],
  ) {
    this.name = definition.name;
    this.timeout = definition.timeout;
    this.optional = definition.optional;
  }

  get dependencies(): readonly string[] {
    if (this.#dependencies === undefined) this.#dependencies = Object.freeze(this.deps.map((d) => this.all[d]!.name));
    return this.#dependencies;
  }
}
