/**
 * The step actor: one per step, created by the workflow actor when the step is
 * ready and finished (status "done") as soon as the step settles.
 *
 *   idle ─START→ running ──ok──▶ succeeded
 *     │  ▲
 *   error/TIMEOUT      BACKOFF
 *     ▼  │
 *   retrying             (or, when the retry policy says no: ──▶ failed)
 *   running ─ABORT→ (signal aborted, waits for the attempt to settle) ─▶ cancelled | succeeded
 *   retrying ─ABORT→ cancelled
 *
 * An attempt settles within `abortGrace` of its abort, or is cancelled and its late
 * result ignored — except a sub-workflow step's: its attempt is a nested saga, which
 * this actor waits for, past the grace and past its timeout, until it has stopped and
 * rolled back (a sub run that succeeded all the same counts, and is compensated like any
 * step). A run attempt whose code held the thread past its timeout has timed out, even
 * when its TIMEOUT could not fire first. Only the accepted attempt's outputs are written
 * to the cache.
 *
 *   idle ─START→ compensating ──ok──▶ compensated     (an actor created again for the rollback)
 *     └─error/TIMEOUT─▶ (backoff) compensating … ─▶ compensation_failed
 *
 * The states are the snapshot's `value`, so the inspector shows them. It is written
 * as a small ActorLogic rather than a state machine: a machine with an invoked
 * promise actor costs two actors and a dozen microsteps per step, and steps are
 * the hot path. `stepStates` below is the same chart as data (for docs and tests).
 *
 * Each attempt runs its work as a promise with its own AbortSignal, aborted on
 * timeout (a delayed TIMEOUT on the actor system's clock, so the injected
 * clock applies) or on ABORT. A result of an attempt that is no longer current is
 * ignored. Retries and compensation attempts are reported to the parent as events;
 * the settled outcome is the actor's output, which reaches the parent in its
 * `xstate.done.actor.*` event.
 */

import type { ActorLogic, ActorScope, AnyActorRef, EventObject } from "xstate";

import { writeCache } from "../src/cache/step-cache.js";
import { keptReason } from "../src/dsl/keep.js";
import {
  CompensationError,
  SerializationError,
  SnapshotRestoreError,
  StepAbortedError,
  StepTimeoutError,
  toWorkflowError,
  type WorkflowError,
} from "../src/errors.js";
import type { PlannedStep } from "../src/planner/types.js";
import { compensationVerdict, type FailureVerdict, failureVerdict } from "../src/policy/failure-verdict.js";
import { findNonJson } from "../src/util/json-data.js";
import { AttemptContext, CompensationAttemptContext, type ExecutionScope } from "./attempt-context.js";
import { AttemptSignal } from "./attempt-signal.js";
import type { AbortStepEvent, SettledReport, StepReport } from "./protocol.js";
import { type StepChartConfig, type StepState, stepChartConfig, stepStates } from "./step-chart.js";
import { clear, later, Runtime, type TimerEvent } from "./step-runtime.js";
import { type AttemptOutcome, pickOutputs, runAttempt, runCompensation } from "./step-work.js";

export type { ExecutionScope, StepState };
export { stepStates };

