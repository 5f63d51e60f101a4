/**
 * Deadlines survive a resume: a pending retry fires at its journaled deadline, and the
 * workflow timeout keeps the deadline it started with (on a fake clock shared by the
 * engine that stopped and the one that resumes).
 */
import { describe, expect, it, vi } from "vitest";
import { createEngine, memoryStore, StepError, WorkflowTimeoutError, workflow } from "../../src/index.js";
import { settle, useFakeClock } from "../helpers.js";

useFakeClock();

describe("deadlines across a resume", () => {
  it("a pending retry fires at its journaled deadline", async () => {
    const store = memoryStore();
    const starts: [number, number][] = [];
    const wf = workflow("flaky").step("s", {
      retry: { maxAttempts: 2, baseDelay: 1_000, jitter: false },
      run: (_input, ctx) => {
        starts.push([ctx.attempt, Date.now()]);
        if (ctx.attempt === 1) throw new StepError("s", "not yet");
      },
    });
    const first = createEngine({ workflows: [wf], store, owner: "one" });
    const run = first.start("flaky", {});
    run.result.catch(() => {});
    await vi.advanceTimersByTimeAsync(200);
    await first.close();
    await vi.advanceTimersByTimeAsync(300);
    const second = createEngine({ workflows: [wf], store, owner: "two" });
    const [resumed] = await second.recover();
    const result = await settle(resumed!.result, 50);
    expect(result.status).toBe("succeeded");
    expect(starts).toEqual([
      [1, 0],
      [2, 1_000],
    ]);
  });

  it("the workflow timeout keeps its original deadline", async () => {
    const store = memoryStore();
    const wf = workflow("slow", { timeout: 1_000 }).step("s", {
      run: (_input, ctx) =>
        new Promise((_resolve, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))),
    });
    const first = createEngine({ workflows: [wf], store, owner: "one" });
    const run = first.start("slow", {});
    run.result.catch(() => {});
    await vi.advanceTimersByTimeAsync(400);
    await first.close();
    await vi.advanceTimersByTimeAsync(200);
    const second = createEngine({ workflows: [wf], store, owner: "two" });
    const [resumed] = await second.recover();
    const result = await settle(resumed!.result, 50);
    expect(result.status).toBe("timed_out");
    expect(result.error).toBeInstanceOf(WorkflowTimeoutError);
    expect(result.finishedAt).toBe(1_000);
  });
});
