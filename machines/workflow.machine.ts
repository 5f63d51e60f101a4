/**
 * The workflow actor: compiled once per definition from its plan.
 *
 *   running ──(a failure under a stopping policy, CANCEL, timeout)──▶ stopping
 *      │                                                              │ in-flight steps aborted,
 *      │ nothing in flight, nothing ready                             │ wait until they settle
 *      ▼                                                              ▼
 *   finishing ◀──────────── compensating (one step actor at a time, newest first)
 *      └─▶ succeeded | failed | cancelled | timed_out   (final; output = WorkflowResult)
 *
 * A step actor is created (with this actor as its parent) when its step becomes
 * ready and a slot is free, and finishes as soon as the step settles: only steps in
 * flight are live. Step actors are kept out of `snapshot.children`, which XState
 * copies on every spawn and stop; the spawned `supervisor` child stops any still
 * live when this actor stops. All bookkeeping lives in a RunState (O(1) per event);
 * this machine turns its answers into step actors started, aborts and events.
 *
 * Why every path reaches a final state (held by test/workflow-paths.test.ts, the
 * fault-injection properties and the step chart's exploration):
 * - `running` leaves for `stopping` as soon as the ledger halts (a failure under a
 *   stopping policy, an input rejected, CANCEL, the timeout) and for `finishing` once
 *   quiescent (no input verdict pending, nothing in flight, nothing ready). Each step
 *   actor in flight ends: its attempt settles, or its timeout fires, or it is aborted.
 *   An asynchronous input verdict is awaited only in `running`: CANCEL or the timeout
 *   abandon it (`ledger.interrupt`), and a verdict that comes later, or a stray one,
 *   is ignored.
 * - `stopping` has aborted every step actor: each settles within `abortGrace` (GRACE,
 *   or at once with a second CANCEL or the timeout); a sub-workflow step settles when
 *   its run, cancelled in turn, has ended (by the same argument one level down).
 * - `compensating` runs one compensation at a time; each ends like an attempt (a
 *   compensation with neither a timeout nor an abort can wait forever: give
 *   compensations a `timeout`). CANCEL or the timeout aborts the running one.
 * - `finishing` always takes one of its transitions to a final state, whose entry
 *   emits the terminal event; the ledger is then closed, and nothing more is emitted.
 */

import { type AnyActorRef, createActor, type EventObject, fromCallback, setup, spawnChild } from "xstate";
import type { AnyWorkflow, InputOf, ResultOf } from "../src/dsl/workflow.js";
import {
  SnapshotRestoreError,
  WorkflowCancelledError,
  type WorkflowError,
  WorkflowTimeoutError,
} from "../src/errors.js";
import { plan as planWorkflow } from "../src/planner/plan.js";
import type { WorkflowPlan } from "../src/planner/types.js";
import type { WorkflowResult } from "../src/result.js";
import type { CancelEvent, SettledReport, StepDoneEvent, StepReport } from "./protocol.js";
import {
  createContext,
  deferStart,
  deliver,
  forgetCached,
  replayHistory,
  settleInput,
  subRunStopped,
  type WorkflowMachineContext,
} from "./run-context.js";
import { type StepActorInput, stepLogic } from "./step.machine.js";
import type { WorkflowLogic } from "./workflow-logic.js";

type TimeoutEvent = { type: "WORKFLOW.TIMEOUT" };
/** The verdict of an asynchronous input schema. */
type InputEvent = { type: "INPUT.VALIDATED"; value: unknown } | { type: "INPUT.INVALID"; error: WorkflowError };
export type WorkflowMachineEvent = StepReport | StepDoneEvent | CancelEvent | TimeoutEvent | InputEvent;

const TIMEOUT_ID = "workflow-timeout";