export interface StepActorInput {
  readonly mode: "run" | "compensate";
  readonly step: PlannedStep;
  /** The step's resolved, frozen input. */
  readonly input: Readonly<Record<string, unknown>>;
  readonly scope: ExecutionScope;
  /** Compensation only: what the step returned (`undefined` if it failed). */
  readonly output?: Readonly<Record<string, unknown>> | undefined;
  /** Compensation only: the error the workflow is rolling back for. */
  readonly cause?: WorkflowError;
  /** Compensation of a sub-workflow step only: the handle of its run. */
  readonly sub?: unknown;
  /** How long an aborted attempt may still settle, in ms (the workflow's `abortGrace`). */
  readonly abortGrace: number;
  /**
   * The number of the first attempt this actor runs (a run rebuilt from its journal goes
   * on counting). It is announced by the parent's event, unless the actor waits `delay`
   * first. @default 1
   */
  readonly attempt?: number;
  /** Run mode: wait this long (a journaled retry's remaining backoff) before the first attempt. */
  readonly delay?: number;
  /** The errors of the attempts before the first one this actor runs (from the journal). */
  readonly errors?: readonly WorkflowError[];
  /**
   * Run mode, a sub-workflow step: abort the first attempt as soon as its sub run has
   * started (a rebuilt run that was stopping: the sub run resumes, then rolls back).
   */
  readonly abortOnStart?: string;
  /**
   * Run mode: the attempt before the first one this actor runs started and never settled
   * (its engine stopped): an executor whose jobs outlive an engine may adopt it.
   */
  readonly interrupted?: boolean;
}

interface StepSnapshotBase {
  readonly value: StepState;
  /** For inspection: which step, which attempt. */
  readonly context: { readonly step: string; readonly attempt: number };
  /** @internal the actor's bookkeeping (serialises to nothing) */
  readonly runtime: Runtime;
}

/** The step actor's snapshot: its named state is `value`; its settled report is `output`. */
export type StepSnapshot = StepSnapshotBase &
  (
    | { readonly status: "active" | "stopped"; readonly output: undefined; readonly error: undefined }
    | { readonly status: "done"; readonly output: SettledReport; readonly error: undefined }
    | { readonly status: "error"; readonly output: undefined; readonly error: unknown }
  );

type SettledEvent = { type: "SETTLED"; attempt: number; ok: true; output: unknown } | SettledError;
type SettledError = { type: "SETTLED"; attempt: number; ok: false; error: WorkflowError };
type StopEvent = { type: "xstate.stop" };
export type StepActorEvent = { type: "START" } | AbortStepEvent | SettledEvent | TimerEvent | StopEvent;

type Scope = ActorScope<StepSnapshot, StepActorEvent>;

