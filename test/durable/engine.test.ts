/**
 * Durable executions in one process: every event journaled before its effect, the
 * journal folds back into the same result, and an execution whose engine stopped
 * (`close`, standing in for a crash here; test/durable/crash.test.ts kills real
 * processes) resumes on another engine without running a journaled step again.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createEngine,
  DefinitionMismatchError,
  ExecutionNotFoundError,
  type ExecutionStore,
  LeaseLostError,
  memoryStore,
  NonRetryableError,
  SerializationError,
  sqliteStore,
  type WorkflowEvent,
  WorkflowInputError,
  workflow,
} from "../../src/index.js";
import { postgresStore } from "../../src/store/postgres-store.js";
import { deferred } from "../helpers.js";
import { postgresSchemas } from "./support.js";

const postgres = process.env.RUBBERDUCK_TEST_POSTGRES;
const freshSchema = postgresSchemas("engine");
const stores: [string, () => ExecutionStore][] = [
  ["memory", () => memoryStore()],
  ["sqlite", () => sqliteStore(join(mkdtempSync(join(tmpdir(), "rubberduck-durable-")), "runs.db"))],
  // On Postgres too, when a database is given (each test in a schema of its own).
  ...(postgres === undefined
    ? []
    : ([
        [
          "postgres",
          () => {
            return postgresStore({ connectionString: postgres, schema: freshSchema(), max: 4 });
          },
        ],
      ] as [string, () => ExecutionStore][])),
];

/** A three-step chain whose middle step waits for `gate` (until it is opened). */
function chain(log: string[], gate: { open: boolean; wait: Promise<void> }, version = "1.0.0") {
  return workflow("chain", { version, input: z.object({ n: z.number(), fail: z.boolean().default(false) }) })
    .step("a", {
      inputs: ["n"],
      outputs: ["x"],
      run: ({ n }) => {
        log.push("a");
        return { x: n + 1 };
      },
      compensate: () => {
        log.push("undo a");
      },
    })
    .step("b", {
      inputs: ["x"],
      outputs: ["y"],
      run: async ({ x }, ctx) => {
        log.push(`b#${ctx.attempt} ${ctx.idempotencyKey}`);
        if (!gate.open) await gate.wait;
        return { y: x * 10 };
      },
      compensate: () => {
        log.push("undo b");
      },
    })
    .step("c", {
      inputs: ["y", "fail"],
      outputs: ["z"],
      run: ({ y, fail }) => {
        log.push("c");
        if (fail) throw new Error("c fails");
        return { z: y + 1 };
      },
    });
}

const until = async (check: () => boolean | Promise<boolean>) => {
  for (let i = 0; i < 500 && !(await check()); i++) await new Promise((r) => setTimeout(r, 2));
};

