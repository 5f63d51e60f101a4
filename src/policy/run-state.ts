/**
 * The state of one execution, as a fold over its events. The only way in is
 * `apply(event)`: the live workflow actor applies each event it emits, and recovery
 * applies the journaled ones, so the two cannot disagree. The actor asks it what to do
 * next (`nextStartable`, `rollbackHead`) and performs it (start, abort, compensate, emit).
 *
 * It keeps the scheduling (which steps are waiting, ready, in flight or settled, their
 * outputs, completion order, the error policy's decision) and delegates the saga
 * (`Rollback`: the plan, the compensation in progress, what was undone), the timings
 * (`RunTimings`: the metrics' raw data) and the result record (`run-result.ts`).
 *
 * Every per-event operation is O(1) amortised (O(log n) for the ready heap, plus
 * the settled step's own edges): nothing scans all steps until the result is built.
 */

import type { ErrorPolicy } from "../dsl/options.js";
import type { ExecutionPhase, StepResults } from "../dsl/step.js";
import type { WorkflowError } from "../errors.js";
import type { WorkflowEvent } from "../events.js";
import type { WorkflowPlan } from "../planner/types.js";
import type { CompensationSummary, StepStatus, WorkflowResult, WorkflowStatus } from "../result.js";
import type { WorkflowMetrics } from "../telemetry/metrics.js";
import type { FailureDecision } from "./failure-verdict.js";
import { OutputsView } from "./outputs-view.js";
import { ReadyQueue } from "./ready-queue.js";
import { Rollback } from "./rollback.js";
import type { RunEvent, TimedRunEvent } from "./run-event.js";
import { buildResult } from "./run-result.js";
import { RunTimings } from "./run-timings.js";

type Outcome = Exclude<WorkflowStatus, "succeeded">;

/** Why scheduling stopped, and what rollback the policy asks for. */
export interface Halt {
  readonly outcome: Outcome;
  readonly policy: ErrorPolicy;
  readonly error: WorkflowError;
  /** The failed step, when a step failure caused the halt. */
  readonly step: number | undefined;
}

const NO_METADATA: Readonly<Record<string, unknown>> = Object.freeze({});
const EMPTY_OUTPUT: Readonly<Record<string, unknown>> = Object.freeze({});
const NONE_ERRORS: readonly WorkflowError[] = Object.freeze([]);

const ranks = new WeakMap<WorkflowPlan, Int32Array>();
const NONE: readonly number[] = Object.freeze([]);

function rankOf(plan: WorkflowPlan): Int32Array {
  let rank = ranks.get(plan);
  if (rank === undefined) {
    rank = Int32Array.from(plan.steps, (step) => step.remaining);
    ranks.set(plan, rank);
  }
  return rank;
}

export class RunState {
  readonly plan: WorkflowPlan;
  readonly executionId: string;
  /** The workflow input (after its schema, once validated). */
  workflowInput: Readonly<Record<string, unknown>>;
  /** The input schema's pending verdict (an asynchronous schema): nothing starts until it answers. */
  pendingInput: Promise<unknown> | undefined;
  readonly startedAt: number;
  readonly status: StepStatus[];
  readonly outputs: (Readonly<Record<string, unknown>> | undefined)[];
  readonly inFlight = new Set<number>();
  /** Succeeded steps in completion order. */
  readonly completed: number[] = [];
  readonly failures: WorkflowError[] = [];
  /** Optional steps that failed, and steps that fell back, in the order they did. */
  readonly degraded: { step: string; error: WorkflowError; fallback: boolean }[] = [];
  /** The saga: the rollback plan and what it undid. */
  readonly rollback = new Rollback();
  /** Read-only view of outputs, shared with every step. */
  readonly results: StepResults;
  halt: Halt | undefined;
  finishedAt: number | undefined;
  /** The terminal event went out: nothing more is emitted for this execution. */
  closed = false;

