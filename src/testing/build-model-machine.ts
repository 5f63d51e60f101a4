/**
 * Builds the model machine with XState's full types. Internal: the public type of a
 * model machine is `ModelMachine` (model-machine.ts), which does not depend on the
 * type parameters of XState's StateMachine class (they change between 5.x releases).
 */

import { assign, setup } from "xstate";
import { applyEvent, initialState, isEnabled, type ModelState } from "./model.js";
import type { ModelConfig } from "./model-config.js";
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
