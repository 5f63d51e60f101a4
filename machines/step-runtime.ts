/**
 * A step actor's mutable bookkeeping (the attempt, its signal, its timers) and the
 * timers themselves, on the actor system's clock.
 */

import type { ActorSystem } from "xstate";
import type { StepTimeoutError, WorkflowError } from "../src/errors.js";
import type { AttemptSignal } from "./attempt-signal.js";
import type { StepActorInput } from "./step.machine.js";

type Clock = ActorSystem<any>["_clock"];

/** A timer's event, for the attempt it was set in. */
export type TimerEvent = { type: "TIMEOUT" | "BACKOFF" | "GRACE"; attempt: number };

/** What a timer needs of its actor. */
interface TimerScope {
  readonly self: { getSnapshot(): { status: string }; send(event: TimerEvent): void };
}

/**
 * Mutable per-actor bookkeeping, carried by reference in every snapshot. It serialises
 * to nothing (`toJSON`), so the inspector and persisted snapshots see small plain data.
 */
export class Runtime {
  attempt = 0;
  errors: WorkflowError[] = [];
  controller: AttemptSignal | undefined = undefined;
  abortReason: string | undefined = undefined;
  /** An attempt is in progress (not settled, not timed out, not waiting out a backoff). */
  pending = false;
  /** How long the current attempt's code ran synchronously before it first returned, in ms. */
  blockedMs = 0;
  /** A sub-workflow step past its timeout, waiting for its run to stop: the error it settles with. */
  timeoutError: StepTimeoutError | undefined = undefined;
  /** When the pending retry may start (the BACKOFF timer may fire early: it is then set again). */
  retryAt = 0;
  /** The attempt's TIMEOUT timer, and the BACKOFF or GRACE timer. */
  timers: { timeout: unknown; other: unknown } = { timeout: undefined, other: undefined };

  constructor(
    readonly input: StepActorInput,
    /** The actor system's clock: timers go straight to it, cleared when the actor finishes. */
    readonly clock: Clock,
  ) {
    this.attempt = (input.attempt ?? 1) - 1;
    if (input.errors !== undefined) this.errors = [...input.errors];
  }

  toJSON(): undefined {
    return undefined;
  }
}

/**
 * Deliver a timer event to this actor after `delay` on the system's clock. Not through
 * XState's scheduler: it scans every scheduled event of the system whenever an actor
 * stops, which is quadratic with thousands of steps in flight that have timeouts.
 */
export function later(
  runtime: Runtime,
  scope: TimerScope,
  slot: "timeout" | "other",
  event: TimerEvent,
  delay: number,
): void {
  clear(runtime, slot);
  runtime.timers[slot] = runtime.clock.setTimeout(() => {
    runtime.timers[slot] = undefined;
    if (scope.self.getSnapshot().status === "active") scope.self.send(event);
  }, delay);
}

export function clear(runtime: Runtime, slot: "timeout" | "other"): void {
  const timer = runtime.timers[slot];
  if (timer !== undefined) {
    runtime.timers[slot] = undefined;
    runtime.clock.clearTimeout(timer);
  }
}
