/**
 * Builds trace files in memory, for cases the fixtures do not cover (a compensation
 * retried, a cache hit, one step, 500 steps): events at given ms after the start,
 * with the envelope fields (`executionId`, `seq`, `timestamp`…) filled in.
 */
import type { TraceEvent, TraceFooter, TraceHeader, TraceLine } from "../../src/telemetry/trace.js";
import type { ParsedTrace } from "../../src/trace-viewer/parse.js";

export const T0 = 1_700_000_000_000;

type EventFields = Omit<TraceEvent, "type" | "executionId" | "workflow" | "version" | "seq" | "timestamp" | "error"> & {
  readonly error?: string;
};

export class TraceBuilder {
  readonly #lines: TraceLine[] = [];
  #seq = 0;

  constructor(
    steps: readonly (string | readonly [string, readonly string[]])[],
    readonly workflow = "wf",
  ) {
    const depth = new Map<string, number>();
    const header: TraceHeader = {
      kind: "run",
      executionId: "exec-1",
      workflow,
      version: "1.0.0",
      description: undefined,
      startedAt: T0,
      steps: steps.map((s) => {
        const [name, dependencies] = typeof s === "string" ? [s, []] : s;
        depth.set(name, Math.max(-1, ...dependencies.map((d) => depth.get(d) ?? 0)) + 1);
        return { name, dependencies, depth: depth.get(name)!, outputs: [`${name}_out`] };
      }),
    };
    this.#lines.push(header);
  }

  /** An event `ms` after the start; `error` is a message, serialised as a StepError's. */
  event(ms: number, type: TraceEvent["type"], fields: EventFields = {}): this {
    const { error, ...rest } = fields;
    const event: TraceEvent = {
      type,
      executionId: "exec-1",
      workflow: this.workflow,
      version: "1.0.0",
      seq: ++this.#seq,
      timestamp: T0 + ms,
      ...rest,
      ...(error === undefined ? {} : { error: { name: "StepError", code: "STEP_FAILED", message: error } }),
    };
    this.#lines.push({ kind: "event", at: T0 + ms, event });
    return this;
  }

  /** An actor state entry `ms` after the start. */
  state(ms: number, actor: string, state: string, step?: string): this {
    this.#lines.push({ kind: "state", at: T0 + ms, actor, parent: "x:0", state, step, attempt: undefined });
    return this;
  }

  /** The `result` footer, `ms` after the start. */
  result(ms: number, fields: Omit<TraceFooter, "kind" | "finishedAt" | "error"> & { error?: string }): this {
    const { error, ...rest } = fields;
    this.#lines.push({
      kind: "result",
      finishedAt: T0 + ms,
      error: error === undefined ? undefined : { name: "StepError", code: "STEP_FAILED", message: error },
      ...rest,
    });
    return this;
  }

  /** The trace file's text: one JSON line each. */
  text(): string {
    return `${this.#lines.map((line) => JSON.stringify(line)).join("\n")}\n`;
  }
}

/**
 * A run of `count` steps in layers of ten, each depending on the step ten before
 * it, each started and succeeded; every 50th step retried once.
 */
export function wideTrace(count: number): { text: string; attempts: number } {
  const names = Array.from({ length: count }, (_, i) => `step_${String(i).padStart(3, "0")}`);
  const builder = new TraceBuilder(
    names.map((name, i) => (i < 10 ? name : ([name, [names[i - 10]!]] as const))),
    "wide",
  );
  builder.event(0, "workflow.started");
  let attempts = 0;
  let end = 0;
  names.forEach((step, i) => {
    const start = Math.floor(i / 10) * 20 + (i % 10);
    builder.event(start, "step.started", { step, attempt: 1 });
    attempts++;
    if (i % 50 === 49) {
      builder.event(start + 5, "step.retrying", { step, attempt: 1, delayMs: 4, error: "flaky" });
      builder.event(start + 9, "step.started", { step, attempt: 2 });
      attempts++;
    }
    builder.event(start + 15, "step.succeeded", { step, attempt: i % 50 === 49 ? 2 : 1 });
    end = Math.max(end, start + 15);
  });
  builder.event(end + 1, "workflow.succeeded", { status: "succeeded", durationMs: end + 1 });
  builder.result(end + 1, {
    status: "succeeded",
    steps: Object.fromEntries(names.map((n, i) => [n, { status: "succeeded", attempts: i % 50 === 49 ? 2 : 1 }])),
    compensation: { compensated: [], failed: [] },
  });
  return { text: builder.text(), attempts };
}

/**
 * When (ms after the run's start) the first event of `type` for `step` (and
 * `attempt`, if given) happened: fixture expectations in the fixture's own times.
 */
export function eventMs(trace: ParsedTrace, type: TraceEvent["type"], step: string, attempt?: number): number {
  for (const entry of trace.entries) {
    const event = entry.kind === "event" ? entry.event : undefined;
    if (event?.type === type && event.step === step && event.path === undefined) {
      if (attempt === undefined || event.attempt === attempt) return event.timestamp - trace.header.startedAt;
    }
  }
  throw new Error(`no ${type} event of ${step}${attempt === undefined ? "" : ` (attempt ${attempt})`} in the trace`);
}
