/**
 * The Postgres store against the conformance suite, on a real database. Set
 * RUBBERDUCK_TEST_POSTGRES to a connection string to run it (`.ci/run` does); each test
 * gets a schema of its own, dropped at the end.
 */
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
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
      expect(rows).toEqual([{ version: 1 }]);
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