  readonly #now: () => number;
  /** The time of the event being applied. */
  #at: number;
  readonly #waiting: Int32Array;
  readonly #ready: ReadyQueue;
  readonly #attempts: Int32Array;
  readonly #timings: RunTimings;
  readonly #errors: (WorkflowError | undefined)[];
  readonly #cached: Uint8Array;
  /** Per step: the cache key its outputs were stored under, and a sub-workflow's run handle. */
  readonly cacheKeys: (string | undefined)[];
  readonly subRuns: unknown[];
  #exclusive = false;
  #seq = 0;
  /** Per step: when its pending retry fires (journaled deadline). */
  readonly #retryAt: Float64Array;
  /** Rebuilding: the errors of each step's failed attempts. */
  #retryErrors: Map<number, WorkflowError[]> | undefined;
  /** While rebuilding from a journal: the forwarded events of each sub-workflow step's latest attempt. */
  subHistory: Map<number, TimedRunEvent[]> | undefined;
  /** Rebuilt from a journal: the steps in flight and the rollback in progress resume. */
  recovered = false;
  /** What the caller attached to the execution, frozen. */
  metadata: Readonly<Record<string, unknown>> = NO_METADATA;

  constructor(
    plan: WorkflowPlan,
    executionId: string,
    workflowInput: Readonly<Record<string, unknown>>,
    now: () => number,
    startedAt: number = now(),
  ) {
    const n = plan.steps.length;
    this.plan = plan;
    this.executionId = executionId;
    this.workflowInput = workflowInput;
    this.#now = now;
    this.startedAt = startedAt;
    this.#at = startedAt;
    this.status = new Array<StepStatus>(n).fill("pending");
    this.outputs = new Array(n);
    this.#errors = new Array(n);
    this.#cached = new Uint8Array(n);
    this.cacheKeys = new Array(n);
    this.subRuns = new Array(n);
    this.#attempts = new Int32Array(n);
    this.#timings = new RunTimings(n, startedAt);
    this.#waiting = new Int32Array(n);
    this.#retryAt = new Float64Array(n).fill(Number.NaN);
    this.#ready = new ReadyQueue(rankOf(plan));
    for (let i = 0; i < n; i++) {
      const deps = plan.steps[i]!.deps.length;
      this.#waiting[i] = deps;
      if (deps === 0) {
        this.#ready.push(i);
        this.#timings.ready(i, startedAt);
      }
    }
    this.results = Object.freeze(new OutputsView(plan, this.outputs));
  }

  /** The clock of the live run. */
  now(): number {
    return this.#now();
  }

  /** The seq of the last event applied. */
  get seq(): number {
    return this.#seq;
  }

