/**
 * p-graph v2: `new PGraph(nodes, edges)` builds its dependency sets, checks for
 * cycles and computes priorities; `run()` can be called any number of times.
 */

import { type DependencyList, PGraph, type PGraphNode } from "p-graph";
import type { Dag } from "../dags.js";
import { outputOf, type Runner, type StepFactory } from "./types.js";

interface PGraphInput {
  readonly nodes: Map<string, PGraphNode>;
  readonly edges: DependencyList;
}

/** p-graph's inputs: a Map of nodes and `[dependency, dependent]` edges. */
function inputOf(dag: Dag, steps: StepFactory): PGraphInput {
  const nodes = new Map<string, PGraphNode>();
  const edges: DependencyList = [];
  for (const node of dag.nodes) {
    nodes.set(node.name, { run: steps(node) });
    for (const dep of node.depNames) edges.push([dep, node.name]);
  }
  return { nodes, edges };
}

export function createRunner(): Runner {
  return {
    name: "p-graph",
    compile(dag, steps, parallelLimit) {
      const { nodes, edges } = inputOf(dag, steps);
      const graph = new PGraph(nodes, edges);
      const options =
        parallelLimit === undefined || !Number.isFinite(parallelLimit) ? undefined : { concurrency: parallelLimit };
      return () => graph.run(options);
    },
    definePlan(dag) {
      const { nodes, edges } = inputOf(dag, (node) => () => outputOf(node));
      return () => {
        new PGraph(nodes, edges);
        return nodes.size;
      };
    },
  };
}
