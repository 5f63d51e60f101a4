/**
 * What the Stately inspector gets, from `@statelyai/inspect`'s own `createInspector`:
 * each step actor carries its chart (`logic.config`, serialised as `definition`), a
 * machine config XState itself accepts, with every named state and transition of
 * `stepStates`; every snapshot's value is one of its states; and the actors have
 * readable names (the workflow and execution id, `step:<name>`, `compensate:<name>`).
 */
import { createInspector, type StatelyInspectionEvent } from "@statelyai/inspect";
import { describe, expect, it } from "vitest";
import { createMachine } from "xstate";
import { createEngine, StepError, stepStates, workflow } from "../src/index.js";

const flaky = () => {
  let calls = 0;
  return () => {
    calls++;
    if (calls === 1) throw new StepError("charge", "card network hiccup");
  };
};

async function inspectedRun() {
  const received: StatelyInspectionEvent[] = [];
  const inspector = createInspector({ send: (event) => received.push(event) });
  const wf = workflow("checkout")
    .step("reserve", { outputs: ["reservation"], run: () => ({ reservation: "r-1" }), compensate: () => {} })
    .step("charge", {
      inputs: ["reservation"],
      outputs: ["payment"],
      retry: { maxAttempts: 2, baseDelay: 1, jitter: false },
      run: async () => {
        charge();
        return { payment: "p-1" };
      },
      compensate: () => {},
    })
    .step("ship", {
      inputs: ["payment"],
      run: () => {
        throw new StepError("ship", "no courier");
      },
    });
  const charge = flaky();
  const result = await createEngine({ inspect: inspector.inspect }).execute(wf, {});
  // createInspector converts events when the process is idle.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { result, received };
}

describe("the Stately inspector's view of a run", () => {
  it("gets each step actor's chart, and its states by name", async () => {
    const { result, received } = await inspectedRun();
    expect(result.status).toBe("failed");
    expect(result.compensation.compensated).toEqual(["charge", "reserve"]);

    const actors = received.filter((e) => e.type === "@xstate.actor") as Extract<
      StatelyInspectionEvent,
      { type: "@xstate.actor" }
    >[];
    const stepActors = actors.filter((a) => /^(step|compensate):/.test(a.name));
    expect(stepActors.map((a) => a.name).sort()).toEqual(
      ["compensate:charge", "compensate:reserve", "step:charge", "step:reserve", "step:ship"].sort(),
    );

    const values = new Map<string, Set<string>>();
    for (const e of received) {
      if (e.type !== "@xstate.snapshot") continue;
      const value = (e.snapshot as { value?: unknown }).value;
      if (typeof value === "string")
        (values.get(e.sessionId) ?? values.set(e.sessionId, new Set()).get(e.sessionId)!).add(value);
    }

    for (const actor of stepActors) {
      const definition = JSON.parse(actor.definition!) as { id: string; initial: string; states: Record<string, any> };
      // The chart is a machine config XState accepts, with the named states of stepStates…
      const machine = createMachine(definition as never);
      expect(Object.keys(machine.root.states).sort()).toEqual(Object.keys(stepStates).sort());
      expect(definition.initial).toBe("idle");
      // …and exactly its transitions; the states with none are final.
      for (const [state, events] of Object.entries(stepStates)) {
        const node = definition.states[state];
        if (Object.keys(events).length === 0) expect(node).toEqual({ type: "final" });
        else
          expect(
            Object.fromEntries(
              Object.entries(node.on as Record<string, { target: string }[]>).map(([k, v]) => [
                k,
                v.map((t) => t.target),
              ]),
            ),
          ).toEqual(events);
      }
      // Each state the actor went through is one of the chart's.
      const seen = values.get(actor.sessionId) ?? new Set();
      expect(seen.size).toBeGreaterThan(0);
      for (const value of seen) expect(Object.keys(definition.states)).toContain(value);
    }

    // The states the run went through, by actor.
    const seenBy = (name: string) => [...(values.get(stepActors.find((a) => a.name === name)!.sessionId) ?? [])];
    expect(seenBy("step:charge")).toEqual(expect.arrayContaining(["running", "retrying", "succeeded"]));
    expect(seenBy("step:ship")).toEqual(expect.arrayContaining(["running", "failed"]));
    expect(seenBy("compensate:reserve")).toEqual(expect.arrayContaining(["compensating", "compensated"]));
  });

  it("names the workflow actor by its workflow and execution, and parents the step actors to it", async () => {
    const { result, received } = await inspectedRun();
    const actors = received.filter((e) => e.type === "@xstate.actor") as Extract<
      StatelyInspectionEvent,
      { type: "@xstate.actor" }
    >[];
    const root = actors.find((a) => a.name === `checkout:${result.executionId}`);
    expect(root).toBeDefined();
    // Its definition is the workflow machine's own config.
    expect(JSON.parse(root!.definition!).id).toBe("checkout");
    for (const a of actors.filter((a) => /^(step|compensate):/.test(a.name))) expect(a.parentId).toBe(root!.sessionId);
    // No actor is left with a generated name.
    expect(actors.filter((a) => /^x:\d+$/.test(a.name))).toEqual([]);
  });
});
