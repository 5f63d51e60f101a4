/**
 * Measuring one series (one runner on one DAG: a warm-up run, then N timed runs).
 *
 * Each series runs in its own worker thread of this process. Besides giving every
 * runner a fresh heap, this is what lets a series be stopped at its time budget:
 * an engine execution never yields to the event loop, so no timer or AbortSignal
 * can interrupt it in the thread that runs it, but the main thread can terminate
 * the worker.
 */

import { Worker } from "node:worker_threads";
import type { DagSpec } from "./dags.js";
import type { RunnerSpec } from "./runners.js";

export interface SeriesRequest {
  readonly dag: DagSpec;
  readonly runner: RunnerSpec;
  /** Timed runs, after one discarded warm-up run. */
  readonly runs: number;
}

/** What the worker posts back: `start` before the first run, one `sample` per run, then `done` (or `error`). */
export type SeriesMessage =
  | { readonly type: "start" }
  | { readonly type: "sample"; readonly warmup: boolean; readonly ms: number }
  | { readonly type: "done" }
  | { readonly type: "error"; readonly message: string };

export type SeriesResult =
  | {
      readonly status: "ok";
      readonly medianMs: number;
      readonly samplesMs: readonly number[];
      readonly warmupMs: number;
    }
  | {
      readonly status: "timeout";
      readonly budgetMs: number;
      /** Runs that did finish before the budget ran out (the warm-up included). */
      readonly finishedMs: readonly number[];
      /** How long the run in progress had been running when the budget ran out. */
      readonly unfinishedAfterMs: number;
    }
  | { readonly status: "failed"; readonly message: string };

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

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
    const finished: number[] = [];
    let warmupMs = Number.NaN;
    /** When the run in progress started (as seen from this thread); NaN before the worker is ready. */
    let runStartedAt = Number.NaN;
    let settled = false;
    const settle = (result: SeriesResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(result);
    };
    const timer = setTimeout(() => {
      const unfinishedAfterMs = Number.isNaN(runStartedAt) ? 0 : performance.now() - runStartedAt;
      settle({ status: "timeout", budgetMs, finishedMs: finished, unfinishedAfterMs });
    }, budgetMs);

    worker.on("message", (message: SeriesMessage) => {
      switch (message.type) {
        case "start":
          runStartedAt = performance.now();
          break;
        case "sample":
          runStartedAt = performance.now();
          finished.push(message.ms);
          if (message.warmup) warmupMs = message.ms;
          else samples.push(message.ms);
          break;
        case "done":
          if (samples.length !== request.runs) {
            settle({ status: "failed", message: `expected ${request.runs} samples, got ${samples.length}` });
          } else {
            settle({ status: "ok", medianMs: median(samples), samplesMs: samples, warmupMs });
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
