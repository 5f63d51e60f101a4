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
});
