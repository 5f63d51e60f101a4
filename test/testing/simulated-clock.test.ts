import { afterEach, describe, expect, it, vi } from "vitest";
import { createEngine, workflow } from "../../src/index.js";
import { SimulatedClock, TestingError } from "../../src/testing/index.js";

afterEach(() => {
  vi.useRealTimers();
});

/** Resolves after `ms` on the clock, or rejects when the signal aborts. */
const sleep = (clock: SimulatedClock, ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = clock.setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clock.clearTimeout(timer);
      reject(signal.reason);
    });
  });

describe("SimulatedClock", () => {
  it("fires timers by due time, ties in the order they were set, and never moves time backwards", () => {
    const clock = new SimulatedClock(100);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push("b@30"), 30);
    clock.setTimeout(() => fired.push("a@10"), 10);
    const cleared = clock.setTimeout(() => fired.push("cleared"), 5);
    clock.setTimeout(() => fired.push("c@30"), 30);
    clock.clearTimeout(cleared);
    expect(clock.pending).toBe(3);
    while (clock.next()) fired.push(`now ${clock.now()}`);
    expect(fired).toEqual(["a@10", "now 110", "b@30", "now 130", "c@30", "now 130"]);
    expect(clock.next()).toBe(false);
  });

  it("runs a workflow's timeouts and backoff without waiting, with exact timestamps", async () => {
    const clock = new SimulatedClock();
    const wf = workflow("slow_then_fast").step("fetch", {
      timeout: 5_000,
      retry: { maxAttempts: 3, baseDelay: 1_000, jitter: false },
      outputs: ["body"],
      // The first attempt hangs past its timeout; the second takes 200 ms.
      run: async (_input, ctx) => {
        await sleep(clock, ctx.attempt === 1 ? 60_000 : 200, ctx.signal);
        return { body: `attempt ${ctx.attempt}` };
      },
    });
    const result = await clock.run(createEngine({ clock }).execute(wf, {}));
    expect(result.status).toBe("succeeded");
    expect(result.output.body).toBe("attempt 2");
    // 5,000 (timeout) + 1,000 (backoff) + 200 (second attempt).
    expect(result.durationMs).toBe(6_200);
    expect(clock.now()).toBe(6_200);
  });

  it("keeps working while vitest's fake timers are installed", async () => {
    const clock = new SimulatedClock();
    vi.useFakeTimers();
    const wf = workflow("w").step("s", { run: (_i, ctx) => sleep(clock, 10, ctx.signal) });
    const result = await clock.run(createEngine({ clock }).execute(wf, {}));
    expect(result.status).toBe("succeeded");
  });

  it("rejects when the promise waits on something no timer will bring", async () => {
    const clock = new SimulatedClock();
    const never = new Promise(() => {});
    await expect(clock.run(never)).rejects.toThrow(TestingError);
    await expect(clock.run(never)).rejects.toMatchObject({ code: "REPLAY_STUCK" });
  });
});
