/**
 * A plain Promise graph, always unbounded: each step's promise waits for
 * `Promise.all` of its dependencies' promises, then runs the step. Its planner, for
 * comparison, is a name index plus Kahn's topological sort.
 */

import type { Dag } from "../dags.js";
import type { Runner, StepOutput } from "./types.js";

/** Kahn's algorithm over a name → dependency names map; returns how many steps it ordered. */
function topologicalSort(definition: ReadonlyMap<string, readonly string[]>): number {
  const names = [...definition.keys()];
  const indexOf = new Map<string, number>(names.map((name, i) => [name, i]));
  const waiting = new Int32Array(names.length);
  const dependents: number[][] = names.map(() => []);
  for (const [i, name] of names.entries()) {
    for (const dep of definition.get(name)!) {
      const d = indexOf.get(dep);
      if (d === undefined) throw new Error(`plain planner: ${name} depends on unknown step ${dep}`);
      dependents[d]!.push(i);
      waiting[i]!++;
    }
  }
  const order: number[] = [];
  for (let i = 0; i < names.length; i++) if (waiting[i] === 0) order.push(i);
  for (let head = 0; head < order.length; head++) {
    for (const d of dependents[order[head]!]!) if (--waiting[d]! === 0) order.push(d);
  }
  if (order.length !== names.length) throw new Error("plain planner: cycle");
  return order.length;
}

export function createRunner(): Runner {
  return {
    name: "plain",
    compile(dag: Dag, steps) {
      const bodies = dag.nodes.map(steps);
      const deps = dag.nodes.map((node) => node.deps);
      return async () => {
        // `dag.nodes` is in topological order: every dependency's promise exists already.
        const promises: Promise<StepOutput>[] = [];
        for (let i = 0; i < bodies.length; i++) {
          const body = bodies[i]!;
          promises.push(Promise.all(deps[i]!.map((d) => promises[d]!)).then(() => body()));
        }
        await Promise.all(promises);
      };
    },
    definePlan(dag) {
      const definition = new Map<string, readonly string[]>();
      for (const node of dag.nodes) definition.set(node.name, node.depNames);
      return () => topologicalSort(definition);
    },
  };
}
