/**
 * The timings of one execution, kept as its events are folded: when each step became
 * ready, started and settled, the attempts of retried steps, and how many steps were in
 * flight over time. Only `metrics()` (once, at the end, when asked) reads them all.
 */

import type { WorkflowPlan } from "../planner/types.js";
import type { AttemptMetrics, StepMetrics, WorkflowMetrics } from "../telemetry/metrics.js";

export class RunTimings {
  readonly #started: Float64Array;
  readonly #finished: Float64Array;
  readonly #readyAt: Float64Array;
  /** The [start, end] of each attempt of retried steps (attempt 1 of the others is started..finished). */
  readonly #attemptLog: (number[] | undefined)[];
  /** Per step: when it settled, counted in settlements (0: not yet); breaks ties of equal times. */
  readonly #settledAs: Int32Array;
  #settlements = 0;
  #maxInFlight = 0;
  #busyArea = 0;
  #lastChange: number;

  constructor(n: number, startedAt: number) {
    this.#started = new Float64Array(n).fill(Number.NaN);
    this.#finished = new Float64Array(n).fill(Number.NaN);
    this.#readyAt = new Float64Array(n).fill(Number.NaN);
    this.#attemptLog = new Array(n);
    this.#settledAs = new Int32Array(n);
    this.#lastChange = startedAt;
  }

  ready(i: number, at: number): void {
    this.#readyAt[i] = at;
  }

  /** Step i started its first attempt; `inFlight` steps were in flight before it. */
  started(i: number, at: number, inFlight: number): void {
    this.#account(at, inFlight);
    if (inFlight + 1 > this.#maxInFlight) this.#maxInFlight = inFlight + 1;
    this.#started[i] = at;
  }

  /** A later attempt of step i started (`resumed`: after a crash, the one before it never settled). */
  attemptStarted(i: number, at: number, resumed: boolean): void {
    if (resumed) {
      const log = (this.#attemptLog[i] ??= [this.#started[i]!]);
      if (log.length % 2 === 1) log.push(at);
    }
    this.#attemptLog[i]?.push(at);
  }

  retrying(i: number, at: number): void {
    (this.#attemptLog[i] ??= [this.#started[i]!]).push(at);
  }

  /** Step i settled; `inFlight` steps were in flight before it did. */
  settled(i: number, at: number, inFlight: number): void {
    this.#finished[i] = at;
    this.#settledAs[i] = ++this.#settlements;
    this.#account(at, inFlight);
  }

  durationOf(i: number): number | undefined {
    const ms = this.#finished[i]! - this.#started[i]!;
    return Number.isNaN(ms) ? undefined : ms;
  }

  /** Add the time since the last change, weighted by the steps in flight, to the busy area. */
  #account(at: number, inFlight: number): void {
    this.#busyArea += inFlight * (at - this.#lastChange);
    this.#lastChange = at;
  }

  /** The execution's metrics (O(steps + edges)). */
  metrics(plan: WorkflowPlan, startedAt: number, finishedAt: number): WorkflowMetrics {
    const steps: Record<string, StepMetrics> = {};
    for (let i = 0; i < plan.steps.length; i++) {
      const started = this.#started[i]!;
      const finished = this.#finished[i]!;
      const attempts: AttemptMetrics[] = [];
      const log = this.#attemptLog[i];
      if (log !== undefined) {
        const times = [...log, finished];
        for (let k = 0; k + 1 < times.length; k += 2) {
          const [a, b] = [times[k]!, times[k + 1]!];
          if (!Number.isNaN(a) && !Number.isNaN(b))
            attempts.push({ attempt: k / 2 + 1, startedAt: a, endedAt: b, durationMs: b - a });
        }
      } else if (!Number.isNaN(started) && !Number.isNaN(finished)) {
        attempts.push({ attempt: 1, startedAt: started, endedAt: finished, durationMs: finished - started });
      }
      const wait = started - this.#readyAt[i]!;
      steps[plan.steps[i]!.name] = {
        queueWaitMs: Number.isNaN(wait) ? undefined : wait,
        durationMs: this.durationOf(i),
        attempts,
      };
    }
    const total = finishedAt - startedAt;
    return {
      totalMs: total,
      steps,
      criticalPath: this.#criticalPathAsRun(plan),
      parallelism: { max: this.#maxInFlight, mean: total > 0 ? this.#busyArea / total : 0 },
    };
  }

  /**
   * Back from the last step to settle, through the dependency that settled last. "Last"
   * is by order of settlement, not time: steps that settle in the same millisecond
   * (always, on a simulated clock) are still ordered.
   */
  #criticalPathAsRun(plan: WorkflowPlan): { steps: string[]; durationMs: number } {
    const order = this.#settledAs;
    let last = -1;
    for (let i = 0; i < plan.steps.length; i++) {
      if (order[i]! > 0 && (last === -1 || order[i]! > order[last]!)) last = i;
    }
    if (last === -1) return { steps: [], durationMs: 0 };
    const chain = [last];
    for (let i = last; ; ) {
      let next = -1;
      for (const d of plan.steps[i]!.deps) {
        if (order[d]! > 0 && (next === -1 || order[d]! > order[next]!)) next = d;
      }
      if (next === -1) break;
      chain.push(next);
      i = next;
    }
    chain.reverse();
    const first = this.#started[chain[0]!]!;
    return { steps: chain.map((i) => plan.steps[i]!.name), durationMs: this.#finished[last]! - first };
  }
}
