import { describe, expect, it } from "vitest";
import { type AnyWorkflow, createEngine, type ErrorPolicy, workflow } from "../src/index.js";
import { deferred, record, trace } from "./helpers.js";

/**
 *   a ─▶ b ─▶ c        (c fails)
 *   x ─▶ y             (an independent branch)
 * Every step records what it did and what was compensated, in order.
 */
function diamond(policy: ErrorPolicy, log: string[], options: { failing?: string } = {}) {
  const failing = options.failing ?? "c";
  const step = <K extends string>(name: string, out: K) => ({
    run: async () => {
      await Promise.resolve();
      if (name === failing) throw new Error(`${name} broke`);
      log.push(`run ${name}`);
      return { [out]: name } as Record<K, string>;
    },
    compensate: (_ctx: unknown, error: { message: string }) => {
      log.push(`undo ${name} (${error.message})`);
    },
  });
  const wf: AnyWorkflow = workflow("diamond", { onError: policy });
  return wf
    .step("a", { outputs: ["a_out"], ...step("a", "a_out") })
    .step("b", { inputs: ["a_out"], outputs: ["b_out"], ...step("b", "b_out") })
    .step("c", { inputs: ["b_out"], outputs: ["c_out"], ...step("c", "c_out") })
    .step("x", { outputs: ["x_out"], ...step("x", "x_out") })
    .step("y", { inputs: ["x_out"], outputs: ["y_out"], ...step("y", "y_out") });
}