  /**
   * The fold: apply one event of this execution (the live actor's, or a journaled one),
   * at time `at`. Every change of the run state goes through here.
   */
  apply(event: RunEvent, at: number): void {
    this.#seq++;
    this.#at = at;
    if (event.path !== undefined) {
      this.rollback.foldNested(event.path, event);
      this.#collectSub(event, at);
      return;
    }
    switch (event.type) {
      case "workflow.started":
        return;
      case "step.started": {
        const i = this.#indexOf(event);
        if (this.status[i] === "pending") this.#start(i);
        else this.#attemptStarted(i, event.attempt ?? 1);
        return;
      }
      case "step.retrying": {
        const i = this.#indexOf(event);
        this.#retrying(i, event.retryAt ?? at + (event.delayMs ?? 0));
        if (this.subHistory !== undefined && event.error !== undefined) {
          (this.#retryErrors ??= new Map()).set(i, [...(this.#retryErrors.get(i) ?? []), event.error]);
        }
        return;
      }
      case "step.cached":
        this.#cached[this.#indexOf(event)] = 1;
        return;
      case "step.succeeded":
        this.#succeeded(this.#indexOf(event), event.output ?? EMPTY_OUTPUT, event.cacheKey);
        return;
      case "step.degraded":
        this.#degraded(this.#indexOf(event), event.error!, event.output);
        return;
      case "step.failed":
        this.#failed(this.#indexOf(event), event.error!, event.decision);
        return;
      case "step.skipped":
        // Skipped with the failure that caused it (under `continue`).
        return;
      case "step.cancelled":
        this.#cancelled(this.#indexOf(event), event.error!);
        return;
      case "step.compensating":
        this.#compensationStarted(this.#indexOf(event), event.attempt ?? 1);
        return;
      case "step.compensated":
        this.#compensated(this.#indexOf(event));
        return;
      case "step.kept":
        this.#kept(this.#indexOf(event), event.reason ?? "");
        return;
      case "step.compensation_failed":
        this.#compensationFailed(this.#indexOf(event), event.error!);
        return;
      case "workflow.interrupted":
        this.#interrupt(event.status === "timed_out" ? "timed_out" : "cancelled", event.error!);
        return;
      case "workflow.succeeded":
      case "workflow.failed":
      case "workflow.cancelled":
      case "workflow.timed_out":
        this.finishedAt ??= at;
        // What the journal says it ended with is how it ended (a rejected input, say,
        // halted it without an event of its own).
        // So is an end whose error is of another kind than the fold's (a dead-lettered
        // execution, failed with a RecoveryLimitError in the middle of its rollback).
        if (
          event.status !== undefined &&
          (event.status !== this.outcome ||
            (event.error !== undefined && this.error !== undefined && event.error.code !== this.error.code))
        ) {
          this.#ended = { status: event.status, error: event.error };
        }
        return;
      default:
        // step.cache_bypassed and other notices change nothing.
        return;
    }
  }

  #indexOf(event: RunEvent): number {
    if (event.index !== undefined) return event.index;
    const i = this.plan.indexOf.get(event.step ?? "");
    if (i === undefined) throw new RangeError(`Workflow \`${this.plan.workflow}\` has no step \`${event.step}\``);
    return i;
  }

