/**
 * Guards around code the engine calls but does not own: telemetry backends, inspection
 * observers and event subscribers. A broken one is reported as a process warning and
 * never fails a step, rejects an execution or crashes the process.
 */

import { Observable, type Observer, Subscriber, type Subscription } from "rxjs";
import type { InspectionEvent } from "xstate";
import { describe } from "../errors.js";
import type { Instrument } from "../telemetry/telemetry.js";

/** Say that an adapter threw, in one template: `A telemetry backend threw on step.started: …`. */
export function warnAdapter(who: string, during: string, error: unknown, type = "RubberDuckAdapterWarning"): void {
  process.emitWarning(`${who} threw ${during}: ${describe(error)}`, type);
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === "object" || typeof value === "function") &&
  value !== null &&
  typeof (value as { then?: unknown }).then === "function";

/**
 * A telemetry backend's `instrument`, guarded. It provides a context; the step's result
 * is always what the step's own code returned. If it throws before calling the step,
 * the step runs without it; if it throws (or rejects) after, the step's result stands —
 * the step's code never runs twice, and never fails because of its instrument.
 */
export function guardInstrument(instrument: Instrument): Instrument {
  return (info, run) => {
    let called = false;
    let value: ReturnType<typeof run>;
    const inner = () => {
      called = true;
      value = run();
      return value;
    };
    const during = `around step \`${info.step}\` (${info.kind})`;
    let returned: unknown;
    try {
      returned = instrument(info, inner);
    } catch (error) {
      warnAdapter("A telemetry instrument", during, error, "RubberDuckTelemetryWarning");
      return called ? value! : run();
    }
    if (!called) {
      warnAdapter("A telemetry instrument", during, new Error("it returned without running the step"));
      return run();
    }
    if (isThenable(returned) && returned !== (value! as unknown)) {
      // Its own promise may reject for its own reasons: report that, unless it only
      // passed on the step's own rejection.
      const own = Promise.resolve(value!);
      Promise.resolve(returned).then(undefined, (error: unknown) =>
        own.then(
          () => warnAdapter("A telemetry instrument", during, error, "RubberDuckTelemetryWarning"),
          (stepError: unknown) => {
            if (stepError !== error) warnAdapter("A telemetry instrument", during, error, "RubberDuckTelemetryWarning");
          },
        ),
      );
    }
    return value!;
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
