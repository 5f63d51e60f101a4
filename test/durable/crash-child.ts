/**
 * The process the crash tests kill: an engine on a SQLite (or Postgres) store that recovers every
 * interrupted execution, starts `START` new ones, and exits 0 once all have finished.
 * Every side effect of a step (its run, its compensation) first appends a line
 * (generation, execution, step, attempt, phase, time) to the effects log, with one
 * `write` on a file opened for appending.
 *
 * Named crash points (`CRASH_AT=point:n`, the n-th time the point is reached, the
 * process SIGKILLs itself):
 *   step-done        a step's effect is done, its completion not yet journaled
 *   group-commit     inside the store's group-commit transaction, before it commits
 *   compensation     a compensation's effect is done, not yet journaled
 *
 * The workflows are built from a fixed seed, so that every generation registers the
 * same definitions (same hash); each step's fate is a function of (execution input,
 * step, attempt): some fail once and retry after a backoff, some fail for good and
 * roll the execution back.
 */
import { openSync, writeSync } from "node:fs";
import { type CompensationContext, createEngine, type StepContext, sqliteStore, workflow } from "../../src/index.js";
import { postgresStore } from "../../src/store/postgres-store.js";
import { storeFaults } from "../../src/store/sqlite-store.js";
import { chance, shape, WORKFLOWS } from "./crash-shape.js";

const [dbPath, effectsPath] = process.argv.slice(2) as [string, string];
const generation = Number(process.env.GEN ?? 0);
const toStart = Number(process.env.START ?? 0);
const firstId = Number(process.env.FIRST_ID ?? 0);
const [crashPoint, crashAtText] = (process.env.CRASH_AT ?? "").split(":");
let crashIn = Number(crashAtText ?? 0);

const effects = openSync(effectsPath, "a");
const effect = (line: Record<string, unknown>) =>
  writeSync(effects, `${JSON.stringify({ gen: generation, pid: process.pid, t: Date.now(), ...line })}\n`);

/** Reach a named point: the n-th time, die as a crash would. */
function point(name: string): void {
  if (name !== crashPoint) return;
  if (--crashIn === 0) process.kill(process.pid, "SIGKILL");
}
storeFaults.inGroupCommit = () => point("group-commit");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Workflow k: a random DAG of 3–6 steps from a fixed seed (the same in every generation). */
function build(k: number) {
  let wf = workflow(`crash_${k}`, { onError: "compensate_all", parallelLimit: 4 }) as ReturnType<typeof workflow>;
  for (const [s, deps] of shape(k).entries()) {
    const name = `s${s}`;
    wf = wf.step(name, {
      inputs: ["id"],
      outputs: [`o${s}`],
      dependsOn: deps.map((d) => `s${d}`),
      retry: { maxAttempts: 3, baseDelay: 15, jitter: false },
      run: async ({ id }: Record<string, unknown>, ctx: StepContext) => {
        effect({ id, exec: ctx.executionId, step: name, attempt: ctx.attempt, phase: "run" });
        await sleep(Math.floor(chance("ms", id as number, name) * 12));
        const fate = chance("fate", id as number, name);
        if (fate < 0.06) throw new Error(`${name} fails for good`);
        if (fate < 0.25 && ctx.attempt === 1) throw new Error(`${name} fails once`);
        point("step-done");
        return { [`o${s}`]: { by: generation } };
      },
      compensate: async (ctx: CompensationContext) => {
        effect({ exec: ctx.executionId, step: name, attempt: ctx.attempt, phase: "compensate" });
        await sleep(2);
        point("compensation");
      },
    } as never) as never;
  }
  return wf;
}

export const workflows = Array.from({ length: WORKFLOWS }, (_v, k) => build(k));

const store = dbPath.startsWith("postgres://")
  ? postgresStore({ connectionString: dbPath, schema: process.env.PG_SCHEMA, max: 4 })
  : sqliteStore(dbPath);
// Executions here are killed many times in a row through no fault of their own: no dead-lettering.
const engine = createEngine({ workflows, store, leaseMs: 2_000, maxRecoveries: Number.MAX_SAFE_INTEGER });
const recovered = await engine.recover();
const started = Array.from({ length: toStart }, (_v, i) => {
  const id = firstId + i;
  return engine.start(`crash_${id % workflows.length}`, { id });
});
process.stdout.write(`ready ${recovered.length} ${started.length}\n`);
// A copy that stopped (its journal failed) leaves its execution to the next generation.
const results = await Promise.allSettled([...recovered, ...started].map((run) => run.result));
const stopped = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
for (const r of stopped) process.stderr.write(`stopped: ${String(r.reason)}\n`);
process.stdout.write(`done ${results.length}\n`);
process.exit(stopped.length === 0 ? 0 : 3);