describe.each(stores)("durable executions on the %s store", (_name, open) => {
  it("journals every event, in seq order, and folds the journal back into the same result", async () => {
    const store = open();
    const log: string[] = [];
    const wf = chain(log, { open: true, wait: Promise.resolve() });
    const engine = createEngine({ workflows: [wf], store });
    const run = engine.start("chain", { n: 1, fail: false }, { metadata: { who: "test" } });
    const events: WorkflowEvent[] = [];
    run.events.subscribe((e) => events.push(e));
    const result = await run.result;
    expect(result.output).toEqual({ x: 2, y: 20, z: 21 });
    const details = await engine.runs.get(run.id);
    expect(details.run).toMatchObject({
      status: "succeeded",
      workflow: "chain",
      version: "1.0.0",
      lastSeq: events.length,
    });
    expect(details.events.map((e) => [e.seq, e.type, e.step])).toEqual(events.map((e) => [e.seq, e.type, e.step]));
    expect(details.events[0]).toMatchObject({
      type: "workflow.started",
      input: { n: 1, fail: false },
      metadata: { who: "test" },
    });
    const [first] = await store.events(run.id);
    expect(first?.data).toMatchObject({
      workflow: "chain",
      version: "1.0.0",
      definitionHash: details.run.definitionHash,
    });
    expect(details.events.find((e) => e.type === "step.succeeded" && e.step === "b")?.output).toEqual({ y: 20 });
    expect(details.result).toMatchObject({ status: "succeeded", output: result.output, metadata: { who: "test" } });
    expect(Object.fromEntries(Object.entries(details.result!.steps).map(([k, v]) => [k, v.status]))).toEqual({
      a: "succeeded",
      b: "succeeded",
      c: "succeeded",
    });
    await store.close();
  });

  it("starts a dependent step only once the completion it depends on is journaled", async () => {
    const store = open();
    const seen: number[] = [];
    const wf = workflow("order")
      .step("a", { outputs: ["x"], run: () => ({ x: 1 }) })
      .step("b", {
        inputs: ["x"],
        outputs: ["y"],
        run: async (_input, ctx) => {
          // What the store holds when b runs: a's completion is there.
          const journal = await store.events(ctx.executionId);
          seen.push(journal.filter((e) => e.type === "step.succeeded").length);
          return { y: 2 };
        },
      });
    const engine = createEngine({ workflows: [wf], store });
    expect((await engine.execute("order", {})).status).toBe("succeeded");
    expect(seen).toEqual([1]);
    await store.close();
  });

  it("runs a retried attempt only once its start is journaled", async () => {
    const store = open();
    const seen: number[] = [];
    const wf = workflow("flaky").step("s", {
      retry: { maxAttempts: 3, baseDelay: 1, jitter: false },
      run: async (_input, ctx) => {
        const journal = await store.events(ctx.executionId);
        seen.push(
          journal.filter((e) => e.type === "step.started" && (e.data as { attempt: number }).attempt === ctx.attempt)
            .length,
        );
        if (ctx.attempt < 3) throw new Error("not yet");
      },
    });
    const engine = createEngine({ workflows: [wf], store });
    expect((await engine.execute("flaky", {})).status).toBe("succeeded");
    expect(seen).toEqual([1, 1, 1]);
    await store.close();
  });

  it("resumes on another engine: journaled steps never run again, the one in flight runs with its next attempt", async () => {
    const store = open();
    const log: string[] = [];
    const gate = deferred();
    const first = createEngine({ workflows: [chain(log, { open: false, wait: gate.promise })], store, owner: "one" });
    const run = first.start("chain", { n: 1, fail: false });
    const lost = run.result.catch((e: unknown) => e);
    await until(() => log.includes(`b#1 ${run.id}:b`));
    await first.close();
    expect(await lost).toBeInstanceOf(LeaseLostError);
    expect((await store.get(run.id))?.status).toBe("running");

    const second = createEngine({ workflows: [chain(log, { open: true, wait: gate.promise })], store, owner: "two" });
    const [resumed, ...more] = await second.recover();
    expect(more).toEqual([]);
    const result = await resumed!.result;
    expect(result.status).toBe("succeeded");
    expect(result.output).toEqual({ x: 2, y: 20, z: 21 });
    expect(result.steps.b?.attempts).toBe(2);
    // `a` ran once; `b` ran again with its next attempt and the same idempotency key.
    expect(log).toEqual(["a", `b#1 ${run.id}:b`, `b#2 ${run.id}:b`, "c"]);
    const journal = await store.events(run.id);
    expect(journal.map((e) => e.seq)).toEqual(journal.map((_e, i) => i + 1));
    expect((await store.get(run.id))?.owner).toBe("two");
    gate.resolve();
    await store.close();
  });

  it("cancel by id: a live one where it runs, an interrupted one resumed here first, its rollback journaled", async () => {
    const store = open();
    const log: string[] = [];
    const gate = deferred();
    const first = createEngine({ workflows: [chain(log, { open: false, wait: gate.promise })], store, owner: "one" });
    const live = first.start("chain", { n: 1, fail: false });
    await until(() => log.includes(`b#1 ${live.id}:b`));
    expect(await first.cancel(live.id, "from the studio")).toBe(live);
    gate.resolve(); // b ignores its signal
    const cancelled = await live.result;
    expect(cancelled.status).toBe("cancelled");
    // b finished all the same: it counts, and is rolled back too.
    expect(cancelled.compensation.compensated).toEqual(["b", "a"]);
    expect((await store.get(live.id))?.status).toBe("cancelled");

    // Another engine's execution, interrupted (its engine stopped): resumed here, then cancelled.
    log.length = 0;
    const held = deferred();
    const second = createEngine({ workflows: [chain(log, { open: false, wait: held.promise })], store, owner: "two" });
    const run = second.start("chain", { n: 2, fail: false });
    await until(() => log.includes(`b#1 ${run.id}:b`));
    await second.close();
    await run.result.catch(() => {});
    held.resolve();
    const handle = await first.cancel(run.id);
    const result = await handle!.result;
    expect(result.status).toBe("cancelled");
    expect(log.filter((l) => l === "undo a")).toHaveLength(1);
    const journal = await first.runs.get(run.id);
    expect(journal.events.map((e) => e.type)).toContain("workflow.cancelled");
    // A finished one stays as it is; an unknown one is an error.
    expect((await (await first.cancel(run.id))!.result).status).toBe("cancelled");
    await expect(first.cancel("no-such-run")).rejects.toBeInstanceOf(ExecutionNotFoundError);
    await first.close();
    await store.close();
  });

  it("cancel by id of an execution another live engine runs: a request in the store, which that engine acts on", async () => {
    const store = open();
    const log: string[] = [];
    const gate = deferred();
    const wf = chain(log, { open: false, wait: gate.promise });
    const runner = createEngine({ workflows: [wf], store, owner: "runner", cancelPollMs: 20 });
    const studio = createEngine({ workflows: [wf], store, owner: "studio" });
    const run = runner.start("chain", { n: 1, fail: false });
    const seen: string[] = [];
    run.events.subscribe((e) => seen.push(e.type));
    await until(() => log.includes(`b#1 ${run.id}:b`));
    expect(await studio.cancel(run.id, "asked from elsewhere")).toBeUndefined();
    await until(() => seen.includes("workflow.interrupted"));
    gate.resolve(); // b ignores its signal: it ends, and the cancel stands
    const result = await run.result;
    expect(result.status).toBe("cancelled");
    expect(result.error?.message).toContain("asked from elsewhere");
    expect(result.compensation.compensated).toEqual(["b", "a"]);
    // Finished: a request now is too late, and the handle has its result.
    expect((await (await studio.cancel(run.id))!.result).status).toBe("cancelled");
    await runner.close();
    await studio.close();
    await store.close();
  });

  it("a cancel request is acted on once: the abort grace and a slow rollback run their course", async () => {
    const store = open();
    const log: string[] = [];
    const wf = workflow("slow_undo", { abortGrace: 5_000 })
      .step("a", {
        outputs: ["x"],
        run: () => ({ x: 1 }),
        // Takes 150 ms, and stops if told to.
        compensate: async (ctx) => {
          await new Promise((resolve, reject) => {
            setTimeout(resolve, 150);
            ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
          });
          log.push("undo a");
        },
      })
      .step("b", {
        inputs: ["x"],
        run: (_input, ctx) =>
          new Promise((_resolve, reject) => {
            log.push("b");
            // Stops gracefully, 100 ms after it is told to: well within the grace.
            ctx.signal.addEventListener("abort", () => setTimeout(() => reject(ctx.signal.reason), 100));
          }),
      });
    const runner = createEngine({ workflows: [wf], store, owner: "runner", cancelPollMs: 10 });
    const studio = createEngine({ store, owner: "studio" }); // without the definition: a request all the same
    const run = runner.start(wf, {});
    await until(() => log.includes("b"));
    expect(await studio.cancel(run.id, "stop")).toBeUndefined();
    const result = await run.result;
    expect(result.status).toBe("cancelled");
    expect(result.compensation).toMatchObject({ compensated: ["a"], failed: [] });
    expect(log).toEqual(["b", "undo a"]);
    await runner.close();
    await studio.close();
    await store.close();
  });

  it("a cancel request left while no engine ran it (or for a keyed start) is acted on when it runs", async () => {
    const store = open();
    const log: string[] = [];
    const gate = deferred();
    const wf = chain(log, { open: false, wait: gate.promise });
    // Its engine never polls in time, and stops (a deploy) with the request pending.
    const first = createEngine({ workflows: [wf], store, owner: "first", cancelPollMs: 60_000 });
    const run = first.start("chain", { n: 1, fail: false }, { idempotencyKey: "order-1" });
    await until(() => log.includes(`b#1 ${run.id}:b`));
    const studio = createEngine({ workflows: [wf], store, owner: "studio" });
    expect(await studio.cancel(run.id, "while it was down")).toBeUndefined();
    await first.close();
    await run.result.catch(() => {});
    gate.resolve();
    // The engine that resumes it cancels it at once: c never runs.
    const next = createEngine({ workflows: [wf], store, owner: "next" });
    const [resumed] = await next.recover();
    const result = await resumed!.result;
    expect(result.status).toBe("cancelled");
    expect(result.error?.message).toContain("while it was down");
    expect(log).not.toContain("c");
    // A keyed start is polled too.
    const held = deferred();
    const keyedWf = chain(log, { open: false, wait: held.promise }, "2.0.0");
    const keyedEngine = createEngine({ workflows: [keyedWf], store, owner: "keyed", cancelPollMs: 10 });
    const keyed = keyedEngine.start(keyedWf, { n: 2, fail: false }, { idempotencyKey: "order-2" });
    await until(() => log.includes(`b#1 ${keyed.id}:b`));
    expect(await studio.cancel(keyed.id)).toBeUndefined();
    const seen: string[] = [];
    keyed.eventsFrom(1).subscribe((e) => seen.push(e.type));
    await until(() => seen.includes("workflow.interrupted"));
    held.resolve();
    expect((await keyed.result).status).toBe("cancelled");
    expect(() => createEngine({ store, cancelPollMs: Number.POSITIVE_INFINITY })).toThrow(/cancelPollMs/);
    await Promise.all([next.close(), studio.close(), keyedEngine.close()]);
    await store.close();
  });

  it("a late subscriber replays the history from the store, then the live events, each once", async () => {
    const store = open();
    const log: string[] = [];
    const gate = deferred();
    const first = createEngine({ workflows: [chain(log, { open: false, wait: gate.promise })], store, owner: "one" });
    const run = first.start("chain", { n: 1, fail: false });
    run.result.catch(() => {});
    await until(() => log.length > 1);
    await first.close();
    const second = createEngine({ workflows: [chain(log, { open: true, wait: gate.promise })], store, owner: "two" });
    const resumed = await second.resume(run.id);
    const seen: WorkflowEvent[] = [];
    const done = new Promise<void>((resolve) =>
      resumed.eventsFrom(1).subscribe({ next: (e) => seen.push(e), complete: resolve }),
    );
    await resumed.result;
    await done;
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_e, i) => i + 1));
    expect(seen.at(-1)?.type).toBe("workflow.succeeded");
    expect(seen.filter((e) => e.type === "step.started" && e.step === "b").map((e) => e.attempt)).toEqual([1, 2]);
    gate.resolve();
    await store.close();
  });

  it("resumes a rollback: every completed step is compensated once, newest first", async () => {
    const store = open();
    const log: string[] = [];
    const gate = deferred();
    const first = createEngine({ workflows: [chain(log, { open: false, wait: gate.promise })], store, owner: "one" });
    const run = first.start("chain", { n: 1, fail: true });
    run.result.catch(() => {});
    await until(() => log.length > 1);
    await first.close();
    const second = createEngine({ workflows: [chain(log, { open: true, wait: gate.promise })], store, owner: "two" });
    const [resumed] = await second.recover();
    const result = await resumed!.result;
    expect(result.status).toBe("failed");
    expect(result.compensation.compensated).toEqual(["b", "a"]);
    expect(log.filter((l) => l.startsWith("undo"))).toEqual(["undo b", "undo a"]);
    gate.resolve();
    await store.close();
  });

  it("a run journaled while stopping resumes into its rollback: the steps it waited for are cancelled", async () => {
    const store = open();
    const log: string[] = [];
    const hang = deferred();
    const wf = workflow("stopping", { abortGrace: 60_000 })
      .step("c", {
        outputs: ["v"],
        run: () => ({ v: 1 }),
        compensate: () => {
          log.push("undo c");
        },
      })
      .step("a", {
        inputs: ["v"],
        run: () => {
          throw new NonRetryableError("a fails");
        },
      })
      .step("b", {
        inputs: ["v"],
        // Ignores its abort: the run waits for it (its grace is long).
        run: () => hang.promise,
        compensate: () => {
          log.push("undo b");
        },
      });
    const first = createEngine({ workflows: [wf], store, owner: "one" });
    const run = first.start("stopping", {});
    run.result.catch(() => {});
    await until(() => first.getStatus(run.id)?.status === "stopping");
    await until(async () => (await store.get(run.id))?.status === "stopping");
    await first.close();
    const second = createEngine({ workflows: [wf], store, owner: "two" });
    const [resumed] = await second.recover();
    const result = await resumed!.result;
    expect(result.status).toBe("failed");
    expect(result.steps.b?.status).toBe("cancelled");
    expect(result.compensation.compensated).toEqual(["c"]);
    expect(log).toEqual(["undo c"]);
    hang.resolve();
    await store.close();
  });

  it("an idempotency key the store holds returns that execution instead of starting another", async () => {
    const store = open();
    const log: string[] = [];
    const wf = chain(log, { open: true, wait: Promise.resolve() });
    const engine = createEngine({ workflows: [wf], store });
    const one = engine.start("chain", { n: 1, fail: false }, { idempotencyKey: "order-42" });
    const same = engine.start("chain", { n: 1, fail: false }, { idempotencyKey: "order-42" });
    expect(same).toBe(one);
    const result = await one.result;
    // Another engine on the same store, after the first finished: the journaled result.
    const other = createEngine({ workflows: [wf], store });
    const again = other.start("chain", { n: 5, fail: false }, { idempotencyKey: "order-42" });
    expect(again.id).toBe(one.id);
    expect((await again.result).output).toEqual(result.output);
    expect(log.filter((l) => l === "a")).toHaveLength(1);
    expect((await store.list()).runs).toHaveLength(1);
    await store.close();
  });

  it("refuses to resume on another definition, with a typed error, and leaves the execution untouched", async () => {
    const store = open();
    const log: string[] = [];
    const gate = deferred();
    const first = createEngine({ workflows: [chain(log, { open: false, wait: gate.promise })], store, owner: "one" });
    const run = first.start("chain", { n: 1, fail: false });
    run.result.catch(() => {});
    await until(() => log.length > 1);
    await first.close();
    const before = await store.get(run.id);

    const missing = createEngine({
      workflows: [chain(log, { open: false, wait: gate.promise }, "2.0.0")],
      store,
      owner: "two",
    });
    await expect(missing.resume(run.id)).rejects.toBeInstanceOf(DefinitionMismatchError);
    expect(await missing.recover()).toEqual([]);
    const changed = workflow("chain").step("a", { outputs: ["x"], run: () => ({ x: 0 }) });
    const different = createEngine({ workflows: [changed], store, owner: "three" });
    const error = await different.resume(run.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DefinitionMismatchError);
    expect((error as DefinitionMismatchError).registeredHash).toMatch(/^[0-9a-f]{64}$/);
    expect(await store.get(run.id)).toEqual(before);
    await expect(different.resume("nope")).rejects.toBeInstanceOf(ExecutionNotFoundError);
    gate.resolve();
    await store.close();
  });

  it("refuses what the journal cannot record: outputs fail their step, input fails the run, with the path", async () => {
    const store = open();
    const wf = workflow("dated")
      .step("stamp", { outputs: ["report"], run: () => ({ report: { title: "t", createdAt: new Date(0) } }) })
      .step("after", { inputs: ["report"], run: () => {} });
    const engine = createEngine({ workflows: [wf], store });
    const result = await engine.execute("dated", {});
    expect(result.status).toBe("failed");
    expect(result.error).toBeInstanceOf(SerializationError);
    expect(result.error).toMatchObject({ step: "stamp", path: "output.report.createdAt", found: "a Date" });
    expect(result.steps.stamp?.attempts).toBe(1);
    const bad = await engine.execute("dated", { tags: new Set(["x"]) } as never);
    expect(bad.error).toBeInstanceOf(WorkflowInputError);
    expect(bad.error?.message).toContain("input.tags is a Set");
    expect(bad.steps.stamp?.status).toBe("pending");
    const huge = workflow("huge").step("dump", { outputs: ["blob"], run: () => ({ blob: "x".repeat(2_000) }) });
    const small = createEngine({ workflows: [huge], store, maxOutputBytes: 1_000 });
    const tooBig = await small.execute("huge", {});
    expect(tooBig.error).toBeInstanceOf(SerializationError);
    expect(tooBig.error?.message).toContain("output is 2.0 KiB of JSON, past the 1.0 KiB a journaled output may take");
    // Without a store nothing is journaled, and nothing is checked.
    expect((await createEngine().execute(wf, {})).status).toBe("succeeded");
    await store.close();
  });

  it("lists, filters and prunes executions", async () => {
    const store = open();
    const wf = chain([], { open: true, wait: Promise.resolve() });
    const engine = createEngine({ workflows: [wf], store });
    const ok = await engine.execute("chain", { n: 1, fail: false });
    const bad = await engine.execute("chain", { n: 1, fail: true });
    expect((await engine.runs.list({ status: "failed" })).runs.map((r) => r.executionId)).toEqual([bad.executionId]);
    expect((await engine.runs.list({ workflow: "chain" })).runs).toHaveLength(2);
    expect(await engine.runs.prune({ finishedBefore: Date.now() + 1 })).toBe(2);
    await expect(engine.runs.get(ok.executionId)).rejects.toBeInstanceOf(ExecutionNotFoundError);
    await store.close();
  });
});
