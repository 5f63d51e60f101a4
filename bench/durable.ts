/**
 * Benchmark of durable executions, through the engine's public API, each figure against
 * the engine without a store (and the in-memory store) in the same run:
 *
 * - journal overhead per step: a chain of 200 no-op steps, one execution at a time (every
 *   step waits for the completion before it to be durable: the worst case);
 * - durable throughput: 2,000 executions of a 3-step workflow, 100 in flight;
 * - recovery: 10,000 executions interrupted mid-way (their engine closed while their
 *   second step ran), recovered by a new engine: until `recover()` has every handle, and
 *   until they have all finished;
 * - bytes stored per step (SQLite file and WAL, after the throughput run).
 *
 * Medians of 5 runs, the kinds of store in turn after a warm-up round (recovery: of 3).
 *
 *   npx tsx bench/durable.ts [--quick]
 */

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, type ExecutionStore, memoryStore, sqliteStore, workflow } from "../src/index.js";
import { median } from "./estimate.js";

const quick = process.argv.includes("--quick");
const RUNS = quick ? 3 : 5;
const CHAIN = 200;
const EXECUTIONS = quick ? 500 : 2_000;
const IN_FLIGHT = 100;
const RECOVER = quick ? 2_000 : 10_000;

type StoreKind = "none" | "memory" | "sqlite-process" | "sqlite-power";
const KINDS: readonly StoreKind[] = ["none", "memory", "sqlite-process", "sqlite-power"];

interface Opened {
  store: ExecutionStore | undefined;
  file: string | undefined;
  dispose(): Promise<void>;
}