export const stepLogic: ActorLogic<StepSnapshot, StepActorEvent, StepActorInput> & {
  /** Its chart, for the Stately inspector to draw (it serialises `logic.config`). */
  readonly config: StepChartConfig;
} = {
  config: stepChartConfig,

  getInitialSnapshot: (scope, input) => {
    const runtime = new Runtime(input, scope.system._clock);
    return snapshot("idle", runtime, "active", undefined);
  },

  // Created idle; START (processed as soon as the actor starts) begins the first attempt.
  start: (state, scope) => {
    if (state.status === "active") scope.self.send({ type: "START" });
  },

  transition: (state, event, scope) => {
    if (state.status !== "active") return state;
    const runtime = state.runtime;
    switch (event.type) {
      case "START":
        if (state.value !== "idle") return state;
        if (runtime.input.delay !== undefined && runtime.input.mode === "run") {
          const attempt = runtime.attempt;
          runtime.retryAt = runtime.input.scope.now() + runtime.input.delay;
          scope.defer(() => later(runtime, scope, "other", { type: "BACKOFF", attempt }, runtime.input.delay!));
          return snapshot("retrying", runtime, "active", undefined);
        }
        scope.defer(() => begin(runtime, scope));
        return snapshot(runtime.input.mode === "compensate" ? "compensating" : "running", runtime, "active", undefined);
      case "SETTLED":
        if (!runtime.pending || event.attempt !== runtime.attempt) return state;
        runtime.pending = false;
        // A sub run stopped after its step's timeout: it failed by that timeout, unless
        // it succeeded all the same (its result stands, and can be rolled back).
        if (runtime.timeoutError !== undefined && !event.ok) return timedOut(state, scope, runtime.timeoutError);
        // Code that held the thread past its timeout has timed out, even though its
        // timer could not fire first (its result settled as soon as it returned).
        if (state.value === "running" && runtime.blockedMs > (runtime.input.step.timeout ?? Number.POSITIVE_INFINITY)) {
          return timedOut(state, scope, timeoutErrorOf(runtime));
        }
        return state.value === "running" ? settleRun(state, event, scope) : settleCompensation(state, event, scope);
      case "TIMEOUT":
        if (!runtime.pending || event.attempt !== runtime.attempt || runtime.timeoutError !== undefined) return state;
        if (isNested(runtime)) {
          // Stop the sub-workflow's run, and settle once it has stopped and rolled back.
          runtime.timeoutError = timeoutErrorOf(runtime);
          runtime.controller?.abort(runtime.timeoutError);
          return state;
        }
        runtime.pending = false;
        return timedOut(state, scope, timeoutErrorOf(runtime));
      case "BACKOFF":
        if (runtime.pending || event.attempt !== runtime.attempt) return state;
        if (state.value !== "retrying" && state.value !== "compensating") return state;
        if (state.value === "retrying") {
          // A timer may fire a little early by the clock: never start before the journaled deadline.
          const wait = runtime.retryAt - runtime.input.scope.now();
          if (wait > 0) {
            const attempt = runtime.attempt;
            scope.defer(() => later(runtime, scope, "other", { type: "BACKOFF", attempt }, wait));
            return state;
          }
        }
        scope.defer(() => begin(runtime, scope));
        return state.value === "retrying" ? snapshot("running", runtime, "active", undefined) : state;
      case "ABORT": {
        if (state.value === "idle") {
          runtime.abortReason = event.reason;
          return runtime.input.mode === "compensate" ? compensationAborted(runtime) : cancelled(runtime);
        }
        if (state.value === "retrying" || (state.value === "compensating" && !runtime.pending)) {
          // Waiting out a backoff: nothing is running, settle now (reaching "done" cancels the timer).
          runtime.abortReason = event.reason;
          return state.value === "retrying" ? cancelled(runtime) : compensationAborted(runtime); // clears the timer
        }
        if ((state.value !== "running" && state.value !== "compensating") || !runtime.pending) return state;
        const grace = runtime.input.abortGrace;
        if (isNested(runtime)) {
          // A sub-workflow step waits for its run to stop and roll back, however long
          // the grace: that run is a nested saga, whose stop takes what its own grace and
          // compensations take. A forced abort hurries it in turn (its in-flight steps
          // settle at once).
          if (runtime.abortReason === undefined) {
            runtime.abortReason = event.reason;
            runtime.controller?.abort(new StepAbortedError(runtime.input.step.name, event.reason));
          }
          if (event.force) runtime.controller?.hurry(event.reason);
          return state;
        }
        if (runtime.abortReason === undefined) {
          runtime.abortReason = event.reason;
          runtime.controller?.abort(new StepAbortedError(runtime.input.step.name, event.reason));
          if (!event.force && grace > 0) {
            const attempt = runtime.attempt;
            scope.defer(() => later(runtime, scope, "other", { type: "GRACE", attempt }, grace));
            return state;
          }
        } else if (!event.force) {
          return state;
        }
        runtime.pending = false;
        return state.value === "running" ? cancelled(runtime) : compensationAborted(runtime);
      }
      case "GRACE":
        if (!runtime.pending || event.attempt !== runtime.attempt) return state;
        runtime.pending = false;
        return state.value === "running" ? cancelled(runtime) : compensationAborted(runtime);
      case "xstate.stop":
        clear(runtime, "timeout");
        clear(runtime, "other");
        // Whatever the attempt owns (a sub-workflow's actor) stops with it, first: an abort
        // would have it roll back, and nothing may run for a stopped workflow actor.
        runtime.controller?.dispose();
        runtime.controller?.abort(new StepAbortedError(runtime.input.step.name, "the workflow actor stopped"));
        return snapshot(state.value, runtime, "stopped", undefined);
      default:
        return state;
    }
  },

  // A persisted step snapshot holds no attempt, timer or input: see SnapshotRestoreError.
  restoreSnapshot: () => {
    throw new SnapshotRestoreError("A step actor");
  },

  getPersistedSnapshot: (state) =>
    ({
      status: state.status,
      value: state.value,
      context: state.context,
      output: state.output,
      error: undefined,
    }) as never,
};

