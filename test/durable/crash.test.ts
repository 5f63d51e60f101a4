/**
 * Crash tests: a child process (crash-child.ts) runs seeded random workflows on a SQLite
 * store; this test kills it with SIGKILL — at random moments, and at named crash points
 * (a step's effect done but not journaled, inside a group commit, inside a compensation)
 * — then starts another that recovers, again and again, and finally lets one finish.
 * Some rounds start two recovering processes at once. Then it checks, from the journal
 * and the effects log:
 *
 * - every execution reached a final state, its journal gapless;
 * - no step started (or ran) before the completions it depends on were journaled;
 * - no step with a journaled completion ran again (no effect from a later generation);
 * - a step ran again only in a generation after one that was killed while it was in
 *   flight, and with the next attempt number (no attempt number runs twice);
 * - every failed execution compensated each completed step, newest first, and no
 *   compensation ran twice in one generation or after it was journaled as done;
 * - no retry started before its journaled deadline;
 * - two engines recovering at once never both ran the same execution.
 *
 * KILLS (default 100) sets how many kills; SEED the seed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { beforeAll, expect, it } from "vitest";
import { sqliteStore } from "../../src/index.js";
import { decodeEvent } from "../../src/journal/codec.js";
import { postgresStore } from "../../src/store/postgres-store.js";
import { shape } from "./crash-shape.js";
import { bundleChild, bundledChild } from "./support.js";

const workflowIndex = (name: string) => Number(name.replace("crash_", ""));

const KILLS = Number(process.env.KILLS ?? 100);
const SEED = Number(process.env.SEED ?? Date.now() % 100_000);
const SOURCE = join(import.meta.dirname, "crash-child.ts");
/** The child, bundled once (see support.ts). */
const CHILD = bundledChild("crash");

beforeAll(() => bundleChild(SOURCE, "crash"));
const POINTS = ["step-done", "group-commit", "compensation"] as const;

interface Effect {
  gen: number;
  pid: number;
  t: number;
  exec: string;
  step: string;
  attempt: number;
  phase: "run" | "compensate";
}

