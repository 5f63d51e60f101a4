/**
 * The Gantt chart of a run, as data: one row per step, each row a list of bars.
 * Pure: computed from a ParsedTrace's events only (state entries are not needed).
 *
 * Walking the events in order, each step row keeps at most one open bar of each kind:
 *
 *   step.started             close the retry wait (waited); open attempt n
 *   step.retrying            close the attempt (retried, its error); open a retry wait
 *   step.cached              mark the open attempt as a cache hit
 *   step.succeeded           close the attempt (succeeded, or cached)
 *   step.failed / cancelled  close the attempt and any retry wait (failed / cancelled)
 *   step.compensating        close the previous compensation attempt (retried); open one
 *   step.compensated         close it (compensated)
 *   step.compensation_failed close it (failed, its error)
 *
 * A compensation attempt that fails and is retried emits no event of its own, so it
 * lasts until the next `step.compensating` (its backoff included). Bars still open
 * when the trace ends (a run cut short) end there, `unfinished`.
 *
 * Sub-workflow events (those with a `path`) are kept, as rows of their own nested
 * under the parent step's row (`database › allocate_volume`), placed right after it
 * in the order they first appear. The DAG only shows the top-level steps.
 *
 * Times are ms since the header's `startedAt`, from the events' `timestamp` (the
 * engine's clock, the one `startedAt` and `finishedAt` come from).
 */

import type { StepStatus } from "../result.js";
import type { TraceEvent } from "../telemetry/trace.js";
import type { ParsedTrace } from "./parse.js";

/**
 * What a bar shows: a run of the step's work, a backoff before a retry, or a run of its compensation.
 *
 * @example
 * const waits = timeline.rows.flatMap((row) => row.bars).filter((bar) => bar.kind === "retry-wait");
 */
export type BarKind = "attempt" | "retry-wait" | "compensation";

/**
 * How a bar ended.
 *
 * - attempt: `succeeded`, `cached` (a cache hit), `retried` (failed, then retried), `failed`, `cancelled`
 * - retry wait: `waited` (the next attempt started), `cancelled`, `failed`
 * - compensation: `compensated`, `retried` (failed, then retried), `failed`
 * - any kind: `unfinished` (the trace ends first)
 *
 * @example
 * const hung = timeline.rows.filter((row) => row.bars.some((bar) => bar.outcome === "unfinished"));
 */
export type BarOutcome =
  | "succeeded"
  | "cached"
  | "retried"
  | "failed"
  | "cancelled"
  | "waited"
  | "compensated"
  | "unfinished";

/**
 * One bar of the chart.
 *
 * @example
 * for (const bar of row.bars) console.log(bar.kind, bar.attempt, `${bar.startMs}+${bar.durationMs} ms`, bar.outcome);
 */
export interface TimelineBar {
  readonly kind: BarKind;
  /** The step's own name. */
  readonly step: string;
  /** For a sub-workflow's step: the steps that ran it, outermost first; `[]` otherwise. */
  readonly path: readonly string[];
  /**
   * The attempt number: of the step's work (attempt), of its compensation
   * (compensation), or of the attempt the wait leads to (retry wait).
   */
  readonly attempt: number;
  /** ms since the run started. */
  readonly startMs: number;
  readonly endMs: number;
  readonly durationMs: number;
  readonly outcome: BarOutcome;
  /** Why the attempt failed (for a retry wait: the failure being retried). */
  readonly error: string | undefined;
  /** The error's stable code, such as `STEP_TIMEOUT`. */
  readonly errorCode: string | undefined;
  /** Retry waits: the backoff the engine planned (the bar is how long it really took). */
  readonly delayMs: number | undefined;
}

/**
 * One row of the chart: a step (or a sub-workflow's step) and its bars, in time order.
 *
 * @example
 * for (const row of timeline.rows) console.log(`${row.label}: ${row.status}, ${row.attempts} attempts`);
 */
