import type { StepResults } from "../dsl/step.js";
import type { WorkflowPlan } from "../planner/types.js";

/** `ctx.results`: a read-only view of the outputs there are so far (one object per execution). */
export class OutputsView implements StepResults {
  readonly #plan: WorkflowPlan;
  readonly #outputs: readonly (Readonly<Record<string, unknown>> | undefined)[];

  constructor(plan: WorkflowPlan, outputs: readonly (Readonly<Record<string, unknown>> | undefined)[]) {
    this.#plan = plan;
    this.#outputs = outputs;
  }

  get(name: string): Readonly<Record<string, unknown>> | undefined {
    const i = this.#plan.indexOf.get(name);
    return i === undefined ? undefined : this.#outputs[i];
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  all(): Record<string, Readonly<Record<string, unknown>>> {
    return Object.fromEntries(this.entries());
  }

  entries(): [string, Readonly<Record<string, unknown>>][] {
    const entries: [string, Readonly<Record<string, unknown>>][] = [];
    this.#plan.steps.forEach((step, i) => {
      const output = this.#outputs[i];
      if (output !== undefined) entries.push([step.name, output]);
    });
    return entries;
  }
}
