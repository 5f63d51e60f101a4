/**
 * What the guide lets a step decide about its own outcome: retry with its own budget,
 * degrade (optional steps, fallbacks), keep its effect on rollback (partial
 * compensation); and what a step sees of its execution: metadata, start time, phase,
 * every earlier result.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  createEngine,
  keep,
  RetriesExhaustedError,
  StepOutputError,
  type WorkflowEvent,
  WorkflowInputError,
  workflow,
} from "../src/index.js";
import { record, settle, useFakeClock } from "./helpers.js";

useFakeClock();

const types = (events: readonly WorkflowEvent[]) => events.map((e) => (e.step ? `${e.type}:${e.step}` : e.type));

describe("onError with a retry budget of its own", () => {
  it("`{ retry: { maxAttempts } }` retries a step that has no retry budget, with that backoff", async () => {
    let attempts = 0;
    const keys = new Set<string>();
    const wf = workflow("flaky_api").step("call", {
      outputs: ["body"],
      run: (_i, ctx) => {
        attempts = ctx.attempt;
        keys.add(ctx.idempotencyKey);
        if (ctx.attempt < 5) throw new Error("network error");
        return { body: "ok" };
      },
      onError: (error) =>
        error.message.includes("network") ? { retry: { maxAttempts: 5, baseDelay: 100, jitter: false } } : undefined,
    });
    const run = createEngine().start(wf, {});
    const events = record(run);
    const result = await settle(run.result, 10);
    expect(result.status).toBe("succeeded");
    expect(attempts).toBe(5);
    expect(events.filter((e) => e.type === "step.retrying").map((e) => e.delayMs)).toEqual([100, 200, 400, 800]);
    expect([...keys]).toEqual([`${run.id}:call`]); // one idempotency key for every attempt
  });

  it("fails with every attempt's error once that budget is spent", async () => {
    const wf = workflow("always_down").step("call", {
      run: () => {
        throw new Error("network error");
      },
      onError: () => ({ retry: { maxAttempts: 3, baseDelay: 0 } }),
    });
    const result = await settle(createEngine().execute(wf, {}), 10);
    expect(result.error).toBeInstanceOf(RetriesExhaustedError);
    expect((result.error as RetriesExhaustedError).attempts).toHaveLength(3);
  });

  it('a bare "retry" on a step without a budget tries 3 times in all', async () => {
    let attempts = 0;
    const wf = workflow("bare_retry").step("call", {
      retry: { baseDelay: 0 },
      run: (_i, ctx) => {
        attempts = ctx.attempt;
        throw new Error("down");
      },
      onError: () => "retry",
    });
    await settle(createEngine().execute(wf, {}), 10);
    expect(attempts).toBe(3);
  });
});

describe("optional steps", () => {
  const pipeline = (log: string[]) =>
    workflow("review_pipeline")
      .step("parse", { outputs: ["ast"], run: () => ({ ast: "tree" }), compensate: () => void log.push("undo parse") })
      .step("llm_review", {
        optional: true,
        inputs: ["ast"],
        outputs: ["review"],
        run: (): { review: string } => {
          throw new Error("model unavailable");
        },
        compensate: () => void log.push("undo review"),
      })
      .step("report", {
        inputs: ["ast", "review"],
        outputs: ["report"],
        run: ({ ast, review }) => {
          expectTypeOf(review).toEqualTypeOf<string | undefined>();
          return { report: `${ast}: ${review ?? "no review"}` };
        },
      });

  it("fail without failing the workflow: dependents run, the result says what degraded and why", async () => {
    const log: string[] = [];
    const run = createEngine().start(pipeline(log), {});
    const events = record(run);
    const result = await run.result;
    expect(result.status).toBe("succeeded");
    expect(result.output.report).toBe("tree: no review");
    expect(result.steps.llm_review.status).toBe("degraded");
    expect(result.degraded).toEqual([
      {
        step: "llm_review",
        error: expect.objectContaining({ message: expect.stringContaining("model unavailable") }),
        fallback: false,
      },
    ]);
    expect(result.errors).toEqual([]);
    expect(types(events)).toContain("step.degraded:llm_review");
    expect(types(events)).not.toContain("step.failed:llm_review");
    expect(log).toEqual([]);
  });

  it("are not compensated when a later step fails: they did nothing to undo", async () => {
    const log: string[] = [];
    const failing = pipeline(log).step("publish", {
      inputs: ["report"],
      run: () => {
        throw new Error("publish failed");
      },
    });
    const result = await createEngine().execute(failing, {});
    expect(result.status).toBe("failed");
    expect(result.compensation.compensated).toEqual(["parse"]);
    expect(log).toEqual(["undo parse"]);
  });
});

describe("onError fallbacks", () => {
  it("degrade the step to the fallback outputs, which its dependents read", async () => {
    const wf = workflow("with_fallback")
      .step("fetch_rates", {
        outputs: ["rate"],
        run: (): { rate: number } => {
          throw new Error("rates service down");
        },
        onError: () => ({ fallback: { rate: 1 } }),
      })
      .step("convert", { inputs: ["rate"], outputs: ["amount"], run: ({ rate }) => ({ amount: 10 * rate }) });
    const result = await createEngine().execute(wf, {});
    expect(result.status).toBe("succeeded");
    expect(result.output).toEqual({ rate: 1, amount: 10 });
    expect(result.degraded).toMatchObject([{ step: "fetch_rates", fallback: true }]);
  });

  it("without every declared output fail the step with a StepOutputError", async () => {
    const wf = workflow("bad_fallback").step("s", {
      outputs: ["a", "b"],
      run: (): { a: number; b: number } => {
        throw new Error("down");
      },
      onError: () => ({ fallback: { a: 1 } }) as never,
    });
    const result = await createEngine().execute(wf, {});
    expect(result.status).toBe("failed");
    expect(result.error).toBeInstanceOf(StepOutputError);
  });

  it("are typed from the step's declared outputs", () => {
    workflow("typed_fallback").step("s", {
      outputs: ["rate"],
      run: () => ({ rate: 2 }),
      // @ts-expect-error: the fallback lacks the declared output `rate`
      onError: () => ({ fallback: { other: 1 } }),
    });
  });
});

describe("partial compensation", () => {
  it("a compensation that returns keep(reason) keeps the effect, listed apart from the undone steps", async () => {
    const log: string[] = [];
    const wf = workflow("invoicing")
      .step("reserve", { outputs: ["slot"], run: () => ({ slot: 1 }), compensate: () => void log.push("release") })
      .step("invoice", {
        inputs: ["slot"],
        outputs: ["invoice"],
        run: () => ({ invoice: "INV-1" }),
        compensate: ({ output }) => keep(`${output?.invoice} was already sent to the customer`),
      })
      .step("charge", {
        inputs: ["invoice"],
        run: () => {
          throw new Error("card declined");
        },
      });
    const run = createEngine().start(wf, {});
    const events = record(run);
    const result = await run.result;
    expect(result.status).toBe("failed");
    expect(result.compensation.compensated).toEqual(["reserve"]);
    expect(result.compensation.kept).toEqual([{ step: "invoice", reason: "INV-1 was already sent to the customer" }]);
    expect(result.steps.invoice.status).toBe("kept");
    expect(log).toEqual(["release"]);
    const kept = events.find((e) => e.type === "step.kept")!;
    expect([kept.step, kept.reason]).toEqual(["invoice", "INV-1 was already sent to the customer"]);
  });
});

describe("execution metadata and context", () => {
  it("is visible to steps (also in sub-workflows), on workflow.started and in the result, frozen", async () => {
    const seen: unknown[] = [];
    const inner = workflow("inner").step("i", { run: (_i, ctx) => void seen.push(ctx.metadata) });
    const wf = workflow("with_metadata")
      .step("a", {
        run: (_i, ctx) => {
          seen.push(ctx.metadata);
          expect(Object.isFrozen(ctx.metadata)).toBe(true);
          expect(ctx.startedAt).toBe(0);
          expect(ctx.status).toBe("running");
          expect(ctx.idempotencyKey).toBe(`${ctx.executionId}:a`);
        },
      })
      .step("sub", { dependsOn: ["a"], workflow: inner });
    const metadata = { requestedBy: "ci", pr: 42, session: { user: "ada" } };
    const run = createEngine().start(wf, {}, { metadata });
    const events = record(run);
    const result = await run.result;
    expect(result.status).toBe("succeeded");
    expect(seen).toEqual([metadata, metadata]);
    expect(result.metadata).toEqual(metadata);
    expect(events[0]).toMatchObject({ type: "workflow.started", metadata });
    // The caller's objects are copied, not frozen.
    expect(Object.isFrozen(metadata) || Object.isFrozen(metadata.session)).toBe(false);
    expect(Object.isFrozen(result.metadata.session)).toBe(true);
  });

  it("ctx.status says when the run is stopping or compensating", async () => {
    const phases: string[] = [];
    const wf = workflow("phases", { abortGrace: 100 })
      .step("slow", {
        outputs: ["v"],
        run: (_i, ctx) =>
          new Promise<{ v: number }>((resolve) => {
            ctx.signal.addEventListener("abort", () => {
              phases.push(`aborted while ${ctx.status}`);
              resolve({ v: 1 });
            });
          }),
        compensate: (ctx) => void phases.push(`undo while ${ctx.status}`),
      })
      .step("boom", {
        run: () => {
          throw new Error("boom");
        },
      });
    await settle(createEngine().execute(wf, {}), 10);
    expect(phases).toEqual(["aborted while stopping", "undo while compensating"]);
  });

  it("rejects metadata that is not an object before any step runs", async () => {
    const wf = workflow("bad_metadata").step("s", { run: () => {} });
    const result = await createEngine().execute(wf, {}, { metadata: ["x"] as never });
    expect(result.status).toBe("failed");
    expect(result.error).toBeInstanceOf(WorkflowInputError);
    expect(result.steps.s.status).toBe("pending");
  });

  it("ctx.results.all() and entries() give every earlier result (the guide's all_results)", async () => {
    const wf = workflow("aggregate")
      .step("semantic", { outputs: ["semantic"], run: () => ({ semantic: 3 }) })
      .step("security", { outputs: ["findings"], run: () => ({ findings: ["xss"] }) })
      .step("report", {
        dependsOn: "all",
        outputs: ["report"],
        run: (_i, ctx) => {
          const all = ctx.results.all();
          expectTypeOf(all.semantic).toEqualTypeOf<Readonly<{ semantic: number }> | undefined>();
          return { report: ctx.results.entries().map(([step, out]) => `${step}=${JSON.stringify(out)}`) };
        },
      });
    const result = await createEngine().execute(wf, {});
    expect(result.output.report).toEqual(['semantic={"semantic":3}', 'security={"findings":["xss"]}']);
  });
});

describe("fallback types", () => {
  it("follow the step's own output types", () => {
    workflow("typed_outputs").step("s", {
      outputs: ["rate"],
      run: () => ({ rate: 2 }),
      onError: () => ({ fallback: { rate: 1 } }),
    });
    // @ts-expect-error: the fallback's `rate` must be a number, as `run` returns
    workflow("wrong_type").step("s", {
      outputs: ["rate"],
      run: () => ({ rate: 2 }),
      onError: () => ({ fallback: { rate: "one" } }),
    });
  });
});

describe("partial compensation in a sub-workflow", () => {
  it("a nested saga whose steps all kept their effects keeps its step's too", async () => {
    const inner = workflow("invoice_run").step("send_invoice", {
      outputs: ["invoice"],
      run: () => ({ invoice: "INV-9" }),
      compensate: () => keep("already sent"),
    });
    const outer = workflow("billing")
      .step("invoice", { outputs: ["invoice"], workflow: inner })
      .step("charge", {
        inputs: ["invoice"],
        run: () => {
          throw new Error("declined");
        },
      });
    const result = await createEngine().execute(outer, {});
    expect(result.compensation.compensated).toEqual([]);
    expect(result.compensation.kept).toEqual([
      { step: "invoice", reason: "its sub-workflow kept send_invoice (already sent)" },
    ]);
    expect(result.compensation.nested?.invoice?.kept).toEqual([{ step: "send_invoice", reason: "already sent" }]);
  });
});
