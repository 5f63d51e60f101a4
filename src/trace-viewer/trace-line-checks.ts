/**
 * Shape checks of the three kinds of trace lines (header, entry, footer), one
 * message per problem, in the house template (``Expected `x` to be …, got …``).
 * They check what the viewer relies on and let unknown extra fields through, so a
 * newer writer's traces still open. Absent optional fields are accepted as
 * `undefined`, and so is `null` (JSON has no `undefined`: writers drop the key).
 */

import { WorkflowEventType } from "../events.js";
import type { WorkflowStatus } from "../result.js";
import { expected } from "../util/expected.js";
import { isStepStatus } from "../visualize/status-style.js";

type Json = Record<string, unknown>;

const EVENT_TYPES: ReadonlySet<unknown> = new Set(Object.values(WorkflowEventType));
const WORKFLOW_STATUSES: ReadonlySet<unknown> = new Set<WorkflowStatus>([
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
]);

/**
 * Whether a value is a JSON object (not an array, not null).
 *
 * @example
 * isJsonObject({ kind: "run" }); // true
 * isJsonObject([1]); // false
 */
export function isJsonObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const isString = (v: unknown): v is string => typeof v === "string";
const isName = (v: unknown): v is string => typeof v === "string" && v.trim() !== "";
const isTime = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isDuration = (v: unknown): boolean => isTime(v) && v >= 0;
const isCount = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;
const isAttempt = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1;
const isNames = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isError = (v: unknown): boolean =>
  isJsonObject(v) && isString(v.message) && (v.code === undefined || isString(v.code));

/** Collects the problems of one line, naming fields by their path (`steps[2].name`). */
class Problems {
  readonly list: string[] = [];

  need(obj: Json, key: string, ok: (v: unknown) => boolean, what: string, at = ""): void {
    if (!ok(obj[key])) this.list.push(expected(at + key, what, obj[key]));
  }

  optional(obj: Json, key: string, ok: (v: unknown) => boolean, what: string, at = ""): void {
    const value = obj[key];
    if (value !== undefined && value !== null && !ok(value)) this.list.push(expected(at + key, what, value));
  }
}

/**
 * Problems of a `run` header line (none: an empty array), including its DAG: step
 * names unique, dependencies naming steps of the header.
 *
 * @example
 * checkHeader({ kind: "run", executionId: "e1", workflow: "w", version: "1.0.0", startedAt: 0, steps: [] }); // []
 */
export function checkHeader(line: Json): string[] {
  const p = new Problems();
  p.need(line, "executionId", isString, "a string");
  p.need(line, "workflow", isName, "a non-empty string");
  p.need(line, "version", isString, "a string");
  p.optional(line, "description", isString, "a string");
  p.need(line, "startedAt", isTime, "a timestamp in ms");
  if (!Array.isArray(line.steps)) {
    p.need(line, "steps", Array.isArray, "an array of steps");
    return p.list;
  }
  const names = new Set<string>();
  for (const [i, step] of (line.steps as unknown[]).entries()) {
    const at = `steps[${i}].`;
    if (!isJsonObject(step)) {
      p.list.push(expected(`steps[${i}]`, "a step object", step));
      continue;
    }
    p.need(step, "name", isName, "a non-empty string", at);
    p.need(step, "dependencies", isNames, "an array of step names", at);
    p.need(step, "depth", isCount, "a non-negative integer", at);
    p.need(step, "outputs", isNames, "an array of output names", at);
    if (isName(step.name)) {
      if (names.has(step.name)) p.list.push(`Step \`${step.name}\` is listed twice in \`steps\``);
      names.add(step.name);
    }
  }
  for (const step of line.steps) {
    if (!isJsonObject(step) || !isNames(step.dependencies)) continue;
    for (const dep of step.dependencies) {
      if (!names.has(dep))
        p.list.push(`Step \`${String(step.name)}\` depends on \`${dep}\`, which is not in \`steps\``);
    }
  }
  return p.list;
}

/**
 * Problems of an `event` or `state` entry line.
 *
 * @example
 * checkEntry({ kind: "state", at: 5, actor: "x:0", state: "running" }); // []
 */
export function checkEntry(line: Json): string[] {
  const p = new Problems();
  p.need(line, "at", isTime, "a timestamp in ms");
  if (line.kind === "state") {
    p.need(line, "actor", isString, "a string");
    p.optional(line, "parent", isString, "a string");
    p.need(line, "state", isString, "a string");
    p.optional(line, "step", isString, "a string");
    p.optional(line, "attempt", isCount, "a non-negative integer");
    return p.list;
  }
  const event = line.event;
  if (!isJsonObject(event)) {
    p.need(line, "event", isJsonObject, "an event object");
    return p.list;
  }
  const at = "event.";
  p.need(event, "type", (v) => EVENT_TYPES.has(v), "a workflow event type such as `step.started`", at);
  p.need(event, "executionId", isString, "a string", at);
  p.need(event, "workflow", isString, "a string", at);
  p.need(event, "version", isString, "a string", at);
  p.need(event, "seq", isCount, "a non-negative integer", at);
  p.need(event, "timestamp", isTime, "a timestamp in ms", at);
  if (isString(event.type) && event.type.startsWith("step.")) p.need(event, "step", isName, "a step name", at);
  else p.optional(event, "step", isString, "a string", at);
  p.optional(event, "attempt", isAttempt, "a positive integer", at);
  p.optional(event, "error", isError, "a serialized error (with a string `message`)", at);
  p.optional(event, "delayMs", isDuration, "a non-negative number of ms", at);
  p.optional(event, "durationMs", isDuration, "a non-negative number of ms", at);
  p.optional(event, "status", (v) => WORKFLOW_STATUSES.has(v), "a workflow status", at);
  p.optional(event, "reason", isString, "a string", at);
  p.optional(event, "path", isNames, "an array of step names", at);
  return p.list;
}

/**
 * Problems of a `result` footer line.
 *
 * @example
 * checkFooter({ kind: "result", status: "succeeded", finishedAt: 9, steps: {}, compensation: { compensated: [], failed: [] } }); // []
 * checkFooter({ kind: "result", status: "done" })[0]; // 'Expected `status` to be a workflow status, got `"done"` (string)'
 */
export function checkFooter(line: Json): string[] {
  const p = new Problems();
  p.need(line, "status", (v) => WORKFLOW_STATUSES.has(v), "a workflow status");
  p.need(line, "finishedAt", isTime, "a timestamp in ms");
  p.optional(line, "error", isError, "a serialized error (with a string `message`)");
  if (isJsonObject(line.steps)) {
    for (const [name, step] of Object.entries(line.steps)) {
      const at = `steps[${JSON.stringify(name)}].`;
      if (!isJsonObject(step)) p.list.push(expected(`steps[${JSON.stringify(name)}]`, "a step result", step));
      else {
        p.need(step, "status", isStepStatus, "a step status", at);
        p.need(step, "attempts", isCount, "a non-negative integer", at);
      }
    }
  } else p.need(line, "steps", isJsonObject, "an object of step results");
  if (isJsonObject(line.compensation)) {
    p.need(line.compensation, "compensated", isNames, "an array of step names", "compensation.");
    p.need(line.compensation, "failed", isNames, "an array of step names", "compensation.");
  } else p.need(line, "compensation", isJsonObject, "an object");
  return p.list;
}
