/**
 * Worker side of one series (see measure.ts): load the runner, then take one
 * warm-up sample and N measured ones, each after a full GC so no sample pays for
 * the previous one's garbage.
 */

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parentPort, workerData } from "node:worker_threads";
import type { SeriesMessage } from "./measure.js";
import { loadRunner } from "./runners/load.js";
import { samplerFor } from "./samplers.js";
import type { SeriesRequest } from "./task.js";

const port = parentPort;
if (port === null) throw new Error("bench/worker.ts runs only as a worker thread (see bench/measure.ts)");

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const post = (message: SeriesMessage): void => port.postMessage(message);

async function main(request: SeriesRequest): Promise<void> {
  const runner = await loadRunner(request.task.runner);
  const sample = samplerFor(request.task, runner, gc);
  post({ type: "start" });
  for (let run = 0; run <= request.runs; run++) {
    gc();
    post({ type: "sample", warmup: run === 0, value: await sample() });
  }
  post({ type: "done" });
}

main(workerData as SeriesRequest).catch((error: unknown) => {
  post({ type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
});