describe("error policies", () => {
  it("compensate_all undoes every succeeded step in reverse completion order, across branches", async () => {
    const log: string[] = [];
    const run = createEngine().start(diamond("compensate_all", log), {});
    const events = record(run);
    const result = await run.result;
    expect(result.status).toBe("failed");
    expect(result.error?.step).toBe("c");
    const completed = trace(events, ["step.succeeded"]).map((t) => t.split(":")[1]!);
    expect(result.compensation.compensated).toEqual([...completed].reverse());
    expect(log.filter((l) => l.startsWith("undo"))).toEqual(
      [...completed].reverse().map((s) => `undo ${s} (Step \`c\` failed: c broke)`),
    );
    for (const s of completed) expect(result.steps[s]!.status).toBe("compensated");
    expect(result.steps.c!.status).toBe("failed");
    expect(trace(events, ["step.compensating", "step.compensated"]).slice(0, 2)).toEqual([
      `step.compensating:${completed.at(-1)}`,
      `step.compensated:${completed.at(-1)}`,
    ]);
  });

  it("fail_fast stops scheduling and compensates nothing", async () => {
    const log: string[] = [];
    const result = await createEngine().execute(diamond("fail_fast", log, { failing: "a" }), {});
    expect(result.status).toBe("failed");
    expect(result.compensation.compensated).toEqual([]);
    expect(log.some((l) => l.startsWith("undo"))).toBe(false);
    expect(result.steps.b!.status).toBe("pending");
    expect(result.steps.c!.status).toBe("pending");
  });

  it("continue skips the failed step's transitive dependents and runs independent branches to the end", async () => {
    const log: string[] = [];
    const run = createEngine().start(diamond("continue", log, { failing: "a" }), {});
    const events = record(run);
    const result = await run.result;
    expect(result.status).toBe("failed");
    expect(result.error?.step).toBe("a");
    expect(result.steps.b!.status).toBe("skipped");
    expect(result.steps.c!.status).toBe("skipped");
    expect(result.steps.x!.status).toBe("succeeded");
    expect(result.steps.y!.status).toBe("succeeded");
    expect(result.output).toEqual({ x_out: "x", y_out: "y" });
    expect(trace(events, ["step.skipped"])).toEqual(["step.skipped:b", "step.skipped:c"]);
    expect(result.compensation.compensated).toEqual([]);
  });

  it("compensate_failed runs only the failed step's own compensate, without an output", async () => {
    const outputs: unknown[] = [];
    const wf = workflow("partial", { onError: "compensate_failed" })
      .step("a", { outputs: ["v"], run: () => ({ v: 1 }), compensate: () => outputs.push("a undone") })
      .step("b", {
        inputs: ["v"],
        run: () => {
          throw new Error("half done");
        },
        compensate: (ctx) => outputs.push({ b: ctx.output, input: ctx.input }),
      });
    const result = await createEngine().execute(wf, {});
    expect(result.status).toBe("failed");
    expect(outputs).toEqual([{ b: undefined, input: { v: 1 } }]);
    expect(result.compensation.compensated).toEqual(["b"]);
    expect(result.steps.a.status).toBe("succeeded");
  });

  it("a step's onError overrides the workflow policy for its own failures", async () => {
    const log: string[] = [];
    const wf = workflow("override", { onError: "compensate_all" })
      .step("a", { outputs: ["v"], run: () => ({ v: 1 }), compensate: () => log.push("undo a") })
      .step("optional", {
        inputs: ["v"],
        outputs: ["extra"],
        onError: () => "continue",
        run: () => {
          throw new Error("nice to have");
        },
      })
      .step("uses_extra", { inputs: ["extra"], run: () => log.push("never") })
      .step("b", { inputs: ["v"], outputs: ["w"], run: () => ({ w: 2 }) });
    const result = await createEngine().execute(wf, {});
    expect(result.status).toBe("failed");
    expect(result.steps.uses_extra.status).toBe("skipped");
    expect(result.steps.b.status).toBe("succeeded");
    expect(log).toEqual([]);

    const failFast = workflow("override2", { onError: "compensate_all" })
      .step("a", { run: () => log.push("a"), compensate: () => log.push("undo a") })
      .step("b", {
        dependsOn: ["a"],
        onError: () => "fail_fast",
        run: () => {
          throw new Error("stop");
        },
      });
    expect((await createEngine().execute(failFast, {})).compensation.compensated).toEqual([]);
    expect(log).toEqual(["a"]);
  });

  it("aborts in-flight steps, lets them settle, and compensates one that succeeded anyway", async () => {
    const log: string[] = [];
    const slowStarted = deferred();
    const wf = workflow("settle")
      .step("stubborn", {
        outputs: ["s"],
        // Ignores its signal: finishes its side effect even after the abort.
        run: async (_i, ctx) => {
          await new Promise((r) => setTimeout(r, 5));
          log.push(`stubborn done, aborted=${ctx.signal.aborted}`);
          return { s: 1 };
        },
        compensate: () => log.push("undo stubborn"),
      })
      .step("polite", {
        run: (_i, ctx) =>
          new Promise((_resolve, reject) => {
            slowStarted.resolve();
            ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
          }),
        compensate: () => log.push("undo polite"),
      })
      .step("failing", {
        run: async () => {
          await slowStarted.promise;
          throw new Error("boom");
        },
      });
    const result = await createEngine().execute(wf, {});
    expect(result.status).toBe("failed");
    expect(result.error?.step).toBe("failing");
    expect(result.steps.polite.status).toBe("cancelled");
    expect(result.steps.polite.error?.code).toBe("STEP_ABORTED");
    expect(result.steps.stubborn.status).toBe("compensated");
    expect(log).toEqual(["stubborn done, aborted=true", "undo stubborn"]);
  });

  it("reports a compensation that keeps failing after its retries, and still runs the others", async () => {
    const attempts: string[] = [];
    const wf = workflow("rollback_failure")
      .step("a", { run: () => {}, compensate: () => attempts.push("undo a") })
      .step("b", {
        dependsOn: ["a"],
        retry: { maxAttempts: 2, baseDelay: 0, jitter: false },
        run: () => {},
        compensate: () => {
          attempts.push("undo b");
          throw new Error("cannot undo b");
        },
      })
      .step("c", {
        dependsOn: ["b"],
        run: () => {
          throw new Error("c failed");
        },
      });
    const run = createEngine().start(wf, {});
    const events = record(run);
    const result = await run.result;
    expect(attempts).toEqual(["undo b", "undo b", "undo a"]);
    expect(result.compensation.compensated).toEqual(["a"]);
    expect(result.compensation.failed.map((f) => [f.step, f.error.code, (f.error.cause as Error).message])).toEqual([
      ["b", "COMPENSATION_FAILED", "Step `b` failed: cannot undo b"],
    ]);
    expect(result.steps.b.status).toBe("compensation_failed");
    expect(trace(events, ["step.compensating", "step.compensated", "step.compensation_failed"])).toEqual([
      "step.compensating:b",
      "step.compensating:b",
      "step.compensation_failed:b",
      "step.compensating:a",
      "step.compensated:a",
    ]);
  });

  it("`parallel: false` runs a step alone, and parallelLimit bounds steps in flight", async () => {
    let inFlight = 0;
    let max = 0;
    const alone: number[] = [];
    const work = (name: string) => async () => {
      inFlight++;
      max = Math.max(max, inFlight);
      if (name === "exclusive") alone.push(inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
    };
    let wf: AnyWorkflow = workflow("limits", { parallelLimit: 3 });
    for (let i = 0; i < 8; i++) wf = wf.step(`s${i}`, { run: work(`s${i}`) });
    wf = wf.step("exclusive", { parallel: false, run: work("exclusive") });
    for (let i = 8; i < 12; i++) wf = wf.step(`s${i}`, { run: work(`s${i}`) });
    const result = await createEngine().execute(wf, {});
    expect(result.status).toBe("succeeded");
    expect(max).toBe(3);
    expect(alone).toEqual([1]);
  });
});
