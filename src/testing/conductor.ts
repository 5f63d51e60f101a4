/**
 * Turn-taking for a replay. Every scripted attempt (and compensation attempt) first
 * waits for its turn; the conductor gives the turn to the step of the path's next
 * event, and moves on when the engine reports that step settled. So the steps
 * settle in exactly the path's order, whatever the engine's internal interleaving.
 * A CANCEL event is the replay's own move: it cancels the run when its turn comes.
 */

import type { WorkflowEvent } from "../index.js";
import type { ModelEvent } from "./outcomes.js";

type Kind = "STEP" | "COMPENSATE";

const SETTLED: Readonly<Record<Kind, readonly string[]>> = {
  STEP: ["step.succeeded", "step.failed", "step.cancelled"],
  COMPENSATE: ["step.compensated", "step.compensation_failed"],
};

/**
 * Gives each scripted step its turn, in the order of a path's events (internal to `replay`).
 *
 * @example
 * const conductor = new Conductor(path.events);
 * run.events.subscribe((e) => conductor.observe(e));
 * // in a scripted step: await conductor.turn("STEP", name, ctx.signal);
 * // in the run loop:    if (conductor.release()) continue;
 */
export class Conductor {
  readonly #events: readonly ModelEvent[];
  #cursor = 0;
  /** Waiting steps: `wake` gives the turn, `drop` ends the wait with the abort's reason. */
  readonly #waiting = new Map<string, { wake(): void; drop(): void }>();
  readonly #busy = new Set<Promise<unknown>>();
  #abandoned = false;

  constructor(events: readonly ModelEvent[]) {
    this.#events = events;
  }

  /** The event whose step has the turn. */
  get current(): ModelEvent | undefined {
    return this.#events[this.#cursor];
  }

  /** How many events the engine has played so far. */
  get played(): number {
    return this.#cursor;
  }

  /**
   * Wait for `step`'s turn; rejects with the signal's reason if it is aborted first,
   * unless `outlivesAbort` (the path gives the step a turn after the run stops).
   */
  turn(kind: Kind, step: string, signal: AbortSignal, outlivesAbort = false): Promise<void> {
    if (this.#abandoned) return kind === "STEP" ? hang(signal) : Promise.resolve();
    if (signal.aborted && !outlivesAbort) return Promise.reject(signal.reason);
    const key = `${kind}:${step}`;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#waiting.delete(key);
        reject(signal.reason);
      };
      if (!outlivesAbort) signal.addEventListener("abort", onAbort, { once: true });
      this.#waiting.set(key, {
        wake: () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
        drop: () => reject(signal.reason),
      });
    });
  }

  /** Give the turn to the current event's step if it is waiting for it. */
  release(): boolean {
    const event = this.current;
    if (event === undefined || event.type === "CANCEL") return false;
    const key = `${event.type}:${event.step}`;
    const waiter = this.#waiting.get(key);
    if (waiter === undefined) return false;
    this.#waiting.delete(key);
    waiter.wake();
    return true;
  }

  /** If the path's next event is a cancel, play it (the caller cancels the run). */
  cancelNow(): boolean {
    if (this.current?.type !== "CANCEL") return false;
    this.#cursor++;
    return true;
  }

  /** Follow the engine: the current step settling ends its turn. */
  observe(event: WorkflowEvent): void {
    const current = this.current;
    if (current === undefined || current.type === "CANCEL") return;
    if (event.path !== undefined || event.step !== current.step) return;
    if (SETTLED[current.type].includes(event.type)) this.#cursor++;
  }

  /**
   * Stop conducting, once the run has been cancelled: steps still waiting give up
   * (those that start later wait for their abort); compensations go ahead.
   */
  abandon(): void {
    this.#abandoned = true;
    for (const [key, waiter] of this.#waiting) {
      if (key.startsWith("COMPENSATE:")) waiter.wake();
      else waiter.drop();
    }
    this.#waiting.clear();
  }

  /** Track a call of the user's own code, which may wait on real I/O. */
  track<T>(work: Promise<T>): Promise<T> {
    this.#busy.add(work);
    const done = () => this.#busy.delete(work);
    work.then(done, done);
    return work;
  }

  /** Wait for one tracked call to settle; false if none is pending. */
  async settleBusy(): Promise<boolean> {
    if (this.#busy.size === 0) return false;
    await Promise.race([...this.#busy].map((p) => p.then(undefined, () => {})));
    return true;
  }
}

/**
 * A promise that only settles, by rejecting, when the signal aborts.
 *
 * @example
 * run: (_input, ctx) => hang(ctx.signal) // a step that never finishes by itself
 */
export function hang(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}
