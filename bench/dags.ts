/**
 * DAG shapes shared by every runner. A DAG is described once, outside any timed
 * region, so each runner only pays for turning it into its own structures and
 * running it. Nodes are listed in a topological order (dependencies first).
 */

/** One step of a benchmark DAG. */
export interface DagNode {
  /** Position in `Dag.nodes`. */
  readonly index: number;
  readonly name: string;
  /** The single output the step returns: `{ [output]: index }`. */
  readonly output: string;
  /** Indices of the steps this one waits for (all smaller than `index`). */
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

/** A serialisable description of a DAG (sent to the worker that builds and runs it). */
export type DagSpec =
  /** `s0 → s1 → … → s(length-1)`. */
  | { readonly shape: "chain"; readonly length: number }
  /** One source, `width` steps that each depend on it, one sink that depends on all of them. */
  | { readonly shape: "fan-out"; readonly width: number }
  /**
   * `layers` layers of `width` steps; each step after the first layer depends on
   * `fanIn` distinct steps of the previous layer, drawn with mulberry32(`seed`). No sink.
   */
  | {
      readonly shape: "layered";
      readonly layers: number;
      readonly width: number;
      readonly fanIn: number;
      readonly seed: number;
    }
  /** `count` steps with no dependencies at all. */
  | { readonly shape: "independent"; readonly count: number };

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

/** mulberry32: a tiny seeded PRNG with uniform floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `count` distinct integers from [0, n), in ascending order (partial Fisher–Yates). */
function sample(random: () => number, n: number, count: number): number[] {
  if (count > n) throw new Error(`cannot draw ${count} distinct values from ${n}`);
  const pool = Array.from({ length: n }, (_, i) => i);
  for (let k = 0; k < count; k++) {
    const j = k + Math.floor(random() * (n - k));
    [pool[k], pool[j]] = [pool[j]!, pool[k]!];
  }
  return pool.slice(0, count).sort((a, b) => a - b);
}

function layered(layers: number, width: number, fanIn: number, seed: number): Dag {
  const random = mulberry32(seed);
  return makeDag(`layered-${layers}x${width}-k${fanIn}`, layers * width, (i) => {
    const layer = Math.floor(i / width);
    if (layer === 0) return [];
    const previous = (layer - 1) * width;
    return sample(random, width, fanIn).map((k) => previous + k);
  });
}

export function buildDag(spec: DagSpec): Dag {
  switch (spec.shape) {
    case "chain":
      return makeDag(`chain-${spec.length}`, spec.length, (i) => (i === 0 ? [] : [i - 1]));
    case "fan-out": {
      const sink = spec.width + 1;
      const middle = Array.from({ length: spec.width }, (_, k) => k + 1);
      return makeDag(`fan-out-${spec.width}`, spec.width + 2, (i) => (i === 0 ? [] : i === sink ? middle : [0]));
    }
    case "layered":
      return layered(spec.layers, spec.width, spec.fanIn, spec.seed);
    case "independent":
      return makeDag(`independent-${spec.count}`, spec.count, () => []);
  }
}

/** Steps in the DAG a spec describes. */
export function stepCount(spec: DagSpec): number {
  switch (spec.shape) {
    case "chain":
      return spec.length;
    case "fan-out":
      return spec.width + 2;
    case "layered":
      return spec.layers * spec.width;
    case "independent":
      return spec.count;
  }
}