export interface TimelineRow {
  /** Unique among the rows: the path and the name. */
  readonly key: string;
  readonly step: string;
  readonly path: readonly string[];
  /** `step`, prefixed with its path: `database › allocate_volume`. */
  readonly label: string;
  /** The step's final status: the footer's, else that of the step's last event. */
  readonly status: StepStatus;
  /** Attempts started. */
  readonly attempts: number;
  readonly bars: readonly TimelineBar[];
}

/**
 * A run's Gantt chart as data.
 *
 * @example
 * const timeline = traceTimeline(parseTrace(text));
 * console.log(timeline.durationMs, timeline.attempts, timeline.complete ? "complete" : "cut short");
 */
export interface Timeline {
  /** The header's `startedAt`: time 0 of the chart. */
  readonly startedAt: number;
  /** The run's length: to the footer's `finishedAt`, else to the last entry. */
  readonly durationMs: number;
  /** Whether the trace has its `result` line. */
  readonly complete: boolean;
  /** Top-level steps in header order, each followed by its sub-workflow's rows. */
  readonly rows: readonly TimelineRow[];
  /** Attempt bars in all rows: the number of `step.started` events. */
  readonly attempts: number;
}

const STATUS_AFTER: Partial<Record<TraceEvent["type"], StepStatus>> = {
  "step.started": "running",
  "step.retrying": "retrying",
  "step.succeeded": "succeeded",
  "step.failed": "failed",
  "step.skipped": "skipped",
  "step.cancelled": "cancelled",
  "step.compensating": "compensating",
  "step.compensated": "compensated",
  "step.compensation_failed": "compensation_failed",
};

interface OpenBar {
  readonly kind: BarKind;
  readonly attempt: number;
  readonly startMs: number;
  readonly error?: TraceEvent["error"];
  readonly delayMs?: number;
}

/** A row while the events are walked. */
class RowBuilder {
  readonly bars: TimelineBar[] = [];
  readonly open = new Map<BarKind, OpenBar>();
  attempts = 0;
  compensations = 0;
  cached = false;
  status: StepStatus | undefined;

  constructor(
    readonly step: string,
    readonly path: readonly string[],
  ) {}

  begin(bar: OpenBar, at: number): void {
    this.close(bar.kind, at, "unfinished");
    this.open.set(bar.kind, bar);
  }

  close(kind: BarKind, at: number, outcome: BarOutcome, error?: TraceEvent["error"]): void {
    const bar = this.open.get(kind);
    if (bar === undefined) return;
    this.open.delete(kind);
    const endMs = Math.max(at, bar.startMs);
    const why = error ?? bar.error;
    this.bars.push({
      kind,
      step: this.step,
      path: this.path,
      attempt: bar.attempt,
      startMs: bar.startMs,
      endMs,
      durationMs: endMs - bar.startMs,
      outcome,
      error: why?.message,
      errorCode: why?.code,
      delayMs: bar.delayMs,
    });
  }
}

/**
 * Compute the Gantt chart of a parsed trace: per step, its attempts, retry waits and
 * compensation attempts, with outcomes, errors and times relative to the run's start.
 *
 * @example
 * const timeline = traceTimeline(parseTrace(text));
 * for (const row of timeline.rows) {
 *   for (const bar of row.bars) console.log(row.label, bar.kind, bar.attempt, bar.startMs, bar.durationMs, bar.outcome);
 * }
 */
