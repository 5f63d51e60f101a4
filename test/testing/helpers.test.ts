/**
 * The testing helpers a user reaches for: mockSteps (the guide's mock_step_failure),
 * the WorkflowResult matchers (assert_compensation_executed), and testContext for a
 * step alone.
 */
import { describe, expect, it } from "vitest";
import "../../src/testing/vitest.js";
import { createEngine, workflow } from "../../src/index.js";
import { mockSteps, TestingError, testContext, workflowMatchers } from "../../src/testing/index.js";
import { codegenTransaction, newWorld } from "../fixtures/codegen-transaction.js";

describe("mockSteps", () => {
  it("fails a chosen step; the real compensations run, in reverse order", async () => {
    const world = newWorld();
    const mocked = mockSteps(codegenTransaction(world), { validate_code: { fail: "syntax error" } });
    const result = await createEngine().execute(mocked, { requirements: { module: "billing" } });
    expect(result).toHaveFailedAt("validate_code");
    expect(result).toHaveCompensated(["generate_code", "reserve_resources"]);
    expect(result.error?.message).toContain("syntax error");
    expect(world.reservations.size).toBe(0);
    expect(world.files.size).toBe(0);
  });

  it("succeeds a step with given outputs, hangs one until its timeout, or runs a stand-in", async () => {
    const wf = workflow("three")
      .step("fetch", { outputs: ["body"], run: (): { body: string } => ({ body: "real" }) })
      .step("slow", { timeout: 20, inputs: ["body"], outputs: ["parsed"], run: ({ body }) => ({ parsed: body }) })
      .step("flaky", { retry: { maxAttempts: 2, baseDelay: 0 }, run: () => {} });
    const succeeded = await createEngine().execute(
      mockSteps(wf, {
        fetch: { succeed: { body: "mocked" } },
        flaky: (_input, ctx) => {
          if (ctx.attempt === 1) throw new Error("first attempt fails");
        },
      }),
      {},
    );
    expect(succeeded).toHaveSucceeded();
    expect(succeeded.output.parsed).toBe("mocked");
    expect(succeeded.steps.flaky.attempts).toBe(2);
    const hung = await createEngine().execute(mockSteps(wf, { slow: "hang" }), {});
    expect(hung).toHaveFailedAt("slow");
    expect(hung.error?.code).toBe("STEP_TIMEOUT");
  });

  it("never caches a mocked step: a mocked outcome is not served to the real step, nor the reverse", async () => {
    const wf = workflow("cached", { cacheResults: true }).step("a", { outputs: ["n"], run: () => ({ n: 1 }) });
    const engine = createEngine();
    expect((await engine.execute(wf, {})).output.n).toBe(1);
    expect(await engine.execute(mockSteps(wf, { a: { fail: "down" } }), {})).toHaveFailedAt("a");
    const mocked = await engine.execute(mockSteps(wf, { a: { succeed: { n: 2 } } }), {});
    expect(mocked.output.n).toBe(2);
    expect((await engine.execute(wf, {})).output.n).toBe(1);
  });

  it("refuses a step the workflow does not have, and types the outputs of `succeed`", () => {
    const wf = workflow("typed").step("a", { outputs: ["n"], run: () => ({ n: 1 }) });
    expect(() => mockSteps(wf, { b: "hang" } as never)).toThrow(TestingError);
    // @ts-expect-error: `a` returns `n`, a number
    mockSteps(wf, { a: { succeed: { n: "one" } } });
  });
});

describe("the result matchers", () => {
  it("say what the run did instead when they fail", async () => {
    const world = newWorld();
    const result = await createEngine().execute(codegenTransaction(world, "commit_code"), {
      requirements: { module: "m" },
    });
    const failed = workflowMatchers.toHaveSucceeded(result);
    expect(failed.pass).toBe(false);
    expect(failed.message()).toMatch(/to succeed, but it failed at step `commit_code`/);
    const order = workflowMatchers.toHaveCompensated(result, ["reserve_resources", "generate_code"]);
    expect(order.pass).toBe(false);
    expect(result.compensation.compensated).toEqual(["generate_code", "reserve_resources"]);
    expect(order.message()).toContain("in that order, but it compensated [generate_code, reserve_resources]");
    expect(workflowMatchers.toHaveFailedAt("nope", "x").message()).toContain("expects a WorkflowResult");
    expect(result).not.toHaveSucceeded();
    expect(result).not.toHaveFailedAt("generate_code");
  });

  it("toHaveDegraded: an optional step failed without failing the run", async () => {
    const wf = workflow("optional").step("review", {
      optional: true,
      run: () => {
        throw new Error("model down");
      },
    });
    const result = await createEngine().execute(wf, {});
    expect(result).toHaveSucceeded();
    expect(result).toHaveDegraded("review");
  });
});

describe("testContext", () => {
  it("gives a step's code everything it reads, and an abort", async () => {
    const step = async ({ url }: { url: string }, ctx: ReturnType<typeof testContext>) => {
      const base = ctx.results.get("config")?.base;
      return new Promise<string>((resolve, reject) => {
        ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
        if (ctx.attempt > 1) resolve(`${base}${url} (retry, ${String(ctx.metadata.user)})`);
      });
    };
    const retry = testContext({ attempt: 2, results: { config: { base: "https://x" } }, metadata: { user: "ada" } });
    expect(await step({ url: "/a" }, retry)).toBe("https://x/a (retry, ada)");
    const first = testContext();
    const pending = step({ url: "/a" }, first);
    first.abort(new Error("timed out"));
    await expect(pending).rejects.toThrow("timed out");
    expect(first.results.all()).toEqual({});
    expect([first.step, first.status, first.executionId]).toEqual(["step", "running", "test-execution"]);
  });
});
