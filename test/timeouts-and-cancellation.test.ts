import { describe, expect, it, vi } from "vitest";
import {
  createEngine,
  StepTimeoutError,
  WorkflowCancelledError,
  WorkflowTimeoutError,
  workflow,
} from "../src/index.js";
import { flush, record, settle, trace, useFakeClock } from "./helpers.js";

useFakeClock();

/** Resolves after `ms` of (fake) time, or rejects with the signal's reason when aborted. */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

describe("step timeouts", () => {
  it("abort the attempt's signal with a StepTimeoutError, which is retried", async () => {
    const reasons: unknown[] = [];
    const wf = workflow("slow").step("s", {
      timeout: 100,
      retry: { maxAttempts: 2, baseDelay: 10, jitter: false },
      outputs: ["v"],
      run: async (_i, ctx) => {
        ctx.signal.addEventListener("abort", () => reasons.push(ctx.signal.reason));
        await sleep(ctx.attempt === 1 ? 1_000 : 50, ctx.signal);
        return { v: ctx.attempt };
      },
    });
    const run = createEngine().start(wf, {});
    const events = record(run);
    const result = await settle(run.result, 10);
    expect(result.status).toBe("succeeded");
    expect(result.output.v).toBe(2);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(StepTimeoutError);
    const retry = events.find((e) => e.type === "step.retrying")!;
    expect(retry.error?.code).toBe("STEP_TIMEOUT");
    expect(retry.timestamp).toBe(100);
    expect(events.filter((e) => e.type === "step.started").map((e) => e.timestamp)).toEqual([0, 110]);
  });

  it("ignore a late result of a timed-out attempt", async () => {
    let first = true;
    const wf = workflow("late").step("s", {
      timeout: 100,
      retry: { maxAttempts: 2, baseDelay: 0, jitter: false },
      outputs: ["v"],
      // Ignores its signal: the first attempt resolves long after its timeout.
      run: () =>
        new Promise<{ v: string }>((resolve) => {
          const late = first;
          first = false;
          setTimeout(() => resolve({ v: late ? "late" : "fresh" }), late ? 500 : 150);
        }),
    });
    const run = createEngine().start(wf, {});
    const events = record(run);
    const result = await settle(run.result, 10);
    await settle(new Promise((r) => setTimeout(r, 1_000)), 100);
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("RETRIES_EXHAUSTED");
    expect(events.filter((e) => e.type === "step.succeeded")).toHaveLength(0);

    const fast = workflow("late2").step("s", {
      timeout: 100,
      retry: { maxAttempts: 2, baseDelay: 0, jitter: false },
      outputs: ["v"],
      run: (_i, ctx) =>
        new Promise<{ v: string }>((resolve) => {
          setTimeout(() => resolve({ v: `attempt ${ctx.attempt}` }), ctx.attempt === 1 ? 500 : 20);
        }),
    });
    const run2 = createEngine().start(fast, {});
    const events2 = record(run2);
    const result2 = await settle(run2.result, 10);
    await settle(new Promise((r) => setTimeout(r, 1_000)), 100);
    expect(result2.output).toEqual({ v: "attempt 2" });
    expect(trace(events2, ["step.succeeded", "workflow.succeeded"])).toEqual([
      "step.succeeded:s",
      "workflow.succeeded",
    ]);
  });
});

describe("the workflow timeout", () => {
  it("aborts everything in flight and ends timed_out after the rollback", async () => {
    const log: string[] = [];
    const wf = workflow("deadline", { timeout: 1_000 })
      .step("quick", { outputs: ["q"], run: () => ({ q: 1 }), compensate: () => log.push("undo quick") })
      .step("slow", {
        inputs: ["q"],
        run: async (_i, ctx) => {
          await sleep(60_000, ctx.signal);
        },
        compensate: () => log.push("undo slow"),
      });
    const run = createEngine().start(wf, {});
    const events = record(run);
    const result = await settle(run.result, 100);
    expect(result.status).toBe("timed_out");
    expect(result.error).toBeInstanceOf(WorkflowTimeoutError);
    expect(result.error?.code).toBe("WORKFLOW_TIMEOUT");
    expect(result.steps.slow.status).toBe("cancelled");
    expect(log).toEqual(["undo quick"]);
    expect(result.finishedAt).toBe(1_000);
    expect(events.at(-1)).toMatchObject({ type: "workflow.timed_out", status: "timed_out" });
  });
});

