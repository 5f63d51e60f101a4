/**
 * The engine on a PostgreSQL server that is stopped and started again in the middle of
 * its runs: once politely (`pg_ctl stop -m fast`: sessions are ended) and once as a
 * crash (`-m immediate`: the server dies and recovers from its WAL). The engine retries
 * its writes while the server is away, its executions wait (no step starts before its
 * start is journaled), and then they go on: every execution succeeds, every event it
 * emitted is journaled once, with its seq, and every step ran once.
 *
 * The server is one of the test's own (test/store/private-postgres.ts), so restarting it
 * disturbs no other test. It runs where RUBBERDUCK_TEST_POSTGRES is set and the machine
 * has the server binaries; RUBBERDUCK_TEST_PG_RESTART=required (set by `.ci/run`) makes
 * a missing server a failure instead of a skip.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type WorkflowEvent, workflow } from "../../src/index.js";
import { decodeEvent } from "../../src/journal/codec.js";
import { postgresStore } from "../../src/store/postgres-store.js";
import { type PrivatePostgres, privatePostgres, privatePostgresMissing } from "./private-postgres.js";

const missing =
  process.env.RUBBERDUCK_TEST_POSTGRES === undefined
    ? "set RUBBERDUCK_TEST_POSTGRES=postgres://user@host:5432/db to run it"
    : privatePostgresMissing();
const required = process.env.RUBBERDUCK_TEST_PG_RESTART === "required";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What each step's code did: (execution, step, attempt) → how many times it ran. */
const ran = new Map<string, number>();
const work =
  <S extends string>(step: S) =>
  async (inputs: object, ctx: { executionId: string; attempt: number }) => {
    const key = `${ctx.executionId}|${step}|${ctx.attempt}`;
    ran.set(key, (ran.get(key) ?? 0) + 1);
    await sleep(5 + (step.charCodeAt(0) % 5) * 6);
    return { [`${step}_out`]: `${step}(${Object.values(inputs).join(",")})` } as Record<`${S}_out`, string>;
  };

const flow = workflow("restart_flow", { onError: "compensate_all", parallelLimit: 3 })
  .step("a", { inputs: ["n"], outputs: ["a_out"], run: work("a") })
  .step("b", { inputs: ["a_out"], outputs: ["b_out"], run: work("b") })
  .step("c", { inputs: ["a_out"], outputs: ["c_out"], run: work("c") })
  .step("d", { inputs: ["a_out"], outputs: ["d_out"], run: work("d") })
  .step("e", { inputs: ["b_out", "c_out", "d_out"], outputs: ["e_out"], run: work("e") });

if (missing !== undefined && !required) {
  console.log(`Postgres restart test skipped: ${missing}`);
  describe.skip("postgres restarted mid-run", () => {
    it("needs a PostgreSQL server of its own", () => {});
  });
} else {
  describe("postgres restarted mid-run", () => {
    let server: PrivatePostgres;
    beforeAll(async () => {
      if (missing !== undefined) throw new Error(`RUBBERDUCK_TEST_PG_RESTART=required, but ${missing}`);
      server = await privatePostgres();
    }, 60_000);
    afterAll(() => server?.destroy());

    it("retries its writes while the server is away, waits, and goes on: nothing lost, nothing twice", async () => {
      const warnings: string[] = [];
      const onWarning = (w: Error) => {
        if (w.name === "RubberDuckStoreWarning") warnings.push(w.message);
      };
      process.on("warning", onWarning);
      const store = postgresStore({ connectionString: server.url, max: 4 });
      const engine = createEngine({ workflows: [flow], store, leaseMs: 120_000 });
      const live = new Map<string, WorkflowEvent[]>();
      engine.events.subscribe((e) => {
        if (e.path !== undefined) return;
        let list = live.get(e.executionId);
        if (list === undefined) live.set(e.executionId, (list = []));
        list.push(e);
      });

      const runs = Array.from({ length: 30 }, (_v, n) => engine.start(flow, { n }));
      // Executions keep starting while the server goes away and comes back.
      let starting = true;
      const starter = (async () => {
        for (let n = 30; starting; n++) {
          runs.push(engine.start(flow, { n }));
          await sleep(40);
        }
      })();
      await sleep(250);
      const outages: [number, number][] = [];
      for (const [mode, pause] of [
        ["fast", 700],
        ["immediate", 500],
      ] as const) {
        const down = Date.now();
        server.stop(mode);
        await sleep(pause);
        server.start();
        outages.push([down, Date.now()]);
        await sleep(600);
      }
      await sleep(400);
      starting = false;
      await starter;

      const results = await Promise.all(runs.map((run) => run.result));
      expect(results.filter((r) => r.status !== "succeeded").map((r) => [r.executionId, r.status, r.error])).toEqual(
        [],
      );
      expect(results.every((r) => (r.output as Record<string, unknown>).e_out !== undefined)).toBe(true);
      expect(warnings.length).toBeGreaterThan(0);
      // Executions were in the middle of their runs at each outage, and new ones were starting.
      for (const [down, up] of outages) {
        expect(results.filter((r) => r.startedAt < down && r.finishedAt > up).length).toBeGreaterThan(0);
        expect(results.filter((r) => r.startedAt > down && r.startedAt < up).length).toBeGreaterThan(0);
      }

      const problems: string[] = [];
      // Every step ran once, with attempt 1: nothing ran before its start was journaled,
      // so nothing had to run again.
      for (const run of runs) {
        for (const step of ["a", "b", "c", "d", "e"]) {
          const times = ran.get(`${run.id}|${step}|1`) ?? 0;
          if (times !== 1 || ran.has(`${run.id}|${step}|2`)) problems.push(`${run.id}: ${step} ran ${times} times`);
        }
      }
      // Every event emitted is journaled once, with its seq, and nothing else is.
      const check = postgresStore({ connectionString: server.url, max: 2 });
      const journals = await check.journals(runs.map((run) => run.id));
      for (const run of runs) {
        const rows = journals.get(run.id) ?? [];
        const journaled = rows.map((r) => `${r.seq} ${r.type} ${decodeEvent(r).step ?? ""}`);
        const emitted = (live.get(run.id) ?? []).map((e) => `${e.seq} ${e.type} ${e.step ?? ""}`);
        if (journaled.join("\n") !== emitted.join("\n")) {
          problems.push(`${run.id}: journaled [${journaled}] but emitted [${emitted}]`);
        }
        if (rows.some((r, i) => r.seq !== i + 1)) problems.push(`${run.id}: gaps in its journal`);
        const record = await check.get(run.id);
        if (record?.status !== "succeeded") problems.push(`${run.id}: its row says ${record?.status}`);
      }
      expect(problems).toEqual([]);
      process.off("warning", onWarning);
      await engine.close();
      await store.close();
      await check.close();
    }, 60_000);
  });
}