function open(kind: StoreKind): Opened {
  if (kind === "none") return { store: undefined, file: undefined, dispose: async () => {} };
  if (kind === "memory") {
    const store = memoryStore();
    return { store, file: undefined, dispose: () => store.close() };
  }
  const dir = mkdtempSync(join(tmpdir(), "rubberduck-bench-"));
  const file = join(dir, "runs.db");
  const store = sqliteStore(file, { durability: kind === "sqlite-power" ? "power" : "process" });
  return {
    store,
    file,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const output = { files: Array.from({ length: 5 }, (_, i) => `src/file-${i}.ts`), findings: 12 };

let chainDefinition = workflow("chain");
for (let i = 0; i < CHAIN; i++) {
  chainDefinition = chainDefinition.step(`s${i}`, {
    outputs: [`o${i}`],
    ...(i === 0 ? {} : { inputs: [`o${i - 1}`] }),
    run: () => ({ [`o${i}`]: i }),
  } as never) as never;
}
const chain = chainDefinition;

const three = workflow("three")
  .step("parse", { inputs: ["n"], outputs: ["parsed"], run: ({ n }) => ({ parsed: { n, ...output } }) })
  .step("analyse", { inputs: ["parsed"], outputs: ["findings"], run: ({ parsed }) => ({ findings: parsed.findings }) })
  .step("report", { inputs: ["findings"], outputs: ["report"], run: ({ findings }) => ({ report: `${findings}` }) });

async function timeChain(kind: StoreKind): Promise<number> {
  const opened = open(kind);
  const engine = createEngine({ workflows: [chain], store: opened.store });
  const started = performance.now();
  for (let r = 0; r < 5; r++) {
    const result = await engine.execute(chain, {});
    if (result.status !== "succeeded") throw new Error(`chain ${result.status}`);
  }
  const ms = (performance.now() - started) / 5;
  await opened.dispose();
  return ms;
}

async function timeThroughput(kind: StoreKind): Promise<{ ms: number; bytes: number }> {
  const opened = open(kind);
  const engine = createEngine({ workflows: [three], store: opened.store, historyLimit: 10 });
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < EXECUTIONS) {
      const n = next++;
      const result = await engine.execute(three, { n });
      if (result.status !== "succeeded") throw new Error(`three ${result.status}`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const ms = performance.now() - started;
  let bytes = 0;
  if (opened.file !== undefined) {
    await opened.store!.close();
    bytes = statSync(opened.file).size + (statSync(`${opened.file}-wal`, { throwIfNoEntry: false })?.size ?? 0);
  }
  await opened.dispose();
  return { ms, bytes };
}

/** 10,000 executions stopped in their second step (their engine closed), then recovered by another engine. */
async function timeRecovery(kind: "memory" | "sqlite-process"): Promise<{ claimMs: number; finishMs: number }> {
  const opened = open(kind);
  let hold = true;
  const waiting = workflow("waiting")
    .step("first", { inputs: ["n"], outputs: ["a"], run: ({ n }) => ({ a: n }) })
    .step("second", {
      inputs: ["a"],
      outputs: ["b"],
      run: ({ a }, ctx) =>
        hold
          ? new Promise<never>((_r, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)))
          : { b: a },
    })
    .step("third", { inputs: ["b"], outputs: ["c"], run: ({ b }) => ({ c: b }) });
  const before = createEngine({ workflows: [waiting], store: opened.store, owner: "before", historyLimit: 10 });
  const runs = Array.from({ length: RECOVER }, (_, n) => before.start(waiting, { n }));
  for (const run of runs) run.result.catch(() => {});
  // Until every execution is in its second step, durably.
  for (;;) {
    const page = await opened.store!.list({ limit: 1 });
    const last = page.runs[0];
    if (last !== undefined && last.lastSeq >= 4) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  await before.close();
  hold = false;
  const after = createEngine({ workflows: [waiting], store: opened.store, owner: "after", historyLimit: 10 });
  const started = performance.now();
  const recovered = await after.recover();
  const claimMs = performance.now() - started;
  if (recovered.length !== RECOVER) throw new Error(`recovered ${recovered.length} of ${RECOVER}`);
  const results = await Promise.all(recovered.map((r) => r.result));
  const finishMs = performance.now() - started;
  if (results.some((r) => r.status !== "succeeded")) throw new Error("a recovered execution did not succeed");
  await opened.dispose();
  return { claimMs, finishMs };
}

async function samples<T>(runs: number, fn: () => Promise<T>): Promise<T[]> {
  await fn(); // warm-up
  const out: T[] = [];
  for (let i = 0; i < runs; i++) out.push(await fn());
  return out;
}

const fmt = (n: number, digits = 1) => n.toLocaleString("en", { maximumFractionDigits: digits });

console.log(
  `Durable executions (Node ${process.version}; medians of ${RUNS} runs, the kinds of store in turn after a warm-up round)\n`,
);

/** Samples of every kind in turn (a warm-up round first), so that no kind runs on a colder process. */
async function rounds<T>(runs: number, fn: (kind: StoreKind) => Promise<T>): Promise<Map<StoreKind, T[]>> {
  for (const kind of KINDS) await fn(kind);
  const out = new Map<StoreKind, T[]>(KINDS.map((k) => [k, []]));
  for (let i = 0; i < runs; i++) for (const kind of KINDS) out.get(kind)!.push(await fn(kind));
  return out;
}

console.log(`Journal overhead: a chain of ${CHAIN} no-op steps, one execution at a time`);
const chainMs = new Map<StoreKind, number>();
for (const [kind, all] of await rounds(RUNS, timeChain)) chainMs.set(kind, median(all));
for (const kind of KINDS) {
  const ms = chainMs.get(kind)!;
  const perStep = ((ms - chainMs.get("none")!) * 1000) / CHAIN;
  console.log(
    `  ${kind.padEnd(16)} ${fmt(ms).padStart(8)} ms  ${fmt((ms * 1000) / CHAIN).padStart(7)} µs/step` +
      (kind === "none" ? "" : `  +${fmt(perStep)} µs/step over no store`),
  );
}

console.log(`\nThroughput: ${fmt(EXECUTIONS, 0)} executions of a 3-step workflow, ${IN_FLIGHT} in flight`);
const throughput = new Map<StoreKind, { ms: number; bytes: number }>();
for (const [kind, all] of await rounds(RUNS, timeThroughput)) {
  throughput.set(kind, { ms: median(all.map((s) => s.ms)), bytes: all.at(-1)!.bytes });
}
for (const kind of KINDS) {
  const { ms, bytes } = throughput.get(kind)!;
  const perSecond = EXECUTIONS / (ms / 1000);
  const vsNone = ms / throughput.get("none")!.ms;
  console.log(
    `  ${kind.padEnd(16)} ${fmt(ms).padStart(8)} ms  ${fmt(perSecond, 0).padStart(7)} exec/s  ${fmt(vsNone, 2)}× no store` +
      (bytes > 0 ? `  ${fmt(bytes / (EXECUTIONS * 3), 0)} B stored per step` : ""),
  );
}

console.log(`\nRecovery: ${fmt(RECOVER, 0)} executions interrupted in their second step, recovered by a new engine`);
for (const kind of ["memory", "sqlite-process"] as const) {
  const all = await samples(quick ? 1 : 3, () => timeRecovery(kind));
  console.log(
    `  ${kind.padEnd(16)} recover() ${fmt(median(all.map((s) => s.claimMs)), 0).padStart(6)} ms` +
      `   all finished ${fmt(median(all.map((s) => s.finishMs)), 0).padStart(6)} ms`,
  );
}
