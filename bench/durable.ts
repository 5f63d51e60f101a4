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
 * - bytes stored per step (SQLite file and WAL, after the throughput run);
 * - with Postgres (RUBBERDUCK_BENCH_POSTGRES, or RUBBERDUCK_TEST_POSTGRES, a connection
 *   string): the same on a Postgres store (a schema of its own, dropped after), and the
 *   throughput of 1 and of 4 engine processes sharing one database.
 *
 * Medians of 5 runs, the kinds of store in turn after a warm-up round (recovery: of 3).
 *
 *   npx tsx bench/durable.ts [--quick]
 */

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, type ExecutionStore, memoryStore, sqliteStore, workflow } from "../src/index.js";
import { postgresStore } from "../src/store/postgres-store.js";
import { three } from "./durable-workflows.js";
import { median } from "./estimate.js";

const quick = process.argv.includes("--quick");
const RUNS = quick ? 3 : 5;
const CHAIN = 200;
const EXECUTIONS = quick ? 500 : 2_000;
const IN_FLIGHT = 100;
const RECOVER = quick ? 2_000 : 10_000;

const POSTGRES = process.env.RUBBERDUCK_BENCH_POSTGRES ?? process.env.RUBBERDUCK_TEST_POSTGRES;

type StoreKind = "none" | "memory" | "sqlite-process" | "sqlite-power" | "postgres";
const KINDS: readonly StoreKind[] = [
  "none",
  "memory",
  "sqlite-process",
  "sqlite-power",
  ...(POSTGRES === undefined ? [] : (["postgres"] as const)),
];

let schemas = 0;
/** A fresh Postgres schema, and how to drop it. */
function postgresSchema(): { schema: string; drop(): Promise<void> } {
  const schema = `rd_bench_${process.pid}_${schemas++}`;
  return {
    schema,
    drop: async () => {
      const { default: pg } = await import("pg");
      const client = new pg.Client({ connectionString: POSTGRES });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

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
  if (kind === "postgres") {
    const { schema, drop } = postgresSchema();
    const store = postgresStore({ connectionString: POSTGRES, schema, max: 8 });
    return {
      store,
      file: undefined,
      dispose: async () => {
        await store.close();
        await drop();
      },
    };
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

let chainDefinition = workflow("chain");
for (let i = 0; i < CHAIN; i++) {
  chainDefinition = chainDefinition.step(`s${i}`, {
    outputs: [`o${i}`],
    ...(i === 0 ? {} : { inputs: [`o${i - 1}`] }),
    run: () => ({ [`o${i}`]: i }),
  } as never) as never;
}
const chain = chainDefinition;

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
async function timeRecovery(
  kind: "memory" | "sqlite-process" | "postgres",
): Promise<{ claimMs: number; finishMs: number }> {
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
    `  ${kind.padEnd(16)} ${fmt(ms).padStart(8)} ms  ${fmt(perSecond, 0).padStart(7)} exec/s  ` +
      `${fmt(perSecond * 3, 0).padStart(7)} steps/s  ${fmt(vsNone, 2)}× no store` +
      (bytes > 0 ? `  ${fmt(bytes / (EXECUTIONS * 3), 0)} B stored per step` : ""),
  );
}

/**
 * `processes` engine processes on one Postgres database, each running its share of the
 * executions with IN_FLIGHT in flight; timed from when all are ready to when the last is done.
 */
async function timeProcesses(processes: number): Promise<number> {
  const { schema, drop } = postgresSchema();
  const setup = postgresStore({ connectionString: POSTGRES, schema, max: 1 });
  await setup.list(); // migrated before the engines start
  await setup.close();
  const share = Math.ceil(EXECUTIONS / processes);
  const children = Array.from({ length: processes }, () =>
    spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(import.meta.dirname, "durable-engine.ts"),
        POSTGRES!,
        schema,
        String(share),
        String(IN_FLIGHT),
      ],
      {
        stdio: ["pipe", "pipe", "inherit"],
      },
    ),
  );
  const lines = children.map(
    (child) =>
      new Promise<string[]>((resolve) => {
        const out: string[] = [];
        child.stdout!.on("data", (chunk: Buffer) => out.push(...chunk.toString().split("\n").filter(Boolean)));
        child.on("exit", () => resolve(out));
      }),
  );
  const ready = children.map(
    (child) =>
      new Promise<void>((resolve) => child.stdout!.on("data", (c: Buffer) => c.includes("ready") && resolve())),
  );
  await Promise.all(ready);
  const started = performance.now();
  for (const child of children) child.stdin!.end("go\n");
  const outs = await Promise.all(lines);
  const ms = performance.now() - started;
  if (outs.some((out) => !out.includes("done"))) throw new Error(`an engine process failed: ${JSON.stringify(outs)}`);
  await drop();
  return (share * processes) / (ms / 1000);
}

if (POSTGRES !== undefined) {
  console.log(
    `\nPostgres, engine processes on one database: ${fmt(EXECUTIONS, 0)} executions, ${IN_FLIGHT} in flight each`,
  );
  for (const processes of [1, 4]) {
    const all = await samples(quick ? 1 : 3, () => timeProcesses(processes));
    const perSecond = median(all);
    console.log(
      `  ${`${processes} process${processes === 1 ? "" : "es"}`.padEnd(16)} ${fmt(perSecond, 0).padStart(7)} exec/s  ${fmt(perSecond * 3, 0).padStart(7)} steps/s`,
    );
  }
}

console.log(`\nRecovery: ${fmt(RECOVER, 0)} executions interrupted in their second step, recovered by a new engine`);
for (const kind of ["memory", "sqlite-process", ...(POSTGRES === undefined ? [] : (["postgres"] as const))] as const) {
  const all = await samples(quick ? 1 : 3, () => timeRecovery(kind));
  console.log(
    `  ${kind.padEnd(16)} recover() ${fmt(median(all.map((s) => s.claimMs)), 0).padStart(6)} ms` +
      `   all finished ${fmt(median(all.map((s) => s.finishMs)), 0).padStart(6)} ms`,
  );
}