/** Start the next attempt (of the step's work, or of its compensation). */
function begin(runtime: Runtime, scope: Scope): void {
  const { input } = runtime;
  const attempt = ++runtime.attempt;
  const controller = new AttemptSignal();
  runtime.controller = controller;
  runtime.pending = true;
  if (input.abortOnStart !== undefined && attempt === (input.attempt ?? 1)) {
    runtime.abortReason = input.abortOnStart;
    controller.abortWhenAdopted(new StepAbortedError(input.step.name, input.abortOnStart));
  }
  if (attempt > (input.attempt ?? 1) || input.delay !== undefined) {
    const type = input.mode === "compensate" ? "STEP.COMPENSATING" : "STEP.STARTED";
    toParent(scope, { type, index: input.step.index, attempt });
    // Journaled: this attempt runs once its start is durable (a crash then knows it ran,
    // and the next one gets the next number).
    const durable = input.scope.durable;
    if (durable?.pending === true) {
      durable.whenDurable(() => {
        const current = runtime.pending && runtime.attempt === attempt && scope.self.getSnapshot().status === "active";
        // Aborted while it waited: it never ran, and settles as an aborted attempt does.
        if (current && !controller.aborted) runWork(runtime, scope, attempt, controller);
      });
      return;
    }
  }
  runWork(runtime, scope, attempt, controller);
}

/** Run attempt `attempt`'s work (the step's, or its compensation), under its timeout. */
function runWork(runtime: Runtime, scope: Scope, attempt: number, controller: AttemptSignal): void {
  const { input } = runtime;
  const timeout = input.step.timeout;
  runtime.blockedMs = 0;
  runtime.timeoutError = undefined;
  if (timeout !== undefined) later(runtime, scope, "timeout", { type: "TIMEOUT", attempt }, timeout);
  const work =
    input.mode === "compensate"
      ? runCompensation({
          step: input.step,
          ctx: new CompensationAttemptContext(
            input.scope,
            input.step.name,
            runtime.attempt,
            controller,
            input.input,
            input.output,
          ),
          cause: input.cause!,
          signal: controller,
          sub: input.sub,
          subWorkflows: input.scope.subWorkflows,
          self: scope.self,
          instrument: input.scope.instrument,
        })
      : runAttempt({
          step: input.step,
          input: input.input,
          ctx: stepContext(runtime, controller),
          signal: controller,
          cache: input.step.cache === undefined ? undefined : input.scope.cache,
          subWorkflows: input.scope.subWorkflows,
          self: scope.self,
          instrument: input.scope.instrument,
          timing: timeout === undefined ? undefined : runtime,
          executors: input.scope.executors,
          // Only an executor's request carries it: no clock read for a step run here.
          deadline:
            timeout === undefined || input.step.definition.executor === undefined
              ? undefined
              : input.scope.now() + timeout,
          interrupted:
            input.interrupted === true && runtime.attempt === (input.attempt ?? 1) ? runtime.attempt - 1 : undefined,
          abortGrace: input.abortGrace,
        });
  const live = () => runtime.pending && runtime.attempt === attempt && scope.self.getSnapshot().status === "active";
  work.then(
    (output) => {
      if (live()) scope.self.send({ type: "SETTLED", attempt, ok: true, output });
    },
    (error: unknown) => {
      if (live())
        scope.self.send({ type: "SETTLED", attempt, ok: false, error: toWorkflowError(error, input.step.name) });
    },
  );
}

