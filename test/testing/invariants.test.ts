/**
 * checkInvariants against broken engines: an engine wrapper that reports the rollback
 * in forward order, and recorded runs tampered with to break each invariant.
 */
import { describe, expect, it } from "vitest";
import { createEngine, type Engine, type WorkflowEvent, type WorkflowResult } from "../../src/index.js";
import {
  checkInvariants,
  generatePaths,
  type InvariantName,
  type Replay,
  replay,
  type WorkflowPath,
} from "../../src/testing/index.js";
import { codeAnalysis } from "../fixtures/code-analysis.js";
import { codegenTransaction, newWorld } from "../fixtures/codegen-transaction.js";

const codegenPaths = () => generatePaths(codegenTransaction(newWorld()));
/** The path where validate_code fails: generate_code then reserve_resources are compensated. */
const validationFails = () => codegenPaths().find((p) => p.outcomes.validate_code?.run === "fails")!;
const invariants = (record: Parameters<typeof checkInvariants>[0], path: WorkflowPath) =>
  new Set<InvariantName>(checkInvariants(record, path).map((v) => v.invariant));

/** A result with other compensation lists (and matching step statuses left as they are). */
const withCompensation = (result: WorkflowResult, compensated: string[]): WorkflowResult => ({
  ...result,
  compensation: { ...result.compensation, compensated },
});

/** Swap which step each compensation event names, so the events tell the rollback in `order`. */
function rollbackEventsIn(events: readonly WorkflowEvent[], order: readonly string[]): WorkflowEvent[] {
  const rollback = new Set(["step.compensating", "step.compensated", "step.compensation_failed"]);
  const byStep = events.filter((e) => rollback.has(e.type));
  const perStep = byStep.length / order.length;
  let k = 0;
  return events.map((e) => (rollback.has(e.type) ? { ...e, step: order[Math.floor(k++ / perStep)] } : e));
}

describe("checkInvariants", () => {
  it("accepts a correct run", async () => {
    const path = validationFails();
    expect(checkInvariants(await replay(path), path)).toEqual([]);
  });

  it("catches an engine that reports its rollback in forward order", async () => {
    // A deliberately broken engine: a wrapper around the real one whose results list
    // compensations in completion order instead of reverse completion order.
    const forwardEngine = (options: Parameters<typeof createEngine>[0]): Engine => {
      const engine = createEngine(options);
      const start = ((...args: Parameters<Engine["start"]>) => {
        const run = engine.start(...args);
        const result = run.result.then((r) => withCompensation(r, [...r.compensation.compensated].reverse()));
        return { ...run, result };
      }) as Engine["start"];
      return { ...engine, start };
    };
    const path = validationFails();
    const replayed = await replay(path, { engine: forwardEngine });
    expect(replayed.result.compensation.compensated).toEqual(["reserve_resources", "generate_code"]);
    const violations = checkInvariants(replayed, path);
    expect(violations).toContainEqual({
      invariant: "expected",
      message:
        'compensation.compensated is ["reserve_resources","generate_code"], the model expects ["generate_code","reserve_resources"]',
    });
    expect(violations.map((v) => v.invariant)).toContain("result_events");
  });

  it("catches a rollback in forward order even when result and events agree", async () => {
    const path = validationFails();
    const replayed = await replay(path);
    const forward = ["reserve_resources", "generate_code"];
    const broken: Replay = {
      ...replayed,
      result: withCompensation(replayed.result, forward),
      events: rollbackEventsIn(replayed.events, forward),
    };
    const violations = checkInvariants(broken, path);
    expect(violations).toContainEqual({
      invariant: "compensation_order",
      message:
        "compensations ran reserve_resources, generate_code; compensate_all requires generate_code, reserve_resources " +
        "(reverse of completion order reserve_resources, generate_code)",
    });
    expect(new Set(violations.map((v) => v.invariant))).toEqual(new Set(["compensation_order", "expected"]));
  });

  it("catches a compensation of a step that never ran, and one compensated twice", async () => {
    const path = validationFails();
    const replayed = await replay(path);
    const extra = (step: string): WorkflowEvent => ({
      ...replayed.events.find((e) => e.type === "step.compensated")!,
      step,
      seq: 999,
    });
    const neverRan: Replay = {
      ...replayed,
      events: [...replayed.events, extra("commit_code")],
      result: withCompensation(replayed.result, [...replayed.result.compensation.compensated, "commit_code"]),
    };
    expect(invariants(neverRan, path)).toContain("compensated_ran");
    const twice: Replay = {
      ...replayed,
      events: [...replayed.events, extra("reserve_resources")],
      result: withCompensation(replayed.result, [...replayed.result.compensation.compensated, "reserve_resources"]),
    };
    expect(invariants(twice, path)).toContain("compensated_once");
  });

  it("catches a step started before its dependency succeeded", async () => {
    const path = codegenPaths()[0]!;
    const replayed = await replay(path);
    const events = [...replayed.events];
    const started = events.findIndex((e) => e.type === "step.started" && e.step === "generate_code");
    const [moved] = events.splice(started, 1);
    events.splice(1, 0, moved!); // right after workflow.started
    const violations = checkInvariants({ ...replayed, events }, path);
    expect(violations).toContainEqual({
      invariant: "dependencies",
      message: "`generate_code` started before reserve_resources succeeded",
    });
  });

  it("catches more steps in flight than the limit", async () => {
    const wf = codeAnalysis({ inFlight: 0, maxInFlight: 0, overlapped: false });
    const [wide] = generatePaths(wf, { maxFailures: 0 });
    const replayed = await replay(wide!);
    // The same run judged against the workflow with a limit of one step in flight.
    const [narrow] = generatePaths(wf.with({ parallelLimit: 1 }), { maxFailures: 0 });
    expect(invariants(replayed, narrow!)).toContain("limit");
    expect(checkInvariants(replayed, wide!)).toEqual([]);
  });

  it("catches compensation that the policy does not allow", async () => {
    const path = validationFails();
    const replayed = await replay(path);
    const failFast = generatePaths(path.workflow.with({ onError: "fail_fast" })).find(
      (p) => p.outcomes.validate_code?.run === "fails",
    )!;
    const violations = checkInvariants(replayed, failFast);
    expect(violations).toContainEqual({
      invariant: "compensation_order",
      message: "compensations ran generate_code, reserve_resources; fail_fast requires none",
    });
  });

  it("catches a result whose status, error or step statuses differ from the model", async () => {
    const path = validationFails();
    const replayed = await replay(path);
    const lying = {
      ...replayed,
      result: {
        ...replayed.result,
        steps: { ...replayed.result.steps, commit_code: { ...replayed.result.steps.commit_code, status: "succeeded" } },
      },
    } as Replay;
    expect(checkInvariants(lying, path)).toContainEqual({
      invariant: "expected",
      message: 'steps.commit_code.status is "succeeded", the model expects "pending"',
    });
  });
});