describe("cancellation", () => {
  const longRunning = (log: string[]) =>
    workflow("long")
      .step("first", { outputs: ["f"], run: () => ({ f: 1 }), compensate: () => log.push("undo first") })
      .step("second", {
        inputs: ["f"],
        run: async (_i, ctx) => {
          await sleep(10_000, ctx.signal);
        },
      });

  it("run.cancel() aborts in-flight steps, runs the rollback and ends cancelled", async () => {
    const log: string[] = [];
    const engine = createEngine();
    const run = engine.start(longRunning(log), {});
    await vi.advanceTimersByTimeAsync(500);
    expect(run.status().steps.second).toBe("running");
    expect(engine.getStatus(run.id)?.status).toBe("running");
    run.cancel("user pressed stop");
    const result = await settle(run.result, 10);
    expect(result.status).toBe("cancelled");
    expect(result.error).toBeInstanceOf(WorkflowCancelledError);
    expect(result.error?.message).toBe("Workflow `long` was cancelled: user pressed stop");
    expect(result.steps.second.status).toBe("cancelled");
    expect(log).toEqual(["undo first"]);
    expect(engine.getStatus(run.id)?.status).toBe("cancelled");
  });

  it("an AbortSignal in the options cancels too, even one aborted before the start", async () => {
    const log: string[] = [];
    const controller = new AbortController();
    const pending = createEngine().execute(longRunning(log), {}, { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(100);
    controller.abort(new Error("shutting down"));
    const result = await settle(pending, 10);
    expect(result.status).toBe("cancelled");
    expect(result.error?.message).toContain("shutting down");
    expect(log).toEqual(["undo first"]);

    const early = new AbortController();
    early.abort();
    const result2 = await settle(createEngine().execute(longRunning([]), {}, { signal: early.signal }), 10);
    expect(result2.status).toBe("cancelled");
  });

  it("cancelling a finished run does nothing", async () => {
    const run = createEngine().start(workflow("done").step("a", { run: () => {} }), {});
    const result = await run.result;
    run.cancel();
    await flush();
    expect(result.status).toBe("succeeded");
    expect(run.status().status).toBe("succeeded");
  });
});

describe("steps that ignore their signal", () => {
  const never = () => new Promise<never>(() => {});

  it("get the abort grace period to settle, then are cancelled (workflow timeout)", async () => {
    const wf = workflow("stuck", { timeout: 100, abortGrace: 1_000 }).step("a", { run: never });
    const result = await settle(createEngine().execute(wf, {}), 50);
    expect(result.status).toBe("timed_out");
    expect(result.steps.a.status).toBe("cancelled");
    expect(result.finishedAt).toBe(1_100);
  });

  it("a second cancel while stopping cuts the grace period short", async () => {
    const wf = workflow("stuck2", { abortGrace: 60_000 }).step("a", { run: never });
    const run = createEngine().start(wf, {});
    await vi.advanceTimersByTimeAsync(10);
    run.cancel("first");
    await vi.advanceTimersByTimeAsync(10);
    expect(run.status().status).toBe("stopping");
    run.cancel("second");
    const result = await settle(run.result, 10);
    expect(result.status).toBe("cancelled");
    expect(result.error?.message).toContain("first");
    expect(result.finishedAt).toBe(20);
  });

  it("under fail_fast, a failure does not wait forever for a stuck sibling", async () => {
    const wf = workflow("stuck3", { onError: "fail_fast", abortGrace: 500 })
      .step("stuck", { run: never })
      .step("boom", {
        run: async () => {
          throw new Error("boom");
        },
      });
    const result = await settle(createEngine().execute(wf, {}), 50);
    expect(result.status).toBe("failed");
    expect(result.error?.step).toBe("boom");
    expect(result.steps.stuck.status).toBe("cancelled");
  });

  it("a compensation that hangs is aborted by the workflow timeout and reported; the rest still run", async () => {
    const log: string[] = [];
    const wf = workflow("stuck_rollback", { timeout: 1_000, abortGrace: 100 })
      .step("first", { outputs: ["x"], run: () => ({ x: 1 }), compensate: () => log.push("undo first") })
      .step("second", { inputs: ["x"], outputs: ["y"], run: () => ({ y: 2 }), compensate: never })
      .step("third", {
        inputs: ["y"],
        run: () => {
          throw new Error("third failed");
        },
      });
    const result = await settle(createEngine().execute(wf, {}), 50);
    expect(result.status).toBe("failed");
    expect(result.compensation.failed.map((f) => [f.step, f.error.code])).toEqual([["second", "COMPENSATION_FAILED"]]);
    expect(result.compensation.compensated).toEqual(["first"]);
    expect(log).toEqual(["undo first"]);
    expect(result.finishedAt).toBe(1_100);
  });

  it("ignore a result that arrives after the grace period", async () => {
    const wf = workflow("late_after_grace", { timeout: 100, abortGrace: 100 }).step("slow", {
      outputs: ["v"],
      run: () => new Promise<{ v: number }>((resolve) => setTimeout(() => resolve({ v: 1 }), 1_000)),
    });
    const run = createEngine().start(wf, {});
    const events = record(run);
    const result = await settle(run.result, 50);
    await settle(new Promise((r) => setTimeout(r, 2_000)), 100);
    expect(result.status).toBe("timed_out");
    expect(result.steps.slow.status).toBe("cancelled");
    expect(result.output).toEqual({});
    expect(events.filter((e) => e.type === "step.succeeded")).toHaveLength(0);
  });
});
