/**
 * What the studio's run page says about steps, rebuilt from the journal: the error that
 * ended a step (not one of a retried attempt), a degraded step's fallback outputs as its
 * dependents' input, and an execution with no engine as interrupted.
 */
import { describe, expect, it } from "vitest";
import { createEngine, memoryStore, StepError, workflow } from "../../src/index.js";
import { executionView } from "../../src/studio/views.js";

describe("the studio's view of an execution", () => {
  it("shows the error that ended a step, and a degraded step's fallback as its dependents' input", async () => {
    let calls = 0;
    const wf = workflow("views")
      .step("flaky", {
        outputs: ["a"],
        retry: { maxAttempts: 2, baseDelay: 0, jitter: false },
        run: () => {
          if (++calls === 1) throw new StepError("flaky", "first try fails");
          return { a: 1 };
        },
      })
      .step("review", {
        outputs: ["b"],
        run: (): { b: number } => {
          throw new StepError("review", "the model is unavailable");
        },
        onError: () => ({ fallback: { b: 42 } }),
      })
      .step("sum", { inputs: ["a", "b"], outputs: ["total"], run: ({ a, b }) => ({ total: a + b }) });
    const engine = createEngine({ workflows: [wf], store: memoryStore() });
    const result = await engine.execute(wf, {});
    expect(result.status).toBe("succeeded");
    const view = await executionView(engine, result.executionId);
    const step = (name: string) => view.steps.find((s) => s.name === name)!;
    // Retried, then succeeded: no error to show, two attempts, the chart's path.
    expect(step("flaky")).toMatchObject({ status: "succeeded", attempts: 2, error: undefined, output: { a: 1 } });
    expect(step("flaky").visited).toEqual(["running", "retrying", "running", "succeeded"]);
    // Degraded: its error, its fallback outputs, which `sum` read.
    expect(step("review").error?.message).toContain("the model is unavailable");
    expect(step("review").output).toEqual({ b: 42 });
    expect(step("sum")).toMatchObject({ input: { a: 1, b: 42 }, output: { total: 43 } });
    expect(view.run).toMatchObject({ status: "succeeded", registered: true, failedStep: undefined });
    expect(view.dag).toContain('data-step="sum"');
    expect(view.timeline).toContain('data-step="flaky"');
    await engine.close();
  });
});
