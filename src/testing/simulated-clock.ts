/**
 * A deterministic clock for the engine: time stands still until someone asks it to
 * move, and then jumps straight to the next timer. Retries' backoff and timeouts
 * cost no real time, and timers fire in a fixed order (by due time, then by the
 * order they were set).
 */

import type { Clock } from "../index.js";
import { TestingError } from "./testing-error.js";

interface Timer {
  readonly at: number;
  readonly order: number;
  readonly callback: () => void;
}

// Captured at load, so fake timers installed later (vi.useFakeTimers) cannot stall us.
const realSetImmediate = globalThis.setImmediate;

/**
 * Resolve after every pending promise callback has run (one macrotask later).
 *
 * @example
 * await nextMacrotask(); // the engine has processed everything it could
 */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

/**
 * A simulated clock: pass it as `createEngine({ clock })`, then let `run` settle a
 * promise by firing timers whenever nothing else can happen.
 *
 * @example
 * const clock = new SimulatedClock();
 * const engine = createEngine({ clock });
 * const result = await clock.run(engine.execute(wf, input)); // retries and timeouts take no real time
 * clock.now(); // the simulated ms that passed
 */
export class SimulatedClock implements Clock {
  #now: number;
  #order = 0;
  #nextId = 1;
  readonly #timers = new Map<number, Timer>();

  /** @param start the initial time, in ms. @default 0 */
  constructor(start = 0) {
    this.#now = start;
  }

  // Arrow properties: the engine passes these functions around unbound.
  /** The simulated time, in ms. */
  readonly now = (): number => this.#now;

  readonly setTimeout = (callback: () => void, ms: number): unknown => {
    const id = this.#nextId++;
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.#timers.set(id, { at: this.#now + delay, order: this.#order++, callback });
    return id;
  };

  readonly clearTimeout = (handle: unknown): void => {
    this.#timers.delete(handle as number);
  };

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Fire the earliest timer (ties: the one set first), moving time to when it was due.
   * Returns false when no timer is pending.
   */
  next(): boolean {
    let id: number | undefined;
    let first: Timer | undefined;
    for (const [key, timer] of this.#timers) {
      if (first === undefined || timer.at < first.at || (timer.at === first.at && timer.order < first.order)) {
        id = key;
        first = timer;
      }
    }
    if (first === undefined) return false;
    this.#timers.delete(id!);
    this.#now = Math.max(this.#now, first.at);
    first.callback();
    return true;
  }

  /**
   * Settle `promise`: let pending work run, and whenever nothing is left to run, fire
   * the next timer. Rejects with a `REPLAY_STUCK` TestingError if the promise is still
   * pending when no timer is left (it waits on something outside this clock).
   */
  async run<T>(promise: PromiseLike<T>, options: { maxTimers?: number } = {}): Promise<T> {
    const maxTimers = options.maxTimers ?? 1_000_000;
    let settled = false;
    const watched = Promise.resolve(promise).finally(() => {
      settled = true;
    });
    watched.catch(() => {});
    for (let fired = 0; ; fired++) {
      await nextMacrotask();
      if (settled) return watched;
      if (fired >= maxTimers || !this.next()) {
        throw new TestingError(
          "REPLAY_STUCK",
          fired >= maxTimers
            ? `SimulatedClock.run: still pending after ${maxTimers} timers`
            : "SimulatedClock.run: the promise is pending and no timer is left (does it wait on real timers or I/O?)",
        );
      }
    }
  }
}
