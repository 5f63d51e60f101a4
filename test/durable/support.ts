/**
 * What the durable tests share: Postgres schemas of their own (dropped after the file),
 * and child processes bundled once with esbuild (a process starts in a quarter of the
 * time tsx takes).
 */
import { join } from "node:path";
import { build } from "esbuild";
import pg from "pg";
import { afterAll } from "vitest";

/**
 * Fresh Postgres schema names for this file's tests, all dropped once the file is done.
 * Call at the top level of a test file.
 */
export function postgresSchemas(prefix: string): () => string {
  const url = process.env.RUBBERDUCK_TEST_POSTGRES;
  const schemas: string[] = [];
  afterAll(async () => {
    if (url === undefined || schemas.length === 0) return;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });
  return () => {
    const schema = `rd_${prefix}_${process.pid}_${schemas.length}_${Math.random().toString(36).slice(2, 8)}`;
    schemas.push(schema);
    return schema;
  };
}

/** Where a bundled child lives (beside node_modules, so that its externals resolve). */
export function bundledChild(name: string): string {
  return join(import.meta.dirname, `../../node_modules/.cache/rubberduck-${name}/child.mjs`);
}

/** Bundle the child process `source` into `bundledChild(name)`; the drivers stay external. */
export async function bundleChild(source: string, name: string): Promise<void> {
  await build({
    entryPoints: [source],
    outfile: bundledChild(name),
    bundle: true,
    platform: "node",
    format: "esm",
    external: ["better-sqlite3", "pg"],
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    logLevel: "warning",
  });
}
