/**
 * Guards around code the engine calls but does not own: telemetry backends, inspection
 * observers and event subscribers. A broken one is reported as a process warning and
 * never fails a step, rejects an execution or crashes the process.
 */

import { Observable, type Observer, Subscriber, type Subscription } from "rxjs";
import type { InspectionEvent } from "xstate";
import type { Instrument } from "../telemetry/telemetry.js";
import { warnAdapter } from "../util/warn-adapter.js";

export { warnAdapter };

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === "object" || typeof value === "function") &&
  value !== null &&
  typeof (value as { then?: unknown }).then === "function";

/**
 * A telemetry backend's `instrument`, guarded. It provides a context; the step's
 * outcome is always its own code's: what it returned, or what it threw. If the
 * instrument throws (or rejects) before calling the step, the step runs without it; if
 * after, the step's outcome stands. The step's code never runs twice, and never fails
 * because of its instrument.
 */
export function guardInstrument(instrument: Instrument): Instrument {
  return <T>(info: Parameters<Instrument>[0], run: () => T): T => {
    const during = `around step \`${info.step}\` (${info.kind})`;
    const warn = (error: unknown) => warnAdapter("A telemetry instrument", during, error, "RubberDuckTelemetryWarning");
    let called = false;
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    const inner = () => {
      called = true;
      try {
        outcome = { ok: true, value: run() };
      } catch (error) {
        outcome = { ok: false, error };
      }
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    };
    /** The step's own outcome; `error` is what the instrument threw, unless it only passed the step's on. */
    const own = (error?: unknown): T => {
      if (outcome === undefined) return run();
      if (outcome.ok) {
        if (error !== undefined) warn(error);
        return outcome.value;
      }
      if (error !== undefined && error !== outcome.error) warn(error);
      throw outcome.error;
    };
    let returned: unknown;
    try {
      returned = instrument(info, inner);
    } catch (error) {
      if (!called) warn(error);
      return own(called ? error : undefined);
    }
    if (called) {
      if (isThenable(returned) && outcome?.ok === true && returned !== (outcome.value as unknown)) {
        // Its own promise may reject for its own reasons: report that, unless it only
        // passed on the step's own rejection.
        const value = Promise.resolve(outcome.value);
        Promise.resolve(returned).then(undefined, (error: unknown) =>
          value.then(
            () => warn(error),
            (stepError: unknown) => {
              if (stepError !== error) warn(error);
            },
          ),
        );
      }
      return own();
    }
    if (isThenable(returned)) {
      // An instrument that runs the step later (after an await): wait for it, and
      // run the step only if it never did.
      return Promise.resolve(returned).then(
        () => {
          if (!called) warn(new Error("it returned without running the step"));
          return own();
        },
        (error: unknown) => {
          if (!called) warn(error);
          return own(called ? error : undefined);
        },
      ) as T;
    }
    warn(new Error("it returned without running the step"));
    return run();
  };
}

/** An inspection observer, guarded: it may throw or return a rejected promise. */
export function guardInspector(inspect: (event: InspectionEvent) => unknown): (event: InspectionEvent) => void {
  const failed = (error: unknown) => warnAdapter("An inspection observer", "on an inspection event", error);
  return (event) => {
    try {
      const returned = inspect(event);
      if (isThenable(returned)) Promise.resolve(returned).then(undefined, failed);
    } catch (error) {
      failed(error);
    }
  };
}

type Next<T> = ((value: T) => void) | null | undefined;
type ObserverInput<T> = Partial<Observer<T>> | Next<T>;

/**
 * An Observable whose direct subscribers are guarded: one that throws is reported as a
 * warning instead of reaching rxjs, which rethrows it on a timer (an uncaught
 * exception). Operators' own subscribers pass through unchanged.
 */
export class GuardedObservable<T> extends Observable<T> {
  readonly #who: string;

  constructor(source: Observable<T>, who: string) {
    super((subscriber) => source.subscribe(subscriber));
    this.#who = who;
  }

  override subscribe(
    observerOrNext?: ObserverInput<T>,
    error?: ((error: unknown) => void) | null,
    complete?: (() => void) | null,
  ): Subscription {
    if (observerOrNext instanceof Subscriber) return super.subscribe(observerOrNext);
    const observer: Partial<Observer<T>> =
      typeof observerOrNext === "function" || observerOrNext == null
        ? { next: observerOrNext ?? undefined, error: error ?? undefined, complete: complete ?? undefined }
        : observerOrNext;
    const who = this.#who;
    const call = <A extends unknown[]>(fn: ((...args: A) => void) | undefined, during: string, ...args: A) => {
      if (fn === undefined) return;
      try {
        fn.apply(observer, args);
      } catch (thrown) {
        warnAdapter(who, during, thrown);
      }
    };
    return super.subscribe({
      next: (value) => call(observer.next, `on ${(value as { type?: string })?.type ?? "an event"}`, value),
      error: (e) => call(observer.error, "on an error", e),
      complete: () => call(observer.complete, "on completion"),
    });
  }
}
