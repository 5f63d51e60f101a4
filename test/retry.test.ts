import { describe, expect, it } from "vitest";
import {
  type AnyWorkflow,
  createEngine,
  NonRetryableError,
  RetriesExhaustedError,
  StepError,
  type WorkflowEvent,
  workflow,
} from "../src/index.js";
import { backoffDelay, resolveRetry } from "../src/policy/retry.js";
import { record, settle, useFakeClock } from "./helpers.js";

useFakeClock();

const startsOf = (events: WorkflowEvent[], step: string) =>
  events.filter((e) => e.type === "step.started" && e.step === step).map((e) => e.timestamp);

describe("backoff", () => {
  it("is exponential by default, capped by maxDelay, with full jitter", () => {
    const policy = resolveRetry({ maxAttempts: 10, jitter: false });
    expect([1, 2, 3, 4, 5, 6, 7].map((k) => backoffDelay(policy, k))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
    const jittered = resolveRetry({ maxAttempts: 10 });
    expect(backoffDelay(jittered, 3, () => 0)).toBe(0);
    expect(backoffDelay(jittered, 3, () => 0.5)).toBe(2000);
    expect(backoffDelay(jittered, 3, () => 0.999_999)).toBe(4000);
    expect(backoffDelay(resolveRetry({ backoff: "linear", baseDelay: 100, jitter: false }), 3)).toBe(300);
    expect(backoffDelay(resolveRetry({ backoff: "fixed", baseDelay: 100, jitter: false }), 3)).toBe(100);
  });

  it("`retry: n` means n retries after the first attempt; the workflow's maxRetries is the default", () => {
    expect(resolveRetry(3).maxAttempts).toBe(4);
    expect(resolveRetry(undefined, 2).maxAttempts).toBe(3);
    expect(resolveRetry(undefined).maxAttempts).toBe(1);
  });
});

describe("retries", () => {
  it("waits out exponential backoff in the retrying state, then succeeds", async () => {
    let calls = 0;
    const wf = workflow("flaky").step("call_api", {
      outputs: ["body"],
      retry: { maxAttempts: 4, baseDelay: 1000, jitter: false },
      run: () => {
        calls++;
        if (calls < 4) throw new Error(`503 #${calls}`);
        return { body: "ok" };
      },
    });
    const run = createEngine().start(wf, {});
    const events = record(run);
    const result = await settle(run.result, 250);
    expect(result.status).toBe("succeeded");
    expect(result.steps.call_api).toMatchObject({ status: "succeeded", attempts: 4 });
    expect(startsOf(events, "call_api")).toEqual([0, 1000, 3000, 7000]);
    const retrying = events.filter((e) => e.type === "step.retrying");
    expect(retrying.map((e) => [e.attempt, e.delayMs, e.error?.message])).toEqual([
      [1, 1000, "Step `call_api` failed: 503 #1"],
      [2, 2000, "Step `call_api` failed: 503 #2"],
      [3, 4000, "Step `call_api` failed: 503 #3"],
    ]);
  });

  it("uses the engine's random source for jitter", async () => {
    const wf = workflow("jitter").step("s", {
      retry: { maxAttempts: 2, baseDelay: 1000 },
      run: (_i, ctx) => {
        if (ctx.attempt === 1) throw new Error("again");
      },
    });
    const run = createEngine({ random: () => 0.25 }).start(wf, {});
    const events = record(run);
    await settle(run.result, 50);
    expect(startsOf(events, "s")).toEqual([0, 250]);
  });

  it("fails with RetriesExhaustedError holding every attempt's cause", async () => {
    const wf = workflow("exhaust").step("s", {
      retry: { maxAttempts: 3, baseDelay: 10, jitter: false },
      run: (_i, ctx) => {
        throw new Error(`attempt ${ctx.attempt}`);
      },
    });
    const result = await settle(createEngine().execute(wf, {}), 10);
    expect(result.status).toBe("failed");
    const error = result.error as RetriesExhaustedError;
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error.code).toBe("RETRIES_EXHAUSTED");
    expect(error.step).toBe("s");
    expect(error.attempts.map((e) => (e.cause as Error).message)).toEqual(["attempt 1", "attempt 2", "attempt 3"]);
    expect(result.steps.s.attempts).toBe(3);
  });

  it("does not retry NonRetryableError, or an error retryOn rejects", async () => {
    const wf = workflow("stop")
      .step("non_retryable", {
        retry: 5,
        run: () => {
          throw new NonRetryableError("404 not found");
        },
      })
      .step("retry_on", {
        retry: { maxAttempts: 5, retryOn: (error) => !error.message.includes("fatal") },
        run: () => {
          throw new Error("fatal");
        },
      });
    const result = await settle(createEngine().execute(wf.with({ onError: "continue" }), {}), 100);
    expect(result.steps.non_retryable).toMatchObject({ status: "failed", attempts: 1 });
    expect(result.steps.non_retryable.error?.code).toBe("NON_RETRYABLE");
    expect(result.steps.retry_on).toMatchObject({ status: "failed", attempts: 1 });
    expect(result.steps.retry_on.error).toBeInstanceOf(StepError);
  });

  it("a step's onError may force a retry that retryOn would refuse, within its budget", async () => {
    const wf = workflow("forced").step("s", {
      retry: { maxAttempts: 3, baseDelay: 1, jitter: false, retryOn: () => false },
      onError: (error) => (error.message.includes("network") ? "retry" : undefined),
      run: (_i, ctx) => {
        if (ctx.attempt < 3) throw new Error("network down");
        return undefined;
      },
    });
    const result = await settle(createEngine().execute(wf, {}), 1);
    expect(result.status).toBe("succeeded");
    expect(result.steps.s.attempts).toBe(3);
  });

  it("never retries a non-retryable error, even when onError asks to, and ignores invalid decisions", async () => {
    let calls = 0;
    const wf = workflow("never", { onError: "continue" })
      .step("non_retryable", {
        retry: 3,
        onError: () => "retry",
        run: () => {
          calls++;
          throw new NonRetryableError("gone for good");
        },
      })
      .step("invalid_decision", {
        retry: { maxAttempts: 3, baseDelay: 0, jitter: false },
        onError: (async () => "fail_fast") as never,
        run: (_i, ctx) => {
          if (ctx.attempt < 3) throw new Error("flaky");
        },
      });
    const result = await settle(createEngine().execute(wf, {}), 1);
    expect(calls).toBe(1);
    expect(result.steps.non_retryable.error?.code).toBe("NON_RETRYABLE");
    expect(result.steps.invalid_decision).toMatchObject({ status: "succeeded", attempts: 3 });
  });

  it("turns anything a step throws into a typed error", async () => {
    const throwers: Record<string, () => never> = {
      string: () => {
        throw "just a string";
      },
      undefined: () => {
        throw undefined;
      },
      object: () => {
        throw { status: 500 };
      },
      rejected: () => Promise.reject(new TypeError("bad")) as never,
    };
    let wf: AnyWorkflow = workflow("throwers", { onError: "continue" });
    for (const [name, run] of Object.entries(throwers)) wf = wf.step(name, { run });
    const result = await createEngine().execute(wf, {});
    expect(result.status).toBe("failed");
    expect(result.errors).toHaveLength(4);
    for (const name of Object.keys(throwers)) {
      expect(result.steps[name]!.error).toBeInstanceOf(StepError);
      expect(result.steps[name]!.error?.code).toBe("STEP_FAILED");
    }
    expect(result.steps.string!.error?.cause).toBe("just a string");
    expect(result.steps.undefined!.error?.message).toBe("Step `undefined` failed: undefined was thrown");
    expect(result.steps.object!.error?.message).toBe('Step `object` failed: {"status":500}');
    expect(result.steps.rejected!.error?.cause).toBeInstanceOf(TypeError);
  });
});
