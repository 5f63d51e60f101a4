/**
 * One execution: a workflow actor plus the handle users hold (`engine.start`).
 */

import { Observable, Subject } from "rxjs";
import { createActor, type InspectionEvent, type Observer } from "xstate";
import type { InternalSnapshot } from "../../machines/run-context.js";
import { RunRequest } from "../../machines/run-request.js";
import type { WorkflowActor, WorkflowActorSnapshot, WorkflowLogic } from "../../machines/workflow-logic.js";
import type { CacheStore } from "../cache/store.js";
import { LeaseLostError } from "../errors.js";
import type { WorkflowEvent } from "../events.js";
import type { Executor } from "../executors/executor.js";
import type { StoreJournal } from "../journal/store-journal.js";
import type { TimedRunEvent } from "../policy/run-event.js";
import type { StepStatus, WorkflowResult, WorkflowStatus } from "../result.js";
import type { Instrument } from "../telemetry/telemetry.js";
import type { Clock } from "./clock.js";
import { GuardedObservable } from "./guard.js";
import { traceRecorder } from "./trace-recorder.js";

/**
 * Where an execution is now: `engine.getStatus(id)` and `run.status()`.
 *
 * @example
 * const { status, steps } = run.status();
 * console.log(status, steps.parse_files); // "running" "succeeded"
 */
export interface ExecutionStatus {
  readonly executionId: string;
  readonly workflow: string;
  readonly version: string;
  /** `running`/`stopping`/`compensating` while live, then the final status. */
  readonly status: "running" | "stopping" | "compensating" | WorkflowStatus;
  readonly startedAt: number;
  readonly finishedAt: number | undefined;
  readonly steps: Readonly<Record<string, StepStatus>>;
}

/**
 * A running execution.
 *
 * @example
 * const run = engine.start(codeAnalysis, { file_paths });
 * run.events.subscribe((e) => console.log(e.seq, e.type, e.step));
 * setTimeout(() => run.cancel("user pressed stop"), 5_000);
 * const result = await run.result;
 */
export interface WorkflowRun<Result = WorkflowResult> {
  readonly id: string;
  readonly workflow: string;
  readonly version: string;
  /** This execution's events; completes when it ends. Subscribe right after `start`. */
  readonly events: Observable<WorkflowEvent>;
  /** Resolves when the execution ends, whatever happened to its steps. */
  readonly result: Promise<Result>;
  status(): ExecutionStatus;
  /** Stop the execution: in-flight steps are aborted and the error policy's rollback runs. */
  cancel(reason?: string): void;
  /**
   * This execution's events from seq `fromSeq` on: those already journaled (read from the
   * engine's store), then the live ones, each once. Without a store, only live events.
   * @example
   * const run = await engine.resume(id);
   * run.eventsFrom(1).subscribe((e) => console.log(e.seq, e.type, e.step ?? ""));
   */
  eventsFrom(fromSeq: number): Observable<WorkflowEvent>;
  /** The underlying XState actor (for `subscribe`, `getSnapshot`, inspection). */
  readonly actor: WorkflowActor<Result>;
}

export interface ExecutionOptions {
  readonly executionId: string;
  readonly clock: Clock;
  readonly random: () => number;
  readonly inspect: ((event: InspectionEvent) => void) | undefined;
  readonly signal: AbortSignal | undefined;
  readonly cache: CacheStore | undefined;
  readonly instrument: Instrument | undefined;
  /** Where steps that name an executor run. */
  readonly executors: Readonly<Record<string, Executor>> | undefined;
  /** Record the debug trace into the result. */
  readonly debug: boolean;
  readonly metadata: Readonly<Record<string, unknown>> | undefined;
  /** Engine-wide consumers of events (engine.events). */
  readonly onEvent: (event: WorkflowEvent) => void;
  readonly listening: () => boolean;
  readonly onEnd: (run: WorkflowRun) => void;
  /** Where the execution is journaled (a durable store). */
  readonly journal?: StoreJournal;
  /** Rebuild the execution from its journal and resume it. */
  readonly history?: readonly TimedRunEvent[];
  /** Reads journaled events back, for `eventsFrom`. */
  readonly replay?: (fromSeq: number) => Promise<WorkflowEvent[]>;
  /** With a journal: the most bytes a step's outputs may take. */
  readonly maxOutputBytes?: number;
  /** Do not start the actor until `release()` (an idempotent start checks the store first). */
  readonly hold?: boolean;
}