function settleRun(state: StepSnapshot, event: SettledEvent, scope: Scope): StepSnapshot {
  const runtime = state.runtime;
  const { step } = runtime.input;
  clear(runtime, "timeout");
  if (event.ok) {
    const outcome = event.output as AttemptOutcome;
    const unfit = journalable(runtime, outcome.cached ? undefined : outcome.output, "output");
    if (unfit !== undefined)
      return settleRun(state, { type: "SETTLED", attempt: event.attempt, ok: false, error: unfit }, scope);
    // The one result accepted for this step: the only one that may be cached.
    const cache = runtime.input.scope.cache;
    if (!outcome.cached && outcome.cacheKey !== undefined && cache !== undefined) {
      scope.defer(() => writeCache(cache, step, outcome.cacheKey!, outcome.output));
    }
    return done("succeeded", runtime, {
      type: "STEP.SUCCEEDED",
      index: step.index,
      attempt: runtime.attempt,
      output: outcome.output,
      cached: outcome.cached,
      cacheKey: outcome.cacheKey,
      sub: outcome.sub,
    });
  }
  if (runtime.abortReason !== undefined) return cancelled(runtime);
  runtime.errors.push(event.error);
  const verdict = judge(runtime, event.error);
  if (verdict.kind === "retry") {
    const attempt = runtime.attempt;
    const retryAt = runtime.input.scope.now() + verdict.delay;
    runtime.retryAt = retryAt;
    scope.defer(() => {
      toParent(scope, {
        type: "STEP.RETRYING",
        index: step.index,
        attempt,
        delayMs: verdict.delay,
        retryAt,
        error: event.error,
      });
      later(runtime, scope, "other", { type: "BACKOFF", attempt }, verdict.delay);
    });
    return snapshot("retrying", runtime, "active", undefined);
  }
  if (verdict.kind === "degrade") {
    let fallback: Readonly<Record<string, unknown>> | undefined;
    try {
      fallback = verdict.fallback === undefined ? undefined : pickOutputs(step, verdict.fallback.value);
      const unfit = journalable(runtime, fallback, "fallback");
      if (unfit !== undefined) throw unfit;
    } catch (invalid) {
      // A fallback without the declared outputs is no fallback: the step fails with why.
      return done("failed", runtime, {
        type: "STEP.FAILED",
        index: step.index,
        attempt: runtime.attempt,
        error: toWorkflowError(invalid, step.name),
        decision: undefined,
      });
    }
    return done("failed", runtime, {
      type: "STEP.DEGRADED",
      index: step.index,
      attempt: runtime.attempt,
      error: verdict.error,
      fallback,
    });
  }
  return done("failed", runtime, {
    type: "STEP.FAILED",
    index: step.index,
    attempt: runtime.attempt,
    error: verdict.error,
    decision: verdict.decision,
  });
}

function settleCompensation(state: StepSnapshot, event: SettledEvent, scope: Scope): StepSnapshot {
  const runtime = state.runtime;
  const { step } = runtime.input;
  clear(runtime, "timeout");
  if (event.ok) {
    return done("compensated", runtime, {
      type: "STEP.COMPENSATED",
      index: step.index,
      attempt: runtime.attempt,
      kept: keptReason(event.output),
    });
  }
  runtime.errors.push(event.error);
  const verdict = compensationVerdict({
    step,
    attempt: runtime.attempt,
    error: event.error,
    aborted: runtime.abortReason !== undefined,
    random: runtime.input.scope.random,
  });
  if (verdict.kind === "retry") {
    const attempt = runtime.attempt;
    scope.defer(() => later(runtime, scope, "other", { type: "BACKOFF", attempt }, verdict.delay));
    return state;
  }
  return done("compensation_failed", runtime, {
    type: "STEP.COMPENSATION_FAILED",
    index: step.index,
    attempt: runtime.attempt,
    error: verdict.error,
  });
}

