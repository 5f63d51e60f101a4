/**
 * Measuring one series in its own worker thread of this process. Besides giving
 * every series a fresh heap, this is what lets a series be stopped at its time
 * budget: an engine execution may not yield to the event loop for a long time, so
 * no timer or AbortSignal can interrupt it in the thread that runs it, but the main
 * thread can terminate the worker.
 */

import { Worker } from "node:worker_threads";
import { median } from "./estimate.js";
import type { SeriesRequest } from "./task.js";

/** What the worker posts back: `start` before the first sample, one `sample` each, then `done` (or `error`). */
export type SeriesMessage =
  | { readonly type: "start" }
  | { readonly type: "sample"; readonly warmup: boolean; readonly value: number }
  | { readonly type: "done" }
  | { readonly type: "error"; readonly message: string };

/** Samples are in the task's unit (see `unitOf`): ms, or bytes. */
export type SeriesResult =
  | {
      readonly status: "ok";
      readonly median: number;
      readonly samples: readonly number[];
      readonly warmup: number;
    }
  | {
      readonly status: "timeout";
      readonly budgetMs: number;
      /** The warm-up sample, if it finished. */
      readonly warmup: number | undefined;
      /** Timed samples that finished before the budget ran out. */
      readonly samples: readonly number[];
      /** How long the sample in progress had been running when the budget ran out. */
      readonly unfinishedAfterMs: number;
    }
  | { readonly status: "failed"; readonly message: string };

/** Worker code: register tsx's loader in the worker thread, then load the TypeScript worker module. */
function bootstrap(): string {
  const tsx = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./worker.ts", import.meta.url).href;
  return `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
}

/** Run one series in a fresh worker; give up (and terminate it) after `budgetMs`. */
export function measureSeries(request: SeriesRequest, budgetMs: number): Promise<SeriesResult> {
  return new Promise((resolve) => {
    const worker = new Worker(bootstrap(), { eval: true, workerData: request });
    const samples: number[] = [];
    let warmup: number | undefined;
    /** When the sample in progress started (as seen from this thread); NaN before the worker is ready. */
    let sampleStartedAt = Number.NaN;
    let settled = false;
    const settle = (result: SeriesResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(result);
    };
    const timer = setTimeout(() => {
      const unfinishedAfterMs = Number.isNaN(sampleStartedAt) ? 0 : performance.now() - sampleStartedAt;
      settle({ status: "timeout", budgetMs, warmup, samples, unfinishedAfterMs });
    }, budgetMs);

    worker.on("message", (message: SeriesMessage) => {
      switch (message.type) {
        case "start":
          sampleStartedAt = performance.now();
          break;
        case "sample":
          sampleStartedAt = performance.now();
          if (message.warmup) warmup = message.value;
          else samples.push(message.value);
          break;
        case "done":
          if (samples.length !== request.runs || warmup === undefined) {
            settle({ status: "failed", message: `expected ${request.runs} samples, got ${samples.length}` });
          } else {
            settle({ status: "ok", median: median(samples), samples, warmup });
          }
          break;
        case "error":
          settle({ status: "failed", message: message.message });
          break;
      }
    });
    worker.on("error", (error) => settle({ status: "failed", message: String(error) }));
    worker.on("exit", (code) => settle({ status: "failed", message: `worker exited early (code ${code})` }));
  });
}
