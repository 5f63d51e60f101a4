/**
 * The ExecutionStore conformance suite: every implementation must pass it (memory,
 * SQLite, and any later backend). Call it with a factory of fresh, empty stores.
 */
import { describe, expect, it } from "vitest";
import {
  type ExecutionStore,
  type JournalEvent,
  type Lease,
  LeaseLostError,
  type NewRun,
} from "../../src/store/execution-store.js";

const run = (id: string, over: Partial<NewRun> = {}): NewRun => ({
  executionId: id,
  workflow: "codegen",
  version: "1.0.0",
  definitionHash: "sha256-abc",
  startedAt: 1_000,
  ...over,
});

const ev = (seq: number, type = "step.succeeded", data: unknown = { step: `s${seq}` }): JournalEvent => ({
  seq,
  type,
  at: 1_000 + seq,
  data,
});

export function storeConformance(name: string, open: () => ExecutionStore | Promise<ExecutionStore>): void {
  describe(`${name} store: the ExecutionStore contract`, () => {
    const withStore = (test: (store: ExecutionStore) => Promise<void>) => async () => {
      const store = await open();
      try {
        await test(store);
      } finally {
        await store.close();
      }
    };

    it(
      "journals an execution's events in seq order, with their data, beside its projection",
      withStore(async (store) => {
        const created = await store.create(run("e1", { metadata: { pr: 42 } }), [ev(1, "workflow.started")], {
          owner: "a",
          until: 5_000,
        });
        expect(created.created).toBe(true);
        const lease = (created as { lease: Lease }).lease;
        expect(lease).toEqual({ executionId: "e1", owner: "a", epoch: 1, until: 5_000 });
        await Promise.all([store.append(lease, [ev(2), ev(3)], { updatedAt: 1_003 })]);
        await store.append(lease, [ev(4, "workflow.succeeded", { output: { n: 1 } })], {
          status: "succeeded",
          updatedAt: 1_004,
        });
        expect((await store.events("e1")).map((e) => [e.seq, e.type])).toEqual([
          [1, "workflow.started"],
          [2, "step.succeeded"],
          [3, "step.succeeded"],
          [4, "workflow.succeeded"],
        ]);
        expect((await store.events("e1", 3)).map((e) => e.seq)).toEqual([3, 4]);
        expect((await store.events("e1")).at(-1)?.data).toEqual({ output: { n: 1 } });
        expect(await store.get("e1")).toMatchObject({
          status: "succeeded",
          lastSeq: 4,
          finishedAt: 1_004,
          metadata: { pr: 42 },
          owner: "a",
          epoch: 1,
        });
        expect(await store.get("nope")).toBeUndefined();
      }),
    );

    it(
      "refuses a gap or a repeat in the seqs, and writes nothing of that append",
      withStore(async (store) => {
        const { lease } = (await store.create(run("e1"), [ev(1)], { owner: "a", until: 5_000 })) as { lease: Lease };
        await expect(store.append(lease, [ev(3)], { updatedAt: 2 })).rejects.toThrow(/expected event seq 2, got 3/);
        await expect(store.append(lease, [ev(2), ev(2)], { updatedAt: 2 })).rejects.toThrow(/expected event seq 3/);
        expect((await store.events("e1")).map((e) => e.seq)).toEqual([1]);
        expect((await store.get("e1"))?.lastSeq).toBe(1);
      }),
    );

    it(
      "an idempotency key already held returns that execution and changes nothing",
      withStore(async (store) => {
        await store.create(run("e1", { idempotencyKey: "order-42" }), [ev(1)], { owner: "a", until: 5_000 });
        const again = await store.create(run("e2", { idempotencyKey: "order-42" }), [ev(1)], {
          owner: "b",
          until: 5_000,
        });
        expect(again.created).toBe(false);
        expect((again as { run: { executionId: string } }).run.executionId).toBe("e1");
        expect(await store.get("e2")).toBeUndefined();
      }),
    );

    it(
      "fences every write by the lease epoch: a claimed execution refuses its old owner",
      withStore(async (store) => {
        const { lease: old } = (await store.create(run("e1"), [ev(1)], { owner: "a", until: 2_000 })) as {
          lease: Lease;
        };
        // Not expired yet: nobody may claim it.
        expect(await store.claim({ owner: "b", now: 1_500, until: 9_000, limit: 10 })).toEqual([]);
        const [taken] = await store.claim({ owner: "b", now: 2_500, until: 9_000, limit: 10 });
        expect(taken).toEqual({ executionId: "e1", owner: "b", epoch: 2, until: 9_000 });
        await expect(store.append(old, [ev(2)], { updatedAt: 3 })).rejects.toBeInstanceOf(LeaseLostError);
        await expect(store.renew(old, 10_000)).rejects.toBeInstanceOf(LeaseLostError);
        await store.append(taken!, [ev(2)], { updatedAt: 3 });
        expect(await store.renew(taken!, 12_000)).toEqual({ ...taken, until: 12_000 });
        expect(await store.get("e1")).toMatchObject({ owner: "b", epoch: 2, leaseUntil: 12_000, lastSeq: 2 });
      }),
    );

    it(
      "takes over a lease still held by an owner known to be gone, and only that owner's",
      withStore(async (store) => {
        await store.create(run("e1"), [ev(1)], { owner: "host:1", until: 5_000 });
        expect(await store.claim({ owner: "b", now: 1_000, until: 9_000, limit: 10, gone: ["host:2"] })).toEqual([]);
        const [taken] = await store.claim({ owner: "b", now: 1_000, until: 9_000, limit: 10, gone: ["host:1"] });
        expect(taken).toEqual({ executionId: "e1", owner: "b", epoch: 2, until: 9_000 });
        const one = await store.claim({
          owner: "c",
          now: 1_000,
          until: 9_000,
          limit: 1,
          executionIds: ["e1"],
          gone: ["b"],
        });
        expect(one.map((l) => l.epoch)).toEqual([3]);
      }),
    );

    it(
      "releases a lease (an engine closing): claimable at once; a lease already lost is not released by its old owner",
      withStore(async (store) => {
        const { lease } = (await store.create(run("e1"), [ev(1)], { owner: "a", until: 9_000 })) as { lease: Lease };
        await store.release(lease);
        expect(await store.get("e1")).toMatchObject({ owner: undefined, leaseUntil: undefined, epoch: 1 });
        const [b] = await store.claim({ owner: "b", now: 1_000, until: 3_000, limit: 10 });
        expect(b).toEqual({ executionId: "e1", owner: "b", epoch: 2, until: 3_000 });
        await store.release(lease);
        expect((await store.get("e1"))!.owner).toBe("b");
      }),
    );

    it(
      "reads several journals at once, each in seq order, leaving out unknown executions",
      withStore(async (store) => {
        for (const id of ["a", "b"]) {
          const { lease } = (await store.create(run(id), [ev(1)], { owner: "o", until: 9_000 })) as { lease: Lease };
          await store.append(lease, [ev(2), ev(3)], { updatedAt: 2 });
        }
        const journals = await store.journals(["b", "nope", "a"]);
        expect([...journals.keys()].sort()).toEqual(["a", "b"]);
        expect(journals.get("a")!.map((e) => e.seq)).toEqual([1, 2, 3]);
        expect(journals.get("b")).toEqual(await store.events("b"));
      }),
    );

    it(
      "claims a batch of named executions at once: only the claimable ones, oldest first",
      withStore(async (store) => {
        await store.create({ ...run("old"), startedAt: 1 }, [ev(1)], { owner: "a", until: 2_000 });
        await store.create({ ...run("held"), startedAt: 2 }, [ev(1)], { owner: "a", until: 9_000 });
        await store.create({ ...run("new"), startedAt: 3 }, [ev(1)], { owner: "a", until: 2_000 });
        const ids = ["new", "held", "missing", "old"];
        const leases = await store.claim({ owner: "b", now: 3_000, until: 9_000, limit: 10, executionIds: ids });
        expect(leases.map((l) => l.executionId)).toEqual(["old", "new"]);
        expect(await store.claim({ owner: "c", now: 3_000, until: 9_000, limit: 10, executionIds: ids })).toEqual([]);
      }),
    );

    it(
      "a group of appends in one tick: each stands or falls on its own",
      withStore(async (store) => {
        const leases: Lease[] = [];
        for (const id of ["a", "b", "c"]) {
          leases.push(((await store.create(run(id), [ev(1)], { owner: "o", until: 2_000 })) as { lease: Lease }).lease);
        }
        const stale = { ...leases[1]!, epoch: 0 };
        const outcomes = await Promise.allSettled([
          store.append(leases[0]!, [ev(2)], { updatedAt: 2 }),
          store.append(stale, [ev(2)], { updatedAt: 2 }),
          store.append(leases[2]!, [ev(2), ev(3)], { updatedAt: 2 }),
        ]);
        expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
        expect((await store.get("a"))?.lastSeq).toBe(2);
        expect((await store.get("b"))?.lastSeq).toBe(1);
        expect((await store.get("c"))?.lastSeq).toBe(3);
      }),
    );

    it(
      "nothing is appended to a finished execution, and it is never claimed",
      withStore(async (store) => {
        const { lease } = (await store.create(run("e1"), [ev(1)], { owner: "a", until: 2_000 })) as { lease: Lease };
        await store.append(lease, [ev(2, "workflow.failed")], { status: "failed", updatedAt: 1_500 });
        await expect(store.append(lease, [ev(3)], { updatedAt: 1_600 })).rejects.toBeInstanceOf(LeaseLostError);
        expect(await store.claim({ owner: "b", now: 99_000, until: 100_000, limit: 10 })).toEqual([]);
      }),
    );

    it(
      "claims expired leases oldest first, in batches, one owner per execution",
      withStore(async (store) => {
        for (let i = 0; i < 5; i++) {
          await store.create(run(`e${i}`, { startedAt: 1_000 + i }), [ev(1)], { owner: "dead", until: 2_000 });
        }
        const first = await store.claim({ owner: "b", now: 3_000, until: 9_000, limit: 2 });
        const second = await store.claim({ owner: "c", now: 3_000, until: 9_000, limit: 10 });
        expect(first.map((l) => l.executionId)).toEqual(["e0", "e1"]);
        expect(second.map((l) => l.executionId)).toEqual(["e2", "e3", "e4"]);
        expect(await store.claim({ owner: "d", now: 3_000, until: 9_000, limit: 10 })).toEqual([]);
        const one = await store.claim({ owner: "e", now: 9_500, until: 20_000, limit: 1, executionIds: ["e3"] });
        expect(one).toEqual([{ executionId: "e3", owner: "e", epoch: 3, until: 20_000 }]);
      }),
    );

    it(
      "lists newest first, filtered by status, workflow and time, a page at a time",
      withStore(async (store) => {
        for (let i = 0; i < 7; i++) {
          const created = await store.create(
            run(`e${i}`, { startedAt: 1_000 + i, workflow: i % 2 === 0 ? "even" : "odd" }),
            [ev(1)],
            { owner: "a", until: 9_000 },
          );
          if (i < 3) {
            const { lease } = created as { lease: Lease };
            await store.append(lease, [ev(2)], { status: "succeeded", updatedAt: 2_000 + i });
          }
        }
        const ids = (page: { runs: readonly { executionId: string }[] }) => page.runs.map((r) => r.executionId);
        const p1 = await store.list({ limit: 3 });
        expect(ids(p1)).toEqual(["e6", "e5", "e4"]);
        const p2 = await store.list({ limit: 3, cursor: p1.cursor });
        expect(ids(p2)).toEqual(["e3", "e2", "e1"]);
        const p3 = await store.list({ limit: 3, cursor: p2.cursor });
        expect(ids(p3)).toEqual(["e0"]);
        expect(p3.cursor).toBeUndefined();
        expect(ids(await store.list({ status: "succeeded" }))).toEqual(["e2", "e1", "e0"]);
        expect(ids(await store.list({ status: ["running"], workflow: "even" }))).toEqual(["e6", "e4"]);
        expect(ids(await store.list({ startedAfter: 1_002, startedBefore: 1_005 }))).toEqual(["e4", "e3"]);
        await expect(store.list({ cursor: "not-a-cursor" })).rejects.toThrow(RangeError);
      }),
    );

    it(
      "prunes finished executions and their journals, nothing else",
      withStore(async (store) => {
        for (const [id, finishes] of [
          ["old", 1_500],
          ["new", 5_000],
          ["live", undefined],
        ] as const) {
          const { lease } = (await store.create(run(id, { idempotencyKey: `k-${id}` }), [ev(1)], {
            owner: "a",
            until: 9_000,
          })) as { lease: Lease };
          if (finishes !== undefined) await store.append(lease, [ev(2)], { status: "succeeded", updatedAt: finishes });
        }
        expect(await store.prune({ finishedBefore: 2_000 })).toBe(1);
        expect(await store.get("old")).toBeUndefined();
        expect(await store.events("old")).toEqual([]);
        expect(await store.get("new")).toBeDefined();
        expect(await store.get("live")).toBeDefined();
        // Its idempotency key is free again.
        expect(
          (await store.create(run("old2", { idempotencyKey: "k-old" }), [ev(1)], { owner: "a", until: 1 })).created,
        ).toBe(true);
      }),
    );

    it(
      "keeps a cancel request for an unfinished execution (the first reason stands), and none for a finished one",
      withStore(async (store) => {
        if (store.requestCancel === undefined || store.cancelRequests === undefined) return;
        const { lease } = (await store.create(run("live"), [ev(1)], { owner: "a", until: 9_000 })) as { lease: Lease };
        const done = (await store.create(run("done"), [ev(1)], { owner: "a", until: 9_000 })) as { lease: Lease };
        await store.append(done.lease, [ev(2)], { status: "succeeded", updatedAt: 2 });
        expect(await store.cancelRequests(["live", "done", "nope"])).toEqual(new Map());
        expect(await store.requestCancel("live", "from the studio")).toBe(true);
        expect(await store.requestCancel("live", "again")).toBe(true);
        expect(await store.requestCancel("done", "too late")).toBe(false);
        expect(await store.requestCancel("nope", "no such")).toBe(false);
        expect(await store.cancelRequests(["live", "done", "nope"])).toEqual(new Map([["live", "from the studio"]]));
        // The request does not fence the lease: its holder goes on writing, and cancels.
        await store.append(lease, [ev(2)], { status: "cancelled", updatedAt: 3 });
        expect(await store.prune({ finishedBefore: 10 })).toBe(2);
        expect(await store.cancelRequests(["live"])).toEqual(new Map());
      }),
    );
  });
}
