/**
 * OpenTelemetry for workflows: `@rubberduck/workflows/opentelemetry`.
 *
 *   workflow <name>                 one span per execution
 *   ├── step <name>                 one span per attempt (retries are siblings)
 *   │   └── (spans the step creates: its code runs in this span's context)
 *   └── compensate <name>           one span per compensation attempt
 *
 * and metrics: histograms of execution and step durations (ms), counters of retries,
 * failures, compensations and cache hits. A sub-workflow's execution span is a child of
 * its step's attempt span. Span times come from the events, i.e. the engine's clock.
 * Needs `@opentelemetry/api` (an optional peer dependency of this package).
 *
 * @example
 * import { openTelemetry } from "@rubberduck/workflows/opentelemetry";
 * import { metrics, trace } from "@opentelemetry/api";
 * const engine = createEngine({
 *   telemetry: openTelemetry({ tracer: trace.getTracer("app"), meter: metrics.getMeter("app") }),
 * });
 */

import {
  type Attributes,
  type Context,
  context,
  type Meter,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import type { WorkflowEvent } from "../events.js";
import type { AttemptInfo, Telemetry } from "./telemetry.js";

/**
 * Options of `openTelemetry`: where spans and measurements go.
 *
 * @example
 * openTelemetry({ tracer: trace.getTracer("ci"), attributes: { "deployment.environment": "staging" } });
 */
export interface OpenTelemetryOptions {
  tracer: Tracer;
  /** Without a meter, only spans are recorded. */
  meter?: Meter;
  /** Added to every span and measurement. */
  attributes?: Attributes;
}

/**
 * A telemetry backend that records a span per execution and per step attempt, and,
 * with a meter, duration histograms and retry, failure, compensation and cache-hit counters.
 *
 * @example
 * const engine = createEngine({
 *   telemetry: openTelemetry({ tracer: trace.getTracer("my-app"), meter: metrics.getMeter("my-app") }),
 * });
 */
export function openTelemetry(options: OpenTelemetryOptions): Telemetry {
  const { tracer, meter } = options;
  const base = options.attributes ?? {};
  const instruments = meter === undefined ? undefined : createInstruments(meter);
  /** Open spans: executions, current attempts, current compensations. */
  const spans = new Map<string, Span>();

  const scope = (executionId: string, path: readonly string[] | undefined) =>
    path === undefined || path.length === 0 ? executionId : `${executionId}/${path.join("/")}`;
  const execKey = (e: WorkflowEvent) => `x|${scope(e.executionId, e.path)}`;
  const attemptKey = (executionId: string, path: readonly string[] | undefined, step: string) =>
    `a|${scope(executionId, path)}|${step}`;
  const compensationKey = (e: WorkflowEvent) => `c|${scope(e.executionId, e.path)}|${e.step}`;

  const parentOf = (key: string): Context => {
    const span = spans.get(key);
    return span === undefined ? context.active() : trace.setSpan(context.active(), span);
  };
  const start = (key: string, name: string, parent: Context, at: number, attributes: Attributes) => {
    spans.set(key, tracer.startSpan(name, { startTime: at, attributes: { ...base, ...attributes } }, parent));
  };
  const end = (key: string, at: number, error?: { message: string; code?: string }, attributes?: Attributes) => {
    const span = spans.get(key);
    if (span === undefined) return;
    spans.delete(key);
    if (attributes !== undefined) span.setAttributes(attributes);
    if (error === undefined) span.setStatus({ code: SpanStatusCode.OK });
    else {
      span.recordException({ name: error.code ?? "Error", message: error.message }, at);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    }
    span.end(at);
  };

  return {
    onEvent(e) {
      const workflowAttrs = { "rubberduck.workflow": e.workflow, "rubberduck.workflow.version": e.version };
      const stepAttrs = { ...workflowAttrs, "rubberduck.step": e.step ?? "", "rubberduck.attempt": e.attempt ?? 0 };
      const exec = execKey(e);
      switch (e.type) {
        case "workflow.started": {
          const parent =
            e.path === undefined
              ? context.active()
              : parentOf(attemptKey(e.executionId, e.path.slice(0, -1), e.path.at(-1)!));
          start(exec, `workflow ${e.workflow}`, parent, e.timestamp, {
            ...workflowAttrs,
            "rubberduck.execution_id": e.executionId,
          });
          return;
        }
        case "step.started":
          start(attemptKey(e.executionId, e.path, e.step!), `step ${e.step}`, parentOf(exec), e.timestamp, stepAttrs);
          return;
        case "step.retrying":
          end(attemptKey(e.executionId, e.path, e.step!), e.timestamp, e.error);
          instruments?.retries.add(1, { ...base, ...workflowAttrs, "rubberduck.step": e.step! });
          return;
        case "step.cached":
          instruments?.cacheHits.add(1, { ...base, ...workflowAttrs, "rubberduck.step": e.step! });
          spans.get(attemptKey(e.executionId, e.path, e.step!))?.setAttribute("rubberduck.cached", true);
          return;
        case "step.succeeded":
        case "step.failed":
        case "step.degraded": {
          const status = e.type.slice("step.".length);
          end(attemptKey(e.executionId, e.path, e.step!), e.timestamp, e.error, { "rubberduck.status": status });
          const attrs = { ...base, ...workflowAttrs, "rubberduck.step": e.step! };
          if (status !== "succeeded") instruments?.failures.add(1, { ...attrs, "rubberduck.status": status });
          if (e.durationMs !== undefined) {
            instruments?.stepDuration.record(e.durationMs, { ...attrs, "rubberduck.status": status });
          }
          return;
        }
        case "step.cancelled":
          end(attemptKey(e.executionId, e.path, e.step!), e.timestamp, e.error, { "rubberduck.status": "cancelled" });
          return;
        case "step.compensating": {
          const key = compensationKey(e);
          end(key, e.timestamp, { message: "compensation attempt failed" }); // a previous attempt, if any
          start(key, `compensate ${e.step}`, parentOf(exec), e.timestamp, stepAttrs);
          return;
        }
        case "step.compensated":
        case "step.kept": {
          const status = e.type === "step.kept" ? "kept" : "compensated";
          end(compensationKey(e), e.timestamp, undefined, { "rubberduck.status": status });
          instruments?.compensations.add(1, {
            ...base,
            ...workflowAttrs,
            "rubberduck.step": e.step!,
            "rubberduck.status": status,
          });
          return;
        }
        case "step.compensation_failed":
          end(compensationKey(e), e.timestamp, e.error, { "rubberduck.status": "compensation_failed" });
          instruments?.compensations.add(1, {
            ...base,
            ...workflowAttrs,
            "rubberduck.step": e.step!,
            "rubberduck.status": "compensation_failed",
          });
          return;
        case "workflow.succeeded":
        case "workflow.failed":
        case "workflow.cancelled":
        case "workflow.timed_out":
          end(exec, e.timestamp, e.status === "succeeded" ? undefined : e.error, {
            "rubberduck.status": e.status ?? "",
          });
          if (e.durationMs !== undefined) {
            instruments?.workflowDuration.record(e.durationMs, {
              ...base,
              ...workflowAttrs,
              "rubberduck.status": e.status ?? "",
            });
          }
          return;
        default:
          return;
      }
    },
    instrument<T>(info: AttemptInfo, run: () => T): T {
      const key =
        info.kind === "run"
          ? attemptKey(info.executionId, info.path, info.step)
          : `c|${scope(info.executionId, info.path)}|${info.step}`;
      const span = spans.get(key);
      return span === undefined ? run() : context.with(trace.setSpan(context.active(), span), run);
    },
  };
}

function createInstruments(meter: Meter) {
  return {
    workflowDuration: meter.createHistogram("rubberduck.workflow.duration", {
      unit: "ms",
      description: "Duration of workflow executions",
    }),
    stepDuration: meter.createHistogram("rubberduck.step.duration", {
      unit: "ms",
      description: "Duration of steps, retries included",
    }),
    retries: meter.createCounter("rubberduck.step.retries", { description: "Step attempts that were retried" }),
    failures: meter.createCounter("rubberduck.step.failures", { description: "Steps that failed for good" }),
    compensations: meter.createCounter("rubberduck.step.compensations", { description: "Compensations run" }),
    cacheHits: meter.createCounter("rubberduck.step.cache_hits", { description: "Steps served from the cache" }),
  };
}
