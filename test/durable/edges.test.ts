/**
 * Durable executions at their edges: keyed starts of interrupted or contended
 * executions, results nobody awaits, sub runs caught by a crash while their outer run
 * was stopping or rolling them back, and a journal whose end was written without its row.
 */
import { describe, expect, it } from "vitest";
import { createEngine, memoryStore, NonRetryableError, workflow } from "../../src/index.js";
import { deferred } from "../helpers.js";

const until = async (check: () => boolean | Promise<boolean>) => {
  for (let i = 0; i < 500 && !(await check()); i++) await new Promise((r) => setTimeout(r, 2));
};

function twoSteps(log: string[], gate: { open: boolean; wait: Promise<void> }) {
  return workflow("keyed")
    .step("a", {
      outputs: ["x"],
      run: () => {
        log.push("a");
        return { x: 1 };
      },
    })
    .step("b", {
      inputs: ["x"],
      run: async (_input, ctx) => {
        log.push(`b#${ctx.attempt}`);
        if (!gate.open) await gate.wait;
      },
    });
}

describe("durable executions at their edges", () => {
  it("a keyed start of an interrupted execution resumes it", async () => {
    const store = memoryStore();
    const log: string[] = [];
    const gate = deferred();
    const first = createEngine({
      workflows: [twoSteps(log, { open: false, wait: gate.promise })],
      store,
      owner: "one",
    });
    const run = first.start("keyed", {}, { idempotencyKey: "order-7" });
    await until(() => log.includes("b#1"));
    await first.close();
    const second = createEngine({
      workflows: [twoSteps(log, { open: true, wait: gate.promise })],
      store,
      owner: "two",
    });
    const again = second.start("keyed", {}, { idempotencyKey: "order-7" });
    expect(again.id).toBe(run.id);
    expect((await again.result).status).toBe("succeeded");
    expect(log).toEqual(["a", "b#1", "b#2"]);
    expect((await store.get(run.id))?.owner).toBe("two");
    gate.resolve();
  });

  it("two engines starting one key at once run it once; the other follows", async () => {
    const store = memoryStore();
    const log: string[] = [];
    const open = { open: true, wait: Promise.resolve() };
    const engines = [0, 1].map(() => createEngine({ workflows: [twoSteps(log, open)], store }));
    const runs = engines.map((e) => e.start("keyed", {}, { idempotencyKey: "order-8" }));
    const results = await Promise.all(runs.map((r) => r.result));
    expect(results.map((r) => r.status)).toEqual(["succeeded", "succeeded"]);
    expect(log).toEqual(["a", "b#1"]);
    // With an id of its own and a key already used: the existing execution, too.
    const third = engines[0]!.start("keyed", {}, { idempotencyKey: "order-8", executionId: "mine" });
    expect((await third.result).executionId).toBe(runs[0]!.id);
    expect(log).toEqual(["a", "b#1"]);
  });

  it("a result nobody awaits does not crash the process when its lease is lost", async () => {
    const store = memoryStore();
    const gate = deferred();
    const wf = workflow("held").step("wait", { run: () => gate.promise });
    const engine = createEngine({ workflows: [wf], store, owner: "one" });
    engine.start("held", {}); // its result is never awaited
    await new Promise((r) => setTimeout(r, 10));
    await engine.close(); // rejects that result with a LeaseLostError: handled inside
    gate.resolve();
  });

  it("a sub run caught in flight while its outer run was stopping rolls back what it did", async () => {
    const store = memoryStore();
    const log: string[] = [];
    const hang = deferred();
    const build = (ready: boolean) => {
      const inner = workflow("inner", { abortGrace: 60_000 })
        .step("allocate", {
          outputs: ["volume"],
          run: () => {
            log.push("allocate");
            return { volume: "v" };
          },
          compensate: () => {
            log.push("free");
          },
        })
        .step("start", {
          inputs: ["volume"],
          run: async (_input, ctx) => {
            log.push(`start#${ctx.attempt}`);
            if (!ready) await hang.promise;
            else
              await new Promise((_r, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)));
          },
        });
      return workflow("outer", { abortGrace: 60_000 })
        .step("boom", {
          run: async () => {
            await new Promise((r) => setTimeout(r, 20));
            throw new NonRetryableError("boom");
          },
        })
        .step("database", { workflow: inner });
    };
    const first = createEngine({ workflows: [build(false)], store, owner: "one" });
    const run = first.start("outer", {});
    await until(async () => (await store.get(run.id))?.status === "stopping");
    await first.close();
    const second = createEngine({ workflows: [build(true)], store, owner: "two" });
    const [resumed] = await second.recover();
    const result = await resumed!.result;
    expect(result.status).toBe("failed");
    expect(log).toContain("free");
    expect(result.compensation.nested?.database?.compensated).toEqual(["allocate"]);
    hang.resolve();
  });

  it("a sub run's rollback cut off in the middle resumes: every step it did is undone", async () => {
    const store = memoryStore();
    const log: string[] = [];
    const hang = deferred();
    const build = (stuck: boolean) => {
      const inner = workflow("inner")
        .step("allocate", {
          outputs: ["volume"],
          run: () => ({ volume: "v" }),
          compensate: () => {
            log.push("free");
          },
        })
        .step("start", {
          inputs: ["volume"],
          run: () => {},
          compensate: async () => {
            log.push("stop");
            if (stuck) await hang.promise;
          },
        });
      return workflow("outer")
        .step("database", { outputs: [], workflow: inner })
        .step("deploy", {
          dependsOn: ["database"],
          run: () => {
            throw new NonRetryableError("deploy fails");
          },
        });
    };
    const first = createEngine({ workflows: [build(true)], store, owner: "one" });
    const run = first.start("outer", {});
    run.result.catch(() => {});
    await until(() => log.includes("stop"));
    await first.close();
    const second = createEngine({ workflows: [build(false)], store, owner: "two" });
    const [resumed] = await second.recover();
    const result = await resumed!.result;
    expect(result.status).toBe("failed");
    expect(result.steps.database?.status).toBe("compensated");
    expect(log.filter((l) => l === "free")).toHaveLength(1);
    expect(log[0]).toBe("stop");
    hang.resolve();
  });

  it("a journal that ends in its terminal event, under a row still running, is finished without running anything", async () => {
    const store = memoryStore();
    const wf = workflow("done").step("a", { run: () => {} });
    const { lease } = (await store.create(
      { executionId: "e1", workflow: "done", version: "1.0.0", definitionHash: "", startedAt: 1 },
      [
        { seq: 1, type: "workflow.started", at: 1, data: { input: {} } },
        { seq: 2, type: "workflow.failed", at: 2, data: { status: "failed" } },
      ],
      { owner: "gone", until: 0 },
    )) as { lease: { executionId: string } };
    expect(lease.executionId).toBe("e1");
    // Forge the hash the engine computes for this definition.
    const probe = createEngine({ workflows: [wf], store: memoryStore() });
    const hash = (await probe.execute(wf, {}).then((r) => probe.runs.get(r.executionId))).run.definitionHash;
    const forged = memoryStore();
    await forged.create(
      { executionId: "e1", workflow: "done", version: "1.0.0", definitionHash: hash, startedAt: 1 },
      [
        { seq: 1, type: "workflow.started", at: 1, data: { input: {} } },
        { seq: 2, type: "workflow.failed", at: 2, data: { status: "failed" } },
      ],
      { owner: "gone", until: 0 },
    );
    const engine = createEngine({ workflows: [wf], store: forged });
    const [resumed] = await engine.recover();
    expect((await resumed!.result).status).toBe("failed");
    expect((await forged.get("e1"))?.status).toBe("failed");
    expect((await forged.events("e1")).map((e) => e.seq)).toEqual([1, 2]);
  });
});