  /** Rebuilding: keep a sub-workflow's events (its latest attempt's) to rebuild its run with. */
  #collectSub(event: RunEvent, at: number): void {
    const history = this.subHistory;
    if (history === undefined) return;
    const i = this.plan.indexOf.get(event.path![0]!);
    if (i === undefined) return;
    const rest = event.path!.slice(1);
    let list = history.get(i);
    // A new sub run (a retry after the last one ended) replaces the one before.
    // A rollback run of it (its step compensating) goes on the same history: the run it
    // undoes is folded from the events before.
    const fresh = rest.length === 0 && event.type === "workflow.started" && this.status[i] !== "compensating";
    if (list === undefined || fresh) history.set(i, (list = []));
    list.push({ ...event, path: rest.length === 0 ? undefined : rest, at });
  }

  /**
   * Stamp the event just applied with the execution's identity, its seq and time. Settling
   * events get the step's (or the workflow's) duration from the fold.
   */
  event(fields: RunEvent): WorkflowEvent {
    // One fixed shape for every event (absent fields are undefined): object spread
    // over varying shapes is megamorphic, and this runs several times per step.
    return {
      type: fields.type,
      executionId: this.executionId,
      workflow: this.plan.workflow,
      version: this.plan.version,
      seq: this.#seq,
      timestamp: this.#at,
      step: fields.step,
      attempt: fields.attempt,
      error: fields.error,
      delayMs: fields.delayMs,
      durationMs: fields.durationMs ?? this.#durationFor(fields),
      status: fields.status,
      reason: fields.reason,
      metadata: fields.metadata,
      input: fields.input,
      output: fields.output,
      path: undefined,
    };
  }

  #durationFor(fields: RunEvent): number | undefined {
    switch (fields.type) {
      case "step.succeeded":
      case "step.failed":
      case "step.degraded":
        return this.durationOf(this.#indexOf(fields));
      case "workflow.succeeded":
      case "workflow.failed":
      case "workflow.cancelled":
      case "workflow.timed_out":
        return this.finishedAt === undefined ? undefined : this.finishedAt - this.startedAt;
      default:
        return undefined;
    }
  }

  /**
   * An event of a sub-workflow run by step `step`: re-stamped into this execution
   * (its id, its sequence), its workflow, version and timestamp kept, its path prefixed.
   */
  forwarded(event: WorkflowEvent, step: string): WorkflowEvent {
    const path = event.path === undefined ? [step] : [step, ...event.path];
    this.rollback.foldNested(path, event);
    return { ...event, executionId: this.executionId, seq: ++this.#seq, path };
  }

  /** A sub-workflow's event nobody wants: keep the sequence numbers as if it had been emitted. */
  skipEvent(): void {
    this.#seq++;
  }

  /** Workflow input names the steps need that the input lacks (own properties only: not `constructor`). */
  missingInputs(): string[] {
    return this.plan.requiredInputs.filter((name) => !Object.hasOwn(this.workflowInput, name));
  }

  /**
   * The ready step that may start now (its `step.started` starts it), highest priority
   * first, while the parallel limit allows. A step with `parallel: false` starts only
   * when nothing is in flight, and nothing starts beside it.
   */
  nextStartable(): number | undefined {
    if (this.halt !== undefined || this.#exclusive) return undefined;
    const next = this.#ready.peek();
    if (next === undefined) return undefined;
    const alone = !this.plan.steps[next]!.definition.parallel;
    return (alone ? this.inFlight.size > 0 : this.inFlight.size >= this.plan.parallelLimit) ? undefined : next;
  }

  #start(i: number): void {
    if (!this.#ready.remove(i)) throw new RangeError(`Step ${this.plan.steps[i]!.name} started without being ready`);
    this.#exclusive = !this.plan.steps[i]!.definition.parallel;
    this.#timings.started(i, this.#at, this.inFlight.size);
    this.inFlight.add(i);
    this.status[i] = "running";
    this.#attempts[i] = 1;
  }

  /** The frozen input object of step `i`, from the workflow input and earlier outputs. */
  inputOf(i: number): Readonly<Record<string, unknown>> {
    const input: Record<string, unknown> = {};
    for (const source of this.plan.steps[i]!.inputs) {
      input[source.as] = source.step === -1 ? this.workflowInput[source.key] : this.outputs[source.step]?.[source.key];
    }
    return Object.freeze(input);
  }

  #attemptStarted(i: number, attempt: number): void {
    this.#attempts[i] = attempt;
    // Still running: an attempt resumed after a crash (the one before it never settled).
    this.#timings.attemptStarted(i, this.#at, this.status[i] === "running");
    this.status[i] = "running";
    this.#retryAt[i] = Number.NaN;
  }

  #retrying(i: number, deadline: number): void {
    this.#timings.retrying(i, this.#at);
    this.status[i] = "retrying";
    this.#retryAt[i] = deadline;
  }

  /** A rebuilt run: the errors of step i's failed attempts, from its journal. */
  retryErrorsOf(i: number): readonly WorkflowError[] {
    return this.#retryErrors?.get(i) ?? NONE_ERRORS;
  }

  /** When the pending retry of step i fires (its journaled deadline), or NaN. */
  retryAt(i: number): number {
    return this.#retryAt[i]!;
  }

  /** Step i succeeded (or its outputs came from the cache): release its dependents (unless the run is halting). */
  #succeeded(i: number, output: Readonly<Record<string, unknown>>, cacheKey: string | undefined): void {
    this.#settle(i, "succeeded");
    this.outputs[i] = output;
    this.cacheKeys[i] = cacheKey;
    this.completed.push(i);
    if (this.halt === undefined) this.#release(i);
  }

  /** Step i's outputs are there: its dependents waiting only for it are ready. */
  #release(i: number): void {
    for (const d of this.plan.steps[i]!.dependents) {
      const waiting = this.#waiting[d]! - 1;
      this.#waiting[d] = waiting;
      if (waiting === 0 && this.status[d] === "pending") {
        this.#ready.push(d);
        this.#timings.ready(d, this.#at);
      }
    }
  }

  /**
   * Step i failed but may not fail the workflow (optional, or a fallback): its
   * dependents run, reading the fallback outputs (or undefined); nothing to undo.
   */
  #degraded(i: number, error: WorkflowError, fallback: Readonly<Record<string, unknown>> | undefined): void {
    this.#settle(i, "degraded");
    this.#errors[i] = error;
    this.outputs[i] = fallback;
    this.degraded.push({ step: this.plan.steps[i]!.name, error, fallback: fallback !== undefined });
    if (this.halt === undefined) this.#release(i);
  }

  /**
   * Step i failed. Under `continue` its transitive dependents are skipped (in
   * `skipped`); any other policy halts the run. Only the first halt counts.
   */
  #failed(i: number, error: WorkflowError, decision: FailureDecision | undefined): void {
    this.#settle(i, "failed");
    this.#errors[i] = error;
    this.failures.push(error);
    this.skipped = NONE;
    if (this.halt !== undefined) return;
    const policy: ErrorPolicy = decision === "compensate" ? "compensate_all" : (decision ?? this.plan.onError);
    if (policy !== "continue") {
      this.#stop({ outcome: "failed", policy, error, step: i });
      return;
    }
    this.skipped = this.#skipDependents(i);
  }

  /** The steps the last `step.failed` skipped (its transitive dependents, under `continue`). */
  skipped: readonly number[] = NONE;

  #cancelled(i: number, error: WorkflowError): void {
    this.#settle(i, "cancelled");
    this.#errors[i] = error;
  }

  /**
   * Stop scheduling for a cancellation or the workflow timeout. A pending input verdict
   * is abandoned: no step has started, and whatever it answers later changes nothing.
   */
  #interrupt(outcome: "cancelled" | "timed_out", error: WorkflowError): void {
    this.pendingInput = undefined;
    if (this.halt !== undefined) return;
    const policy = this.plan.onError === "continue" ? "fail_fast" : this.plan.onError;
    this.#stop({ outcome, policy, error, step: undefined });
  }

  /**
   * Reopen a finished run to roll it back (a succeeded sub-workflow whose parent is
   * compensating): every step it completed is compensated, newest first.
   */
  reopenForRollback(error: WorkflowError): void {
    this.halt = { outcome: "failed", policy: "compensate_all", error, step: undefined };
    this.finishedAt = undefined;
    this.closed = false;
    // Planned now, not when the workflow actor starts: its initial state is computed
    // when it is created, and must already see that a rollback is due.
    this.planRollback();
  }

  /** Fail before any step runs (missing workflow input). */
  reject(error: WorkflowError): void {
    this.#stop({ outcome: "failed", policy: "fail_fast", error, step: undefined });
  }

  /** An asynchronous input schema has not answered yet. */
  get validating(): boolean {
    return this.pendingInput !== undefined;
  }

  /** Nothing in flight and nothing more will start. */
  get quiescent(): boolean {
    return (
      this.pendingInput === undefined && this.inFlight.size === 0 && (this.halt !== undefined || this.#ready.size === 0)
    );
  }

  wasCached(i: number): boolean {
    return this.#cached[i] === 1;
  }

  /**
   * Queue the rollback the halt's policy asks for: every succeeded step with a
   * `compensate` (or a sub-workflow), newest first (a dependent always completes after
   * its dependencies, so it is always undone before them); or only the failed step's
   * own. A step whose outputs came from the cache did nothing in this execution and is
   * not compensated; neither is one already compensated.
   */
  planRollback(): void {
    const halt = this.halt;
    if (halt === undefined || this.rollback.planned) return;
    const hasCompensate = (i: number) => {
      const { definition } = this.plan.steps[i]!;
      return definition.compensate !== undefined || definition.workflow !== undefined;
    };
    if (halt.policy === "compensate_all") {
      const undo = (i: number) =>
        hasCompensate(i) &&
        !this.wasCached(i) &&
        (this.status[i] === "succeeded" || this.status[i] === "compensation_failed");
      this.rollback.plan(this.completed.filter(undo).reverse());
    } else if (halt.policy === "compensate_failed" && halt.step !== undefined && hasCompensate(halt.step)) {
      this.rollback.plan([halt.step]);
    } else {
      this.rollback.plan([]);
    }
  }

  /** The next step to compensate (its `step.compensating` starts it), or undefined when none is left. */
  rollbackHead(): number | undefined {
    return this.rollback.head();
  }

  /** The step whose compensation started and has not settled (a rollback resumed after a crash). */
  get compensating(): number | undefined {
    return this.rollback.current;
  }

  /** How many attempts the compensation of step i has started. */
  compensationAttemptsOf(i: number): number {
    return this.rollback.attemptsOf(i);
  }

  #compensationStarted(i: number, attempt: number): void {
    this.planRollback();
    this.rollback.started(i, attempt, this.plan.steps[i]!.name);
    this.status[i] = "compensating";
  }

  /** No compensation running and none left to run. */
  get rollbackOver(): boolean {
    return this.rollback.over;
  }

  #compensated(i: number): void {
    this.status[i] = "compensated";
    this.rollback.settledCompensated(this.plan.steps[i]!.name);
  }

  /** Step i's compensation chose to keep its effect (partial compensation). */
  #kept(i: number, reason: string): void {
    this.status[i] = "kept";
    this.rollback.settledKept(this.plan.steps[i]!.name, reason);
  }

  #compensationFailed(i: number, error: WorkflowError): void {
    this.status[i] = "compensation_failed";
    this.#errors[i] = error;
    this.rollback.settledFailed(this.plan.steps[i]!.name, error);
  }

  /** A sub-workflow step's run rolled back (itself, after it failed or was cancelled; or for this run). */
  nestedRollback(step: string, summary: CompensationSummary): void {
    this.rollback.nestedRollback(step, summary);
  }

  /** Where the execution is, as its steps see it (`ctx.status`). */
  get phase(): ExecutionPhase {
    if (this.halt === undefined) return "running";
    return this.rollback.planned ? "compensating" : "stopping";
  }

  /** A journaled end that the fold could not derive (see `apply`). */
  #ended: { status: WorkflowStatus; error: WorkflowError | undefined } | undefined;

  get outcome(): WorkflowStatus {
    if (this.#ended !== undefined) return this.#ended.status;
    if (this.halt !== undefined) return this.halt.outcome;
    return this.failures.length > 0 ? "failed" : "succeeded";
  }

  /** The error that decides the result: the halt's, else the first failure. */
  get error(): WorkflowError | undefined {
    return this.#ended?.error ?? this.halt?.error ?? this.failures[0];
  }

  durationOf(i: number): number | undefined {
    return this.#timings.durationOf(i);
  }

  attemptsOf(i: number): number {
    return this.#attempts[i]!;
  }

  errorOf(i: number): WorkflowError | undefined {
    return this.#errors[i];
  }

  /** When the execution finished, or (still running) now. */
  get endedAt(): number {
    return this.finishedAt ?? this.#now();
  }

  /** Build the result. O(steps + outputs): called once, at the end. */
  result(): WorkflowResult {
    return buildResult(this);
  }

  /** The execution's metrics (at the end; O(steps + edges)). */
  metrics(): WorkflowMetrics {
    return this.#timings.metrics(this.plan, this.startedAt, this.endedAt);
  }

  #settle(i: number, status: StepStatus): void {
    this.status[i] = status;
    this.#timings.settled(i, this.#at, this.inFlight.size);
    if (this.inFlight.delete(i) && !this.plan.steps[i]!.definition.parallel) this.#exclusive = false;
  }

  #stop(halt: Halt): void {
    this.halt = halt;
    this.#ready.clear();
  }

  #skipDependents(failed: number): number[] {
    const skipped: number[] = [];
    const stack = [...this.plan.steps[failed]!.dependents];
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (this.status[d] !== "pending") continue;
      this.status[d] = "skipped";
      skipped.push(d);
      for (const next of this.plan.steps[d]!.dependents) stack.push(next);
    }
    return skipped.sort((a, b) => a - b);
  }
}
