/** Every ExecutionStore implementation against the one conformance suite, plus what only SQLite has. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Lease } from "../../src/store/execution-store.js";
import { memoryStore } from "../../src/store/memory-store.js";
import { sqliteStore } from "../../src/store/sqlite-store.js";
import { storeConformance } from "./conformance.js";

const dbPath = () => join(mkdtempSync(join(tmpdir(), "rubberduck-store-")), "runs.db");

storeConformance("memory", async () => memoryStore());
storeConformance("sqlite (process-durable)", () => sqliteStore(dbPath()));
storeConformance("sqlite (power-durable)", () => sqliteStore(dbPath(), { durability: "power" }));

describe("sqlite store", () => {
  it("keeps the journal across close and reopen, and migrates once", async () => {
    const path = dbPath();
    const store = await sqliteStore(path);
    const { lease } = (await store.create(
      { executionId: "e1", workflow: "w", version: "1.0.0", definitionHash: "h", startedAt: 1 },
      [{ seq: 1, type: "workflow.started", at: 1, data: { input: { x: 1 } } }],
      { owner: "a", until: 10 },
    )) as { lease: Lease };
    await store.append(lease, [{ seq: 2, type: "step.succeeded", at: 2, data: { output: "ok" } }], { updatedAt: 2 });
    await store.close();
    const reopened = await sqliteStore(path);
    expect((await reopened.events("e1")).map((e) => e.data)).toEqual([{ input: { x: 1 } }, { output: "ok" }]);
    expect((await reopened.get("e1"))?.lastSeq).toBe(2);
    await reopened.close();
  });

  it("stores large event data by reference, reads it back whole, and prunes it with its execution", async () => {
    const path = dbPath();
    const store = sqliteStore(path, { inlineBytes: 100 });
    const big = { files: Array.from({ length: 200 }, (_, i) => `src/dir/file-${i}.ts`), text: "é".repeat(50) };
    const { lease } = (await store.create(
      { executionId: "e1", workflow: "w", version: "1.0.0", definitionHash: "h", startedAt: 1 },
      [{ seq: 1, type: "workflow.started", at: 1, data: { input: big } }],
      { owner: "a", until: 10 },
    )) as { lease: Lease };
    await store.append(lease, [{ seq: 2, type: "step.succeeded", at: 2, data: { step: "s", output: "small" } }], {
      updatedAt: 2,
    });
    await store.append(lease, [{ seq: 3, type: "workflow.succeeded", at: 3, data: { output: big } }], {
      status: "succeeded",
      updatedAt: 3,
    });
    const events = await store.events("e1");
    expect(events.map((e) => e.data)).toEqual([{ input: big }, { step: "s", output: "small" }, { output: big }]);
    expect((await store.journals(["e1"])).get("e1")).toEqual(events);
    await store.close();
    const Database = (await import("better-sqlite3")).default;
    const db = new Database(path);
    const external = db.prepare("SELECT seq, external FROM events ORDER BY seq").all();
    expect(external).toEqual([
      { seq: 1, external: 1 },
      { seq: 2, external: 0 },
      { seq: 3, external: 1 },
    ]);
    expect(db.prepare("SELECT count(*) AS n FROM payloads").get()).toEqual({ n: 2 });
    db.close();
    const reopened = sqliteStore(path);
    expect(await reopened.prune({ finishedBefore: 10 })).toBe(1);
    await reopened.close();
    const after = new Database(path);
    expect(after.prepare("SELECT count(*) AS n FROM payloads").get()).toEqual({ n: 0 });
    after.close();
  });
});
