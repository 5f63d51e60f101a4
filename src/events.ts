import type { WorkflowError } from "./errors.js";
import type { WorkflowStatus } from "./result.js";

/**
 * Every event type an execution emits.
 *
 * @example
 * run.events.subscribe((e) => {
 *   if (e.type === WorkflowEventType.StepRetrying) console.log(`${e.step}: retry in ${e.delayMs} ms`);
 * });
 */
export const WorkflowEventType = {
  WorkflowStarted: "workflow.started",
  StepStarted: "step.started",
  StepRetrying: "step.retrying",
  StepSucceeded: "step.succeeded",
  StepFailed: "step.failed",
  StepDegraded: "step.degraded",
  StepSkipped: "step.skipped",
  StepCached: "step.cached",
  StepCacheBypassed: "step.cache_bypassed",
  StepCancelled: "step.cancelled",
  StepCompensating: "step.compensating",
  StepCompensated: "step.compensated",
  StepKept: "step.kept",
  StepCompensationFailed: "step.compensation_failed",
  WorkflowInterrupted: "workflow.interrupted",
  WorkflowSucceeded: "workflow.succeeded",
  WorkflowFailed: "workflow.failed",
  WorkflowCancelled: "workflow.cancelled",
  WorkflowTimedOut: "workflow.timed_out",
  /**
   * This engine's copy of the execution stopped: its lease was lost (another engine took
   * the execution over), or this engine closed. The last event of this copy, with the
   * LeaseLostError, and not a final event: the execution goes on where its lease is. When
   * its engine closed, it is journaled (where the execution stopped, and that it was not
   * a crash); a lease already taken by another engine cannot write it.
   */
  WorkflowLeaseLost: "workflow.lease_lost",
} as const;

export type WorkflowEventType = (typeof WorkflowEventType)[keyof typeof WorkflowEventType];

/**
 * One transition of an execution, on `run.events` and `engine.events` (and, for a
 * machine run on its own, to the `onEvent` of its RunRequest).
 *
 * @example
 * engine.events.subscribe((e) => console.log(e.seq, e.type, e.step ?? "", e.durationMs ?? ""));
 */
export interface WorkflowEvent {
  readonly type: WorkflowEventType;
  readonly executionId: string;
  readonly workflow: string;
  readonly version: string;
  /** 1, 2, 3… per execution, in emission order. */
  readonly seq: number;
  /** Milliseconds since the epoch, from the engine's clock. */
  readonly timestamp: number;
  readonly step?: string;
  readonly attempt?: number;
  readonly error?: WorkflowError;
  /** `step.retrying`: the backoff before the next attempt. */
  readonly delayMs?: number;
  /** Settling events: how long the step (or the workflow) took. */
  readonly durationMs?: number;
  /** Workflow-ending events: the final status. */
  readonly status?: WorkflowStatus;
  /** `step.cache_bypassed`: why the cache was not used; `step.kept`: why the effect stays. */
  readonly reason?: string;
  /** `workflow.started`: what the caller attached to the execution. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** `workflow.started`: the workflow input, as the caller gave it. */
  readonly input?: unknown;
  /** `step.succeeded`: the step's outputs; `step.degraded`: its fallback outputs, if any. */
  readonly output?: Readonly<Record<string, unknown>>;
  /**
   * An event of a sub-workflow: the names of the steps that ran it, outermost first
   * (`step` is then the sub-workflow's own step). Undefined for the execution's own events.
   */
  readonly path?: readonly string[];
}

/** The fields of an event that vary; the ledger stamps the rest. */
export type WorkflowEventFields = Omit<
  WorkflowEvent,
  "executionId" | "workflow" | "version" | "seq" | "timestamp" | "path"
>;
