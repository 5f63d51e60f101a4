/**
 * Index-based graph algorithms over `deps[i]` (what step i waits for) and
 * `dependents[i]` (what waits for step i). All linear in steps + edges.
 */

export interface GraphFacts {
  /** Topological order; shorter than n when there are cycles. */
  readonly order: number[];
  readonly depth: Int32Array;
  /** Steps on the longest path from i to a sink, i included. */
  readonly remaining: Int32Array;
}

/** Kahn's algorithm, ties in declaration order, plus depth and remaining-path lengths. */
export function analyse(deps: readonly (readonly number[])[], dependents: readonly (readonly number[])[]): GraphFacts {
  const n = deps.length;
  const waiting = new Int32Array(n);
  const depth = new Int32Array(n);
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    waiting[i] = deps[i]?.length ?? 0;
    if (waiting[i] === 0) order.push(i);
  }
  for (let head = 0; head < order.length; head++) {
    const i = order[head] as number;
    for (const d of dependents[i] as readonly number[]) {
      if ((depth[d] as number) < (depth[i] as number) + 1) depth[d] = (depth[i] as number) + 1;
      waiting[d] = (waiting[d] as number) - 1;
      if (waiting[d] === 0) order.push(d);
    }
  }
  const remaining = new Int32Array(n);
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k] as number;
    let longest = 0;
    for (const d of dependents[i] as readonly number[]) {
      if ((remaining[d] as number) > longest) longest = remaining[d] as number;
    }
    remaining[i] = longest + 1;
  }
  return { order, depth, remaining };
}

/**
 * Cycles among the steps a topological sort could not place. Each cycle is given
 * in dependency direction, closed: `[a, b, a]` means a waits for b, which waits for a.
 */
export function findCycles(deps: readonly (readonly number[])[], placed: readonly number[]): number[][] {
  const n = deps.length;
  const stuck = new Uint8Array(n).fill(1);
  for (const i of placed) stuck[i] = 0;
  const visited = new Uint8Array(n);
  const cycles: number[][] = [];
  for (let start = 0; start < n; start++) {
    if (!stuck[start] || visited[start]) continue;
    const path: number[] = [];
    const onPath = new Map<number, number>();
    let node: number | undefined = start;
    while (node !== undefined && !visited[node]) {
      visited[node] = 1;
      onPath.set(node, path.length);
      path.push(node);
      node = (deps[node] as readonly number[]).find((d) => stuck[d]);
      if (node !== undefined && onPath.has(node)) {
        const cycle = path.slice(onPath.get(node));
        cycle.push(node);
        cycles.push(cycle);
        break;
      }
    }
  }
  return cycles;
}

/** The longest chain from a source to a sink, as indices (ties to the earliest declared). */
export function criticalPath(
  order: readonly number[],
  deps: readonly (readonly number[])[],
  dependents: readonly (readonly number[])[],
  remaining: Int32Array,
): number[] {
  let best = -1;
  for (const i of order) {
    if ((deps[i] as readonly number[]).length > 0) continue;
    if (
      best === -1 ||
      (remaining[i] as number) > (remaining[best] as number) ||
      ((remaining[i] as number) === (remaining[best] as number) && i < best)
    )
      best = i;
  }
  const path: number[] = [];
  for (let node = best; node !== -1; ) {
    path.push(node);
    let next = -1;
    for (const d of dependents[node] as readonly number[]) {
      if (
        next === -1 ||
        (remaining[d] as number) > (remaining[next] as number) ||
        ((remaining[d] as number) === (remaining[next] as number) && d < next)
      )
        next = d;
    }
    node = next;
  }
  return path;
}
