/**
 * The embedded ExecutionStore, on SQLite (better-sqlite3, in WAL mode): an append-only
 * `events` table keyed (execution_id, seq) and a `runs` projection row per execution,
 * written in the same transaction. Appends made in the same tick share one transaction
 * (group commit: one sync for many executions' events); each append's fence goes first,
 * so that one fenced-out writer changes nothing and does not undo the others.
 *
 * `durability: "process"` (default) survives the process being killed (WAL, synchronous
 * NORMAL); `"power"` syncs every commit to disk (synchronous FULL).
 */

import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
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
  type RunPatch,
  type RunQuery,
  type RunRow,
  type RunStatus,
  recordOf,
} from "./execution-store.js";

/**
 * Options of `sqliteStore`.
 *
 * @example
 * sqliteStore("runs.db", { durability: "power" }) // every commit synced to disk
 */
export interface SqliteStoreOptions {
  /** @default "process" */
  durability?: "process" | "power";
  /** Event data larger than this (in bytes of JSON) is stored by reference, in a row of its own. @default 2048 */
  inlineBytes?: number;
}

/** The schema's migrations, in order; `PRAGMA user_version` counts those applied. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE runs (
     execution_id TEXT PRIMARY KEY,
     workflow TEXT NOT NULL,
     version TEXT NOT NULL,
     definition_hash TEXT NOT NULL,
     status TEXT NOT NULL,
     idempotency_key TEXT UNIQUE,
     parent_id TEXT,
     metadata TEXT NOT NULL,
     owner TEXT,
     lease_until INTEGER,
     epoch INTEGER NOT NULL,
     last_seq INTEGER NOT NULL,
     started_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     finished_at INTEGER
   );
   CREATE INDEX runs_by_start ON runs (started_at DESC, execution_id DESC);
   CREATE INDEX runs_by_status ON runs (status, started_at DESC);
   CREATE INDEX runs_claimable ON runs (lease_until) WHERE status IN ('running', 'stopping', 'compensating');
   CREATE INDEX runs_finished ON runs (finished_at) WHERE finished_at IS NOT NULL;
   CREATE TABLE events (
     execution_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     type TEXT NOT NULL,
     at INTEGER NOT NULL,
     data TEXT NOT NULL,
     PRIMARY KEY (execution_id, seq)
   ) WITHOUT ROWID;`,
  // Large event data (outputs, inputs) by reference: the events table keeps small rows
  // (a WITHOUT ROWID table is slow with big ones), the data is a row of its own.
  `ALTER TABLE events ADD COLUMN external INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE payloads (
     execution_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     data TEXT NOT NULL,
     UNIQUE (execution_id, seq)
   );`,
  // Cancel requests from engines that do not hold the execution (the studio, a CLI).
  `CREATE TABLE cancel_requests (
     execution_id TEXT PRIMARY KEY,
     reason TEXT NOT NULL,
     at INTEGER NOT NULL
   );`,
];

interface PendingAppend {
  readonly lease: Lease;
  readonly events: readonly JournalEvent[];
  readonly patch: RunPatch;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Where the crash tests stop a process on purpose (not public: never set by the library).
 * @internal
 */
export const storeFaults: { inGroupCommit?: () => void } = {};

/**
 * Open (creating and migrating if needed) a SQLite execution store.
 *
 * @example
 * const engine = createEngine({ workflows: [codegen], store: sqliteStore("runs.db") });
 */
