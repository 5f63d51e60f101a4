/**
 * The debug trace of an execution: every event and every actor state transition, in
 * the order they happened, with timestamps. `execute(…, { debug: true })` puts it in
 * `result.trace`; `rubberduck run --trace-file run.jsonl` writes it as JSON lines
 * (a `run` header line, the entries, a `result` line), which `rubberduck view` renders.
 */

import type { SerializedError } from "../errors.js";
import type { WorkflowEvent } from "../events.js";
import type { StepStatus, WorkflowStatus } from "../result.js";

/** A WorkflowEvent as plain JSON (its error serialised). */
export type TraceEvent = Omit<WorkflowEvent, "error"> & { readonly error?: SerializedError };

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

/** First line of a trace file: what ran, and the shape of its DAG. */
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

/** Last line of a trace file: how it ended. */
export interface TraceFooter {
  readonly kind: "result";
  readonly status: WorkflowStatus;
  readonly finishedAt: number;
  readonly error: SerializedError | undefined;
  readonly steps: Readonly<Record<string, { readonly status: StepStatus; readonly attempts: number }>>;
  readonly compensation: { readonly compensated: readonly string[]; readonly failed: readonly string[] };
}

/** One line of a trace file. */
export type TraceLine = TraceHeader | TraceEntry | TraceFooter;
