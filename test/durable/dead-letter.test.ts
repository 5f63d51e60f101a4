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
  StepError,
  type WorkflowEvent,
  type WorkflowResult,
  workflow,
} from "../../src/index.js";
import { decodeEvent } from "../../src/journal/codec.js";
import { cutOffAttempts, deadLetterEvents } from "../../src/journal/dead-letter.js";
import { rebuildResult } from "../../src/journal/rebuild.js";
import { plan } from "../../src/planner/plan.js";
import type { TimedRunEvent } from "../../src/policy/run-event.js";
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
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error("timed out waiting");
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
    expect(record).toMatchObject({ status: "failed" });
    // The journal says so to whoever reads it later.
    const { result } = await engines[3]!.runs.get(run.id);
    expect(result?.error).toBeInstanceOf(RecoveryLimitError);
    expect(result?.error?.message).toMatch(/dead-lettered.*maxRecoveries = 2/);
    await Promise.all(engines.map((e) => e.close()));
  });

  it("counts per step: one step's cut-off attempts do not add to the next one's", async () => {
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
    const started =
      (step: string, times = 1) =>
      async () =>
        (await store.events(run.id)).filter(
          (e) => e.type === "step.started" && (e.data as { step: string }).step === step,
        ).length >= times;
    await until(started("a"));
    // `a` cut off once; on engine two it succeeds, and `b` starts.
    const two = at("two", 10_000);
    expect((await two.recover()).length).toBe(1);
    await until(started("b"));
    // `b` cut off once: within maxRecoveries = 1 (a's cut-off does not count for it), so it runs on.
    const three = at("three", 20_000);
    const [again] = await three.recover();
    await until(started("b", 2));
    expect(await store.get(run.id)).toMatchObject({ status: "running", owner: "three" });
    // Cut off twice: dead-lettered, naming the step.
    const four = at("four", 30_000);
    const [dead] = await four.recover();
    const result = await dead!.result;
    expect(result.error).toBeInstanceOf(RecoveryLimitError);
    expect(result.error).toMatchObject({ step: "b", recoveries: 2 });
    expect(result.steps.a?.status).toBe("succeeded");
    again?.result.catch(() => {});
    await Promise.all([one, two, three, four].map((e) => e.close()));
  });
});

describe("dead-lettering and deploys", () => {
  it("does not count the steps an engine interrupted by closing (it journals where it stopped)", async () => {
    const store = memoryStore();
    const waits = workflow("waits").step("wait", { run: hang });
    const engines = [];
    let id: string | undefined;
    for (let k = 0; k < 4; k++) {
      const engine = createEngine({ workflows: [waits], store, owner: `deploy-${k}`, maxRecoveries: 1 });
      engines.push(engine);
      if (k === 0) {
        const run = engine.start(waits, {});
        run.result.catch(() => {});
        id = run.id;
      } else {
        const [resumed] = await engine.recover();
        expect(resumed?.id).toBe(id);
        resumed!.result.catch(() => {});
      }
      const started = async () => (await store.events(id!)).filter((e) => e.type === "step.started").length === k + 1;
      await until(started);
      // A deploy: this engine closes, the next one takes over.
      await engine.close();
    }
    const journal = await store.events(id!);
    expect(journal.filter((e) => e.type === "workflow.lease_lost").length).toBe(4);
    expect(await store.get(id!)).toMatchObject({ status: "running" });
  });
});

describe("dead-lettering a run already stopping", () => {
  it("ends it with the RecoveryLimitError, not the failure that stopped it", () => {
    const wf = workflow("stopping", { onError: "compensate_all" })
      .step("a", { run: () => {}, compensate: () => {} })
      .step("b", { run: () => {} });
    const p = plan(wf);
    // `a` failed while `b` ran: the run is stopping, waiting for `b`, when its engines keep dying.
    const history: TimedRunEvent[] = [
      { type: "workflow.started", at: 1 },
      { type: "step.started", step: "a", attempt: 1, at: 2 },
      { type: "step.started", step: "b", attempt: 1, at: 2 },
      { type: "step.failed", step: "a", attempt: 1, at: 3, error: new StepError("a", "broken") },
      { type: "step.started", step: "b", attempt: 2, at: 4 },
    ];
    const error = new RecoveryLimitError("e1", "b", 2, 1);
    const rows = deadLetterEvents(p, "e1", history, error, 5);
    expect(rows.map((r) => [r.seq, r.type])).toEqual([
      [6, "step.cancelled"],
      [7, "workflow.failed"],
    ]);
    const result = rebuildResult(p, "e1", [...history, ...rows.map(decodeEvent)]);
    expect(result.status).toBe("failed");
    expect(result.error).toBeInstanceOf(RecoveryLimitError);
    expect(result.steps.b?.status).toBe("cancelled");
    // Without the dead letter, the same journal's failure is a's.
    expect(rebuildResult(p, "e1", history).error).toBeInstanceOf(StepError);
  });
});

describe("cutOffAttempts", () => {
  const e = (type: string, step: string, path?: string[]): TimedRunEvent =>
    ({ type, step, at: 0, path }) as TimedRunEvent;
  it("counts a step's starts in a row with no retry or settlement between, the one in flight included", () => {
    expect(cutOffAttempts([e("workflow.started", "")])).toBeUndefined();
    expect(cutOffAttempts([e("step.started", "s"), e("step.succeeded", "s")])).toBeUndefined();
    expect(cutOffAttempts([e("step.started", "s")])).toEqual({ step: "s", times: 1 });
    expect(cutOffAttempts([e("step.started", "s"), e("step.started", "s"), e("step.started", "s")])).toEqual({
      step: "s",
      times: 3,
    });
    // A retry after a failure of its own starts again from 0.
    expect(
      cutOffAttempts([e("step.started", "s"), e("step.started", "s"), e("step.retrying", "s"), e("step.started", "s")]),
    ).toEqual({
      step: "s",
      times: 1,
    });
    // Compensations are not counted (their retries are not journaled); sub-workflow steps are, by their path.
    expect(
      cutOffAttempts([
        e("step.started", "t"),
        e("step.failed", "t"),
        e("step.compensating", "s"),
        e("step.compensating", "s"),
        e("step.compensating", "s"),
        e("step.started", "x", ["sub"]),
        e("step.started", "x", ["sub"]),
        e("step.started", "x", ["sub"]),
      ]),
    ).toEqual({ step: "sub/x", times: 3 });
    // An engine that closed journaled where it stopped: what it interrupted does not count.
    expect(
      cutOffAttempts([e("step.started", "s"), e("workflow.lease_lost", ""), e("step.started", "s")]),
    ).toMatchObject({ times: 1 });
    // A sub run that makes progress is progress of the step that runs it.
    expect(
      cutOffAttempts([
        e("step.started", "sub"),
        e("step.started", "x", ["sub"]),
        e("step.succeeded", "x", ["sub"]),
        e("step.started", "sub"),
        e("step.started", "y", ["sub"]),
        e("step.succeeded", "y", ["sub"]),
        e("step.started", "sub"),
        e("step.started", "z", ["sub"]),
      ]),
    ).toMatchObject({ times: 1 });
  });
});