export function traceTimeline(trace: ParsedTrace): Timeline {
  const { header, footer } = trace;
  const t0 = header.startedAt;
  const builders = new Map<string, RowBuilder>();
  const rowOf = (event: TraceEvent & { step: string }): RowBuilder => {
    const path = event.path ?? [];
    const key = rowKey(path, event.step);
    let row = builders.get(key);
    if (row === undefined) builders.set(key, (row = new RowBuilder(event.step, path)));
    return row;
  };
  for (const step of header.steps) builders.set(rowKey([], step.name), new RowBuilder(step.name, []));

  let lastAt = t0;
  for (const entry of trace.entries) {
    lastAt = Math.max(lastAt, entry.at, entry.kind === "event" ? entry.event.timestamp : entry.at);
    if (entry.kind !== "event" || entry.event.step === undefined) continue;
    const event = entry.event as TraceEvent & { step: string };
    const row = rowOf(event);
    const at = event.timestamp - t0;
    row.status = STATUS_AFTER[event.type] ?? row.status;
    apply(row, event, at);
  }

  const end = Math.max((footer?.finishedAt ?? lastAt) - t0, 0);
  const rows = orderRows(header.steps, builders).map((row): TimelineRow => {
    for (const kind of row.open.keys()) row.close(kind, end, "unfinished");
    const final = row.path.length === 0 ? footer?.steps[row.step] : undefined;
    return {
      key: rowKey(row.path, row.step),
      step: row.step,
      path: row.path,
      label: [...row.path, row.step].join(" › "),
      status: final?.status ?? row.status ?? "pending",
      attempts: final?.attempts ?? row.attempts,
      bars: row.bars.sort((a, b) => a.startMs - b.startMs),
    };
  });
  const durationMs = rows.reduce((max, r) => r.bars.reduce((m, b) => Math.max(m, b.endMs), max), end);
  const attempts = rows.reduce((n, r) => n + r.bars.filter((b) => b.kind === "attempt").length, 0);
  return { startedAt: t0, durationMs, complete: footer !== undefined, rows, attempts };
}

/** One event's effect on its step's row (the table in the module comment). */
function apply(row: RowBuilder, event: TraceEvent, at: number): void {
  switch (event.type) {
    case "step.started":
      row.close("retry-wait", at, "waited");
      row.attempts++;
      row.cached = false;
      row.begin({ kind: "attempt", attempt: event.attempt ?? row.attempts, startMs: at }, at);
      break;
    case "step.retrying": {
      const failed = row.open.get("attempt")?.attempt ?? event.attempt ?? row.attempts;
      row.close("attempt", at, "retried", event.error);
      const wait = { kind: "retry-wait", attempt: failed + 1, startMs: at, delayMs: event.delayMs } as const;
      row.begin(event.error === undefined ? wait : { ...wait, error: event.error }, at);
      break;
    }
    case "step.cached":
      row.cached = true;
      break;
    case "step.succeeded":
      row.close("attempt", at, row.cached ? "cached" : "succeeded");
      break;
    case "step.failed":
    case "step.cancelled": {
      const outcome = event.type === "step.failed" ? "failed" : "cancelled";
      row.close("attempt", at, outcome, event.error);
      row.close("retry-wait", at, outcome);
      break;
    }
    case "step.compensating":
      row.close("compensation", at, "retried");
      row.compensations++;
      row.begin({ kind: "compensation", attempt: event.attempt ?? row.compensations, startMs: at }, at);
      break;
    case "step.compensated":
      row.close("compensation", at, "compensated");
      break;
    case "step.compensation_failed":
      row.close("compensation", at, "failed", event.error);
      break;
    default:
      break;
  }
}

function rowKey(path: readonly string[], step: string): string {
  return JSON.stringify([...path, step]);
}

/** Header steps in order (then top-level steps only events named), each followed by its nested rows. */
function orderRows(steps: ParsedTrace["header"]["steps"], builders: ReadonlyMap<string, RowBuilder>): RowBuilder[] {
  const nested = new Map<string, RowBuilder[]>();
  const top: RowBuilder[] = [];
  for (const row of builders.values()) {
    if (row.path.length === 0) top.push(row);
    else {
      const outer = rowKey([], row.path[0]!);
      nested.set(outer, [...(nested.get(outer) ?? []), row]);
    }
  }
  const known = new Set(steps.map((s) => s.name));
  const out: RowBuilder[] = [];
  const visit = (row: RowBuilder) => out.push(row, ...(nested.get(rowKey([], row.step)) ?? []));
  for (const row of top) if (known.has(row.step)) visit(row);
  for (const row of top) if (!known.has(row.step)) visit(row);
  // Nested rows whose outer step has no events of its own (a malformed trace) still show.
  for (const [outer, rows] of nested) if (!builders.has(outer)) out.push(...rows);
  return out;
}
