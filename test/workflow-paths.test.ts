/**
 * Every state of the workflow actor that waits (validating its input, running,
 * stopping, compensating) × every event that can interrupt it (CANCEL, the workflow
 * timeout, an input verdict, a second CANCEL): the run always reaches a final state,
 * with one terminal event, its last. See the reasoning in workflow.machine.ts.
 */
import { describe, expect, it, vi } from "vitest";
import {
  type AnyWorkflow,
  createEngine,
  type StandardSchemaV1,
  type WorkflowEvent,
  type WorkflowStatus,
  workflow,
} from "../src/index.js";
import { settle, useFakeClock } from "./helpers.js";

useFakeClock();

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Accepts (or rejects) any object after 30 ms. */
const slowSchema = (accept: boolean): StandardSchemaV1<Record<string, unknown>> => ({
  "~standard": {
    version: 1,
    vendor: "test",
    validate: (value) =>
      sleep(30).then(() =>
        accept ? { value: value as Record<string, unknown> } : { issues: [{ message: "rejected" }] },
      ),
  },
});

type State = "validating" | "running" | "stopping" | "compensating";
type Interruption = "cancel" | "timeout" | "valid input" | "invalid input" | "cancel twice";

/** A workflow that is in `state` from t = 9 ms on; `timeout`: the workflow timeout fires at 10 ms. */
function inState(state: State, interruption: Interruption): AnyWorkflow {
  const timeout = interruption === "timeout" ? { timeout: 10 } : {};
  switch (state) {
    case "validating":
      return workflow("validating", { input: slowSchema(interruption !== "invalid input"), ...timeout }).step("s", {
        outputs: ["v"],
        run: () => ({ v: 1 }),
      });
    case "running":
      return workflow("running", timeout).step("s", {
        outputs: ["v"],
        run: (_i, ctx) =>
          new Promise<{ v: number }>((resolve, reject) => {
            setTimeout(() => resolve({ v: 1 }), 50);
            ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
          }),
      });
    case "stopping":
      // `a` fails at 5 ms; `b` ignores its abort and succeeds at 40 ms, within the grace.
      return workflow("stopping", { abortGrace: 1_000, ...timeout })
        .step("a", {
          run: async () => {
            await sleep(5);
            throw new Error("a failed");
          },
        })
        .step("b", { outputs: ["v"], run: () => sleep(40).then(() => ({ v: 1 })), compensate: () => {} });
    case "compensating":
      // `b` fails at once; `a`'s compensation takes 40 ms and honours its signal late.
      return workflow("compensating", { abortGrace: 1_000, ...timeout })
        .step("a", { outputs: ["v"], run: () => ({ v: 1 }), compensate: () => sleep(40) })
        .step("b", {
          inputs: ["v"],
          run: () => {
            throw new Error("b failed");
          },
        });
  }
}

const expected: Record<State, Record<Interruption, WorkflowStatus>> = {
  validating: {
    cancel: "cancelled",
    timeout: "timed_out",
    "valid input": "succeeded",
    "invalid input": "failed",
    "cancel twice": "cancelled",
  },
  running: {
    cancel: "cancelled",
    timeout: "timed_out",
    "valid input": "succeeded",
    "invalid input": "succeeded",
    "cancel twice": "cancelled",
  },
  // The first cause decides: these runs had already failed.
  stopping: {
    cancel: "failed",
    timeout: "failed",
    "valid input": "failed",
    "invalid input": "failed",
    "cancel twice": "failed",
  },
  compensating: {
    cancel: "failed",
    timeout: "failed",
    "valid input": "failed",
    "invalid input": "failed",
    "cancel twice": "failed",
  },
};

describe("every waiting state of the workflow actor × every interruption", () => {
  for (const state of Object.keys(expected) as State[]) {
    for (const interruption of Object.keys(expected[state]) as Interruption[]) {
      it(`${state} × ${interruption} ends ${expected[state][interruption]}`, async () => {
        const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
        const run = createEngine().start(inState(state, interruption), {});
        const events: WorkflowEvent[] = [];
        run.events.subscribe((e) => events.push(e));
        await vi.advanceTimersByTimeAsync(9);
        expect(run.status().status).toBe(state === "validating" ? "running" : state);
        if (interruption === "cancel" || interruption === "cancel twice") run.cancel("test");
        if (interruption === "cancel twice") run.cancel("again");
        if (state !== "validating" && interruption.endsWith("input")) {
          // A verdict nobody awaits (sent to the actor directly) changes nothing.
          run.actor.send({ type: "INPUT.INVALID", error: new Error("stray") } as never);
        }
        const result = await settle(run.result, 5);
        await vi.advanceTimersByTimeAsync(1_000);
        expect(result.status).toBe(expected[state][interruption]);
        const terminal = events.filter(
          (e) => e.type.startsWith("workflow.") && e.type !== "workflow.started" && e.type !== "workflow.interrupted",
        );
        expect(terminal.map((e) => e.type)).toEqual([`workflow.${result.status}`]);
        expect(events.at(-1)).toBe(terminal[0]);
        expect(warn).not.toHaveBeenCalled();
        warn.mockRestore();
      });
    }
  }
});
