/**
 * The in-memory ExecutionStore: maps of projection rows and journals, for tests and
 * for engines that need no durability. Same semantics as the durable stores (the
 * conformance suite holds them all), at the cost of a map lookup.
 */

import {
  type CreateResult,
  checkSeqs,
  decodeCursor,
  type ExecutionStore,
  encodeCursor,
  FINAL_STATUSES,
  fenced,
  finishedAtOf,
  type JournalEvent,
  type Lease,
  type NewRun,
  type RunPage,
  type RunPatch,
  type RunQuery,
  type RunRecord,
} from "./execution-store.js";

interface Row {
  run: RunRecord;
  journal: JournalEvent[];
  /** Why someone asked for it to be cancelled. */
  cancel?: string;
}

/**
 * Create an in-memory execution store.
 *
 * @example
 * const store = memoryStore();
 */
export function memoryStore(): ExecutionStore {
  const rows = new Map<string, Row>();
  const byKey = new Map<string, string>();
  const released = new Set<() => void>();

  const leased = (lease: Lease): Row => {
    const row = rows.get(lease.executionId);
    const refused = fenced(lease, row?.run);
    if (refused !== undefined) throw refused;
    return row!;
  };

  return {
    async create(run: NewRun, events, lease): Promise<CreateResult> {
      if (run.idempotencyKey !== undefined) {
        const existing = byKey.get(run.idempotencyKey);
        if (existing !== undefined) return { created: false, run: rows.get(existing)!.run };
      }
      if (rows.has(run.executionId)) throw new RangeError(`Execution ${run.executionId} exists already`);
      checkSeqs(run.executionId, 0, events);
      const record: RunRecord = {
        executionId: run.executionId,
        workflow: run.workflow,
        version: run.version,
        definitionHash: run.definitionHash,
        status: "running",
        idempotencyKey: run.idempotencyKey,
        parentId: run.parentId,
        metadata: run.metadata ?? {},
        owner: lease.owner,
        leaseUntil: lease.until,
        epoch: 1,
        lastSeq: events.length,
        startedAt: run.startedAt,
        updatedAt: run.startedAt,
        finishedAt: undefined,
      };
      rows.set(run.executionId, { run: record, journal: [...events] });
      if (run.idempotencyKey !== undefined) byKey.set(run.idempotencyKey, run.executionId);
      return {
        created: true,
        lease: { executionId: run.executionId, owner: lease.owner, epoch: 1, until: lease.until },
      };
    },

    async append(lease, events, patch: RunPatch) {
      const row = leased(lease);
      checkSeqs(lease.executionId, row.run.lastSeq, events);
      row.journal.push(...events);
      row.run = {
        ...row.run,
        lastSeq: row.run.lastSeq + events.length,
        status: patch.status ?? row.run.status,
        finishedAt: finishedAtOf(patch) ?? row.run.finishedAt,
        updatedAt: patch.updatedAt,
      };
    },

    async renew(lease, until) {
      const row = leased(lease);
      row.run = { ...row.run, leaseUntil: until };
      return { ...lease, until };
    },

    async release(lease) {
      const row = rows.get(lease.executionId);
      if (row === undefined || fenced(lease, row.run) !== undefined) return;
      row.run = { ...row.run, owner: undefined, leaseUntil: undefined };
      for (const listener of released) queueMicrotask(listener);
    },

    onReleased(listener) {
      const guarded = () => {
        try {
          listener();
        } catch {
          // a hint: a listener that throws misses it
        }
      };
      released.add(guarded);
      return () => released.delete(guarded);
    },

    async claim({ owner, now, until, limit, executionIds, gone }) {
      const goneOwners = new Set(gone ?? []);
      const pool =
        executionIds === undefined
          ? [...rows.values()].map((row) => row.run)
          : executionIds.flatMap((id) => {
              const run = rows.get(id)?.run;
              return run === undefined ? [] : [run];
            });
      const candidates = pool
        .filter(
          (run) =>
            !FINAL_STATUSES.has(run.status) &&
            (run.leaseUntil === undefined ||
              run.leaseUntil < now ||
              (run.owner !== undefined && goneOwners.has(run.owner))),
        )
        .sort((a, b) => a.startedAt - b.startedAt || a.executionId.localeCompare(b.executionId))
        .slice(0, limit);
      return candidates.map((run) => {
        const epoch = run.epoch + 1;
        rows.get(run.executionId)!.run = { ...run, owner, leaseUntil: until, epoch };
        return { executionId: run.executionId, owner, epoch, until };
      });
    },

    async get(executionId) {
      return rows.get(executionId)?.run;
    },

    async requestCancel(executionId, reason) {
      const row = rows.get(executionId);
      if (row === undefined || FINAL_STATUSES.has(row.run.status)) return false;
      row.cancel ??= reason;
      return true;
    },

    async cancelRequests(executionIds) {
      const found = new Map<string, string>();
      for (const id of executionIds) {
        const reason = rows.get(id)?.cancel;
        if (reason !== undefined) found.set(id, reason);
      }
      return found;
    },

    async journals(executionIds) {
      const found = new Map<string, JournalEvent[]>();
      for (const id of executionIds) {
        const row = rows.get(id);
        if (row !== undefined) found.set(id, row.journal.slice());
      }
      return found;
    },

    async events(executionId, fromSeq = 1) {
      return (rows.get(executionId)?.journal ?? []).filter((event) => event.seq >= fromSeq);
    },

    async list(query: RunQuery = {}): Promise<RunPage> {
      const statuses = query.status === undefined ? undefined : new Set([query.status].flat());
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      const limit = query.limit ?? 50;
      const runs = [...rows.values()]
        .map((row) => row.run)
        .filter(
          (run) =>
            (statuses === undefined || statuses.has(run.status)) &&
            (query.workflow === undefined || run.workflow === query.workflow) &&
            (query.startedAfter === undefined || run.startedAt > query.startedAfter) &&
            (query.startedBefore === undefined || run.startedAt < query.startedBefore),
        )
        .sort((a, b) => b.startedAt - a.startedAt || b.executionId.localeCompare(a.executionId))
        .filter(
          (run) =>
            after === undefined ||
            run.startedAt < after[0] ||
            (run.startedAt === after[0] && run.executionId.localeCompare(after[1]) < 0),
        );
      const page = runs.slice(0, limit);
      return { runs: page, cursor: runs.length > limit ? encodeCursor(page.at(-1)!) : undefined };
    },

    async prune({ finishedBefore }) {
      let pruned = 0;
      for (const [id, row] of rows) {
        if (row.run.finishedAt !== undefined && row.run.finishedAt < finishedBefore) {
          rows.delete(id);
          if (row.run.idempotencyKey !== undefined) byKey.delete(row.run.idempotencyKey);
          pruned++;
        }
      }
      return pruned;
    },

    async close() {},
  };
}
