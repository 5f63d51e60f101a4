/**
 * Benchmark of step executors, each figure beside the others of the same run:
 *
 * - W9, 8 independent CPU-bound steps of ~100 ms each: in the engine's process, on a
 *   thread pool (one thread per core), and as BullMQ jobs for 2 `rubberduck worker`
 *   processes (one job at a time each), against the ideal (total CPU / cores);
 * - dispatch: trivial steps per second, 200 executions in flight: in-process, on threads,
 *   and on BullMQ with 2 workers (64 jobs at a time each);
 * - the hard stop: how long after its deadline a CPU-bound step on a thread still ran.
 *
 * BullMQ needs Redis (RUBBERDUCK_BENCH_REDIS or RUBBERDUCK_TEST_REDIS; default
 * redis://127.0.0.1:6379); without it those rows are left out. Medians of 5 runs (3 with --quick).
 *
 *   npx tsx bench/executors.ts [--quick]
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { bullmqExecutor, connectionOf } from "../src/executors/bullmq.js";
import { threadExecutor } from "../src/executors/threads.js";
import { createEngine, type Executor, inProcessExecutor } from "../src/index.js";
import { median } from "./estimate.js";
import { runaway, trivial, W9_STEP_MS, W9_STEPS, w9 } from "./executor-workflows.js";

const quick = process.argv.includes("--quick");
const RUNS = quick ? 3 : 5;
const DISPATCH = quick ? 2_000 : 6_000;
const IN_FLIGHT = 200;
const CORES = availableParallelism();
const REDIS = process.env.RUBBERDUCK_BENCH_REDIS ?? process.env.RUBBERDUCK_TEST_REDIS ?? "redis://127.0.0.1:6379";
const MODULE = new URL("./executor-workflows.ts", import.meta.url);
const CLI = new URL("../bin/rubberduck.js", import.meta.url).pathname;
const children: ChildProcess[] = [];

async function redisUp(): Promise<boolean> {
  const queue = new Queue("rd-bench-probe", {
    connection: { ...(connectionOf(REDIS) as object), maxRetriesPerRequest: 0, retryStrategy: () => null },
  });
  queue.on("error", () => {});
  const up = await queue.waitUntilReady().then(
    () => true,
    () => false,
  );
  await queue.close().catch(() => {});
  return up;
}

/** A `rubberduck worker` process on `queue`, once it takes jobs. */
function worker(queue: string, concurrency: number): Promise<ChildProcess> {
  const proc = spawn(
    process.execPath,
    [CLI, "worker", MODULE.pathname, "--redis", REDIS, "--queue", queue, "-c", String(concurrency)],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  children.push(proc);
  let stderr = "";
  return new Promise((resolve, reject) => {
    proc.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes(`Worker ${proc.pid}:`)) resolve(proc);
    });
    proc.on("exit", (code) => reject(new Error(`worker exited (${code}): ${stderr}`)));
  });
}

async function w9Once(executor: Executor): Promise<number> {
  const engine = createEngine({ executors: { cpu: executor } });
  const started = performance.now();
  const result = await engine.execute(w9, {});
  const ms = performance.now() - started;
  if (result.status !== "succeeded") throw new Error(`w9: ${result.error?.message}`);
  return ms;
}

async function dispatchOnce(executor: Executor): Promise<number> {
  const engine = createEngine({ executors: { cpu: executor } });
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < DISPATCH) {
      const n = next++;
      const result = await engine.execute(trivial, { n });
      if (result.output.n2 !== n) throw new Error(`trivial: ${result.error?.message}`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return DISPATCH / ((performance.now() - started) / 1000);
}

/** How long after its deadline the step still wrote its heartbeat (ms), on `executor`. */
async function stopLatency(executor: Executor): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "rubberduck-bench-"));
  const beat = join(dir, "beat.txt");
  const engine = createEngine({ executors: { cpu: executor } });
  const run = engine.start(runaway, { beat });
  let deadline = 0;
  run.events.subscribe((e) => {
    if (e.type === "step.started") deadline = Date.now() + 200;
  });
  await run.result;
  await new Promise((r) => setTimeout(r, 300));
  const last = Math.max(...readFileSync(beat, "utf8").split("\n").filter(Boolean).map(Number));
  rmSync(dir, { recursive: true, force: true });
  return last - deadline;
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits });

async function main(): Promise<void> {
  const ideal = (W9_STEPS * W9_STEP_MS) / CORES;
  const inProcess = inProcessExecutor();
  const threads = threadExecutor({ modules: [MODULE] });
  const redis = await redisUp();
  let bullW9: Executor | undefined;
  let bullDispatch: Executor | undefined;
  const queues = [`rd-bench-w9-${process.pid}`, `rd-bench-dispatch-${process.pid}`];
  if (redis) {
    await Promise.all([worker(queues[0]!, 1), worker(queues[0]!, 1), worker(queues[1]!, 64), worker(queues[1]!, 64)]);
    bullW9 = bullmqExecutor({ connection: REDIS, queue: queues[0]! });
    bullDispatch = bullmqExecutor({ connection: REDIS, queue: queues[1]! });
  } else {
    console.log(`(no Redis at ${REDIS}: the BullMQ rows are left out)`);
  }
  const w9Kinds: [string, Executor][] = [
    ["in-process", inProcess],
    ["threads", threads],
    ...(bullW9 === undefined ? [] : ([["bullmq, 2 workers", bullW9]] as [string, Executor][])),
  ];
  const dispatchKinds: [string, Executor][] = [
    ["in-process", inProcess],
    ["threads", threads],
    ...(bullDispatch === undefined ? [] : ([["bullmq, 2 workers", bullDispatch]] as [string, Executor][])),
  ];
  // Warm-up: every pool, worker and JIT once.
  for (const [, executor] of w9Kinds) await w9Once(executor);
  for (const [, executor] of dispatchKinds) await dispatchOnce(executor);

  const w9Times = new Map<string, number[]>(w9Kinds.map(([k]) => [k, []]));
  const rates = new Map<string, number[]>(dispatchKinds.map(([k]) => [k, []]));
  for (let round = 0; round < RUNS; round++) {
    for (const [kind, executor] of w9Kinds) w9Times.get(kind)!.push(await w9Once(executor));
    for (const [kind, executor] of dispatchKinds) rates.get(kind)!.push(await dispatchOnce(executor));
  }
  const stops: number[] = [];
  for (let i = 0; i < RUNS; i++) stops.push(await stopLatency(threads));

  console.log(`\nW9: ${W9_STEPS} independent CPU-bound steps of ${W9_STEP_MS} ms, ${CORES} cores (median of ${RUNS})`);
  console.log(`  ideal (total CPU / cores)   ${fmt(ideal).padStart(6)} ms   1.00×`);
  for (const [kind] of w9Kinds) {
    const ms = median(w9Times.get(kind)!);
    console.log(`  ${kind.padEnd(26)}  ${fmt(ms).padStart(6)} ms   ${fmt(ms / ideal, 2)}×`);
  }
  console.log(`\nDispatch: ${fmt(DISPATCH)} one-step executions, ${IN_FLIGHT} in flight (median of ${RUNS})`);
  for (const [kind] of dispatchKinds) {
    console.log(`  ${kind.padEnd(26)}  ${fmt(median(rates.get(kind)!)).padStart(7)} steps/s`);
  }
  console.log(`\nHard stop on threads: the step's last heartbeat after its deadline`);
  console.log(`  median ${fmt(median(stops))} ms, worst ${fmt(Math.max(...stops))} ms (target ≤ 100 ms)`);

  await threads.close();
  await bullW9?.close?.();
  await bullDispatch?.close?.();
  if (redis) {
    for (const name of queues) {
      const queue = new Queue(name, { connection: connectionOf(REDIS) });
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
    }
  }
}

try {
  await main();
} finally {
  for (const child of children) child.kill("SIGTERM");
}
