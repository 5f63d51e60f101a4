/**
 * The workflows of `bench/executors.ts`: each step names the executor "cpu", which the
 * benchmark maps to the engine's own process, a thread pool or a BullMQ queue. Worker
 * threads and `rubberduck worker` processes import this module.
 */

import { workflow } from "../src/index.js";

/** How long each W9 step computes, in ms of one core. */
export const W9_STEP_MS = 100;
export const W9_STEPS = 8;

/** Compute for `ms` (a busy loop: no sleeping, the core is used all along). */
export function spin(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x = (x * 31 + 7) % 1_000_003;
  return x;
}

/** W9: 8 independent CPU-bound steps of ~100 ms each. */
export const w9 = Array.from({ length: W9_STEPS }, (_, i) => i).reduce(
  (wf, i) =>
    wf.step(`cpu_${i + 1}`, {
      executor: "cpu",
      outputs: [`x_${i + 1}`],
      run: () => ({ [`x_${i + 1}`]: spin(W9_STEP_MS) }),
    }),
  workflow("w9", { parallelLimit: Number.POSITIVE_INFINITY }) as ReturnType<typeof workflow>,
);

/** One trivial step: the dispatch cost alone. */
export const trivial = workflow<{ n: number }>("trivial").step("echo", {
  executor: "cpu",
  inputs: ["n"],
  outputs: ["n2"],
  run: ({ n }) => ({ n2: n }),
});

/** A CPU-bound step past its 200 ms timeout, writing a heartbeat to `beat` every 2 ms. */
export const runaway = workflow<{ beat: string }>("runaway").step("burn", {
  executor: "cpu",
  inputs: ["beat"],
  outputs: ["never"],
  timeout: 200,
  run: async ({ beat }) => {
    const { appendFileSync } = await import("node:fs");
    for (;;) {
      appendFileSync(beat, `${Date.now()}\n`);
      spin(2);
    }
  },
});
