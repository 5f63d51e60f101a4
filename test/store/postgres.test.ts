/**
 * The Postgres store against the conformance suite, on a real database. Set
 * RUBBERDUCK_TEST_POSTGRES to a connection string to run it (`.ci/run` does); each test
 * gets a schema of its own, dropped at the end.
 */
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../src/errors.js";
import { postgresStore } from "../../src/store/postgres-store.js";
import { storeConformance } from "./conformance.js";

const url = process.env.RUBBERDUCK_TEST_POSTGRES;
const schemas: string[] = [];
const fresh = () => {
  const schema = `rd_test_${process.pid}_${schemas.length}_${Math.random().toString(36).slice(2, 8)}`;
  schemas.push(schema);
  return schema;
};

if (url === undefined) {
  console.log("Postgres store tests skipped: set RUBBERDUCK_TEST_POSTGRES=postgres://user@host:5432/db to run them");
  describe.skip("postgres store", () => {
    it("needs RUBBERDUCK_TEST_POSTGRES", () => {});
  });
} else {
  storeConformance("postgres", () => postgresStore({ connectionString: url, schema: fresh(), max: 4 }));

  describe("postgres store", () => {
    it("migrates once even when several stores start on one schema at the same moment", async () => {
      const schema = fresh();
      const stores = Array.from({ length: 4 }, () => postgresStore({ connectionString: url, schema, max: 2 }));
      await Promise.all(stores.map((store) => store.list()));
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query(`SELECT version FROM ${schema}.schema_version`);
      await client.end();
      expect(rows).toEqual([{ version: 4 }]);
      await Promise.all(stores.map((store) => store.close()));
    });

    it("leaves a pool it was given open", async () => {
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      const store = postgresStore({ pool, schema: fresh() });
      await store.list();
      await store.close();
      expect((await pool.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
      await pool.end();
    });

    it("takes a retried append or create whose first try committed (its answer lost) as done, and writes nothing twice", async () => {
      const store = postgresStore({ connectionString: url, schema: fresh(), max: 2 });
      const run = { executionId: "e1", workflow: "w", version: "1", definitionHash: "h", startedAt: 1 };
      const started = { seq: 1, type: "workflow.started", at: 1, data: {} };
      const created = await store.create(run, [started], { owner: "a", until: 10_000 });
      expect(await store.create(run, [started], { owner: "a", until: 10_000 })).toEqual(created);
      // Another owner's create of the same id is not a retry.
      await expect(store.create({ ...run }, [started], { owner: "b", until: 10_000 })).rejects.toThrow(
        /exists already/,
      );
      if (!created.created) throw new Error("not created");
      const events = [
        { seq: 2, type: "step.started", at: 2, data: { step: "s" } },
        { seq: 3, type: "step.succeeded", at: 3, data: { step: "s" } },
      ];
      await store.append(created.lease, events, { updatedAt: 3 });
      await store.append(created.lease, events, { updatedAt: 3 });
      expect((await store.events("e1")).map((e) => e.seq)).toEqual([1, 2, 3]);
      // Not a retry: other events at those seqs, or seqs that do not end the journal.
      await expect(
        store.append(created.lease, [{ ...events[1]!, type: "step.failed" }], { updatedAt: 3 }),
      ).rejects.toThrow(RangeError);
      await expect(store.append(created.lease, [events[0]!], { updatedAt: 3 })).rejects.toThrow(RangeError);
      await store.close();
    });

    it("keeps a bad create from failing the others of its group", async () => {
      const store = postgresStore({ connectionString: url, schema: fresh(), max: 2 });
      const run = (executionId: string, idempotencyKey?: string) => ({
        executionId,
        workflow: "w",
        version: "1",
        definitionHash: "h",
        startedAt: 1,
        idempotencyKey,
      });
      const started = [{ seq: 1, type: "workflow.started", at: 1, data: {} }];
      const lease = { owner: "o", until: Date.now() + 60_000 };
      // One tick: one group, with two creates of one id, two of one key, and two that are fine.
      const outcomes = await Promise.allSettled([
        store.create(run("dup"), started, lease),
        store.create(run("dup"), started, lease),
        store.create(run("k1", "key"), started, lease),
        store.create(run("k2", "key"), started, lease),
        store.create(run("a"), started, lease),
        store.create(run("b"), started, lease),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual([
        "fulfilled",
        "rejected",
        "fulfilled",
        "fulfilled",
        "fulfilled",
        "fulfilled",
      ]);
      expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(RangeError);
      expect((outcomes[3] as PromiseFulfilledResult<unknown>).value).toMatchObject({
        created: false,
        run: { executionId: "k1" },
      });
      for (const id of ["dup", "k1", "a", "b"]) expect((await store.events(id)).map((e) => e.seq)).toEqual([1]);
      expect(await store.get("k2")).toBeUndefined();
      // What Postgres cannot store is refused before the write (a NUL in text), or made storable (fractional times).
      await expect(store.create(run("nul", "a\u0000b"), started, lease)).rejects.toThrow(/NUL/);
      const fractional = await store.create({ ...run("frac"), startedAt: 1.5 }, started, { owner: "o", until: 9.7 });
      expect(fractional.created).toBe(true);
      expect(await store.get("frac")).toMatchObject({ startedAt: 2, leaseUntil: 10 });
      await store.close();
    });

    it("says a server out of reach with a StoreUnavailableError (retryable), not a driver error", async () => {
      const store = postgresStore({ connectionString: "postgres://postgres@127.0.0.1:1/none", schema: fresh() });
      const error = await store.get("x").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).retryable).toBe(true);
      await store.close();
    });

    it("lists 50,000 executions by index (never a scan of the table), in cursor pages, and prunes them in batches", async () => {
      const schema = fresh();
      // One connection: the store's queries and the statistics read here are one backend's.
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      const store = postgresStore({ pool, schema });
      await store.list();
      const statuses = ["succeeded", "succeeded", "succeeded", "failed", "running", "cancelled"];
      await pool.query(
        `INSERT INTO ${schema}.runs (execution_id, workflow, version, definition_hash, status, metadata, epoch, last_seq,
           started_at, updated_at, finished_at)
         SELECT 'e' || lpad(n::text, 6, '0'), 'w' || (n % 20), '1', 'h', ($1::text[])[1 + n % 6], '{}', 1, 3,
           1000000 + n, 1000000 + n, CASE WHEN n % 6 = 4 THEN NULL ELSE 1000000 + n END
         FROM generate_series(1, 50000) AS n`,
        [statuses],
      );
      await pool.query(`ANALYZE ${schema}.runs`);
      const scans = async () => {
        await pool.query("SELECT pg_stat_force_next_flush()");
        await pool.query("SELECT pg_stat_clear_snapshot()");
        const { rows } = await pool.query<{ seq_scan: string; idx_scan: string }>(
          "SELECT seq_scan, idx_scan FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'runs'",
          [schema],
        );
        return { seq: Number(rows[0]!.seq_scan), idx: Number(rows[0]!.idx_scan) };
      };
      for (const query of [
        {},
        { status: "failed" as const },
        { workflow: "w7" },
        { status: "running" as const, workflow: "w4" },
      ]) {
        const before = await scans();
        const seen: string[] = [];
        let page = await store.list({ ...query, limit: 100 });
        for (let i = 0; i < 3; i++) {
          seen.push(...page.runs.map((r) => r.executionId));
          page = await store.list({ ...query, limit: 100, cursor: page.cursor });
        }
        const after = await scans();
        expect({ query, seqScans: after.seq - before.seq }).toEqual({ query, seqScans: 0 });
        expect(after.idx).toBeGreaterThan(before.idx);
        // Newest first, no page overlapping another.
        expect(new Set(seen).size).toBe(seen.length);
        expect([...seen].sort().reverse()).toEqual(seen);
      }
      const finished = Number(
        (await pool.query(`SELECT count(*) FROM ${schema}.runs WHERE finished_at < 1010000`)).rows[0].count,
      );
      expect(await store.prune({ finishedBefore: 1_010_000 })).toBe(finished);
      expect(finished).toBeGreaterThan(2_000);
      await store.close();
      await pool.end();
    }, 60_000);

    it("wakes listeners on a release (LISTEN/NOTIFY), and survives its listening connection being killed", async () => {
      const schema = fresh();
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      const store = postgresStore({ pool, schema });
      const other = postgresStore({ connectionString: url, schema, max: 1 });
      let woken = 0;
      const stop = store.onReleased!(() => woken++);
      const listener = async (not = 0) => {
        for (let i = 0; i < 500; i++) {
          const { rows } = await pool.query<{ pid: number }>(
            "SELECT pid FROM pg_stat_activity WHERE query = $1 AND pid <> pg_backend_pid() AND pid <> $2",
            [`LISTEN rubberduck_${schema}`, not],
          );
          if (rows[0] !== undefined) return rows[0].pid;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        throw new Error("nobody listens");
      };
      const first = await listener();
      // The pool of one stays usable: the listener has a connection of its own.
      expect((await store.list()).runs).toEqual([]);
      const created = await other.create(
        { executionId: "e1", workflow: "w", version: "1", definitionHash: "h", startedAt: 1 },
        [{ seq: 1, type: "workflow.started", at: 1, data: {} }],
        { owner: "o", until: Date.now() + 60_000 },
      );
      if (!created.created) throw new Error("not created");
      await other.release(created.lease);
      for (let i = 0; i < 300 && woken === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(woken).toBe(1);
      // Its connection killed: no crash, the listeners are woken (they may have missed one), and it listens again.
      await pool.query("SELECT pg_terminate_backend($1)", [first]);
      await listener(first);
      expect(woken).toBe(2);
      stop();
      await store.close();
      await other.close();
      await pool.end();
    });

    it("refuses a schema name that is not a plain identifier", () => {
      expect(() => postgresStore({ connectionString: url, schema: "x; DROP TABLE y" })).toThrow(TypeError);
    });
  });

  afterAll(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });
}
