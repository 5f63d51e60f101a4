/**
 * Dead-lettering: an execution whose engine keeps dying while it runs is failed with a
 * RecoveryLimitError after `maxRecoveries` takeovers without a step settling, instead of
 * being recovered for ever. Taking over from an engine that closed does not count.
 *
 * An engine "dies" here by its clock standing still: its lease renewals keep writing a
 * deadline in the past, so the next engine (whose clock is later) finds the lease
 * expired and takes the execution over, as it would from a process that was killed.
 */
import { describe, expect, it } from "vitest";
import {
  createEngine,
  memoryStore,
  RecoveryLimitError,
  type WorkflowEvent,
  type WorkflowResult,
  workflow,
} from "../../src/index.js";
import type { ExecutionStore } from "../../src/store/execution-store.js";

const compensated: string[] = [];
const hang = (_input: unknown, ctx: { signal: AbortSignal }) =>
  new Promise<never>((_resolve, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)));

const flow = workflow("dead_letter", { onError: "compensate_all" })
  .step("first", {
    outputs: ["ok"],
    run: () => ({ ok: true }),
    compensate: () => {
      compensated.push("first");
    },
  })
  .step("stuck", { inputs: ["ok"], run: hang });

/** An engine at a fixed moment: once another engine with a later clock looks, its leases have expired. */
const engineAt = (store: ExecutionStore, owner: string, at: number) =>
  createEngine({
    workflows: [flow],
    store,
    owner,
    leaseMs: 1_000,
    maxRecoveries: 2,
    clock: { now: () => at, setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as never) },
  });

const until = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe("dead-lettering", () => {
  it("fails an execution taken over from dead engines more than maxRecoveries times in a row, running nothing more", async () => {
    compensated.length = 0;
    const store = memoryStore();
    const engines = [engineAt(store, "one", 0)];
    const run = engines[0]!.start(flow, {});
    run.result.catch(() => {});
    const stuckStarted = async () =>
      (await store.events(run.id)).some(
        (e) =>
          e.type === "step.started" &&
          (e.data as { step: string }).step === "stuck" &&
          (e.data as { attempt?: number }).attempt === engines.length,
      );
    await until(stuckStarted);
    const seen: WorkflowEvent[] = [];
    let last: WorkflowResult | undefined;
    for (let k = 1; k <= 3; k++) {
      const engine = engineAt(store, `engine-${k}`, k * 10_000);
      engine.events.subscribe((e) => seen.push(e));
      engines.push(engine);
      const [recovered] = await engine.recover();
      expect(recovered?.id).toBe(run.id);
      if (k < 3) {
        expect((await store.get(run.id))!.recoveries).toBe(k);
        await until(stuckStarted);
      } else {
        last = await recovered!.result;
      }
    }
    expect(last!.status).toBe("failed");
    expect(last!.error).toBeInstanceOf(RecoveryLimitError);
    expect((last!.error as RecoveryLimitError).recoveries).toBe(3);
    expect(last!.steps.first?.status).toBe("succeeded");
    expect(last!.steps.stuck?.status).toBe("cancelled");
    // Nothing more ran: no compensation, no new attempt.
    expect(compensated).toEqual([]);
    const journal = await store.events(run.id);
    expect(journal.slice(-2).map((e) => e.type)).toEqual(["step.cancelled", "workflow.failed"]);
    expect(journal.filter((e) => e.type === "step.started").length).toBe(4);
    expect(seen.filter((e) => e.type === "workflow.failed").map((e) => e.executionId)).toEqual([run.id]);
    const record = await store.get(run.id);
    expect(record).toMatchObject({ status: "failed", recoveries: 3 });
    // The journal says so to whoever reads it later.
    const { result } = await engines[3]!.runs.get(run.id);
    expect(result?.error).toBeInstanceOf(RecoveryLimitError);
    expect(result?.error?.message).toMatch(/dead-lettered.*maxRecoveries = 2/);
    await Promise.all(engines.map((e) => e.close()));
  });

  it("counts the takeovers since a step last settled", async () => {
    const store = memoryStore();
    const settles = workflow("resets", {})
      .step("a", { outputs: ["x"], run: (input, ctx) => (ctx.attempt === 1 ? hang(input, ctx) : { x: 1 }) })
      .step("b", { inputs: ["x"], run: hang });
    const at = (owner: string, t: number) =>
      createEngine({
        workflows: [settles],
        store,
        owner,
        leaseMs: 1_000,
        maxRecoveries: 1,
        clock: {
          now: () => t,
          setTimeout: (f, ms) => setTimeout(f, ms),
          clearTimeout: (h) => clearTimeout(h as never),
        },
      });
    const one = at("one", 0);
    const run = one.start(settles, {});
    run.result.catch(() => {});
    const started = (step: string) => async () =>
      (await store.events(run.id)).some((e) => e.type === "step.started" && (e.data as { step: string }).step === step);
    await until(started("a"));
    const two = at("two", 10_000);
    expect((await two.recover()).length).toBe(1);
    expect((await store.get(run.id))!.recoveries).toBe(1);
    // `a` succeeds on its second attempt: a step settled, the count starts again.
    await until(started("b"));
    expect((await store.get(run.id))!.recoveries).toBe(0);
    const three = at("three", 20_000);
    expect((await three.recover()).length).toBe(1);
    // One takeover since `a` settled: within maxRecoveries = 1, so it runs on.
    expect(await store.get(run.id)).toMatchObject({ status: "running", recoveries: 1, owner: "three" });
    await Promise.all([one, two, three].map((e) => e.close()));
  });

  it("does not count a takeover from an engine that closed", async () => {
    const store = memoryStore();
    const slowThenStuck = workflow("settles", {})
      .step("a", { outputs: ["x"], run: hang })
      .step("b", { inputs: ["x"], run: hang });
    const one = createEngine({ workflows: [slowThenStuck], store, owner: "one", maxRecoveries: 1 });
    const run = one.start(slowThenStuck, {});
    run.result.catch(() => {});
    await until(async () => (await store.events(run.id)).length >= 2);
    // A deploy: the engine closes, another resumes it at once.
    await one.close();
    const two = createEngine({ workflows: [slowThenStuck], store, owner: "two", maxRecoveries: 1 });
    const [resumed] = await two.recover();
    expect(resumed?.id).toBe(run.id);
    expect((await store.get(run.id))!.recoveries).toBe(0);
    await two.close();
  });
});
