/**
 * The ready steps, as a binary heap: the step with the longest remaining path goes
 * first (it bounds the makespan), ties to the earliest declared. O(log n) per push/pop.
 */
export class ReadyQueue {
  readonly #heap: number[] = [];
  readonly #rank: ArrayLike<number>;

  /** `rank[i]`: remaining-path length of step i. */
  constructor(rank: ArrayLike<number>) {
    this.#rank = rank;
  }

  get size(): number {
    return this.#heap.length;
  }

  peek(): number | undefined {
    return this.#heap[0];
  }

  push(step: number): void {
    const heap = this.#heap;
    heap.push(step);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  pop(): number | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let best = i;
      if (left < heap.length && this.#before(heap[left]!, heap[best]!)) best = left;
      if (right < heap.length && this.#before(heap[right]!, heap[best]!)) best = right;
      if (best === i) break;
      [heap[i], heap[best]] = [heap[best]!, heap[i]!];
      i = best;
    }
    return top;
  }

  /** Take step out (the top in O(log n); elsewhere, which only a rebuilt run may ask, in O(n)). */
  remove(step: number): boolean {
    const heap = this.#heap;
    if (heap[0] === step) {
      this.pop();
      return true;
    }
    const at = heap.indexOf(step);
    if (at === -1) return false;
    const rest = heap.filter((_, k) => k !== at);
    heap.length = 0;
    for (const s of rest) this.push(s);
    return true;
  }

  clear(): void {
    this.#heap.length = 0;
  }

  #before(a: number, b: number): boolean {
    const ra = this.#rank[a]!;
    const rb = this.#rank[b]!;
    return ra > rb || (ra === rb && a < b);
  }
}
