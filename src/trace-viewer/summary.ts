/**
 * The few facts a reader of a trace wants first: how it ended, how long it took, what
 * failed and what was rolled back, in order. Pure, from the trace and its timeline.
 */

import type { SerializedError } from "../error-codec.js";
import type { WorkflowStatus } from "../result.js";
import type { ParsedTrace } from "./parse.js";
import { type Timeline, type TimelineBar, traceTimeline } from "./timeline.js";

/**
 * A step that failed for good (an attempt, or a compensation, that was not retried).
 *
 * @example
 * for (const f of traceSummary(trace).failures) console.error(`${f.step} #${f.attempt}: ${f.code} ${f.message}`);
 */
export interface TraceFailure {
  /** The step's label: its name, prefixed by its sub-workflow path (`database › start_database`). */
  readonly step: string;
  readonly attempt: number;
  readonly atMs: number;
  readonly code: string | undefined;
  readonly message: string | undefined;
}

/**
 * The summary of a run.
 *
 * @example
 * const { status, durationMs, retries, compensated } = traceSummary(trace);
 */
export interface TraceSummary {
  /** The footer's status, or `incomplete` when the trace has no `result` line. */
  readonly status: WorkflowStatus | "incomplete";
  readonly durationMs: number;
  /** Top-level steps (the DAG's). */
  readonly steps: number;
  /** Attempts started, sub-workflows' included. */
  readonly attempts: number;
  /** Retry waits (attempts that failed and were tried again). */
  readonly retries: number;
  /** Attempts that failed for good, in time order. */
  readonly failures: readonly TraceFailure[];
  /** Labels of the steps whose attempt was cancelled (aborted by the run stopping). */
  readonly cancelled: readonly string[];
  /** Top-level steps whose compensation succeeded, in the order it ran. */
  readonly compensated: readonly string[];
  /** Compensations that failed after their retries, in time order. */
  readonly compensationFailures: readonly TraceFailure[];
  /** Why the run stopped (the footer's error, else the last workflow event's). */
  readonly error: SerializedError | undefined;
}

/**
 * Summarise a parsed trace.
 *
 * @example
 * const summary = traceSummary(parseTrace(text));
 * summary.status; // "failed"
 * summary.compensated; // ["generate_client", "reserve_build_slot"]
 * summary.failures[0]?.message; // "src/gen/client.ts(42,7): error TS2322: …"
 */
export function traceSummary(trace: ParsedTrace, timeline: Timeline = traceTimeline(trace)): TraceSummary {
  const bars = timeline.rows.flatMap((row) => row.bars.map((bar) => ({ row: row.label, bar })));
  const byTime = (a: { bar: TimelineBar }, b: { bar: TimelineBar }) => a.bar.endMs - b.bar.endMs;
  const failure = ({ row, bar }: { row: string; bar: TimelineBar }): TraceFailure => ({
    step: row,
    attempt: bar.attempt,
    atMs: bar.endMs,
    code: bar.errorCode,
    message: bar.error,
  });
  const compensatedByEvents = bars
    .filter(({ bar }) => bar.kind === "compensation" && bar.outcome === "compensated" && bar.path.length === 0)
    .sort(byTime)
    .map(({ bar }) => bar.step);
  return {
    status: trace.footer?.status ?? "incomplete",
    durationMs: timeline.durationMs,
    steps: trace.header.steps.length,
    attempts: timeline.attempts,
    retries: bars.filter(({ bar }) => bar.kind === "retry-wait").length,
    failures: bars
      .filter(({ bar }) => bar.kind === "attempt" && bar.outcome === "failed")
      .sort(byTime)
      .map(failure),
    cancelled: bars.filter(({ bar }) => bar.kind === "attempt" && bar.outcome === "cancelled").map(({ row }) => row),
    compensated: trace.footer?.compensation.compensated ?? compensatedByEvents,
    compensationFailures: bars
      .filter(({ bar }) => bar.kind === "compensation" && bar.outcome === "failed")
      .sort(byTime)
      .map(failure),
    error: trace.footer?.error ?? lastWorkflowError(trace),
  };
}

function lastWorkflowError(trace: ParsedTrace): SerializedError | undefined {
  let error: SerializedError | undefined;
  for (const entry of trace.entries) {
    if (entry.kind === "event" && entry.event.path === undefined && entry.event.type.startsWith("workflow.")) {
      error = entry.event.error ?? error;
    }
  }
  return error;
}
