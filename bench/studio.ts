/**
 * Benchmark of the studio's cost on the engine's process, over its HTTP API, each figure
 * against `engine.runs.get` of the same execution (the journal read it starts from) in the
 * same run:
 *
 * - the run page's JSON (`GET /api/executions/:id`: the journal, the DAG laid out, the
 *   timeline, every step's input and output) of a finished chain of 10, 100 and 300
 *   steps, on a SQLite store;
 * - the list (`GET /api/executions`, 50 rows) against `engine.runs.list`;
 * - how soon a page hears of a change (an execution started by the studio's own engine,
 *   then one by another engine on the same file, tailed every 500 ms): from `start` to the
 *   `changed` message on `/api/live`.
 *
 * Medians of 15 requests (5 for the 300-step page) after a warm-up.
 *
 *   npx tsx bench/studio.ts
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AnyWorkflow, createEngine, sqliteStore, workflow } from "../src/index.js";
import { startStudio } from "../src/studio/index.js";
import { median } from "./estimate.js";

const chain = (n: number): AnyWorkflow => {
  let wf: AnyWorkflow = workflow(`chain_${n}`).step("s0", { outputs: ["v0"], run: () => ({ v0: 0 }) });
  for (let i = 1; i < n; i++) {
    wf = wf.step(`s${i}`, {
      inputs: [`v${i - 1}`],
      outputs: [`v${i}`],
      run: (input: Record<string, number>) => ({ [`v${i}`]: input[`v${i - 1}`]! + 1 }),
    });
  }
  return wf;
};

const timed = async (f: () => Promise<unknown>, runs: number) => {
  await f();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    samples.push(performance.now() - t);
  }
  return median(samples);
};

const ms = (n: number) => `${n.toFixed(1)} ms`;

const dir = mkdtempSync(join(tmpdir(), "rd-bench-studio-"));
const file = join(dir, "runs.db");
const store = sqliteStore(file);
const sizes = [10, 100, 300];
const workflows = sizes.map(chain);
const engine = createEngine({ workflows, store });
const studio = await startStudio({ engine, port: 0 });
const base = studio.url.replace(/\/$/, "");
const get = (path: string) => fetch(`${base}${path}`).then((r) => r.json());

try {
  console.log("Studio, on a SQLite store (medians; against the engine's own read of the same data)\n");
  for (const [i, n] of sizes.entries()) {
    const { executionId } = await engine.execute(workflows[i]!, {});
    const page = await timed(() => get(`/api/executions/${executionId}`), n === 300 ? 5 : 15);
    const read = await timed(() => engine.runs.get(executionId), 15);
    console.log(
      `run page, ${String(n).padStart(3)} steps: ${ms(page)} (runs.get: ${ms(read)}; ${(page / read).toFixed(1)}×)`,
    );
  }
  for (let i = 0; i < 60; i++) await engine.execute(workflows[0]!, {});
  const list = await timed(() => get("/api/executions"), 15);
  const rows = await timed(() => engine.runs.list({ limit: 50 }), 15);
  console.log(`list, 50 rows: ${ms(list)} (runs.list: ${ms(rows)}; ${(list / rows).toFixed(1)}×)`);

  // How soon an open page hears of a change.
  const controller = new AbortController();
  const response = await fetch(`${base}/api/live`, { signal: controller.signal });
  const reader = response.body!.getReader();
  let text = "";
  const heard = async (id: string) => {
    while (!text.includes(id)) text += new TextDecoder().decode((await reader.read()).value);
  };
  await heard("hello");
  const latency = async (start: () => string) => {
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await heard(start());
      samples.push(performance.now() - t);
    }
    return median(samples);
  };
  const own = await latency(() => engine.start(workflows[0]!, {}).id);
  const otherStore = sqliteStore(file);
  const other = createEngine({ workflows, store: otherStore });
  const foreign = await latency(() => other.start(workflows[0]!, {}).id);
  console.log(
    `live: the studio's own engine ${ms(own)}; another engine on the file ${ms(foreign)} (tail every 500 ms)`,
  );
  controller.abort();
  await other.close();
  await otherStore.close();
} finally {
  await studio.close();
  await engine.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
