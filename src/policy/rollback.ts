/**
 * The saga side of one execution, kept as its events are folded: the rollback plan
 * (which steps to compensate, newest first), the compensation in progress, what was
 * compensated, kept or failed to compensate, and the rollbacks that ran inside
 * sub-workflow steps.
 */

import type { WorkflowError } from "../errors.js";
import type { CompensationSummary } from "../result.js";

type MutableSummary = {
  compensated: string[];
  failed: { step: string; error: WorkflowError }[];
  kept: { step: string; reason: string }[];
  nested?: Record<string, MutableSummary>;
};

export class Rollback {
  #queue: number[] = [];
  #current: number | undefined;
  #planned = false;
  readonly #attempts = new Map<number, number>();
  readonly compensated: string[] = [];
  readonly failed: { step: string; error: WorkflowError }[] = [];
  readonly kept: { step: string; reason: string }[] = [];
  #nested: Record<string, CompensationSummary> | undefined;

  /** The rollback was planned: the execution is compensating. */
  get planned(): boolean {
    return this.#planned;
  }

  /** Plan it: these steps, in this order (once). */
  plan(steps: readonly number[]): void {
    if (this.#planned) return;
    this.#planned = true;
    this.#queue = [...steps];
  }

  /** The next step to compensate, when none is running. */
  head(): number | undefined {
    return this.#current === undefined ? this.#queue[0] : undefined;
  }

  /** The step whose compensation started and has not settled. */
  get current(): number | undefined {
    return this.#current;
  }

  attemptsOf(i: number): number {
    return this.#attempts.get(i) ?? 0;
  }

  /** Attempt `attempt` of step i's compensation started (`name` for the error). */
  started(i: number, attempt: number, name: string): void {
    if (this.#current !== i) {
      const at = this.#queue.indexOf(i);
      if (at === -1) throw new RangeError(`Step ${name} is not in the rollback plan`);
      this.#queue.splice(at, 1);
    }
    this.#current = i;
    this.#attempts.set(i, attempt);
  }

  /** No compensation running and none left to run. */
  get over(): boolean {
    return this.#current === undefined && this.#queue.length === 0;
  }

  settledCompensated(name: string): void {
    this.#current = undefined;
    this.compensated.push(name);
  }

  settledKept(name: string, reason: string): void {
    this.#current = undefined;
    this.kept.push({ step: name, reason });
  }

  settledFailed(name: string, error: WorkflowError): void {
    this.#current = undefined;
    this.failed.push({ step: name, error });
  }

  /**
   * An event of a sub-workflow's run (or deeper), at `path`: its compensations go into
   * the nested summaries, step by step; a new sub run (its step retried) replaces the
   * last one's. The same whether the event is live or journaled.
   */
  foldNested(
    path: readonly string[],
    event: { type: string; step?: string; error?: WorkflowError; reason?: string },
  ): void {
    const { type, step } = event;
    if (type === "workflow.started") {
      let at = this.#nested as Record<string, MutableSummary> | undefined;
      for (const name of path.slice(0, -1)) at = at?.[name]?.nested;
      if (at !== undefined) delete at[path.at(-1)!];
      return;
    }
    if (step === undefined) return;
    if (type !== "step.compensated" && type !== "step.kept" && type !== "step.compensation_failed") return;
    let level = (this.#nested ??= {}) as Record<string, MutableSummary>;
    let summary: MutableSummary | undefined;
    for (const name of path) {
      summary = level[name] ??= { compensated: [], failed: [], kept: [] };
      level = summary.nested ??= {};
    }
    if (summary!.nested !== undefined && Object.keys(summary!.nested).length === 0) delete summary!.nested;
    if (type === "step.compensated") summary!.compensated.push(step);
    else if (type === "step.kept") summary!.kept.push({ step, reason: event.reason ?? "" });
    else summary!.failed.push({ step, error: event.error! });
  }

  /** A sub-workflow step's run rolled back, as its own result says (when its events were not seen). */
  nestedRollback(step: string, summary: CompensationSummary): void {
    const empty = summary.compensated.length + summary.failed.length + (summary.kept?.length ?? 0) === 0;
    if (empty && summary.nested === undefined) return;
    (this.#nested ??= {})[step] = summary;
  }

  summary(): CompensationSummary {
    return {
      compensated: [...this.compensated],
      failed: [...this.failed],
      kept: [...this.kept],
      ...(this.#nested === undefined ? {} : { nested: { ...this.#nested } }),
    };
  }
}
