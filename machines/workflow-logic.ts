/**
 * The public types of a compiled workflow machine. They are written against XState's
 * stable `ActorLogic` and `Snapshot` contracts, never its `StateMachine` class, whose
 * type parameters change between 5.x releases: an app on any supported xstate 5
 * typechecks `createActor(toMachine(wf), { input })`. The run state inside the actor's
 * context is internal.
 */

import type { ActorLogic, ActorRefFrom, ActorSystem, AnyActorRef, EventObject, Snapshot } from "xstate";
import type { WorkflowResult, WorkflowStatus } from "../src/result.js";
import type { RunRequest } from "./run-request.js";

/**
 * The phase of a workflow actor: its snapshot's `value`.
 *
 * @example
 * if (actor.getSnapshot().value === "compensating") showBanner("rolling back");
 */
export type WorkflowPhase = "running" | "stopping" | "compensating" | "finishing" | WorkflowStatus;

/**
 * A workflow actor's snapshot: `value` is its phase, `output` the WorkflowResult once
 * `status` is `"done"`. Its context is the engine's own.
 *
 * @example
 * actor.subscribe((snapshot) => {
 *   if (snapshot.status === "done") console.log(snapshot.output.status);
 * });
 */
export type WorkflowActorSnapshot<R = WorkflowResult> = Snapshot<R> & {
  readonly value: WorkflowPhase;
  /** The engine's run state: not part of the API. */
  readonly context: unknown;
  readonly children: Readonly<Record<string, AnyActorRef | undefined>>;
  /** Whether the actor is in this phase. */
  matches(phase: WorkflowPhase): boolean;
};

/**
 * What an app may send a workflow actor: cancel it (in-flight steps are aborted and
 * the error policy's rollback runs, as with `run.cancel`).
 *
 * @example
 * actor.send({ type: "CANCEL", reason: "user pressed stop" });
 */
export interface WorkflowControlEvent extends EventObject {
  readonly type: "CANCEL";
  readonly reason?: string;
}

/**
 * A compiled workflow: XState actor logic (a state machine) whose input is the
 * workflow input, or a RunRequest wrapping it, and whose output is the WorkflowResult.
 *
 * @example
 * const logic: WorkflowLogic<{ file_paths: string[] }> = toMachine(codeAnalysis);
 * const result = await toPromise(createActor(logic, { input: { file_paths } }).start());
 */
export type WorkflowLogic<I = unknown, R = WorkflowResult> = ActorLogic<
  WorkflowActorSnapshot<R>,
  WorkflowControlEvent,
  I | RunRequest<I>,
  ActorSystem<any>,
  EventObject
> & {
  /** The machine's id: the workflow's name. */
  readonly id: string;
};

/**
 * A running workflow actor (`run.actor`, or `createActor(toMachine(wf))`).
 *
 * @example
 * run.actor.subscribe((snapshot) => console.log(snapshot.value));
 */
export type WorkflowActor<R = WorkflowResult> = ActorRefFrom<WorkflowLogic<unknown, R>>;
