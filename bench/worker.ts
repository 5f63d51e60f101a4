/**
 * Worker side of one series (see measure.ts): build the DAG, then time one warm-up
 * run and N measured runs of the runner, checking after each that every step was
 * handled. A full GC runs before each run so no run pays for the previous one's garbage.
 */

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parentPort, workerData } from "node:worker_threads";
import { buildDag } from "./dags.js";
import type { SeriesMessage, SeriesRequest } from "./measure.js";
import { runnerFor } from "./runners.js";

const port = parentPort;
if (port === null) throw new Error("bench/worker.ts runs only as a worker thread (see bench/measure.ts)");

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const post = (message: SeriesMessage): void => port.postMessage(message);

async function main(request: SeriesRequest): Promise<void> {
  const dag = buildDag(request.dag);
  const runner = runnerFor(request.runner);
  const expected = dag.nodes.length;
  post({ type: "start" });
  for (let run = 0; run <= request.runs; run++) {
    gc();
    const start = performance.now();
    const handled = await runner.run(dag);
    const ms = performance.now() - start;
    if (handled !== expected) {
      throw new Error(`${runner.name} handled ${handled} of the ${expected} steps of ${dag.id}`);
    }
    post({ type: "sample", warmup: run === 0, ms });
  }
  post({ type: "done" });
}

main(workerData as SeriesRequest).catch((error: unknown) => {
  post({ type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
});