function compile(plan: WorkflowPlan) {
  /**
   * Create and start the step actor of step i (to run it, or to compensate it), from
   * attempt `attempt` (announced by the caller's event unless it waits `delay` first, a
   * journaled retry). With a journal, the actor starts once every event so far is
   * durable: a step never runs on a completion (or a rollback decision) a crash could lose.
   */
  const startStep = (
    context: WorkflowMachineContext,
    self: AnyActorRef,
    i: number,
    mode: StepActorInput["mode"],
    attempt = 1,
    delay?: number,
    abortOnStart?: string,
    interrupted?: boolean,
  ) => {
    const { ledger } = context;
    const step = plan.steps[i]!;
    const input: StepActorInput =
      mode === "run"
        ? {
            mode,
            step,
            input: ledger.inputOf(i),
            scope: context.scope,
            abortGrace: plan.abortGrace,
            attempt,
            delay,
            errors: attempt > 1 ? ledger.retryErrorsOf(i) : undefined,
            abortOnStart,
            interrupted,
          }
        : {
            mode,
            step,
            input: ledger.inputOf(i),
            scope: context.scope,
            abortGrace: plan.abortGrace,
            output: ledger.outputs[i],
            cause: ledger.error!,
            sub: ledger.subRuns[i],
            attempt,
            delay,
          };
    const actor = createActor(stepLogic, {
      id: `${mode === "run" ? "step" : "compensate"}:${step.name}`,
      src: "step",
      parent: self,
      input,
    });
    context.live.set(i, actor);
    const journal = context.journal;
    if (journal === undefined || !journal.pending) actor.start();
    else deferStart(context, self, actor);
  };

  /** Start the steps the run state says may start now, each by its step.started. */
  const startReady = (context: WorkflowMachineContext, self: AnyActorRef): void => {
    const { ledger } = context;
    for (let i = ledger.nextStartable(); i !== undefined; i = ledger.nextStartable()) {
      deliver(context, { type: "step.started", step: plan.steps[i]!.name, attempt: 1, index: i });
      startStep(context, self, i, "run");
    }
  };

  const compensateNext = (context: WorkflowMachineContext, self: AnyActorRef): void => {
    const i = context.ledger.rollbackHead();
    if (i === undefined) return;
    deliver(context, { type: "step.compensating", step: plan.steps[i]!.name, attempt: 1, index: i });
    startStep(context, self, i, "compensate");
  };

  /**
   * A rebuilt run: the steps in flight when it stopped run again with their next attempt
   * (a pending retry waits for its journaled deadline). (Those of a run that was
   * stopping were cancelled when its journal was folded in: see `replayHistory`.)
   */
  const resumeInFlight = (context: WorkflowMachineContext, self: AnyActorRef): void => {
    const { ledger } = context;
    if (!ledger.recovered) return;
    ledger.recovered = false;
    for (const i of [...ledger.inFlight]) {
      const step = plan.steps[i]!.name;
      const attempt = ledger.attemptsOf(i) + 1;
      if (ledger.halt !== undefined) {
        // A sub-workflow step of a run that was stopping: its sub run resumes, and is
        // aborted as soon as it has, so that it rolls back what it did.
        deliver(context, { type: "step.started", step, attempt, index: i });
        const stopped = subRunStopped(context, plan.steps[i]!);
        const abort = stopped ? undefined : "the execution was stopping when its engine stopped";
        startStep(context, self, i, "run", attempt, undefined, abort);
      } else if (ledger.status[i] === "retrying") {
        startStep(context, self, i, "run", attempt, Math.max(0, ledger.retryAt(i) - ledger.now()));
      } else {
        deliver(context, { type: "step.started", step, attempt, index: i });
        // The attempt before it never settled: an executor whose work outlives an engine may adopt it.
        startStep(context, self, i, "run", attempt, undefined, undefined, true);
      }
    }
  };

  /** Abort every live step actor (in flight, or compensating); `force`: settle them now. */
  const abortLive = (context: WorkflowMachineContext, reason: string, force: boolean): void => {
    for (const actor of [...context.live.values()]) actor.send({ type: "ABORT", reason, force });
  };

  const interruption = (event: CancelEvent | TimeoutEvent) =>
    event.type === "CANCEL"
      ? {
          outcome: "cancelled" as const,
          reason: "the workflow was cancelled",
          error: new WorkflowCancelledError(plan.workflow, event.reason ?? "cancelled"),
        }
      : {
          outcome: "timed_out" as const,
          reason: "the workflow timed out",
          error: new WorkflowTimeoutError(plan.workflow, plan.timeout ?? 0),
        };

  /** A step actor settled: record its report, announce it, and start what it unblocked. */
  const settle = (context: WorkflowMachineContext, self: AnyActorRef, report: SettledReport): void => {
    const { ledger } = context;
    const i = report.index;
    const step = plan.steps[i]!.name;
    const attempt = report.attempt;
    context.live.delete(i);
    switch (report.type) {
      case "STEP.SUCCEEDED":
        if (report.cached) deliver(context, { type: "step.cached", step, attempt, index: i });
        ledger.subRuns[i] = report.sub;
        deliver(context, {
          type: "step.succeeded",
          step,
          attempt,
          output: report.output,
          cacheKey: report.cacheKey,
          index: i,
        });
        break;
      case "STEP.FAILED": {
        const wasHalted = ledger.halt !== undefined;
        const { error, decision } = report;
        deliver(context, { type: "step.failed", step, attempt, error, decision, index: i });
        for (const s of ledger.skipped) deliver(context, { type: "step.skipped", step: plan.steps[s]!.name, index: s });
        if (!wasHalted && ledger.halt !== undefined) abortLive(context, `step \`${step}\` failed`, false);
        break;
      }
      case "STEP.DEGRADED":
        deliver(context, {
          type: "step.degraded",
          step,
          attempt,
          error: report.error,
          output: report.fallback,
          index: i,
        });
        break;
      case "STEP.CANCELLED":
        deliver(context, { type: "step.cancelled", step, attempt, error: report.error, index: i });
        break;
      case "STEP.COMPENSATED":
        if (report.kept !== undefined) {
          deliver(context, { type: "step.kept", step, attempt, reason: report.kept, index: i });
        } else {
          deliver(context, { type: "step.compensated", step, attempt, index: i });
          forgetCached(context, i);
        }
        compensateNext(context, self);
        return;
      case "STEP.COMPENSATION_FAILED":
        deliver(context, { type: "step.compensation_failed", step, attempt, error: report.error, index: i });
        compensateNext(context, self);
        return;
    }
    startReady(context, self);
  };

  // Every action is one plain function doing its own effects: XState's per-action
  // machinery (enqueueActions, emit) costs more than the work itself on this path.
  return setup({
    types: {
      context: {} as WorkflowMachineContext,
      events: {} as WorkflowMachineEvent,
      input: {} as unknown,
      output: {} as WorkflowResult,
    },
    actors: { supervisor },
    guards: {
      halted: ({ context }) => context.ledger.halt !== undefined,
      quiescent: ({ context }) => context.ledger.quiescent,
      rollbackOver: ({ context }) => context.ledger.rollbackOver,
      outcomeIs: ({ context }, status: WorkflowResult["status"]) => context.ledger.outcome === status,
    },
    actions: {
      superviseSteps: spawnChild("supervisor", { id: "supervisor", input: ({ context }) => context.live }),
      begin: ({ context, self }) => {
        const { ledger } = context;
        if (!ledger.recovered) {
          deliver(context, { type: "workflow.started", metadata: ledger.metadata, input: context.input });
        }
        if (plan.timeout !== undefined && ledger.halt === undefined) {
          // A rebuilt run keeps its original deadline.
          const left = Math.max(0, ledger.startedAt + plan.timeout - ledger.now());
          self.system.scheduler.schedule(self, self, { type: "WORKFLOW.TIMEOUT" }, left, TIMEOUT_ID);
        }
        const verdict = ledger.pendingInput;
        if (verdict !== undefined) {
          // A verdict abandoned in the meantime (cancelled, timed out) is not delivered.
          const current = () => ledger.pendingInput === verdict;
          verdict.then(
            (value) => current() && self.send({ type: "INPUT.VALIDATED", value }),
            (error: WorkflowError) => current() && self.send({ type: "INPUT.INVALID", error }),
          );
          return;
        }
        resumeInFlight(context, self);
        startReady(context, self);
      },
      /** An asynchronous input schema answered: start, or fail before any step ran. */
      onInput: ({ context, event, self }) => {
        const { ledger } = context;
        if (!ledger.validating) return; // no verdict is awaited: a stray event changes nothing
        ledger.pendingInput = undefined;
        if (event.type === "INPUT.VALIDATED") settleInput(plan, ledger, event.value);
        else if (event.type === "INPUT.INVALID") ledger.reject(event.error);
        if (ledger.halt === undefined) replayHistory(context);
        resumeInFlight(context, self);
        startReady(context, self);
      },
      onStarted: ({ context, event }) => {
        const { index, attempt } = event as Extract<StepReport, { type: "STEP.STARTED" }>;
        deliver(context, { type: "step.started", step: plan.steps[index]!.name, attempt, index });
      },
      onRetrying: ({ context, event }) => {
        const { index, attempt, delayMs, retryAt, error } = event as Extract<StepReport, { type: "STEP.RETRYING" }>;
        const step = plan.steps[index]!.name;
        deliver(context, { type: "step.retrying", step, attempt, delayMs, retryAt, error, index });
      },
      onSettled: ({ context, event, self }) => settle(context, self, (event as StepDoneEvent).output),
      /** CANCEL or the timeout while running: stop like a failure; in-flight steps get their grace. */
      interrupt: ({ context, event }) => {
        const { outcome, reason, error } = interruption(event as CancelEvent | TimeoutEvent);
        if (context.ledger.halt === undefined) {
          deliver(context, { type: "workflow.interrupted", status: outcome, error, reason: error.message });
        }
        context.ledger.pendingInput = undefined;
        abortLive(context, reason, false);
      },
      /** CANCEL or the timeout while stopping: stop waiting, settle in-flight steps as cancelled now. */
      hurry: ({ context, event }) => abortLive(context, interruption(event as CancelEvent | TimeoutEvent).reason, true),
      /** CANCEL or the timeout during the rollback: abort the running compensation; the rest still run. */
      abortCompensation: ({ context, event }) =>
        abortLive(context, interruption(event as CancelEvent | TimeoutEvent).reason, false),
      beginRollback: ({ context, self }) => {
        const { ledger } = context;
        ledger.planRollback();
        const current = ledger.compensating;
        if (current === undefined) {
          compensateNext(context, self);
          return;
        }
        // A rebuilt run stopped in the middle of this compensation: it runs again.
        const attempt = ledger.compensationAttemptsOf(current) + 1;
        deliver(context, { type: "step.compensating", step: plan.steps[current]!.name, attempt, index: current });
        startStep(context, self, current, "compensate", attempt);
      },
      onCompensating: ({ context, event }) => {
        const { index, attempt } = event as Extract<StepReport, { type: "STEP.COMPENSATING" }>;
        deliver(context, { type: "step.compensating", step: plan.steps[index]!.name, attempt, index });
      },
      end: ({ context }) => {
        const { ledger } = context;
        const status = ledger.outcome;
        deliver(context, { type: `workflow.${status}`, status, error: ledger.error });
        ledger.closed = true;
      },
    },
  }).createMachine({
    id: plan.workflow,
    context: ({ input }) => createContext(plan, input, toMachine as (wf: AnyWorkflow) => WorkflowLogic),
    initial: "running",
    states: {
      running: {
        entry: ["superviseSteps", "begin"],
        always: [
          { guard: "halted", target: "stopping" },
          { guard: "quiescent", target: "finishing" },
        ],
        on: {
          "STEP.STARTED": { actions: "onStarted" },
          "STEP.RETRYING": { actions: "onRetrying" },
          "xstate.done.actor.*": { actions: "onSettled" },
          CANCEL: { actions: "interrupt" },
          "WORKFLOW.TIMEOUT": { actions: "interrupt" },
          "INPUT.VALIDATED": { actions: "onInput" },
          "INPUT.INVALID": { actions: "onInput" },
        },
      },
      stopping: {
        always: { guard: "quiescent", target: "compensating" },
        on: {
          "STEP.STARTED": { actions: "onStarted" },
          "STEP.RETRYING": { actions: "onRetrying" },
          "xstate.done.actor.*": { actions: "onSettled" },
          CANCEL: { actions: "hurry" },
          "WORKFLOW.TIMEOUT": { actions: "hurry" },
        },
      },
      compensating: {
        entry: "beginRollback",
        always: { guard: "rollbackOver", target: "finishing" },
        on: {
          "STEP.COMPENSATING": { actions: "onCompensating" },
          "xstate.done.actor.*": { actions: "onSettled" },
          CANCEL: { actions: "abortCompensation" },
          "WORKFLOW.TIMEOUT": { actions: "abortCompensation" },
        },
      },
      finishing: {
        always: [
          { guard: { type: "outcomeIs", params: "succeeded" }, target: "succeeded" },
          { guard: { type: "outcomeIs", params: "cancelled" }, target: "cancelled" },
          { guard: { type: "outcomeIs", params: "timed_out" }, target: "timed_out" },
          { target: "failed" },
        ],
      },
      succeeded: { type: "final", entry: "end" },
      failed: { type: "final", entry: "end" },
      cancelled: { type: "final", entry: "end" },
      timed_out: { type: "final", entry: "end" },
    },
    output: ({ context }) => context.ledger.result(),
  });
}

