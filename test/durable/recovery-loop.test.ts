/**
 * `recoverEvery`: an engine that takes over on its own — when another engine closes
 * (woken at once by the store's release hint, where the store has one: memory, and
 * Postgres with LISTEN/NOTIFY), and when a dead engine's lease expires (it looks again
 * when the lease it saw is due, not a whole period later). On every store.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createEngine, type ExecutionStore, memoryStore, sqliteStore, workflow } from "../../src/index.js";
import { postgresStore } from "../../src/store/postgres-store.js";
import { postgresSchemas } from "./support.js";

const postgres = process.env.RUBBERDUCK_TEST_POSTGRES;
const freshSchema = postgresSchemas("loop");

/** Until a Postgres session has run LISTEN on the schema's channel (the hint is set up). */
async function listening(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgres });
  await client.connect();
  try {
    for (let i = 0; i < 500; i++) {
      const { rows } = await client.query("SELECT 1 FROM pg_stat_activity WHERE query = $1", [
        `LISTEN rubberduck_${schema}`,
      ]);
      if (rows.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error("the store never listened");
  } finally {
    await client.end();
  }
}

interface Kind {
  /** Open a shared store: one per engine, as separate processes would have. */
  shared(): { open: () => ExecutionStore; hinted: () => Promise<void> };
  /** Whether the store wakes recovery loops when a lease is released. */
  hint: boolean;
}

const kinds: [string, Kind][] = [
  [
    "memory",
    {
      shared: () => {
        const store = memoryStore();
        return { open: () => store, hinted: async () => {} };
      },
      hint: true,
    },
  ],
  [
    "sqlite",
    {
      shared: () => {
        const path = join(mkdtempSync(join(tmpdir(), "rubberduck-loop-")), "runs.db");
        return { open: () => sqliteStore(path), hinted: async () => {} };
      },
      hint: false,
    },
  ],
  ...(postgres === undefined
    ? []
    : ([
        [
          "postgres",
          {
            shared: () => {
              const schema = freshSchema();
              return {
                open: () => postgresStore({ connectionString: postgres, schema, max: 3 }),
                hinted: () => listening(schema),
              };
            },
            hint: true,
          },
        ],
      ] as [string, Kind][])),
];

const hang = (_input: unknown, ctx: { signal: AbortSignal }) =>
  new Promise<never>((_resolve, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)));
const flow = workflow("looped").step("wait", { run: hang });

const ownerOf = async (store: ExecutionStore, id: string, owner: string, withinMs: number) => {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    if ((await store.get(id))?.owner === owner) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
};

describe.each(kinds)("recoverEvery on the %s store", (_name, { shared, hint }) => {
  it.runIf(hint)("takes over at once what another engine released on close (woken by the store)", async () => {
    const { open, hinted } = shared();
    const [a, b] = [open(), open()];
    const one = createEngine({ workflows: [flow], store: a, owner: "one" });
    const run = one.start(flow, {});
    run.result.catch(() => {});
    while ((await a.get(run.id)) === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    // Its first look finds the lease held (for 30 s): without the hint it would look again in 30 s.
    const two = createEngine({ workflows: [flow], store: b, owner: "two", recoverEvery: 60_000 });
    await hinted();
    expect((await b.get(run.id))?.owner).toBe("one");
    await one.close();
    expect(await ownerOf(b, run.id, "two", 3_000)).toBe(true);
    await two.close();
    if (a !== b) await Promise.all([a.close(), b.close()]);
  });

  it("takes over a dead engine's execution when its lease expires, not a period later", async () => {
    const { open } = shared();
    const [a, b] = [open(), open()];
    // Engine one "dies": its clock stands still, so its renewals keep the lease where it was.
    const t0 = Date.now();
    const frozen = {
      now: () => t0,
      setTimeout: (f: () => void, ms: number) => setTimeout(f, ms),
      clearTimeout: (h: unknown) => clearTimeout(h as never),
    };
    const one = createEngine({ workflows: [flow], store: a, owner: "one", leaseMs: 400, clock: frozen });
    const run = one.start(flow, {});
    run.result.catch(() => {});
    while ((await a.get(run.id)) === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    const two = createEngine({ workflows: [flow], store: b, owner: "two", recoverEvery: 60_000 });
    expect(await ownerOf(b, run.id, "two", 3_000)).toBe(true);
    await Promise.all([one.close(), two.close()]);
    if (a !== b) await Promise.all([a.close(), b.close()]);
  });

  it("refuses a period that is not a positive number, and a loop without a store", () => {
    expect(() => createEngine({ store: shared().open(), recoverEvery: 0 })).toThrow(TypeError);
    expect(() => createEngine({ recoverEvery: 1_000 })).toThrow(/needs a `store`/);
  });
});
