import { describe, expect, it } from "vitest";
import type { InspectionEvent } from "xstate";
import { createEngine, workflow } from "../../src/index.js";
import {
  checkInvariants,
  generatePaths,
  type ModelEvent,
  replay,
  ScriptedFailure,
  type WorkflowPath,
} from "../../src/testing/index.js";
import { codeAnalysis } from "../fixtures/code-analysis.js";
import { codegenTransaction, newWorld } from "../fixtures/codegen-transaction.js";

const stepOf = (e: ModelEvent) => (e.type === "CANCEL" ? undefined : e.step);
const analysis = () => codeAnalysis({ inFlight: 0, maxInFlight: 0, overlapped: false });
const settledOrder = (events: readonly { type: string; step?: string }[]) =>
  events.filter((e) => e.type === "step.succeeded" || e.type === "step.failed").map((e) => e.step);

describe("replay", () => {
  it("makes the engine settle steps in the path's order, whichever parallel step it is", async () => {
    const paths = generatePaths(analysis(), { interleavings: "all", traversal: "simple", maxFailures: 0 });
    expect(paths).toHaveLength(2);
    for (const path of paths) {
      const replayed = await replay(path);
      expect(settledOrder(replayed.events)).toEqual(path.events.map(stepOf));
      expect(replayed.result.status).toBe("succeeded");
      expect(checkInvariants(replayed, path)).toEqual([]);
    }
  });

  it("runs retries and time-outs on a simulated clock", async () => {
    const paths = generatePaths(analysis());
    const timedOut = await replay(paths.find((p) => p.outcomes.parse_files?.run === "times_out")!);
    expect(timedOut.result.status).toBe("failed");
    expect(timedOut.result.error?.code).toBe("STEP_TIMEOUT");
    const failed = timedOut.events.find((e) => e.type === "step.failed")!;
    // The scripted copy's timeout for the first step to time out: 1,000 simulated ms.
    expect(failed.timestamp - timedOut.result.startedAt).toBe(1_000);

    const retried = await replay(paths.find((p) => p.outcomes.semantic_analysis?.run === "succeeds_on_retry")!);
    expect(retried.result.status).toBe("succeeded");
    expect(retried.result.steps.semantic_analysis?.attempts).toBe(2);
    expect(retried.events.filter((e) => e.type === "step.retrying").map((e) => e.step)).toEqual(["semantic_analysis"]);
    // Scripted failures are what the steps threw.
    const retry = retried.events.find((e) => e.type === "step.retrying")!;
    expect(retry.error?.cause).toBeInstanceOf(ScriptedFailure);
  });

  it("orders time-outs of parallel steps as the path says", async () => {
    const wf = workflow("two_timeouts", { onError: "continue" })
      .step("a", { timeout: 50, retry: 1, run: () => {} })
      .step("b", { timeout: 50, run: () => {} });
    const paths = generatePaths(wf, {
      interleavings: "all",
      traversal: "simple",
      maxFailures: 3,
      kinds: ["times_out"],
    });
    const both = paths.filter((p) => p.events.every((e) => e.type === "STEP" && e.outcome === "times_out"));
    expect(both.map((p) => p.description)).toEqual([
      "a TIMES OUT → b TIMES OUT ⇒ failed",
      "b TIMES OUT → a TIMES OUT ⇒ failed",
    ]);
    for (const path of both) {
      const replayed = await replay(path);
      expect(settledOrder(replayed.events)).toEqual(path.events.map(stepOf));
      expect(checkInvariants(replayed, path)).toEqual([]);
    }
  });

  it("does not call the user's step functions unless asked", async () => {
    const world = newWorld();
    const [path] = generatePaths(codegenTransaction(world)).filter((p) => p.outcomes.validate_code?.run === "fails");
    const scripted = await replay(path!);
    expect(world.log).toEqual([]);
    expect(scripted.result.output).toEqual({});

    const real = await replay(path!, { callSteps: true, input: { requirements: { module: "users" } } });
    expect(checkInvariants(real, path!)).toEqual([]);
    // The real steps ran and their compensations undid them.
    expect(world.log).toEqual(["reserve", "generate", "cleanup", "release"]);
    expect(world.files.size).toBe(0);
    expect(world.reservations.size).toBe(0);
  });

  it("passes real outputs along with callSteps", async () => {
    const world = newWorld();
    const [success] = generatePaths(codegenTransaction(world));
    const replayed = await replay(success!, { callSteps: true, input: { requirements: { module: "billing" } } });
    expect(replayed.result.output).toMatchObject({ commit_id: "commit-1", reservation_id: "res-billing" });
    expect(world.commits).toEqual(["commit-1 billing.ts"]);
  });

  it("reports a path the engine cannot follow, and ends the run", async () => {
    const wf = workflow("chain")
      .step("a", { outputs: ["x"], run: () => ({ x: 1 }) })
      .step("b", { inputs: ["x"], run: () => {} });
    const [success] = generatePaths(wf, { maxFailures: 0 });
    // `b` cannot settle before `a`: it has not even started.
    const impossible: WorkflowPath = { ...success!, events: [...success!.events].reverse() };
    const replayed = await replay(impossible);
    expect(replayed.stalled).toMatch(/next event is `b`.*not running it/);
    expect(replayed.result.status).toBe("cancelled");
    expect(checkInvariants(replayed, impossible).map((v) => v.invariant)).toContain("followed_path");
  });

  it("runs on the engine the factory makes, with the clock it is given", async () => {
    const inspected: InspectionEvent[] = [];
    const [path] = generatePaths(analysis());
    const replayed = await replay(path!, {
      engine: ({ clock, random }) => createEngine({ clock, random, inspect: (e) => inspected.push(e) }),
    });
    expect(checkInvariants(replayed, path!)).toEqual([]);
    expect(inspected.some((e) => e.type === "@xstate.actor")).toBe(true);

    // An engine on the system clock waits for real time: the replay notices it is stuck.
    const timeout = generatePaths(analysis()).find((p) => p.outcomes.parse_files?.run === "times_out")!;
    const stuck = await replay(timeout, { engine: () => createEngine() });
    expect(stuck.stalled).toMatch(/parse_files/);
    expect(stuck.result.status).toBe("cancelled");
  });
});
