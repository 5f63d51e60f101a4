/**
 * DAG shapes shared by every runner. A DAG is described once, outside any timed
 * region, so each runner only pays for turning it into its own structures and
 * running it.
 */

/** One step of a benchmark DAG. */
export interface DagNode {
  /** Position in `Dag.nodes` (a topological order: dependencies come first). */
  readonly index: number;
  readonly name: string;
  /** The single output the step returns: `{ [output]: index }`. */
  readonly output: string;
  /** Indices of the steps this one waits for. */
  readonly deps: readonly number[];
  /** Names of the steps this one waits for (same order as `deps`). */
  readonly depNames: readonly string[];
}

export interface Dag {
  /** Short stable identifier, e.g. `chain-1000`. */
  readonly id: string;
  readonly nodes: readonly DagNode[];
  /** Number of dependency edges. */
  readonly edges: number;
}

const stepName = (i: number): string => `s${i}`;

function makeDag(id: string, size: number, depsOf: (i: number) => readonly number[]): Dag {
  const nodes: DagNode[] = [];
  let edges = 0;
  for (let i = 0; i < size; i++) {
    const deps = depsOf(i);
    edges += deps.length;
    nodes.push({ index: i, name: stepName(i), output: `o${i}`, deps, depNames: deps.map(stepName) });
  }
  return { id, nodes, edges };
}

/** `s0 → s1 → … → s(length-1)`. */
export function chain(length: number): Dag {
  return makeDag(`chain-${length}`, length, (i) => (i === 0 ? [] : [i - 1]));
}

/** One source, `width` independent steps that each depend on it, one sink that depends on all of them. */
export function fanOut(width: number): Dag {
  const sink = width + 1;
  const middle = Array.from({ length: width }, (_, k) => k + 1);
  return makeDag(`fan-out-${width}`, width + 2, (i) => (i === 0 ? [] : i === sink ? middle : [0]));
}

/** A serialisable description of a DAG (sent to the worker that builds and runs it). */
export interface DagSpec {
  readonly shape: "chain" | "fan-out";
  /** Chain length, or fan-out width (the DAG then has `size + 2` steps). */
  readonly size: number;
}

export function buildDag(spec: DagSpec): Dag {
  return spec.shape === "chain" ? chain(spec.size) : fanOut(spec.size);
}

/** Steps in the DAG a spec describes. */
export function stepCount(spec: DagSpec): number {
  return spec.shape === "chain" ? spec.size : spec.size + 2;
}
