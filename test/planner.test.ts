import { describe, expect, it } from "vitest";
import { type AnyWorkflow, createEngine, plan, toMachine, WorkflowDefinitionError, workflow } from "../src/index.js";

const noop = () => ({});

function definitionError(wf: AnyWorkflow): WorkflowDefinitionError {
  try {
    plan(wf);
  } catch (error) {
    expect(error).toBeInstanceOf(WorkflowDefinitionError);
    return error as WorkflowDefinitionError;
  }
  throw new Error("expected a WorkflowDefinitionError");
}

describe("plan", () => {
  it("infers dependencies from inputs, adds explicit ones, and computes order, groups and critical path", () => {
    const wf = workflow<{ src: string }>("shape")
      .step("a", { inputs: ["src"], outputs: ["x"], run: ({ src }) => ({ x: src }) })
      .step("b", { inputs: ["x"], outputs: ["y"], run: ({ x }) => ({ y: x }) })
      .step("c", { inputs: { value: ["a", "x"] }, outputs: ["z"], run: ({ value }) => ({ z: value }) })
      .step("d", { inputs: ["y"], outputs: ["w"], run: ({ y }) => ({ w: y }) })
      .step("e", { dependsOn: ["c"], inputs: ["w"], run: noop });
    const p = plan(wf);
    expect(p.steps.map((s) => s.dependencies)).toEqual([[], ["a"], ["a"], ["b"], ["c", "d"]]);
    expect(p.order).toEqual(["a", "b", "c", "d", "e"]);
    expect(p.groups).toEqual([["a"], ["b", "c"], ["d"], ["e"]]);
    expect(p.criticalPath).toEqual(["a", "b", "d", "e"]);
    expect(p.requiredInputs).toEqual(["src"]);
    expect(p.steps.map((s) => s.remaining)).toEqual([4, 3, 2, 2, 1]);
    expect(p.onError).toBe("compensate_all");
    expect(p.parallelLimit).toBe(10);
  });

  it('"all" depends on every step declared before', () => {
    const wf = workflow("all")
      .step("a", { run: noop })
      .step("b", { run: noop })
      .step("c", { dependsOn: "all", run: noop })
      .step("d", { run: noop });
    expect(plan(wf).steps.map((s) => s.dependencies)).toEqual([[], [], ["a", "b"], []]);
  });

  it("a produced value wins over a workflow input of the same name", () => {
    const wf = workflow<{ x: number }>("shadow")
      .step("a", { outputs: ["y"], run: () => ({ y: 1 }) })
      .step("b", { inputs: ["y", "x"], run: noop });
    const p = plan(wf);
    expect(p.steps[1]!.dependencies).toEqual(["a"]);
    expect(p.requiredInputs).toEqual(["x"]);
  });

  it("is memoised per definition and leaves the builder immutable", () => {
    const base = workflow("base").step("a", { run: noop });
    const left = base.step("b", { run: noop });
    const right = base.step("c", { run: noop });
    expect(plan(base)).toBe(plan(base));
    expect(plan(left).order).toEqual(["a", "b"]);
    expect(plan(right).order).toEqual(["a", "c"]);
    expect(base.steps.map((s) => s.name)).toEqual(["a"]);
  });

  it("reports every definition problem at once, each with a code and the steps involved", () => {
    // Built through the erased type, as a JavaScript caller or a dynamic builder would.
    let wf: AnyWorkflow = workflow("broken", {
      parallelLimit: 0,
      onError: "explode" as never,
      timeout: -1,
      abortGrace: -1,
    });
    wf = wf
      .step("a", { dependsOn: ["c"], outputs: ["x"], run: () => ({ x: 1 }) })
      .step("b", { dependsOn: ["a"], outputs: ["x"], run: () => ({ x: 2 }) })
      .step("c", { dependsOn: ["b"], run: noop })
      .step("a", { run: noop })
      .step("d", { dependsOn: ["ghost"], run: noop })
      .step("e", { timeout: -5, retry: { maxAttempts: 0, factor: 0.5 }, run: noop })
      .step("f", {} as never)
      .step("g", { inputs: { v: ["ghost", "x"], w: ["a", "nope"] }, run: noop })
      .step("h", { dependsOn: ["h"], run: noop })
      .step("i", { run: noop, module: { execute: noop } } as never);
    const error = definitionError(wf);
    const codes = error.issues.map((i) => i.code).sort();
    expect(codes).toEqual(
      [
        "CYCLE",
        "CYCLE",
        "DUPLICATE_OUTPUT",
        "DUPLICATE_STEP",
        "INVALID_OPTION",
        "INVALID_OPTION",
        "INVALID_OPTION",
        "INVALID_OPTION",
        "INVALID_OPTION",
        "INVALID_OPTION",
        "INVALID_OPTION",
        "INVALID_OPTION",
        "NOTHING_TO_RUN",
        "UNKNOWN_DEPENDENCY",
        "UNKNOWN_INPUT_SOURCE",
        "UNKNOWN_INPUT_SOURCE",
      ].sort(),
    );
    expect(error.code).toBe("DEFINITION_INVALID");
    expect(error.workflow).toBe("broken");
    const cycle = error.issues.find((i) => i.code === "CYCLE" && i.steps.length > 2)!;
    expect(cycle.steps).toEqual(["a", "c", "b", "a"]);
    expect(cycle.message).toBe("Dependency cycle: `a` waits for `c` waits for `b` waits for `a`");
    expect(error.issues.find((i) => i.code === "CYCLE" && i.steps.length === 2)?.steps).toEqual(["h", "h"]);
    expect(error.issues.find((i) => i.code === "DUPLICATE_OUTPUT")?.steps).toEqual(["a", "b"]);
    expect(error.issues.find((i) => i.code === "UNKNOWN_DEPENDENCY")?.steps).toEqual(["d", "ghost"]);
    expect(error.message).toContain("Expected `parallelLimit` to be an integer >= 1 or Infinity, got `0` (number)");
    expect(error.message).toContain(
      "Expected `abortGrace` to be a non-negative number of milliseconds, got `-1` (number)",
    );
    expect(error.message).toContain(
      "Step `e`: Expected `timeout` to be a positive number of milliseconds, got `-5` (number)",
    );
    expect(error.message).toContain("Step `e`: Expected `retry.maxAttempts` to be an integer >= 1, got `0` (number)");
    expect(error.message).toContain("Step `f` has nothing to run");
    expect(error.message).toContain("Step `i`: give one of `run`, `module` or `workflow`, not several");
    expect(error.message).toContain("`w` reads `nope`, which `a` does not declare in its outputs");
  });

  it("reports definition errors when the workflow is registered or compiled, not during a run", async () => {
    const wf = workflow("bad").step("a", { dependsOn: ["missing" as never], run: noop });
    expect(() => createEngine({ workflows: [wf] })).toThrow(WorkflowDefinitionError);
    expect(() => createEngine().register(wf)).toThrow(WorkflowDefinitionError);
    expect(() => toMachine(wf)).toThrow(WorkflowDefinitionError);
    await expect(createEngine().execute(wf, {})).rejects.toBeInstanceOf(WorkflowDefinitionError);
  });

  it("plans 20,000 steps in linear structures without recursion limits", () => {
    let wf: AnyWorkflow = workflow("long");
    for (let i = 0; i < 20_000; i++) {
      wf = wf.step(`s${i}`, { inputs: i === 0 ? [] : [`o${i - 1}`], outputs: [`o${i}`], run: noop });
    }
    const p = plan(wf);
    expect(p.criticalPath.length).toBe(20_000);
    expect(p.groups.length).toBe(20_000);
  });
});
