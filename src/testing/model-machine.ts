/**
 * The abstract model as an XState machine: plain states and events, no invoke and
 * no delays, so @xstate/graph can walk it (and the Stately inspector can show it).
 * Its context is the model state; each event applies one step outcome.
 */

import type { ActorLogic, ActorSystem, EventObject, Snapshot } from "xstate";
import type { AnyWorkflow } from "../index.js";
import { machineOf } from "./build-model-machine.js";
import type { ModelState } from "./model.js";
import { type ModelOptions, modelConfig } from "./model-config.js";
import type { ModelEvent } from "./outcomes.js";

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
  return machineOf(modelConfig(wf, options)) as unknown as ModelMachine;
}

/**
 * The type of a model machine.
 *
 * @example
 * const model: ModelMachine = createModelMachine(wf);
 */
export type ModelMachine = ActorLogic<ModelSnapshot, ModelEvent, undefined, ActorSystem<any>, EventObject>;

/**
 * A model machine's snapshot: its context is the model state.
 *
 * @example
 * createActor(createModelMachine(wf)).start().getSnapshot().context.inFlight;
 */
export type ModelSnapshot = Snapshot<undefined> & { readonly context: ModelState; readonly value: unknown };
