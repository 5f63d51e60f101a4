/**
 * The debug trace of an execution: every event and every actor state transition, in
 * the order they happened, with timestamps. `execute(…, { debug: true })` puts it in
 * `result.trace`; `rubberduck run --trace-file run.jsonl` writes it as JSON lines
 * (a `run` header line, the entries, a `result` line), which `rubberduck view` renders.
 */

import type { SerializedError } from "../error-codec.js";
import type { WorkflowEvent } from "../events.js";
import type { StepStatus, WorkflowStatus } from "../result.js";

/**
 * A WorkflowEvent as plain JSON (its error serialised).
 *
 * @example
 * for (const entry of result.trace ?? []) {
 *   if (entry.kind === "event" && entry.event.error) console.log(entry.event.type, entry.event.error.code);
 * }
 */
export type TraceEvent = Omit<WorkflowEvent, "error"> & { readonly error?: SerializedError };

/**
 * One entry of a debug trace (`result.trace`, the middle lines of a trace file): a
 * workflow event, or an actor reaching a new state.
 *
 * @example
 * for (const entry of result.trace ?? []) {
 *   if (entry.kind === "state") console.log(entry.at, entry.actor, entry.state);
 * }
 */
export type TraceEntry =
  /** A workflow event. */
  | { readonly kind: "event"; readonly at: number; readonly event: TraceEvent }
  /**
   * An actor reached a new state: the workflow actor (`actor` is its id), a step actor
   * (`step:<name>`, `compensate:<name>`; `step` names the step) or a sub-workflow's.
   */
  | {
      readonly kind: "state";
      readonly at: number;
      readonly actor: string;
      readonly parent: string | undefined;
      readonly state: string;
      readonly step: string | undefined;
      readonly attempt: number | undefined;
    };

/**
 * First line of a trace file: what ran, and the shape of its DAG.
 *
 * @example
 * const { workflow, version, steps } = parseTrace(text).header;
 * console.log(`${workflow}@${version}:`, steps.map((s) => s.name).join(", "));
 */
export interface TraceHeader {
  readonly kind: "run";
  readonly executionId: string;
  readonly workflow: string;
  readonly version: string;
  readonly description: string | undefined;
  readonly startedAt: number;
  readonly steps: readonly {
    readonly name: string;
    readonly dependencies: readonly string[];
    readonly depth: number;
    readonly outputs: readonly string[];
  }[];
}

/**
 * Last line of a trace file: how it ended.
 *
 * @example
 * const footer = parseTrace(text).footer;
 * if (footer !== undefined) console.log(footer.status, footer.compensation.compensated);
 */
export interface TraceFooter {
  readonly kind: "result";
  readonly status: WorkflowStatus;
  readonly finishedAt: number;
  readonly error: SerializedError | undefined;
  readonly steps: Readonly<Record<string, { readonly status: StepStatus; readonly attempts: number }>>;
  readonly compensation: { readonly compensated: readonly string[]; readonly failed: readonly string[] };
}

/**
 * One line of a trace file.
 *
 * @example
 * const line = JSON.parse(lastLine) as TraceLine;
 * if (line.kind === "result") console.log(line.status, line.finishedAt);
 */
export type TraceLine = TraceHeader | TraceEntry | TraceFooter;
