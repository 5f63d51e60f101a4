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

import type { AnyWorkflow } from "../dsl/workflow.js";
import { type DefinitionIssue, WorkflowDefinitionError } from "../errors.js";
import { resolveRetry } from "../policy/retry.js";
import { checkStepOptions, checkWorkflowOptions } from "./check-options.js";
import { analyse, criticalPath, findCycles } from "./graph.js";
import type { PlannedStep, ResolvedInput, WorkflowPlan } from "./types.js";

const plans = new WeakMap<AnyWorkflow, WorkflowPlan>();

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
    issues.push(...checkStepOptions(step));
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

  const deps: number[][] = [];
  const inputs: ResolvedInput[][] = [];
  const required = new Set<string>();
  for (let i = 0; i < n; i++) {
    const step = definitions[i]!;
    const own = new Set<number>();
    const add = (dep: number) => {
      if (dep === i) {
        issues.push({
          code: "CYCLE",
          message: `Step \`${step.name}\` depends on itself`,
          steps: [step.name, step.name],
        });
      } else own.add(dep);
    };
    const resolved: ResolvedInput[] = [];
    for (const binding of step.inputs) {
      if (binding.step === undefined) {
        const producer = producerOf.get(binding.key);
        if (producer === undefined) required.add(binding.key);
        else add(producer);
        resolved.push({ as: binding.as, step: producer ?? -1, key: binding.key });
        continue;
      }
      const source = indexOf.get(binding.step);
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
      } else {
        add(source);
        resolved.push({ as: binding.as, step: source, key: binding.key });
      }
    }
    if (step.dependsOn === "all") {
      for (let j = 0; j < i; j++) own.add(j);
    } else {
      for (const name of step.dependsOn) {
        const dep = indexOf.get(name);
        if (dep === undefined) {
          issues.push({
            code: "UNKNOWN_DEPENDENCY",
            message: `Step \`${step.name}\` depends on unknown step \`${name}\``,
            steps: [step.name, name],
          });
        } else add(dep);
      }
    }
    deps.push([...own].sort((a, b) => a - b));
    inputs.push(resolved);
  }

  const dependents: number[][] = Array.from({ length: n }, () => []);
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
  const steps: PlannedStep[] = definitions.map((definition, index) => ({
    index,
    name: definition.name,
    definition,
    deps: deps[index]!,
    dependents: dependents[index]!,
    dependencies: deps[index]!.map((d) => definitions[d]!.name),
    inputs: inputs[index]!,
    depth: facts.depth[index]!,
    remaining: facts.remaining[index]!,
    retry: resolveRetry(definition.retry, options.maxRetries ?? 0),
    timeout: definition.timeout,
  }));

  const groups: string[][] = [];
  for (const i of facts.order) (groups[facts.depth[i]!] ??= []).push(definitions[i]!.name);
  for (const group of groups) group.sort((a, b) => indexOf.get(a)! - indexOf.get(b)!);

  return Object.freeze({
    workflow: wf.name,
    version: wf.version,
    steps,
    indexOf,
    order: facts.order.map((i) => definitions[i]!.name),
    groups,
    criticalPath: criticalPath(facts.order, deps, dependents, facts.remaining).map((i) => definitions[i]!.name),
    requiredInputs: [...required],
    onError: options.onError ?? "compensate_all",
    parallelLimit: options.parallelLimit ?? 10,
    timeout: options.timeout,
  });
}
