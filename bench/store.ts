/**
 * Benchmark of the journal stores alone (the engine does not use them yet): N
 * executions of a 3-step workflow's journal — create with workflow.started, then 3
 * step.succeeded appends and a final one — all in flight at once, so appends of one
 * tick share a commit. Each store against the in-memory one in the same run: median
 * of 5 runs after a warm-up.
 *
 *   npx tsx bench/store.ts [--executions 2000]
 */

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecutionStore, JournalEvent, Lease } from "../src/store/execution-store.js";
import { memoryStore } from "../src/store/memory-store.js";
import { sqliteStore } from "../src/store/sqlite-store.js";
import { median } from "./estimate.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const executions = arg("executions", 2_000);
const output = { files: Array.from({ length: 5 }, (_, i) => `src/file-${i}.ts`), findings: 12 };

async function journal(store: ExecutionStore): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: executions }, async (_, n) => {
      const id = `e${n}-${Math.random().toString(36).slice(2)}`;
      const at = Date.now();
      const first: JournalEvent = { seq: 1, type: "workflow.started", at, data: { input: { n } } };
      const { lease } = (await store.create(
        { executionId: id, workflow: "three", version: "1.0.0", definitionHash: "h", startedAt: at },
        [first],
        { owner: "bench", until: at + 30_000 },
      )) as { lease: Lease };
      for (let s = 0; s < 3; s++) {
        await store.append(lease, [{ seq: s + 2, type: "step.succeeded", at, data: { step: `s${s}`, output } }], {
          updatedAt: at,
        });
      }
      await store.append(lease, [{ seq: 5, type: "workflow.succeeded", at, data: {} }], {
        status: "succeeded",
        updatedAt: at,
      });
    }),
  );
  return performance.now() - started;
}

async function series(label: string, open: () => Promise<{ store: ExecutionStore; file?: string }>) {
  const samples: number[] = [];
  let bytes = 0;
  for (let run = 0; run < 6; run++) {
    const { store, file } = await open();
    const ms = await journal(store);
    await store.close();
    if (file !== undefined) {
      bytes = statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0);
      rmSync(join(file, ".."), { recursive: true, force: true });
    }
    if (run > 0) samples.push(ms);
  }
  return { label, ms: median(samples), bytes };
}

const sqlite = (durability: "process" | "power") => async () => {
  const file = join(mkdtempSync(join(tmpdir(), "rubberduck-bench-")), "runs.db");
  return { store: await sqliteStore(file, { durability }), file };
};

const results = [
  await series("memory", async () => ({ store: memoryStore() })),
  await series("sqlite, durability process", sqlite("process")),
  await series("sqlite, durability power", sqlite("power")),
];
const base = results[0]!.ms;
const steps = executions * 3;
console.log(`${executions} executions × (create + 3 step appends + finish), all in flight; median of 5 runs`);
for (const r of results) {
  const perStep = ((r.ms - base) * 1000) / steps;
  console.log(
    `${r.label.padEnd(28)} ${r.ms.toFixed(1).padStart(8)} ms  ${Math.round(executions / (r.ms / 1000))
      .toLocaleString("en")
      .padStart(8)} exec/s  ${(r.ms / base).toFixed(1).padStart(5)}× memory  ` +
      (r.label === "memory"
        ? ""
        : `+${perStep.toFixed(1)} µs per step  ${Math.round(r.bytes / (executions * 5))} B/event`),
  );
}