/**
 * The one spawned child of a workflow actor. Step actors are created with the
 * workflow actor as their parent but kept out of its `children` table (XState
 * copies that table on every spawn and stop, which is quadratic with many steps in
 * flight); when the workflow actor stops, XState stops this child, whose cleanup
 * stops every step actor still live.
 */
const supervisor = fromCallback<EventObject, ReadonlyMap<number, AnyActorRef>>(({ input: live }) => () => {
  for (const actor of live.values()) actor.send({ type: "xstate.stop" });
});

/**
 * `createActor(machine, { snapshot })` fails at once with a SnapshotRestoreError
 * (XState puts the actor in its error state): a persisted snapshot holds no run state,
 * and the restored actor would otherwise sit in `running` forever.
 */
function refuseRestore(logic: object, actor: string): void {
  Object.defineProperty(logic, "restoreSnapshot", {
    value: () => {
      throw new SnapshotRestoreError(actor);
    },
  });
}

/** The compiled machine, with XState's full types: internal (see workflow-logic.ts). */
type CompiledMachine = ReturnType<typeof compile>;

const machines = new WeakMap<WorkflowPlan, CompiledMachine>();

/**
 * Compile a workflow into its XState machine (once per definition; cached).
 * Run it on its own with `createActor(machine, { input })`: the final snapshot's
 * `output` is the WorkflowResult; wrap the input in a RunRequest with `onEvent` to
 * receive every WorkflowEvent.
 *
 * @throws {WorkflowDefinitionError} if the definition is invalid.
 * @example
 * const actor = createActor(toMachine(codeAnalysis), { input: { file_paths: ["src/a.ts"] } });
 * actor.start();
 * const result = await toPromise(actor);
 */
export function toMachine<W extends AnyWorkflow>(wf: W): WorkflowLogic<InputOf<W>, ResultOf<W>> {
  const plan = planWorkflow(wf);
  let machine = machines.get(plan);
  if (machine === undefined) {
    machine = compile(plan);
    refuseRestore(machine, `Workflow actor \`${plan.workflow}\``);
    machines.set(plan, machine);
  }
  return machine as unknown as WorkflowLogic<InputOf<W>, ResultOf<W>>;
}