export function sqliteStore(path: string, options: SqliteStoreOptions = {}): ExecutionStore {
  const Database = loadDriver();
  const db = new Database(path);
  // Writers wait for each other (every write transaction begins IMMEDIATE, so that the
  // wait applies: a deferred one upgrading from a read would fail at once instead).
  db.pragma("busy_timeout = 5000");
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${options.durability === "power" ? "FULL" : "NORMAL"}`);
  migrate(db);

  const q = {
    run: db.prepare<[string], RunRow>("SELECT * FROM runs WHERE execution_id = ?"),
    byKey: db.prepare<[string], RunRow>("SELECT * FROM runs WHERE idempotency_key = ?"),
    insertRun: db.prepare(
      `INSERT INTO runs (execution_id, workflow, version, definition_hash, status, idempotency_key, parent_id,
         metadata, owner, lease_until, epoch, last_seq, started_at, updated_at, finished_at)
       VALUES (@executionId, @workflow, @version, @definitionHash, 'running', @idempotencyKey, @parentId,
         @metadata, @owner, @until, 1, @lastSeq, @startedAt, @startedAt, NULL)`,
    ),
    insertEvent: db.prepare("INSERT INTO events (execution_id, seq, type, at, data) VALUES (?, ?, ?, ?, ?)"),
    insertExternal: db.prepare(
      "INSERT INTO events (execution_id, seq, type, at, data, external) VALUES (?, ?, ?, ?, 'null', 1)",
    ),
    insertPayload: db.prepare("INSERT INTO payloads (execution_id, seq, data) VALUES (?, ?, ?)"),
    // The fence and the projection in one statement: it changes the row only if the
    // lease's epoch is the execution's, the execution is not finished, and (with events)
    // they follow its last seq.
    // Parameters in order: count, [status, finishedAt,] updatedAt, executionId, epoch, before, before.
    fencedPatch: db.prepare<
      [number, string | null, number | null, number, string, number, number | null, number | null]
    >(
      `UPDATE runs SET last_seq = last_seq + ?, status = COALESCE(?, status),
         finished_at = COALESCE(?, finished_at), updated_at = ?
       WHERE execution_id = ? AND epoch = ?
         AND status NOT IN ('succeeded', 'failed', 'cancelled', 'timed_out')
         AND (? IS NULL OR last_seq = ?)`,
    ),
    // The same without a status change: it leaves the indexed columns alone (the common case).
    fencedSeq: db.prepare<[number, number, string, number, number | null, number | null]>(
      `UPDATE runs SET last_seq = last_seq + ?, updated_at = ?
       WHERE execution_id = ? AND epoch = ?
         AND status NOT IN ('succeeded', 'failed', 'cancelled', 'timed_out')
         AND (? IS NULL OR last_seq = ?)`,
    ),
    renew: db.prepare("UPDATE runs SET lease_until = ? WHERE execution_id = ?"),
    // `gone`: a JSON array of owners known to be gone.
    claimable: db.prepare<[number, string, number], RunRow>(
      `SELECT * FROM runs WHERE status IN ('running', 'stopping', 'compensating')
         AND (lease_until IS NULL OR lease_until < ? OR owner IN (SELECT value FROM json_each(?)))
       ORDER BY started_at, execution_id LIMIT ?`,
    ),
    claimableOne: db.prepare<[string, number, string], RunRow>(
      `SELECT * FROM runs WHERE execution_id = ? AND status IN ('running', 'stopping', 'compensating')
         AND (lease_until IS NULL OR lease_until < ? OR owner IN (SELECT value FROM json_each(?)))`,
    ),
    take: db.prepare("UPDATE runs SET owner = ?, lease_until = ?, epoch = epoch + 1 WHERE execution_id = ?"),
    release: db.prepare(
      `UPDATE runs SET owner = NULL, lease_until = NULL WHERE execution_id = ? AND epoch = ?
         AND status NOT IN ('succeeded', 'failed', 'cancelled', 'timed_out')`,
    ),
    events: db.prepare<[string, number], { seq: number; type: string; at: number; data: string }>(
      `SELECT e.seq, e.type, e.at, CASE WHEN e.external = 1 THEN p.data ELSE e.data END AS data
       FROM events e LEFT JOIN payloads p ON e.external = 1 AND p.execution_id = e.execution_id AND p.seq = e.seq
       WHERE e.execution_id = ? AND e.seq >= ? ORDER BY e.seq`,
    ),
    journals: db.prepare<[string], { execution_id: string; seq: number; type: string; at: number; data: string }>(
      `SELECT e.execution_id, e.seq, e.type, e.at, CASE WHEN e.external = 1 THEN p.data ELSE e.data END AS data
       FROM events e LEFT JOIN payloads p ON e.external = 1 AND p.execution_id = e.execution_id AND p.seq = e.seq
       WHERE e.execution_id IN (SELECT value FROM json_each(?)) ORDER BY e.execution_id, e.seq`,
    ),
    prunable: db.prepare<[number], { execution_id: string }>(
      "SELECT execution_id FROM runs WHERE finished_at IS NOT NULL AND finished_at < ?",
    ),
    deleteEvents: db.prepare("DELETE FROM events WHERE execution_id = ?"),
    deletePayloads: db.prepare("DELETE FROM payloads WHERE execution_id = ?"),
    deleteRun: db.prepare("DELETE FROM runs WHERE execution_id = ?"),
    deleteCancel: db.prepare("DELETE FROM cancel_requests WHERE execution_id = ?"),
    // Kept only for an unfinished execution; the first request's reason stands.
    requestCancel: db.prepare<[string, string, number, string]>(
      `INSERT OR IGNORE INTO cancel_requests (execution_id, reason, at)
       SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM runs WHERE execution_id = ?
         AND status IN ('running', 'stopping', 'compensating'))`,
    ),
    cancelRequests: db.prepare<[string], { execution_id: string; reason: string }>(
      "SELECT execution_id, reason FROM cancel_requests WHERE execution_id IN (SELECT value FROM json_each(?))",
    ),
  };

  const inlineBytes = options.inlineBytes ?? 2_048;
  /** An event row; its data by reference when it is large. */
  const insertEvent = (executionId: string, e: JournalEvent): void => {
    const data = JSON.stringify(e.data);
    // A string's length bounds its UTF-8 size from below; measure only the ones that may be over.
    if (data.length * 3 <= inlineBytes || Buffer.byteLength(data) <= inlineBytes) {
      q.insertEvent.run(executionId, e.seq, e.type, e.at, data);
    } else {
      q.insertExternal.run(executionId, e.seq, e.type, e.at);
      q.insertPayload.run(executionId, e.seq, data);
    }
  };

  /** The row a lease may write, or why not. */
  const leased = (lease: Lease): RunRow => {
    const row = q.run.get(lease.executionId);
    const refused = fenced(lease, row);
    if (refused !== undefined) throw refused;
    return row!;
  };

  /**
   * One append, inside the group's transaction. The fenced UPDATE goes first: a refused
   * append (lease lost, finished, seqs that do not follow) changes nothing and returns
   * why, so that the others in the group need no savepoint. A failure after it (which the
   * fence makes impossible short of an I/O error) throws, and aborts the whole group.
   */
  const append = (op: PendingAppend): Error | undefined => {
    const id = op.lease.executionId;
    const before = op.events.length === 0 ? null : op.events[0]!.seq - 1;
    const finishedAt = finishedAtOf(op.patch);
    try {
      if (before !== null) checkSeqs(id, before, op.events);
    } catch (error) {
      return error as Error;
    }
    const { changes } =
      op.patch.status === undefined && finishedAt === undefined
        ? q.fencedSeq.run(op.events.length, op.patch.updatedAt, id, op.lease.epoch, before, before)
        : q.fencedPatch.run(
            op.events.length,
            op.patch.status ?? null,
            finishedAt ?? null,
            op.patch.updatedAt,
            id,
            op.lease.epoch,
            before,
            before,
          );
    if (changes !== 1) {
      // Refused: say why (the lease, or the seqs).
      const row = q.run.get(id);
      const refused = fenced(op.lease, row);
      if (refused !== undefined) return refused;
      try {
        checkSeqs(id, row!.last_seq, op.events);
      } catch (error) {
        return error as Error;
      }
      return new Error(`Execution ${id}: the append was refused`);
    }
    for (const e of op.events) insertEvent(id, e);
    return undefined;
  };

  // Group commit: the appends of one tick, one transaction.
  let pending: PendingAppend[] = [];
  const busyTries = new WeakMap<PendingAppend, number>();
  const flush = db.transaction((batch: readonly PendingAppend[]) => {
    const outcomes = batch.map(append);
    storeFaults.inGroupCommit?.();
    return outcomes;
  });
  const flushPending = () => {
    const batch = pending;
    pending = [];
    let outcomes: (unknown | undefined)[];
    try {
      outcomes = flush.immediate(batch);
    } catch (error) {
      // The group's transaction failed: none of it was written. The database busy past
      // its timeout (several processes on one file) is worth a few more tries.
      const tries = (busyTries.get(batch[0]!) ?? 0) + 1;
      if ((error as { code?: string }).code === "SQLITE_BUSY" && tries < 5 && !closed) {
        for (const op of batch) busyTries.set(op, tries);
        setTimeout(() => {
          if (pending.length === 0) setImmediate(flushPending);
          pending.unshift(...batch);
        }, 50 * tries);
        return;
      }
      for (const op of batch) op.reject(error);
      return;
    }
    batch.forEach((op, i) => {
      const error = outcomes[i];
      if (error === undefined) op.resolve();
      else op.reject(error);
    });
  };

  let closed = false;
  const open = () => {
    if (closed) throw new Error(`The SQLite store ${path} is closed`);
  };

  return {
    async create(run: NewRun, events, lease): Promise<CreateResult> {
      open();
      return db
        .transaction((): CreateResult => {
          if (run.idempotencyKey !== undefined) {
            const existing = q.byKey.get(run.idempotencyKey);
            if (existing !== undefined) return { created: false, run: recordOf(existing) };
          }
          checkSeqs(run.executionId, 0, events);
          q.insertRun.run({
            executionId: run.executionId,
            workflow: run.workflow,
            version: run.version,
            definitionHash: run.definitionHash,
            idempotencyKey: run.idempotencyKey ?? null,
            parentId: run.parentId ?? null,
            metadata: JSON.stringify(run.metadata ?? {}),
            owner: lease.owner,
            until: lease.until,
            lastSeq: events.length,
            startedAt: run.startedAt,
          });
          for (const e of events) insertEvent(run.executionId, e);
          return {
            created: true,
            lease: { executionId: run.executionId, owner: lease.owner, epoch: 1, until: lease.until },
          };
        })
        .immediate();
    },

    append(lease, events, patch) {
      open();
      return new Promise<void>((resolve, reject) => {
        if (pending.length === 0) setImmediate(flushPending);
        pending.push({ lease, events, patch, resolve, reject });
      });
    },

    async renew(lease, until) {
      open();
      return db
        .transaction(() => {
          leased(lease);
          q.renew.run(until, lease.executionId);
          return { ...lease, until };
        })
        .immediate();
    },

    async release(lease) {
      open();
      q.release.run(lease.executionId, lease.epoch);
    },

    async claim({ owner, now, until, limit, executionIds, gone }) {
      open();
      const goneOwners = JSON.stringify(gone ?? []);
      return db
        .transaction(() => {
          const rows =
            executionIds === undefined
              ? q.claimable.all(now, goneOwners, limit)
              : executionIds
                  .flatMap((id) => q.claimableOne.all(id, now, goneOwners) as RunRow[])
                  .sort((a, b) => a.started_at - b.started_at || (a.execution_id < b.execution_id ? -1 : 1))
                  .slice(0, limit);
          return rows.map((row): Lease => {
            q.take.run(owner, until, row.execution_id);
            return { executionId: row.execution_id, owner, epoch: row.epoch + 1, until };
          });
        })
        .immediate();
    },

    async get(executionId) {
      open();
      const row = q.run.get(executionId);
      return row === undefined ? undefined : recordOf(row);
    },

    async requestCancel(executionId, reason) {
      open();
      q.requestCancel.run(executionId, reason, Date.now(), executionId);
      const row = q.run.get(executionId);
      return row !== undefined && !FINAL_STATUSES.has(row.status as RunStatus);
    },

    async cancelRequests(executionIds) {
      open();
      return new Map(q.cancelRequests.all(JSON.stringify(executionIds)).map((r) => [r.execution_id, r.reason]));
    },

    async journals(executionIds) {
      open();
      const found = new Map<string, JournalEvent[]>();
      const rows = q.journals.all(JSON.stringify(executionIds));
      for (const e of rows) {
        let list = found.get(e.execution_id);
        if (list === undefined) found.set(e.execution_id, (list = []));
        list.push({ seq: e.seq, type: e.type, at: e.at, data: JSON.parse(e.data) as unknown });
      }
      return found;
    },

    async events(executionId, fromSeq = 1) {
      open();
      return q.events
        .all(executionId, fromSeq)
        .map((e) => ({ seq: e.seq, type: e.type, at: e.at, data: JSON.parse(e.data) as unknown }));
    },

    async list(query: RunQuery = {}) {
      open();
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (query.status !== undefined) {
        const statuses = [query.status].flat();
        where.push(`status IN (${statuses.map(() => "?").join(", ")})`);
        params.push(...statuses);
      }
      if (query.workflow !== undefined) {
        where.push("workflow = ?");
        params.push(query.workflow);
      }
      if (query.startedAfter !== undefined) {
        where.push("started_at > ?");
        params.push(query.startedAfter);
      }
      if (query.startedBefore !== undefined) {
        where.push("started_at < ?");
        params.push(query.startedBefore);
      }
      if (query.cursor !== undefined) {
        const [startedAt, id] = decodeCursor(query.cursor);
        where.push("(started_at < ? OR (started_at = ? AND execution_id < ?))");
        params.push(startedAt, startedAt, id);
      }
      const limit = query.limit ?? 50;
      const sql =
        `SELECT * FROM runs ${where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`} ` +
        "ORDER BY started_at DESC, execution_id DESC LIMIT ?";
      const rows = db.prepare<(string | number)[], RunRow>(sql).all(...params, limit + 1);
      const runs = rows.slice(0, limit).map(recordOf);
      return { runs, cursor: rows.length > limit ? encodeCursor(runs.at(-1)!) : undefined };
    },

    async prune({ finishedBefore }) {
      open();
      return db
        .transaction(() => {
          const ids = q.prunable.all(finishedBefore);
          for (const { execution_id } of ids) {
            q.deleteEvents.run(execution_id);
            q.deletePayloads.run(execution_id);
            q.deleteRun.run(execution_id);
            q.deleteCancel.run(execution_id);
          }
          return ids.length;
        })
        .immediate();
    },

    async close() {
      if (closed) return;
      if (pending.length > 0) flushPending();
      closed = true;
      db.close();
    },
  };
}

/** better-sqlite3, an optional peer dependency: loaded when a SQLite store is opened. */
function loadDriver(): typeof BetterSqlite3 {
  try {
    return createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`sqliteStore needs the better-sqlite3 package (npm install better-sqlite3@12): ${reason}`, {
      cause: error,
    });
  }
}

/** Apply the migrations this database lacks, in one transaction. */
function migrate(db: BetterSqlite3.Database): void {
  const version = () => db.pragma("user_version", { simple: true }) as number;
  const check = (applied: number) => {
    if (applied > MIGRATIONS.length) {
      throw new Error(
        `This store's schema is version ${applied}, newer than this library knows (${MIGRATIONS.length})`,
      );
    }
  };
  check(version());
  if (version() === MIGRATIONS.length) return;
  db.transaction(() => {
    // Read again under the write lock: another process may have migrated meanwhile.
    const applied = version();
    check(applied);
    for (let v = applied; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}
