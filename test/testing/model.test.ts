import { describe, expect, it } from "vitest";
import { createActor } from "xstate";
import { type AnyWorkflow, WorkflowDefinitionError, workflow } from "../../src/index.js";
import {
  createModelMachine,
  generatePaths,
  type ModelEvent,
  TestingError,
  type WorkflowPath,
} from "../../src/testing/index.js";
import { type AnalysisProbe, codeAnalysis } from "../fixtures/code-analysis.js";
import { codegenTransaction, newWorld } from "../fixtures/codegen-transaction.js";
import { layeredSaga } from "../fixtures/layered-saga.js";

const codegen = () => codegenTransaction(newWorld());
const analysis = () => codeAnalysis({ inFlight: 0, maxInFlight: 0, overlapped: false } satisfies AnalysisProbe);
const descriptions = (paths: readonly WorkflowPath[]) => paths.map((p) => p.description);
const noop = () => {};
const outcomeOf = (e: ModelEvent) => (e.type === "CANCEL" ? "cancelled" : e.outcome);
const stepOf = (e: ModelEvent) => (e.type === "CANCEL" ? undefined : e.step);

describe("generatePaths", () => {
  it("gives the transaction's success path and every single failure with its compensation order", () => {
    const paths = generatePaths(codegen());
    expect(descriptions(paths)).toEqual([
      "reserve_resources → generate_code → validate_code → commit_code ⇒ succeeded",
      "reserve_resources FAILS ⇒ failed",
      "reserve_resources → generate_code FAILS → undo reserve_resources ⇒ failed",
      "reserve_resources → generate_code → validate_code FAILS → undo generate_code → undo reserve_resources ⇒ failed",
      "reserve_resources → generate_code → validate_code → commit_code FAILS → undo generate_code → undo reserve_resources ⇒ failed",
    ]);
    const validation = paths[3]!;
    expect(validation.outcomes).toEqual({
      reserve_resources: { run: "succeeds", compensate: "compensates" },
      generate_code: { run: "succeeds", compensate: "compensates" },
      validate_code: { run: "fails" },
    });
    expect(validation.expected).toEqual({
      status: "failed",
      error: { step: "validate_code", code: "STEP_FAILED" },
      completed: ["reserve_resources", "generate_code"],
      compensated: ["generate_code", "reserve_resources"],
      compensationFailed: [],
      steps: {
        reserve_resources: { status: "compensated", attempts: 1, compensations: 1 },
        generate_code: { status: "compensated", attempts: 1, compensations: 1 },
        validate_code: { status: "failed", attempts: 1, compensations: 0 },
        commit_code: { status: "pending", attempts: 0, compensations: 0 },
      },
    });
    expect(paths[0]!.expected).toMatchObject({ status: "succeeded", error: undefined, compensated: [] });
  });

  it("with maxFailures: 2 also fails compensations, and never more than two failures per path", () => {
    const paths = generatePaths(codegen(), { maxFailures: 2 });
    expect(paths).toHaveLength(10);
    const failing = paths.find(
      (p) => p.description === "reserve_resources → generate_code FAILS → undo reserve_resources FAILS ⇒ failed",
    );
    expect(failing?.expected).toMatchObject({ compensated: [], compensationFailed: ["reserve_resources"] });
    expect(failing?.expected.steps.reserve_resources).toEqual({
      status: "compensation_failed",
      attempts: 1,
      compensations: 1,
    });
    for (const path of paths) {
      const failures = path.events.filter((e) => outcomeOf(e) !== "succeeds" && outcomeOf(e) !== "compensates");
      expect(failures.length).toBeLessThanOrEqual(2);
    }
  });

  it("only scripts outcomes a step can have: time-outs need a timeout, retries a retry budget", () => {
    const paths = generatePaths(analysis());
    const outcomes = new Set(paths.flatMap((p) => p.events.map((e) => `${stepOf(e)} ${outcomeOf(e)}`)));
    expect([...outcomes].filter((o) => o.endsWith("times_out"))).toEqual(["parse_files times_out"]);
    expect([...outcomes].filter((o) => o.endsWith("succeeds_on_retry"))).toEqual([
      "semantic_analysis succeeds_on_retry",
    ]);
    // Nothing in code_analysis can be undone: no compensation events.
    expect(paths.every((p) => p.events.every((e) => e.type === "STEP"))).toBe(true);
    const timeout = paths.find((p) => p.outcomes.parse_files?.run === "times_out")!;
    expect(timeout.expected.error).toEqual({ step: "parse_files", code: "STEP_TIMEOUT" });
    const exhausted = paths.find((p) => p.outcomes.semantic_analysis?.run === "fails")!;
    expect(exhausted.expected.error).toEqual({ step: "semantic_analysis", code: "RETRIES_EXHAUSTED" });
    expect(exhausted.expected.steps.semantic_analysis).toMatchObject({ status: "failed", attempts: 4 });
    // security_scan was in flight when semantic_analysis failed: it is aborted.
    expect(exhausted.expected.steps.security_scan).toMatchObject({ status: "cancelled", attempts: 1 });
  });

  it("bounds the search with failing, kinds and limit", () => {
    expect(descriptions(generatePaths(codegen(), { failing: ["commit_code"] }))).toEqual([
      "reserve_resources → generate_code → validate_code → commit_code ⇒ succeeded",
      "reserve_resources → generate_code → validate_code → commit_code FAILS → undo generate_code → undo reserve_resources ⇒ failed",
    ]);
    const failsOnly = generatePaths(analysis(), { kinds: ["fails"] });
    expect(failsOnly.every((p) => p.events.every((e) => ["succeeds", "fails"].includes(outcomeOf(e))))).toBe(true);
    const limited = generatePaths(codegen(), { maxFailures: 2, limit: 3 });
    expect(limited).toHaveLength(3);
    expect(limited[0]!.expected.status).toBe("succeeded");
    expect(limited.every((p) => p.events.filter((e) => outcomeOf(e) === "fails").length <= 1)).toBe(true);
  });

  it("explores every completion order of parallel steps with interleavings: all", () => {
    const wf = workflow("fan", { onError: "compensate_all" })
      .step("a", { outputs: ["a"], run: () => ({ a: 1 }), compensate: noop })
      .step("b", { outputs: ["b"], run: () => ({ b: 1 }), compensate: noop })
      .step("c", { inputs: ["a", "b"], run: noop });
    const canonical = descriptions(generatePaths(wf, { failing: ["c"] }));
    expect(canonical).toEqual(["a → b → c ⇒ succeeded", "a → b → c FAILS → undo b → undo a ⇒ failed"]);
    const all = descriptions(generatePaths(wf, { failing: ["c"], interleavings: "all" }));
    // Under compensate_all the completion order decides the rollback: both orders are distinct end states.
    expect(all).toEqual([
      "a → b → c ⇒ succeeded",
      "b → a → c ⇒ succeeded",
      "a → b → c FAILS → undo b → undo a ⇒ failed",
      "b → a → c FAILS → undo a → undo b ⇒ failed",
    ]);
  });

  it("finds one path per end state with getShortestPaths, every path with getSimplePaths", () => {
    // Without compensation the completion order leaves no trace in the end state.
    const wf = workflow("fan", { onError: "fail_fast" })
      .step("a", { outputs: ["a"], run: () => ({ a: 1 }) })
      .step("b", { outputs: ["b"], run: () => ({ b: 1 }) })
      .step("c", { inputs: ["a", "b"], run: noop });
    const options = { failing: ["c"], interleavings: "all" } as const;
    expect(descriptions(generatePaths(wf, options))).toEqual(["a → b → c ⇒ succeeded", "a → b → c FAILS ⇒ failed"]);
    expect(descriptions(generatePaths(wf, { ...options, traversal: "simple" })).sort()).toEqual([
      "a → b → c FAILS ⇒ failed",
      "a → b → c ⇒ succeeded",
      "b → a → c FAILS ⇒ failed",
      "b → a → c ⇒ succeeded",
    ]);
  });

  it("follows the engine's scheduling: highest remaining path first, then declaration order, within the limit", () => {
    const wf = workflow("priority", { parallelLimit: 1 })
      .step("short", { run: noop })
      .step("long1", { outputs: ["x"], run: () => ({ x: 1 }) })
      .step("long2", { inputs: ["x"], run: noop });
    expect(generatePaths(wf, { maxFailures: 0 }).map((p) => p.description)).toEqual([
      "long1 → short → long2 ⇒ succeeded",
    ]);
    const alone = workflow("alone", { parallelLimit: 5 })
      .step("a", { run: noop })
      .step("b", { parallel: false, run: noop })
      .step("c", { run: noop });
    // `b` waits for `a` to finish and runs alone; `c` waits for `b`.
    const [failB] = generatePaths(alone, { failing: ["b"], interleavings: "all" }).filter((p) =>
      p.description.includes("b FAILS"),
    );
    expect(failB!.description).toBe("a → b FAILS ⇒ failed");
    expect(failB!.expected.steps.c).toMatchObject({ status: "pending", attempts: 0 });
  });

  it("applies each error policy", () => {
    const base = codegen();
    const failAtGenerate = (wf: AnyWorkflow) =>
      generatePaths(wf).find((p) => p.outcomes.generate_code?.run === "fails")!.expected;
    expect(failAtGenerate(base.with({ onError: "fail_fast" }))).toMatchObject({ compensated: [] });
    // compensate_failed undoes only the failed step (which then reads `compensated`).
    const failed = failAtGenerate(base.with({ onError: "compensate_failed" }));
    expect(failed.compensated).toEqual(["generate_code"]);
    expect(failed.steps.generate_code).toEqual({ status: "compensated", attempts: 1, compensations: 1 });
    expect(failed.steps.reserve_resources).toEqual({ status: "succeeded", attempts: 1, compensations: 0 });

    const branches = workflow("branches", { onError: "continue" })
      .step("a", { outputs: ["a"], run: () => ({ a: 1 }) })
      .step("b", { inputs: ["a"], run: noop })
      .step("x", { run: noop });
    const aFails = generatePaths(branches).find((p) => p.outcomes.a?.run === "fails")!;
    expect(aFails.description).toBe("a FAILS → x ⇒ failed");
    expect(aFails.expected.steps).toEqual({
      a: { status: "failed", attempts: 1, compensations: 0 },
      b: { status: "skipped", attempts: 0, compensations: 0 },
      x: { status: "succeeded", attempts: 1, compensations: 0 },
    });
    expect(aFails.expected.error).toEqual({ step: "a", code: "STEP_FAILED" });
  });

  it("reports an unbounded model, bad options and invalid workflows", () => {
    const tooLarge = () => generatePaths(layeredSaga(30), { maxFailures: 2, maxStates: 100 });
    expect(tooLarge).toThrow(TestingError);
    expect(tooLarge).toThrow(/more than 100 states/);
    expect(() => generatePaths(codegen(), { maxFailures: -1 })).toThrow(/maxFailures/);
    expect(() => generatePaths(codegen(), { failing: ["nope"] })).toThrow(/nope/);
    const cyclic = workflow("cyclic")
      .step("a", { dependsOn: ["b"] as never, run: noop })
      .step("b", { dependsOn: ["a"], run: noop });
    expect(() => generatePaths(cyclic)).toThrow(WorkflowDefinitionError);
  });
});

describe("createModelMachine", () => {
  it("is a plain XState machine whose events are step outcomes", () => {
    const actor = createActor(createModelMachine(codegen())).start();
    actor.send({ type: "STEP", step: "reserve_resources", outcome: "succeeds" });
    actor.send({ type: "STEP", step: "commit_code", outcome: "succeeds" }); // not running: ignored
    actor.send({ type: "STEP", step: "generate_code", outcome: "fails" });
    expect(actor.getSnapshot().value).toBe("compensating");
    expect(actor.getSnapshot().context.rollback).toEqual([0]);
    actor.send({ type: "COMPENSATE", step: "reserve_resources", outcome: "compensates" });
    const snapshot = actor.getSnapshot();
    expect(snapshot.status).toBe("done");
    expect(snapshot.context.status).toEqual(["compensated", "failed", "pending", "pending"]);
  });
});
