/**
 * A workflow definition rebuilt from a trace header, only so the DAG renderers
 * (`toSvg`) can draw the run: the header records each step's name, dependencies and
 * outputs, not its code, inputs or options. So every edge is a plain dependency
 * (drawn as `dependsOn`), and the steps have no markers (retries, timeouts, …).
 */

import { type AnyWorkflow, workflow } from "../dsl/workflow.js";
import type { TraceHeader } from "../telemetry/trace.js";

/** The version pattern the planner accepts. */
const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * A definition with the header's steps and dependencies; its steps never run. A
 * version the planner would reject is replaced by `0.0.0` (the page shows the real one).
 *
 * @example
 * const wf = standInWorkflow(trace.header);
 * const svg = toSvg(wf, { status: trace.footer?.steps });
 */
export function standInWorkflow(header: TraceHeader): AnyWorkflow {
  const version = SEMVER.test(header.version) ? header.version : "0.0.0";
  let wf: AnyWorkflow = workflow(header.workflow, {
    version,
    ...(typeof header.description === "string" ? { description: header.description } : {}),
  });
  for (const step of header.steps) {
    const outputs = Object.fromEntries(step.outputs.map((name) => [name, undefined]));
    wf = wf.step(step.name, { dependsOn: step.dependencies, outputs: step.outputs, run: () => outputs });
  }
  return wf;
}
