import { describe, expect, it } from "vitest";
import { type AnyActorRef, createActor, type InspectionEvent, toPromise } from "xstate";
import { createEngine, RunRequest, toMachine, type WorkflowEvent, workflow } from "../src/index.js";

const transactional = workflow<{ amount: number }>("transfer", { onError: "compensate_all" })
  .step("debit", {
    inputs: ["amount"],
    outputs: ["debited"],
    run: ({ amount }) => ({ debited: amount }),
    compensate: () => {},
  })
  .step("flaky_notify", {
    inputs: ["debited"],
    outputs: ["notified"],
    retry: { maxAttempts: 2, baseDelay: 0, jitter: false },
    run: (_i, ctx) => {
      if (ctx.attempt === 1) throw new Error("try again");
      return { notified: true };
    },
  })
  .step("credit", {
    inputs: ["notified"],
    run: () => {
      throw new Error("account closed");
    },
  });

describe("toMachine", () => {
  it("runs without the engine: createActor(machine, { input }) ends with the WorkflowResult as output", async () => {
    const plain = createActor(toMachine(transactional), { input: { amount: 5 } }).start();
    expect((await toPromise(plain)).status).toBe("failed");

    const machine = toMachine(transactional);
    expect(toMachine(transactional)).toBe(machine);
    const events: WorkflowEvent[] = [];
    const actor = createActor(machine, { input: new RunRequest({ amount: 5 }, { onEvent: (e) => events.push(e) }) });
    actor.start();
    const result = await toPromise(actor);
    expect(result.status).toBe("failed");
    expect(result.error?.step).toBe("credit");
    expect(result.compensation.compensated).toEqual(["debit"]);
    expect(actor.getSnapshot().value).toBe("failed");
    expect(events.at(-1)?.type).toBe("workflow.failed");
    // No actor is left running: the final state stopped the workflow actor's children.
    for (const child of Object.values(actor.getSnapshot().children)) {
      expect(child?.getSnapshot().status).not.toBe("active");
    }
  });

  it("accepts per-execution settings in a RunRequest, and a CANCEL event", async () => {
    const gate = workflow("gate").step("wait", {
      run: (_i, ctx) =>
        new Promise((_r, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))),
    });
    const actor = createActor(toMachine(gate), { input: new RunRequest({}, { executionId: "exec-1", now: () => 42 }) });
    actor.start();
    actor.send({ type: "CANCEL", reason: "test" });
    const result = await toPromise(actor);
    expect([result.executionId, result.status, result.startedAt, result.finishedAt]).toEqual([
      "exec-1",
      "cancelled",
      42,
      42,
    ]);
  });
});

describe("inspection", () => {
  it("shows every step running as its own child actor, through its named states", async () => {
    const inspected: InspectionEvent[] = [];
    const engine = createEngine({ inspect: (e) => inspected.push(e) });
    const run = engine.start(transactional, { amount: 5 });
    await run.result;

    const statesOf = (actorId: string) => {
      const values: string[] = [];
      for (const e of inspected) {
        if ((e.actorRef as AnyActorRef).id !== actorId) continue;
        if (e.type === "@xstate.microstep" || e.type === "@xstate.snapshot") {
          const value = JSON.stringify((e.snapshot as unknown as { value: unknown }).value).replaceAll('"', "");
          if (values.at(-1) !== value) values.push(value);
        }
      }
      return values;
    };
    const actors = inspected.filter((e) => e.type === "@xstate.actor").map((e) => e.actorRef as AnyActorRef);
    const root = actors.find((a) => a.id === run.actor.id)!;
    const children = actors.filter((a) => a.id.startsWith("step:") || a.id.startsWith("compensate:"));
    expect(children.map((c) => c.id)).toEqual(["step:debit", "step:flaky_notify", "step:credit", "compensate:debit"]);
    for (const child of children) expect(child._parent).toBe(root);

    expect(statesOf("step:debit")).toEqual(["idle", "running", "succeeded"]);
    expect(statesOf("step:flaky_notify")).toEqual(["idle", "running", "retrying", "running", "succeeded"]);
    expect(statesOf("step:credit")).toEqual(["idle", "running", "failed"]);
    expect(statesOf("compensate:debit")).toEqual(["idle", "compensating", "compensated"]);
    expect(statesOf(run.actor.id)).toContain("compensating");
    expect(statesOf(run.actor.id).at(-1)).toBe("failed");
  });
});
