/**
 * Workflows whose steps run on executors in the tests: worker threads and BullMQ workers
 * import this module and look the steps up by name.
 */

import { appendFileSync } from "node:fs";
import { workflow } from "../../src/index.js";

/** Spin the CPU for `ms` (no sleeping: a worker thread is busy all along). */
export function spin(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x = (x * 31 + 7) % 1_000_003;
  return x;
}

export const threaded = workflow<{ n: number }>("threaded")
  .step("square", {
    executor: "threads",
    inputs: ["n"],
    outputs: ["square", "thread"],
    run: async ({ n }) => {
      const { threadId } = await import("node:worker_threads");
      return { square: n * n, thread: threadId };
    },
  })
  .step("describe", {
    executor: "threads",
    inputs: ["square"],
    outputs: ["text", "seen"],
    run: ({ square }, ctx) => ({
      text: `${ctx.workflow}@${ctx.version} ${ctx.step} #${ctx.attempt}: ${square}`,
      seen: { results: ctx.results.all(), key: ctx.idempotencyKey, metadata: ctx.metadata },
    }),
  });

/** A CPU-bound step that writes a heartbeat to `beat` every few ms, so that a test sees when it stopped. */
export const runaway = workflow<{ beat: string; ms: number }>("runaway").step("burn", {
  executor: "threads",
  inputs: ["beat", "ms"],
  outputs: ["done"],
  timeout: 200,
  run: ({ beat, ms }) => {
    const end = performance.now() + ms;
    let next = 0;
    while (performance.now() < end) {
      if (performance.now() >= next) {
        appendFileSync(beat, `${Date.now()}\n`);
        next = performance.now() + 5;
      }
    }
    return { done: true };
  },
});

/** Steps that misbehave in their worker: crash it, run it out of memory, return what cannot cross. */
export const hostile = workflow<{ how: string }>("hostile", { onError: "fail_fast" }).step("crash", {
  executor: "threads",
  inputs: ["how"],
  outputs: ["ok"],
  run: async ({ how }, ctx) => {
    if (how === "uncaught" && ctx.attempt === 1) {
      setTimeout(() => {
        throw new Error("a timer threw in the worker");
      });
      await new Promise(() => {});
    }
    if (how === "oom" && ctx.attempt === 1) {
      const hoard: number[][] = [];
      for (;;) hoard.push(Array.from({ length: 100_000 }, (_, i) => i));
    }
    if (how === "date") return { ok: new Date(0) };
    if (how === "throw") throw new Error(`it threw on attempt ${ctx.attempt}`);
    return { ok: `attempt ${ctx.attempt}` };
  },
  retry: { maxAttempts: 2, baseDelay: 1, jitter: false },
});

/** A step that waits for its signal and says how it saw it. */
export const patient = workflow("patient").step("wait", {
  executor: "threads",
  outputs: ["why"],
  run: (_input, ctx) =>
    new Promise<{ why: string }>((resolve) => {
      ctx.signal.addEventListener("abort", () => resolve({ why: `aborted: ${String(ctx.signal.reason?.message)}` }));
    }),
});

/** A step that never looks at its signal: only terminating its worker stops it. */
export const deaf = workflow<{ beat: string }>("deaf", { abortGrace: 50 }).step("spin", {
  executor: "threads",
  inputs: ["beat"],
  outputs: ["done"],
  run: ({ beat }) => {
    for (;;) {
      appendFileSync(beat, `${Date.now()}\n`);
      spin(5);
    }
  },
});

/** A step whose input cannot cross to a worker. */
export const mapped = workflow<{ lookup: Map<string, number> }>("mapped").step("read", {
  executor: "threads",
  inputs: ["lookup"],
  outputs: ["size"],
  run: ({ lookup }) => ({ size: lookup.size }),
});

/** Steps for BullMQ workers (executor "remote"): what ran where, and a step that waits to be aborted. */
export const relayed = workflow<{ a: number; b: number; ms?: number }>("relayed")
  .step("add", {
    executor: "remote",
    inputs: ["a", "b"],
    outputs: ["sum", "pid"],
    run: ({ a, b }, ctx) => ({ sum: a + b, pid: process.pid, key: ctx.idempotencyKey }),
  })
  .step("double", {
    executor: "remote",
    inputs: ["sum"],
    outputs: ["doubled", "pid2"],
    run: ({ sum }) => ({ doubled: sum * 2, pid2: process.pid }),
  });

/** A remote step that takes `ms` of CPU in slices (a worker killed mid-job leaves it stalled). */
export const slow = workflow<{ ms: number; log: string }>("slow").step("work", {
  executor: "remote",
  inputs: ["ms", "log"],
  outputs: ["pid", "attempt"],
  run: async ({ ms, log }, ctx) => {
    appendFileSync(log, `${process.pid} ${ctx.idempotencyKey} start\n`);
    const end = Date.now() + ms;
    while (Date.now() < end) {
      spin(5);
      await new Promise((r) => setImmediate(r));
    }
    appendFileSync(log, `${process.pid} ${ctx.idempotencyKey} end\n`);
    return { pid: process.pid, attempt: ctx.attempt };
  },
});

/** A remote step that runs until its signal aborts, and says so in `log`. */
export const listening = workflow<{ log: string }>("listening").step("wait", {
  executor: "remote",
  inputs: ["log"],
  outputs: ["never"],
  compensate: () => {},
  run: ({ log }, ctx) =>
    new Promise<{ never: boolean }>((_resolve, reject) => {
      appendFileSync(log, `${process.pid} started\n`);
      ctx.signal.addEventListener("abort", () => {
        appendFileSync(log, `${process.pid} aborted: ${String(ctx.signal.reason?.message ?? ctx.signal.reason)}\n`);
        reject(ctx.signal.reason);
      });
    }),
});