/** A deterministic generator for the kill schedule. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4_294_967_296;
  };
}

interface Child {
  process: ChildProcess;
  gen: number;
  ready: Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnChild(db: string, log: string, gen: number, env: Record<string, string>): Child {
  const child = spawn(process.execPath, [CHILD, db, log], {
    env: { ...process.env, GEN: String(gen), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const ready = new Promise<void>((resolve) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) resolve();
    });
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => {
      if (code !== 0 && signal === null) console.error(`generation ${gen} failed:\n${stderr}`);
      resolve({ code, signal });
    }),
  );
  return { process: child, gen, ready: Promise.race([ready, exit.then(() => undefined)]), exit };
}

const POSTGRES = process.env.RUBBERDUCK_TEST_POSTGRES;
const PG_KILLS = Number(process.env.PG_KILLS ?? 30);

crashTest("sqlite", KILLS, 1);
if (POSTGRES === undefined) {
  console.log("Postgres crash tests skipped: set RUBBERDUCK_TEST_POSTGRES=postgres://user@host:5432/db to run them");
} else {
  // Several engines on one database: up to three recover at once.
  crashTest("postgres", PG_KILLS, 2);
}

function crashTest(kind: "sqlite" | "postgres", KILLS: number, recoverers: number): void {
  it(
    `${kind}: survives ${KILLS} SIGKILLs without losing or repeating a journaled step (seed ${SEED})`,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "rubberduck-crash-"));
      const schema = `rd_crash_${process.pid}_${SEED}`;
      const db = kind === "sqlite" ? join(dir, "runs.db") : POSTGRES!;
      const log = join(dir, "effects.jsonl");
      writeFileSync(log, "");
      const random = rng(SEED);
      let gen = 0;
      let nextId = 0;
      let kills = 0;
      const killed = new Set<number>();
      /** Generations that ran at the same time as another (two recovering engines). */
      const concurrent: number[][] = [];

      while (kills < KILLS) {
        const start = 6 + Math.floor(random() * 10);
        const points = kind === "sqlite" ? POINTS : POINTS.filter((p) => p !== "group-commit");
        const named = random() < 0.5 ? points[Math.floor(random() * points.length)] : undefined;
        const env: Record<string, string> = { START: String(start), FIRST_ID: String(nextId), PG_SCHEMA: schema };
        nextId += start;
        if (named !== undefined) env.CRASH_AT = `${named}:${1 + Math.floor(random() * 6)}`;
        const extra = random() < 0.15 ? 1 + Math.floor(random() * recoverers) : 0;
        const children = [spawnChild(db, log, gen++, env)];
        for (let n = 0; n < extra; n++) children.push(spawnChild(db, log, gen++, { START: "0", PG_SCHEMA: schema }));
        if (extra > 0) concurrent.push(children.map((c) => c.gen));
        await Promise.all(children.map((c) => c.ready));
        await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 120)));
        for (const child of children) child.process.kill("SIGKILL");
        for (const child of children) {
          const { signal } = await child.exit;
          // Killed by us or by its crash point; one that finished first was not killed.
          if (signal === "SIGKILL") {
            killed.add(child.gen);
            kills++;
          }
        }
      }
      // The last generation recovers everything and runs it to the end.
      const last = spawnChild(db, log, gen++, { START: "0", PG_SCHEMA: schema });
      expect((await last.exit).code).toBe(0);

      // What the store and the effects log say.
      const store = kind === "sqlite" ? sqliteStore(db) : postgresStore({ connectionString: db, schema, max: 2 });
      const effects = readFileSync(log, "utf8")
        .split("\n")
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Effect);
      const runs = [];
      for (
        let page = await store.list({ limit: 1000 });
        ;
        page = await store.list({ limit: 1000, cursor: page.cursor })
      ) {
        runs.push(...page.runs);
        if (page.cursor === undefined) break;
      }
      // A start killed before its first journal write never existed; no step ran for it.
      const problems: string[] = [];
      const journaled = new Set(runs.map((r) => r.executionId));
      for (const e of effects)
        if (!journaled.has(e.exec)) problems.push(`${e.exec}: ${e.step} ran, yet it was never journaled`);
      expect(runs.length).toBeGreaterThan(nextId / 2);
      let failedRuns = 0;
      for (const run of runs) {
        const id = run.executionId;
        if (!["succeeded", "failed"].includes(run.status)) problems.push(`${id}: ended ${run.status}`);
        const rows = await store.events(id);
        if (rows.some((r, i) => r.seq !== i + 1)) problems.push(`${id}: journal has gaps`);
        const journal = rows.map(decodeEvent);
        const mine = effects.filter((e) => e.exec === id);
        const succeeded = journal.filter((e) => e.type === "step.succeeded");
        // No step with a journaled completion ran again.
        for (const done of succeeded) {
          const by = (Object.values(done.output ?? {})[0] as { by: number }).by;
          const later = mine.filter((e) => e.phase === "run" && e.step === done.step && e.gen > by);
          if (later.length > 0)
            problems.push(`${id}: ${done.step} completed in generation ${by}, ran again in ${later[0]!.gen}`);
        }
        // A step ran again only after a generation that was killed with it in flight, and
        // with the next attempt number: every attempt's start is journaled before it runs,
        // so no attempt number runs twice, in one generation or across them.
        const seen = new Map<string, number>();
        for (const e of mine) {
          const key = `${e.phase}|${e.step}|${e.attempt}`;
          if (seen.has(key)) {
            problems.push(
              `${id}: ${e.phase} ${e.step}#${e.attempt} ran in generation ${seen.get(key)} and again in ${e.gen}`,
            );
          }
          seen.set(key, e.gen);
          const before = mine.filter((o) => o.phase === e.phase && o.step === e.step && o.gen < e.gen);
          if (before.some((o) => !killed.has(o.gen))) {
            problems.push(`${id}: ${e.phase} ${e.step} ran again in ${e.gen} after a generation that was not killed`);
          }
        }
        // No step started before the completions it depends on were journaled, and its
        // effect came after them.
        const deps = shape(workflowIndex(run.workflow));
        journal.forEach((e, i) => {
          if (e.type !== "step.started" || e.path !== undefined) return;
          for (const d of deps[Number(e.step!.slice(1))] ?? []) {
            const done = journal.findIndex((x) => x.type === "step.succeeded" && x.step === `s${d}`);
            if (done === -1 || done > i) problems.push(`${id}: ${e.step} started before s${d} was journaled done`);
          }
        });
        for (const m of mine.filter((m) => m.phase === "run")) {
          for (const d of deps[Number(m.step.slice(1))] ?? []) {
            const done = journal.find((x) => x.type === "step.succeeded" && x.step === `s${d}`);
            if (done === undefined || m.t < done.at)
              problems.push(`${id}: ${m.step} ran before s${d} was journaled done`);
          }
        }
        // No retry before its journaled deadline.
        journal.forEach((e, i) => {
          if (e.type !== "step.retrying") return;
          const deadline = e.retryAt ?? e.at + e.delayMs!;
          const next = journal.slice(i + 1).find((n) => n.type === "step.started" && n.step === e.step);
          if (next !== undefined && next.at < deadline) {
            problems.push(`${id}: ${e.step} retried at ${next.at}, before its deadline ${deadline}`);
          }
          // The next attempt that ran after this retry was journaled (earlier runs of that
          // attempt number belong to generations killed before they journaled theirs).
          const ran = mine.find(
            (m) => m.phase === "run" && m.step === e.step && m.attempt === e.attempt! + 1 && m.t >= e.at,
          );
          if (ran !== undefined && ran.t < deadline) problems.push(`${id}: ${e.step} ran before its deadline`);
        });
        // A failed execution compensated every completed step, newest first.
        if (run.status === "failed") {
          failedRuns++;
          const completed = succeeded.map((e) => e.step!);
          const compensated = journal.filter((e) => e.type === "step.compensated").map((e) => e.step!);
          if (compensated.join() !== [...completed].reverse().join()) {
            problems.push(`${id}: compensated [${compensated}] for completed [${completed}]`);
          }
          const firstRuns = [...new Set(mine.filter((e) => e.phase === "compensate").map((e) => e.step))];
          if (firstRuns.join() !== [...completed].reverse().join()) {
            problems.push(`${id}: compensations ran in the order [${firstRuns}], completed [${completed}]`);
          }
        } else if (mine.some((e) => e.phase === "compensate")) {
          problems.push(`${id}: compensated, yet succeeded`);
        }
      }
      // Two engines recovering at once never both ran one execution: one may take over
      // from the other once that one died (its crash point), never interleave with it.
      for (const gens of concurrent) {
        const byExec = new Map<string, Effect[]>();
        for (const e of effects.filter((e) => gens.includes(e.gen)))
          byExec.set(e.exec, [...(byExec.get(e.exec) ?? []), e]);
        for (const [exec, list] of byExec) {
          const order = list.map((e) => e.gen).filter((g, i, all) => i === 0 || all[i - 1] !== g);
          if (new Set(order).size !== order.length) problems.push(`${exec}: run by generations ${order} at once`);
        }
      }
      await store.close();
      if (problems.length > 0) console.error(`crash test data kept in ${dir}; killed: ${[...killed]}`);
      expect(problems).toEqual([]);
      expect(kills).toBeGreaterThanOrEqual(KILLS);
      // The schedule did exercise rollbacks and retries.
      expect(failedRuns).toBeGreaterThan(0);
      expect(effects.some((e) => e.attempt > 1)).toBe(true);
      if (kind === "postgres") {
        const client = new pg.Client({ connectionString: db });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      }
    },
    15 * 60_000,
  );
}