/** An execution's handle, and what the engine may still do with it. */
export interface Execution {
  readonly run: WorkflowRun;
  /** Start a held actor. */
  release(): void;
  /** Stop this copy: its journal failed (a lost lease); the result rejects with `error`. */
  abandon(error: Error): void;
  /** A start that found the execution already there: follow that one instead (its own actor, if started, stops). */
  follow(other: Promise<WorkflowRun | WorkflowResult>): void;
}

export function createExecution(machine: WorkflowLogic, input: unknown, options: ExecutionOptions): Execution {
  const subject = new Subject<WorkflowEvent>();
  const recorder = options.debug ? traceRecorder(options.clock.now) : undefined;
  const request = new RunRequest(input, {
    executionId: options.executionId,
    now: options.clock.now,
    random: options.random,
    onEvent: (event) => {
      recorder?.onEvent(event);
      subject.next(event);
      options.onEvent(event);
    },
    listening: () => recorder !== undefined || subject.observed || options.listening(),
    cache: options.cache,
    instrument: options.instrument,
    executors: options.executors,
    metadata: options.metadata,
    journal: options.journal,
    history: options.history,
    serializable: options.journal !== undefined,
    maxOutputBytes: options.maxOutputBytes,
  });
  const inspect =
    recorder === undefined
      ? options.inspect
      : options.inspect === undefined
        ? recorder.inspect
        : (event: InspectionEvent) => {
            recorder.inspect(event);
            options.inspect!(event);
          };
  const actor = createActor(machine, {
    // Readable in the Stately inspector and in traces: the workflow and the execution.
    id: `${machine.id}:${options.executionId}`,
    input: request,
    clock: { setTimeout: options.clock.setTimeout, clearTimeout: options.clock.clearTimeout } as never,
    ...(inspect === undefined ? {} : { inspect }),
  });

  let onAbort: (() => void) | undefined;
  let fail: (error: unknown) => void = () => {};
  let settle: (result: WorkflowResult | Promise<WorkflowResult>) => void = () => {};
  const journal = options.journal;
  const result = new Promise<WorkflowResult>((resolve, reject) => {
    fail = reject;
    settle = resolve;
    const observer: Observer<WorkflowActorSnapshot> = {
      next: (snapshot) => {
        if (snapshot.status !== "done") return;
        const output = recorder === undefined ? snapshot.output : { ...snapshot.output, trace: recorder.entries };
        // The result is the caller's once its terminal event is durable.
        if (journal === undefined) resolve(output);
        else journal.drained().then(() => resolve(output), reject);
      },
      error: (error) => reject(error),
    };
    actor.subscribe(observer);
  }).finally(() => {
    if (onAbort !== undefined) options.signal?.removeEventListener("abort", onAbort);
    subject.complete();
    options.onEnd(run);
  });
  // A result nobody awaits (a recovered run's, one whose lease was lost) must not crash
  // the process when it rejects: the caller who awaits it still gets the rejection.
  result.catch(() => {});

  const run: WorkflowRun = {
    id: options.executionId,
    workflow: ledgerOf(actor.getSnapshot()).plan.workflow,
    version: ledgerOf(actor.getSnapshot()).plan.version,
    events: new GuardedObservable(subject, "A run.events subscriber"),
    result,
    actor,
    status: () => statusOf(actor.getSnapshot()),
    cancel: (reason = "cancelled") => {
      // A handle that follows a finished execution follows nothing live: there is nothing to cancel.
      if (following !== undefined)
        following.then((other) => {
          if (other !== run) other.cancel(reason);
        });
      else if (actor.getSnapshot().status === "active") actor.send({ type: "CANCEL", reason });
    },
    eventsFrom: (fromSeq) => replayThenLive(subject, fromSeq, options.replay),
  };
  let following: Promise<WorkflowRun> | undefined;

  const signal = options.signal;
  if (signal !== undefined) {
    onAbort = () => run.cancel(reasonOf(signal));
    signal.addEventListener("abort", onAbort, { once: true });
  }
  const begin = () => {
    actor.start();
    if (signal?.aborted) run.cancel(reasonOf(signal));
  };
  // Start on the next microtask, so that whoever called `start` can subscribe to
  // `events` first and see `workflow.started`.
  if (options.hold !== true) queueMicrotask(begin);
  return {
    run,
    release: begin,
    abandon: (error) => {
      if (error instanceof LeaseLostError && actor.getSnapshot().status === "active") {
        // Say so, on this copy's events (journaled only when its engine closed: see StoreJournal.close).
        const ledger = ledgerOf(actor.getSnapshot());
        const event: WorkflowEvent = {
          type: "workflow.lease_lost",
          executionId: run.id,
          workflow: run.workflow,
          version: run.version,
          seq: ledger.seq + 1,
          timestamp: options.clock.now(),
          error,
        };
        subject.next(event);
        options.onEvent(event);
      }
      fail(error);
      if (actor.getSnapshot().status === "active") actor.stop();
    },
    follow: (other) => {
      if (actor.getSnapshot().status === "active") actor.stop();
      following = other.then(
        (o) => ("actor" in o ? o : run),
        () => run,
      );
      other.then(
        (o) => {
          if (!("actor" in o)) {
            settle(o);
            return;
          }
          o.events.subscribe({ next: (e) => subject.next(e) });
          settle(o.result);
        },
        (error: unknown) => fail(error),
      );
    },
  };
}

