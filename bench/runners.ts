/**
 * The runners compared by the benchmark. Each one turns a Dag into its own
 * structures (the engine: a fresh workflow definition, so nothing is served from the
 * plan/machine caches) and runs or plans it, resolving to how many steps it handled
 * so the harness can check that none was missed.
 */

import { type DependencyList, PGraph, type PGraphNode } from "p-graph";
import { type AnyWorkflow, createEngine, plan, workflow } from "../src/index.js";
import type { Dag, DagNode } from "./dags.js";

export type RunnerName = "engine" | "plain" | "p-graph";

export interface Runner {
  readonly name: RunnerName;
  /** Build everything `dag` needs and run (or plan) it; resolves to the number of steps handled. */
  run(dag: Dag): Promise<number>;
}

/** What every step does: count itself and return a small object. */
type StepBody = () => Record<string, number>;

function stepBody(node: DagNode, counter: { ran: number }): StepBody {
  const { output, index } = node;
  return () => {
    counter.ran++;
    return { [output]: index };
  };
}

/** A fresh workflow definition for `dag`, with explicit `dependsOn` edges. */
function buildWorkflow(dag: Dag, parallelLimit: number, counter: { ran: number }): AnyWorkflow {
  let wf: AnyWorkflow = workflow(dag.id, { parallelLimit });
  for (const node of dag.nodes) {
    wf = wf.step(node.name, { dependsOn: node.depNames, outputs: [node.output], run: stepBody(node, counter) });
  }
  return wf;
}

/** p-graph's inputs for `dag`: a Map of nodes and `[dependency, dependent]` edges. */
function buildPGraph(dag: Dag, counter: { ran: number }): PGraph {
  const nodes = new Map<string, PGraphNode>();
  const edges: DependencyList = [];
  for (const node of dag.nodes) {
    nodes.set(node.name, { run: stepBody(node, counter) });
    for (const dep of node.depNames) edges.push([dep, node.name]);
  }
  return new PGraph(nodes, edges);
}

// ---------------------------------------------------------------------------------
// Execution

/** The engine: build a definition, then `engine.execute` (planning and compiling included). */
export function engineRunner(parallelLimit: number): Runner {
  // historyLimit 1: the engine would otherwise keep the last 1000 results alive across samples.
  const engine = createEngine({ historyLimit: 1 });
  return {
    name: "engine",
    async run(dag) {
      const counter = { ran: 0 };
      const result = await engine.execute(buildWorkflow(dag, parallelLimit, counter), {});
      if (result.status !== "succeeded") {
        throw new Error(`engine: ${dag.id} ended ${result.status}: ${result.error.message}`);
      }
      return counter.ran;
    },
  };
}

/**
 * A plain memoised Promise graph: each step is an async function that awaits
 * `Promise.all` of its dependencies' promises, then returns its small object.
 * Unbounded parallelism.
 */
export const plainRunner: Runner = {
  name: "plain",
  async run(dag) {
    const counter = { ran: 0 };
    const byName = new Map<string, DagNode>();
    for (const node of dag.nodes) byName.set(node.name, node);
    const memo = new Map<string, Promise<Record<string, number>>>();
    const promiseOf = (name: string): Promise<Record<string, number>> => {
      let promise = memo.get(name);
      if (promise === undefined) {
        const node = byName.get(name);
        if (node === undefined) throw new Error(`plain: unknown step ${name}`);
        const body = stepBody(node, counter);
        const deps = node.depNames.map(promiseOf);
        promise = (async () => {
          await Promise.all(deps);
          return body();
        })();
        memo.set(name, promise);
      }
      return promise;
    };
    // Declaration order is topological, so every dependency is already memoised.
    await Promise.all(dag.nodes.map((node) => promiseOf(node.name)));
    return counter.ran;
  },
};

/** p-graph v2: `new PGraph(nodes, edges).run()`; unbounded unless `concurrency` is given. */
export function pGraphRunner(concurrency: number | undefined): Runner {
  return {
    name: "p-graph",
    async run(dag) {
      const counter = { ran: 0 };
      await buildPGraph(dag, counter).run(concurrency === undefined ? undefined : { concurrency });
      return counter.ran;
    },
  };
}

// ---------------------------------------------------------------------------------
// Planning (nothing runs)

/** The engine's planner: build a definition, then `plan(wf)` (validation, order, groups, critical path). */
export const enginePlanner: Runner = {
  name: "engine",
  async run(dag) {
    const planned = plan(buildWorkflow(dag, 10, { ran: 0 }));
    return planned.order.length;
  },
};

/** A minimal planner for comparison: index steps by name, then Kahn's topological sort. */
export const plainPlanner: Runner = {
  name: "plain",
  async run(dag) {
    const n = dag.nodes.length;
    const indexOf = new Map<string, number>();
    for (const node of dag.nodes) indexOf.set(node.name, node.index);
    const waiting = new Int32Array(n);
    const dependents: number[][] = Array.from({ length: n }, () => []);
    for (const node of dag.nodes) {
      for (const dep of node.depNames) {
        const d = indexOf.get(dep);
        if (d === undefined) throw new Error(`plain planner: unknown step ${dep}`);
        dependents[d]!.push(node.index);
        waiting[node.index]!++;
      }
    }
    const order: number[] = [];
    for (let i = 0; i < n; i++) if (waiting[i] === 0) order.push(i);
    for (let head = 0; head < order.length; head++) {
      for (const d of dependents[order[head]!]!) if (--waiting[d]! === 0) order.push(d);
    }
    if (order.length !== n) throw new Error("plain planner: cycle");
    return order.length;
  },
};

/** p-graph's constructor: builds its dependency sets, checks for cycles, computes priorities. */
export const pGraphPlanner: Runner = {
  name: "p-graph",
  async run(dag) {
    buildPGraph(dag, { ran: 0 });
    return dag.nodes.length;
  },
};

// ---------------------------------------------------------------------------------

/** A serialisable choice of runner (sent to the worker that measures it). */
export interface RunnerSpec {
  readonly runner: RunnerName;
  readonly mode: "execute" | "plan";
  /** The engine's `parallelLimit`, and p-graph's `concurrency` (unbounded when infinite). */
  readonly parallelLimit: number;
}

export function runnerFor(spec: RunnerSpec): Runner {
  if (spec.mode === "plan") {
    return { engine: enginePlanner, plain: plainPlanner, "p-graph": pGraphPlanner }[spec.runner];
  }
  switch (spec.runner) {
    case "engine":
      return engineRunner(spec.parallelLimit);
    case "plain":
      return plainRunner;
    case "p-graph":
      return pGraphRunner(Number.isFinite(spec.parallelLimit) ? spec.parallelLimit : undefined);
  }
}
