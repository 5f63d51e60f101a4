/**
 * The result record of an execution, built from its run state once, at the end
 * (O(steps + outputs)); its metrics are computed when first read.
 */

import type { StepResult, WorkflowResult } from "../result.js";
import type { WorkflowMetrics } from "../telemetry/metrics.js";
import type { RunState } from "./run-state.js";

export function buildResult(state: RunState): WorkflowResult {
  const steps: Record<string, StepResult> = {};
  const output: Record<string, unknown> = {};
  const plan = state.plan;
  for (let i = 0; i < plan.steps.length; i++) {
    const step = plan.steps[i]!;
    const status = state.status[i]!;
    steps[step.name] = {
      status,
      attempts: state.attemptsOf(i),
      durationMs: state.durationOf(i),
      cached: state.wasCached(i),
      error: state.errorOf(i),
    };
    const produced = state.outputs[i];
    if ((status === "succeeded" || status === "degraded") && produced !== undefined) Object.assign(output, produced);
  }
  const finishedAt = state.endedAt;
  const outcome = state.outcome;
  const result = {
    executionId: state.executionId,
    workflow: plan.workflow,
    version: plan.version,
    status: outcome,
    output,
    error: outcome === "succeeded" ? undefined : state.error,
    steps,
    compensation: state.rollback.summary(),
    errors: [...state.failures],
    degraded: [...state.degraded],
    metadata: state.metadata,
    startedAt: state.startedAt,
    finishedAt,
    durationMs: finishedAt - state.startedAt,
  };
  // Metrics are computed when first read: most callers never look at them.
  let metrics: WorkflowMetrics | undefined;
  Object.defineProperty(result, "metrics", {
    enumerable: true,
    configurable: true,
    get: () => {
      metrics ??= state.metrics();
      return metrics;
    },
  });
  return result as unknown as WorkflowResult;
}