/** The error of outputs a journaled execution cannot record, if they are such. */
function journalable(runtime: Runtime, value: unknown, root: string): SerializationError | undefined {
  if (!runtime.input.scope.serializable || value === undefined) return undefined;
  const problem = findNonJson(value, root);
  if (problem !== undefined) return new SerializationError(runtime.input.step.name, problem.path, problem.found);
  const limit = runtime.input.scope.maxOutputBytes;
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes <= limit) return undefined;
  const mb = (n: number) => (n < 1_048_576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1_048_576).toFixed(1)} MiB`);
  return new SerializationError(
    runtime.input.step.name,
    root,
    `${mb(bytes)} of JSON, past the ${mb(limit)} a journaled output may take (the engine's maxOutputBytes)`,
  );
}

/** A sub-workflow step whose run has started: a nested saga, which must end before the step settles. */
const isNested = (runtime: Runtime) => runtime.controller?.ownsRun === true;

const timeoutErrorOf = (runtime: Runtime) =>
  new StepTimeoutError(runtime.input.step.name, runtime.input.step.timeout ?? 0, runtime.blockedMs);

/** The current attempt ran past its `timeout`: abort it and settle it as a (retryable) failure. */
function timedOut(state: StepSnapshot, scope: Scope, timeout: StepTimeoutError): StepSnapshot {
  const { runtime } = state;
  runtime.controller?.abort(timeout);
  const failure: SettledError = { type: "SETTLED", attempt: runtime.attempt, ok: false, error: timeout };
  return state.value === "running" ? settleRun(state, failure, scope) : settleCompensation(state, failure, scope);
}

/** Ask the step's `onError` (guarded: one that throws gives no answer), then decide. */
function judge(runtime: Runtime, error: WorkflowError): FailureVerdict {
  const { step } = runtime.input;
  let answer: unknown;
  if (step.definition.onError !== undefined) {
    try {
      answer = step.definition.onError(error, stepContext(runtime, runtime.controller!));
    } catch {
      answer = undefined;
    }
  }
  return failureVerdict({
    step,
    attempt: runtime.attempt,
    error,
    errors: runtime.errors,
    answer,
    random: runtime.input.scope.random,
  });
}

/** A compensation aborted (workflow cancelled or timed out during the rollback) and not finished in time. */
function compensationAborted(runtime: Runtime): StepSnapshot {
  const { step } = runtime.input;
  const reason = new StepAbortedError(step.name, runtime.abortReason ?? "aborted");
  return done("compensation_failed", runtime, {
    type: "STEP.COMPENSATION_FAILED",
    index: step.index,
    attempt: runtime.attempt,
    error: new CompensationError(step.name, reason),
  });
}

function cancelled(runtime: Runtime): StepSnapshot {
  const { step } = runtime.input;
  return done("cancelled", runtime, {
    type: "STEP.CANCELLED",
    index: step.index,
    attempt: runtime.attempt,
    error: new StepAbortedError(step.name, runtime.abortReason ?? "aborted"),
  });
}

function done(value: StepState, runtime: Runtime, report: SettledReport): StepSnapshot {
  runtime.controller = undefined;
  clear(runtime, "timeout");
  clear(runtime, "other");
  return snapshot(value, runtime, "done", report);
}

function snapshot(
  value: StepState,
  runtime: Runtime,
  status: "active" | "done" | "stopped",
  output: SettledReport | undefined,
): StepSnapshot {
  return {
    status,
    value,
    context: { step: runtime.input.step.name, attempt: runtime.attempt },
    output,
    error: undefined,
    runtime,
  } as StepSnapshot;
}

function stepContext(runtime: Runtime, signal: AttemptSignal): AttemptContext {
  return new AttemptContext(runtime.input.scope, runtime.input.step.name, runtime.attempt, signal);
}

interface Relay {
  _relay?: (source: AnyActorRef, target: AnyActorRef, event: EventObject) => void;
}

/** Send to the workflow actor, through the system so the inspector sees the source. */
function toParent(scope: Scope, report: StepReport): void {
  const parent = scope.self._parent;
  if (parent === undefined) return;
  const relay = (scope.system as Relay)._relay;
  if (relay === undefined) parent.send(report);
  else relay(scope.self, parent, report);
}
