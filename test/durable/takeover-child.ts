/**
 * An engine process for the takeover tests, on a SQLite (or Postgres) store, as if on
 * a host of its own: `OWNER` names it and `takeOverLocal` is off, so another engine may
 * take its executions only once their leases expire. Every step's run appends a line
 * (owner, execution, step, attempt, time) to the effects log before it does anything.
 *
 *   MODE=start    start START chains (4 steps, 60 ms each), then wait for them
 *   MODE=recover  call recover() every 50 ms until the store holds no unfinished execution
 *   KILLER=1      (with start) also start an execution whose `boom` step kills its process
 */
import { openSync, writeSync } from "node:fs";
import { createEngine, type StepContext, sqliteStore, workflow } from "../../src/index.js";
import { postgresStore } from "../../src/store/postgres-store.js";

const [dbPath, effectsPath] = process.argv.slice(2) as [string, string];
const owner = process.env.OWNER ?? "host-x:1";
const effects = openSync(effectsPath, "a");
const effect = (ctx: StepContext, step: string) =>
  writeSync(
    effects,
    `${JSON.stringify({ owner, exec: ctx.executionId, step, attempt: ctx.attempt, t: Date.now() })}\n`,
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const stage =
  <S extends string>(step: S, ms: number) =>
  async (_input: object, ctx: StepContext) => {
    effect(ctx, step);
    await sleep(ms);
    return { [`${step}_done`]: owner } as Record<`${S}_done`, string>;
  };

const chain = workflow("takeover_chain", { onError: "compensate_all" })
  .step("s1", { inputs: ["n"], outputs: ["s1_done"], run: stage("s1", 60) })
  .step("s2", { inputs: ["s1_done"], outputs: ["s2_done"], run: stage("s2", 60) })
  .step("s3", { inputs: ["s2_done"], outputs: ["s3_done"], run: stage("s3", 60) })
  .step("s4", { inputs: ["s3_done"], outputs: ["s4_done"], run: stage("s4", 60) });

const killer = workflow("takeover_killer", { onError: "compensate_all" })
  .step("before", {
    outputs: ["before_done"],
    run: stage("before", 5),
    compensate: (ctx) => {
      writeSync(effects, `${JSON.stringify({ owner, exec: ctx.executionId, step: "before", compensated: true })}\n`);
    },
  })
  .step("boom", {
    inputs: ["before_done"],
    run: async (_input, ctx) => {
      effect(ctx, "boom");
      // Long enough for the chains beside it to settle a step, then the process dies.
      await sleep(300);
      process.kill(process.pid, "SIGKILL");
    },
  });

const store = dbPath.startsWith("postgres://")
  ? postgresStore({ connectionString: dbPath, schema: process.env.PG_SCHEMA, max: 4 })
  : sqliteStore(dbPath);
const engine = createEngine({
  workflows: [chain, killer],
  store,
  owner,
  takeOverLocal: false,
  leaseMs: Number(process.env.LEASE_MS ?? 1_500),
  maxRecoveries: Number(process.env.MAX_RECOVERIES ?? 10),
});

const runs = [];
if (process.env.MODE === "start") {
  for (let n = 0; n < Number(process.env.START ?? 0); n++) runs.push(engine.start(chain, { n }));
  if (process.env.KILLER === "1") runs.push(engine.start(killer, {}));
  process.stdout.write("ready\n");
} else {
  for (;;) {
    runs.push(...(await engine.recover()));
    const { runs: unfinished } = await engine.runs.list({ status: ["running", "stopping", "compensating"], limit: 1 });
    if (unfinished.length === 0) break;
    await sleep(50);
  }
  process.stdout.write("ready\n");
}
await Promise.allSettled(runs.map((run) => run.result));
await engine.close();
await store.close();
process.exit(0);