/** Journaled events from `fromSeq`, then live ones (buffered meanwhile), each seq once. */
function replayThenLive(
  live: Subject<WorkflowEvent>,
  fromSeq: number,
  replay: ((fromSeq: number) => Promise<WorkflowEvent[]>) | undefined,
): Observable<WorkflowEvent> {
  if (replay === undefined) return new GuardedObservable(live, "A run.eventsFrom subscriber");
  return new GuardedObservable(
    new Observable<WorkflowEvent>((subscriber) => {
      let last = fromSeq - 1;
      let buffer: WorkflowEvent[] | undefined = [];
      const emit = (e: WorkflowEvent) => {
        if (e.seq <= last) return;
        last = e.seq;
        subscriber.next(e);
      };
      const subscription = live.subscribe({
        next: (e) => (buffer === undefined ? emit(e) : buffer.push(e)),
        complete: () => {
          if (buffer === undefined) subscriber.complete();
        },
      });
      replay(fromSeq).then(
        (events) => {
          for (const e of events) emit(e);
          const held = buffer ?? [];
          buffer = undefined;
          for (const e of held) emit(e);
          if (live.closed || live.isStopped) subscriber.complete();
        },
        (error: unknown) => subscriber.error(error),
      );
      return () => subscription.unsubscribe();
    }),
    "A run.eventsFrom subscriber",
  );
}

const ledgerOf = (snapshot: WorkflowActorSnapshot) => (snapshot as InternalSnapshot).context.ledger;

/** Where an execution is, for its projection row. */
export const phaseOf = (run: WorkflowRun): "running" | "stopping" | "compensating" =>
  ledgerOf(run.actor.getSnapshot()).phase;

function statusOf(snapshot: WorkflowActorSnapshot): ExecutionStatus {
  const ledger = ledgerOf(snapshot);
  const steps: Record<string, StepStatus> = {};
  ledger.plan.steps.forEach((step, i) => {
    steps[step.name] = ledger.status[i]!;
  });
  const value = snapshot.value as string;
  return {
    executionId: ledger.executionId,
    workflow: ledger.plan.workflow,
    version: ledger.plan.version,
    status: value === "finishing" ? "compensating" : (value as ExecutionStatus["status"]),
    startedAt: ledger.startedAt,
    finishedAt: ledger.finishedAt,
    steps,
  };
}

function reasonOf(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason.message;
  return typeof reason === "string" ? reason : "aborted by signal";
}
