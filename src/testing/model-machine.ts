/**
 * The abstract model as an XState machine: plain states and events, no invoke and
 * no delays, so @xstate/graph can walk it (and the Stately inspector can show it).
 * Its context is the model state; each event applies one step outcome.
 */

import { assign, setup } from "xstate";
import type { AnyWorkflow } from "../index.js";
import { applyEvent, initialState, isEnabled, type ModelState } from "./model.js";
import { type ModelConfig, type ModelOptions, modelConfig } from "./model-config.js";
import type { ModelEvent } from "./outcomes.js";

/**
 * The model machine of a model configuration (see {@link createModelMachine}).
 *
 * @example
 * const config = modelConfig(wf);
 * getShortestPaths(machineOf(config), { events: (s) => enabledEvents(config, s.context) });
 */
export function machineOf(config: ModelConfig) {
  return setup({
    types: { context: {} as ModelState, events: {} as ModelEvent },
    guards: {
      enabled: ({ context, event }) => isEnabled(config, context, event),
      stopping: ({ context }) => context.phase === "stopping",
      compensating: ({ context }) => context.phase === "compensating",
      done: ({ context }) => context.phase === "done",
    },
    actions: {
      apply: assign(({ context, event }) => applyEvent(config, context, event)),
    },
  }).createMachine({
    id: `${config.plan.workflow}.model`,
    context: () => initialState(config),
    initial: "running",
    states: {
      running: {
        always: [
          { guard: "stopping", target: "stopping" },
          { guard: "compensating", target: "compensating" },
          { guard: "done", target: "done" },
        ],
        on: {
          STEP: { guard: "enabled", actions: "apply" },
          CANCEL: { guard: "enabled", actions: "apply" },
        },
      },
      stopping: {
        always: [
          { guard: "compensating", target: "compensating" },
          { guard: "done", target: "done" },
        ],
        on: { STEP: { guard: "enabled", actions: "apply" } },
      },
      compensating: {
        always: { guard: "done", target: "done" },
        on: { COMPENSATE: { guard: "enabled", actions: "apply" } },
      },
      done: { type: "final" },
    },
  });
}

/**
 * The model machine of a workflow: its context is the abstract state of an execution
 * (each step's status and scripted outcome), its events are step outcomes
 * (`{ type: "STEP", step, outcome }`) and compensation outcomes
 * (`{ type: "COMPENSATE", step, outcome }`). `generatePaths` walks it; you can also
 * run it with `createActor`, or open it in the Stately inspector.
 *
 * @example
 * const model = createModelMachine(codegen);
 * const actor = createActor(model).start();
 * actor.send({ type: "STEP", step: "reserve_resources", outcome: "fails" });
 * actor.getSnapshot().status; // "done"
 */
export function createModelMachine(wf: AnyWorkflow, options: ModelOptions = {}): ModelMachine {
  return machineOf(modelConfig(wf, options));
}

/**
 * The type of a model machine.
 *
 * @example
 * const model: ModelMachine = createModelMachine(wf);
 */
export type ModelMachine = ReturnType<typeof machineOf>;
