/**
 * One execution: a workflow actor plus the handle users hold (`engine.start`).
 */

import { type Observable, Subject } from "rxjs";
import { createActor, type InspectionEvent, type Observer } from "xstate";
import type { InternalSnapshot } from "../../machines/run-context.js";
import { RunRequest } from "../../machines/run-request.js";
import type { WorkflowActor, WorkflowActorSnapshot, WorkflowLogic } from "../../machines/workflow-logic.js";
import type { CacheStore } from "../cache/store.js";
import type { WorkflowEvent } from "../events.js";
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
  /** Record the debug trace into the result. */
  readonly debug: boolean;
  readonly metadata: Readonly<Record<string, unknown>> | undefined;
  /** Engine-wide consumers of events (engine.events). */
  readonly onEvent: (event: WorkflowEvent) => void;
  readonly listening: () => boolean;
  readonly onEnd: (run: WorkflowRun) => void;
}

export function startExecution(machine: WorkflowLogic, input: unknown, options: ExecutionOptions): WorkflowRun {
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
    metadata: options.metadata,
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
    input: request,
    clock: { setTimeout: options.clock.setTimeout, clearTimeout: options.clock.clearTimeout } as never,
    ...(inspect === undefined ? {} : { inspect }),
  });

  let onAbort: (() => void) | undefined;
  const result = new Promise<WorkflowResult>((resolve, reject) => {
    const observer: Observer<WorkflowActorSnapshot> = {
      next: (snapshot) => {
        if (snapshot.status === "done") {
          resolve(recorder === undefined ? snapshot.output : { ...snapshot.output, trace: recorder.entries });
        }
      },
      error: (error) => reject(error),
    };
    actor.subscribe(observer);
  }).finally(() => {
    if (onAbort !== undefined) options.signal?.removeEventListener("abort", onAbort);
    subject.complete();
    options.onEnd(run);
  });

  const run: WorkflowRun = {
    id: options.executionId,
    workflow: ledgerOf(actor.getSnapshot()).plan.workflow,
    version: ledgerOf(actor.getSnapshot()).plan.version,
    events: new GuardedObservable(subject, "A run.events subscriber"),
    result,
    actor,
    status: () => statusOf(actor.getSnapshot()),
    cancel: (reason = "cancelled") => {
      if (actor.getSnapshot().status === "active") actor.send({ type: "CANCEL", reason });
    },
  };

  const signal = options.signal;
  if (signal !== undefined) {
    onAbort = () => run.cancel(reasonOf(signal));
    signal.addEventListener("abort", onAbort, { once: true });
  }
  // Start on the next microtask, so that whoever called `start` can subscribe to
  // `events` first and see `workflow.started`.
  queueMicrotask(() => {
    actor.start();
    if (signal?.aborted) run.cancel(reasonOf(signal));
  });
  return run;
}

const ledgerOf = (snapshot: WorkflowActorSnapshot) => (snapshot as InternalSnapshot).context.ledger;

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
