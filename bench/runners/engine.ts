/**
 * The engine. `compile` builds a workflow definition with explicit `dependsOn` edges;
 * its plan and machine are compiled on its first execution (and cached for the
 * definition), so a fresh compile per run times planning and compiling too.
 */

import { type AnyWorkflow, createEngine, plan, workflow } from "../../src/index.js";
import type { Dag } from "../dags.js";
import { outputOf, type ParallelLimit, type Runner, type StepFactory } from "./types.js";

function define(dag: Dag, steps: StepFactory, parallelLimit: ParallelLimit): AnyWorkflow {
  let wf: AnyWorkflow = workflow(dag.id, parallelLimit === undefined ? {} : { parallelLimit });
  for (const node of dag.nodes) {
    wf = wf.step(node.name, { dependsOn: node.depNames, outputs: [node.output], run: steps(node) });
  }
  return wf;
}

export function createRunner(): Runner {
  // One engine per series. historyLimit 1: the engine would otherwise keep the last
  // 1,000 finished executions' statuses alive across samples.
  const engine = createEngine({ historyLimit: 1 });
  return {
    name: "engine",
    compile(dag, steps, parallelLimit) {
      const wf = define(dag, steps, parallelLimit);
      return async () => {
        const result = await engine.execute(wf, {});
        if (result.status !== "succeeded") {
          throw new Error(`engine: ${dag.id} ended ${result.status}: ${result.error.message}`);
        }
      };
    },
    definePlan(dag) {
      const wf = define(dag, (node) => () => outputOf(node), undefined);
      return () => plan(wf).order.length;
    },
  };
}
