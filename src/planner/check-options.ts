/**
 * Checks of option values, workflow-level and per step. Each problem becomes one
 * `INVALID_OPTION` (or `INVALID_NAME` / `NOTHING_TO_RUN`) issue; nothing throws here.
 */

import type { WorkflowOptions } from "../dsl/options.js";
import type { StepDefinition } from "../dsl/step.js";
import type { DefinitionIssue } from "../errors.js";
import { checkRetry } from "../policy/retry.js";
import { expected } from "../util/expected.js";

const POLICIES = ["compensate_all", "fail_fast", "continue", "compensate_failed"];
const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

export function checkWorkflowOptions(name: unknown, options: WorkflowOptions): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  const bad = (message: string) => issues.push({ code: "INVALID_OPTION", message, steps: [] });
  if (typeof name !== "string" || name.trim() === "") {
    issues.push({ code: "INVALID_NAME", message: expected("name", "a non-empty string", name), steps: [] });
  }
  if (options.version !== undefined && !(typeof options.version === "string" && SEMVER.test(options.version))) {
    bad(expected("version", 'a semver version such as "1.0.0"', options.version));
  }
  if (options.timeout !== undefined && !isPositiveNumber(options.timeout)) {
    bad(expected("timeout", "a positive number of milliseconds", options.timeout));
  }
  if (options.maxRetries !== undefined && !isNonNegativeInteger(options.maxRetries)) {
    bad(expected("maxRetries", "a non-negative integer", options.maxRetries));
  }
  if (options.onError !== undefined && !POLICIES.includes(options.onError)) {
    bad(expected("onError", POLICIES.map((p) => `"${p}"`).join(" | "), options.onError));
  }
  const limit = options.parallelLimit;
  if (limit !== undefined && !(limit === Number.POSITIVE_INFINITY || (isNonNegativeInteger(limit) && limit >= 1))) {
    bad(expected("parallelLimit", "an integer >= 1 or Infinity", limit));
  }
  if (
    options.tags !== undefined &&
    !(Array.isArray(options.tags) && options.tags.every((t) => typeof t === "string"))
  ) {
    bad(expected("tags", "an array of strings", options.tags));
  }
  return issues;
}

export function checkStepOptions(step: StepDefinition): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  const steps = [String(step.name)];
  const bad = (message: string) =>
    issues.push({ code: "INVALID_OPTION", message: `Step \`${step.name}\`: ${message}`, steps });
  const raw = step.raw;

  if (typeof step.name !== "string" || step.name.trim() === "") {
    issues.push({ code: "INVALID_NAME", message: expected("step name", "a non-empty string", step.name), steps });
  }
  const hasRun = raw.run !== undefined;
  const hasModule = raw.module !== undefined;
  if (hasRun && hasModule) {
    bad("give either `run` or `module`, not both");
  } else if (hasRun && typeof raw.run !== "function") {
    bad(expected("run", "a function", raw.run));
  } else if (hasModule && typeof (raw.module as { execute?: unknown } | null)?.execute !== "function") {
    issues.push({
      code: "NOTHING_TO_RUN",
      message: `Step \`${step.name}\`: its \`module\` has no \`execute\` function`,
      steps,
    });
  } else if (!hasRun && !hasModule) {
    issues.push({
      code: "NOTHING_TO_RUN",
      message: `Step \`${step.name}\` has nothing to run: give \`run\` or \`module\``,
      steps,
    });
  }
  if (raw.compensate !== undefined && typeof raw.compensate !== "function") {
    bad(expected("compensate", "a function", raw.compensate));
  }
  if (raw.onError !== undefined && typeof raw.onError !== "function") {
    bad(expected("onError", "a function returning a decision", raw.onError));
  }
  if (raw.timeout !== undefined && !isPositiveNumber(raw.timeout)) {
    bad(expected("timeout", "a positive number of milliseconds", raw.timeout));
  }
  if (raw.parallel !== undefined && typeof raw.parallel !== "boolean") {
    bad(expected("parallel", "a boolean", raw.parallel));
  }
  for (const problem of checkRetry(raw.retry)) bad(problem);
  if (raw.dependsOn !== undefined && raw.dependsOn !== "all" && !isStringArray(raw.dependsOn)) {
    bad(expected("dependsOn", 'an array of step names or "all"', raw.dependsOn));
  }
  if (raw.outputs !== undefined) {
    if (!isStringArray(raw.outputs) || raw.outputs.some((o) => o === "")) {
      bad(expected("outputs", "an array of non-empty names", raw.outputs));
    } else if (new Set(raw.outputs).size !== raw.outputs.length) {
      bad(expected("outputs", "an array of distinct names", raw.outputs));
    }
  }
  if (raw.inputs !== undefined && !isInputSpec(raw.inputs)) {
    bad(expected("inputs", 'an array of names or a mapping { local: "name" | ["step", "output"] }', raw.inputs));
  }
  return issues;
}

function isInputSpec(value: unknown): boolean {
  if (Array.isArray(value)) return value.every((v) => typeof v === "string" && v !== "");
  if (typeof value !== "object" || value === null) return false;
  return Object.values(value).every(
    (source) =>
      (typeof source === "string" && source !== "") ||
      (Array.isArray(source) && source.length === 2 && source.every((s) => typeof s === "string" && s !== "")),
  );
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

function isPositiveNumber(value: unknown): boolean {
  return typeof value === "number" && Number.isFinite(value) && value > 0;
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}
