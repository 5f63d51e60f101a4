/**
 * The shared ExecutionStore, on PostgreSQL (`pg` 8, an optional peer dependency: this
 * entry point, `@rubberduck/workflows/postgres`, is the only one that imports it). Same
 * concepts as the SQLite store: an append-only `events` table keyed (execution_id, seq),
 * a `runs` projection row per execution, written in one transaction. Group commit: the
 * creates and appends that arrive while a group is being written go in the next, as one
 * statement (one round trip and one commit however many executions it holds; two groups
 * in flight at most). A write that finds the server out of reach throws a
 * StoreUnavailableError (the engine retries it), and a retried write whose first try
 * committed is recognised and not written twice. Claims take rows with `FOR UPDATE SKIP LOCKED`, so engines
 * recovering at once split the work instead of waiting on each other. Large event data
 * is stored out of line by Postgres itself (TOAST).
 *
 * The schema lives in its own Postgres schema (default `rubberduck`), created by a
 * versioned migration the store runs on first use, under an advisory lock.
 */

import { randomUUID } from "node:crypto";
import pg from "pg";
import { LeaseLostError, StoreUnavailableError } from "../errors.js";
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
 * Options of `postgresStore`: a connection string (the store makes and owns its pool) or
 * a pool of yours (left open on `close`).
 *
 * @example
 * postgresStore({ connectionString: process.env.DATABASE_URL, max: 10 })
 */
export interface PostgresStoreOptions {
  readonly connectionString?: string;
  /** A pool of yours: the store uses it and leaves it open. */
  readonly pool?: pg.Pool;
  /** The pool's size, when the store makes it. @default 10 */
  readonly max?: number;
  /** The Postgres schema of the tables. @default "rubberduck" */
  readonly schema?: string;
}

/** The schema's migrations, in order; `<schema>.schema_version` holds how many are applied. */
const MIGRATIONS: readonly ((s: string) => string)[] = [
  (s) => `
    CREATE TABLE ${s}.runs (
      execution_id text PRIMARY KEY,
      workflow text NOT NULL,
      version text NOT NULL,
      definition_hash text NOT NULL,
      status text NOT NULL,
      idempotency_key text UNIQUE,
      parent_id text,
      metadata text NOT NULL,
      owner text,
      lease_until bigint,
      epoch integer NOT NULL,
      last_seq integer NOT NULL,
      started_at bigint NOT NULL,
      updated_at bigint NOT NULL,
      finished_at bigint
    );
    CREATE INDEX runs_by_start ON ${s}.runs (started_at DESC, execution_id DESC);
    CREATE INDEX runs_by_status ON ${s}.runs (status, started_at DESC);
    CREATE INDEX runs_by_workflow ON ${s}.runs (workflow, started_at DESC);
    CREATE INDEX runs_claimable ON ${s}.runs (started_at, execution_id)
      WHERE status IN ('running', 'stopping', 'compensating');
    CREATE INDEX runs_finished ON ${s}.runs (finished_at) WHERE finished_at IS NOT NULL;
    CREATE TABLE ${s}.events (
      execution_id text NOT NULL,
      seq integer NOT NULL,
      type text NOT NULL,
      at bigint NOT NULL,
      data text NOT NULL,
      PRIMARY KEY (execution_id, seq)
    );`,
  // Listing indexes whose order is the list's whole order (no sort on top of them).
  (s) => `
    -- Room on each page, so that an append's update of its row (no indexed column changes) stays on the page (HOT).
    ALTER TABLE ${s}.runs SET (fillfactor = 70);
    DROP INDEX ${s}.runs_by_status;
    DROP INDEX ${s}.runs_by_workflow;
    CREATE INDEX runs_by_status ON ${s}.runs (status, started_at DESC, execution_id DESC);
    CREATE INDEX runs_by_workflow ON ${s}.runs (workflow, started_at DESC, execution_id DESC);`,
  // A token of the create that made the row: how a retried create knows the row as its own.
  (s) => `ALTER TABLE ${s}.runs ADD COLUMN IF NOT EXISTS creator text;`,
  // Cancel requests from engines that do not hold the execution (the studio, a CLI).
  (s) => `
    CREATE TABLE ${s}.cancel_requests (
      execution_id text PRIMARY KEY,
      reason text NOT NULL,
      at bigint NOT NULL
    );`,
];

/** The projection's columns, bigints read as numbers (epoch milliseconds fit a double). */
const RUN_COLUMNS = `execution_id, workflow, version, definition_hash, status, idempotency_key, parent_id, metadata,
  owner, lease_until::float8 AS lease_until, epoch, last_seq, started_at::float8 AS started_at,
  updated_at::float8 AS updated_at, finished_at::float8 AS finished_at`;

const UNFINISHED = "('running', 'stopping', 'compensating')";
/** Group commits in flight at once, per store. */
const FLUSHES = 2;
const FINAL = "('succeeded', 'failed', 'cancelled', 'timed_out')";

interface CurrentRow {
  readonly execution_id: string;
  readonly epoch: number;
  readonly status: string;
  readonly last_seq: number;
}

/**
 * Errors that say the server could not be reached or went away, not that the statement
 * was wrong: connection failures, an administrator's shutdown or restart (57P01–57P03),
 * too many connections, a serialization failure or a deadlock (the transaction can be run again).
 */
function isTransient(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string") {
    if (code.startsWith("08") || code.startsWith("57P") || ["53300", "40001", "40P01"].includes(code)) return true;
    if (["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EHOSTUNREACH", "EAI_AGAIN"].includes(code)) {
      return true;
    }
  }
  const message = error instanceof Error ? error.message : "";
  return /Connection terminated|not queryable|timeout exceeded when trying to connect|Connection ended/i.test(message);
}

/** Times are stored as whole milliseconds (a clock of yours may give fractions). */
function ms(time: number): number;
function ms(time: number | undefined): number | undefined;
function ms(time: number | undefined): number | undefined {
  return time === undefined ? undefined : Math.round(time);
}

/** Postgres text cannot hold U+0000: say so before the write, instead of failing its whole group. */
function noNul(value: string | undefined, what: string): void {
  if (value?.includes("\u0000")) {
    throw new TypeError(`postgresStore: ${what} cannot contain the NUL character (U+0000): ${JSON.stringify(value)}`);
  }
}

/** Throw `error`, as a StoreUnavailableError when it says the server is out of reach. */
function rethrow(error: unknown): never {
  if (error instanceof StoreUnavailableError || !isTransient(error)) throw error;
  throw new StoreUnavailableError(`Postgres: ${error instanceof Error ? error.message : String(error)}`, error);
}

/** A new execution waiting for its group. */
interface PendingCreate {
  readonly run: NewRun;
  readonly events: readonly JournalEvent[];
  readonly lease: { readonly owner: string; readonly until: number };
  readonly resolve: (result: CreateResult) => void;
  readonly reject: (error: unknown) => void;
}

interface PendingAppend {
  readonly lease: Lease;
  readonly events: readonly JournalEvent[];
  readonly patch: RunPatch;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A Postgres execution store, shared by every engine that uses the same database.
 *
 * @example
 * import { postgresStore } from "@rubberduck/workflows/postgres";
 * const engine = createEngine({ workflows: [codegen], store: postgresStore({ connectionString: process.env.DATABASE_URL }) });
 */
export function postgresStore(options: PostgresStoreOptions): ExecutionStore {
  const schema = options.schema ?? "rubberduck";
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) {
    throw new TypeError(`postgresStore: the schema must be a lower-case SQL identifier, got ${JSON.stringify(schema)}`);
  }
  if (options.pool === undefined && options.connectionString === undefined) {
    throw new TypeError("postgresStore: pass a `connectionString` or a `pool`");
  }
  const pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString, max: options.max ?? 10 });
  // An idle client's error (the server restarted) must not crash the process: the next query reconnects.
  const onPoolError = () => {};
  pool.on("error", onPoolError);
  const s = schema;
  let ready: Promise<void> | undefined;
  const migrated = () =>
    (ready ??= migrate(pool, s).catch((error: unknown) => {
      ready = undefined;
      throw error;
    }));

  /** Run `work` in one transaction on one client. */
  const transaction = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    await migrated().catch(rethrow);
    const client = await pool.connect().catch(rethrow);
    // A checked-out client whose connection breaks also emits `error`: the query it runs rejects with it.
    client.on("error", onPoolError);
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      if (isTransient(error)) broken = error as Error;
      else await client.query("ROLLBACK").catch(() => {});
      return rethrow(error);
    } finally {
      // A client whose connection broke is thrown away, not handed to the next caller.
      client.off("error", onPoolError);
      client.release(broken);
    }
  };

  const query = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => {
    await migrated().catch(rethrow);
    return pool.query<R>(text, values).catch(rethrow);
  };

  // Group commit: the creates and appends that come while a group is being written go
  // together in the next one, as one statement (one round trip, one transaction, about
  // one commit however many it holds): the new rows, the fenced UPDATE of every appended
  // execution's row, and the events of those accepted. A refused append (lease lost,
  // finished, seqs that do not follow) or create (its id or key taken) writes nothing,
  // and the others go on.
  let pending: PendingAppend[] = [];
  let creating: PendingCreate[] = [];
  /** A token per new execution (the same on every retry of its create): how a retry knows the row is its own. */
  const creators = new WeakMap<NewRun, string>();
  const creatorOf = (run: NewRun): string => {
    let token = creators.get(run);
    if (token === undefined) creators.set(run, (token = randomUUID()));
    return token;
  };
  const flush = async (creates: readonly PendingCreate[], batch: readonly PendingAppend[]): Promise<void> => {
    const outcomes: (Error | undefined)[] = batch.map((op) => {
      try {
        if (op.events.length > 0) checkSeqs(op.lease.executionId, op.events[0]!.seq - 1, op.events);
        return undefined;
      } catch (error) {
        return error as Error;
      }
    });
    const fenceable = batch.filter((_op, i) => outcomes[i] === undefined);
    // Each event row says whose it is (a create's, an append's): each goes in only if its own write did.
    const events = [
      ...creates.flatMap((op) => op.events.map((e) => ({ id: op.run.executionId, e, by: "c" }))),
      ...fenceable.flatMap((op) => op.events.map((e) => ({ id: op.lease.executionId, e, by: "a" }))),
    ];
    const { rows } =
      creates.length + fenceable.length === 0
        ? { rows: [] }
        : await query<{ execution_id: string; kind: "a" | "c" }>(
            `WITH cre AS (
               INSERT INTO ${s}.runs (execution_id, workflow, version, definition_hash, status, idempotency_key,
                 parent_id, metadata, owner, lease_until, epoch, last_seq, started_at, updated_at, finished_at, creator)
               SELECT c.execution_id, c.workflow, c.version, c.definition_hash, 'running', c.idempotency_key,
                 c.parent_id, c.metadata, c.owner, c.lease_until, 1, c.last_seq, c.started_at, c.started_at, NULL,
                 c.creator
               FROM unnest($13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[],
                 $20::text[], $21::bigint[], $22::int[], $23::bigint[], $25::text[])
                 AS c(execution_id, workflow, version, definition_hash, idempotency_key, parent_id, metadata, owner,
                   lease_until, last_seq, started_at, creator)
               ON CONFLICT DO NOTHING
               RETURNING execution_id
             ), upd AS (
               UPDATE ${s}.runs r SET last_seq = r.last_seq + v.count, status = COALESCE(v.status, r.status),
                 finished_at = COALESCE(v.finished_at, r.finished_at), updated_at = v.updated_at
               FROM unnest($1::text[], $2::int[], $3::int[], $4::int[], $5::text[], $6::bigint[], $7::bigint[])
                 AS v(execution_id, epoch, before, count, status, finished_at, updated_at)
               WHERE r.execution_id = v.execution_id AND r.epoch = v.epoch AND r.status NOT IN ${FINAL}
                 AND (v.before IS NULL OR r.last_seq = v.before)
               RETURNING r.execution_id
             ), ins AS (
               INSERT INTO ${s}.events (execution_id, seq, type, at, data)
               SELECT e.execution_id, e.seq, e.type, e.at, e.data
               FROM unnest($8::text[], $9::int[], $10::text[], $11::bigint[], $12::text[], $24::text[])
                 AS e(execution_id, seq, type, at, data, by)
               WHERE (e.by = 'a' AND e.execution_id IN (SELECT execution_id FROM upd))
                  OR (e.by = 'c' AND e.execution_id IN (SELECT execution_id FROM cre))
             )
             SELECT execution_id, 'a' AS kind FROM upd UNION ALL SELECT execution_id, 'c' FROM cre`,
            [
              fenceable.map((op) => op.lease.executionId),
              fenceable.map((op) => op.lease.epoch),
              fenceable.map((op) => (op.events.length === 0 ? null : op.events[0]!.seq - 1)),
              fenceable.map((op) => op.events.length),
              fenceable.map((op) => op.patch.status ?? null),
              fenceable.map((op) => ms(finishedAtOf(op.patch)) ?? null),
              fenceable.map((op) => ms(op.patch.updatedAt)),
              events.map((r) => r.id),
              events.map((r) => r.e.seq),
              events.map((r) => r.e.type),
              events.map((r) => ms(r.e.at)),
              events.map((r) => JSON.stringify(r.e.data)),
              creates.map((op) => op.run.executionId),
              creates.map((op) => op.run.workflow),
              creates.map((op) => op.run.version),
              creates.map((op) => op.run.definitionHash),
              creates.map((op) => op.run.idempotencyKey ?? null),
              creates.map((op) => op.run.parentId ?? null),
              creates.map((op) => JSON.stringify(op.run.metadata ?? {})),
              creates.map((op) => op.lease.owner),
              creates.map((op) => ms(op.lease.until)),
              creates.map((op) => op.events.length),
              creates.map((op) => ms(op.run.startedAt)),
              events.map((r) => r.by),
              creates.map((op) => creatorOf(op.run)),
            ],
          );
    const accepted = new Set(rows.filter((r) => r.kind === "a").map((r) => r.execution_id));
    const created = new Set(rows.filter((r) => r.kind === "c").map((r) => r.execution_id));
    for (const op of creates) {
      const id = op.run.executionId;
      if (created.has(id)) {
        op.resolve({
          created: true,
          lease: { executionId: id, owner: op.lease.owner, epoch: 1, until: op.lease.until },
        });
      } else {
        createRefused(op).then(op.resolve, op.reject);
      }
    }
    const refused = fenceable.filter((op) => !accepted.has(op.lease.executionId));
    if (refused.length > 0) {
      // Refused (they wrote nothing): say why, from the rows as they are now.
      const current = new Map(
        (
          await query<CurrentRow>(
            `SELECT execution_id, epoch, status, last_seq FROM ${s}.runs WHERE execution_id = ANY($1::text[])`,
            [refused.map((op) => op.lease.executionId)],
          )
        ).rows.map((r) => [r.execution_id, r]),
      );
      const landed = await alreadyLanded(refused, current);
      await patchLanded([...landed]);
      for (const op of refused) {
        if (landed.has(op)) continue;
        const row = current.get(op.lease.executionId);
        let why: Error | undefined = fenced(op.lease, row);
        if (why === undefined) {
          try {
            checkSeqs(op.lease.executionId, row!.last_seq, op.events);
          } catch (error) {
            why = error as Error;
          }
        }
        outcomes[batch.indexOf(op)] = why ?? new Error(`Execution ${op.lease.executionId}: the append was refused`);
      }
    }
    batch.forEach((op, i) => {
      const error = outcomes[i];
      if (error === undefined) op.resolve();
      else op.reject(error);
    });
  };

  /**
   * A retried append whose events had landed may carry a patch its first try did not
   * (the status a create's second write was to set, a phase that changed meanwhile):
   * apply it, fenced like any append.
   */
  const patchLanded = async (landed: readonly PendingAppend[]): Promise<void> => {
    const patched = landed.filter((op) => op.patch.status !== undefined || op.patch.finishedAt !== undefined);
    if (patched.length === 0) return;
    await query(
      `UPDATE ${s}.runs r SET status = COALESCE(v.status, r.status), finished_at = COALESCE(v.finished_at, r.finished_at),
         updated_at = GREATEST(r.updated_at, v.updated_at)
       FROM unnest($1::text[], $2::int[], $3::text[], $4::bigint[], $5::bigint[])
         AS v(execution_id, epoch, status, finished_at, updated_at)
       WHERE r.execution_id = v.execution_id AND r.epoch = v.epoch AND r.status NOT IN ${FINAL}`,
      [
        patched.map((op) => op.lease.executionId),
        patched.map((op) => op.lease.epoch),
        patched.map((op) => op.patch.status ?? null),
        patched.map((op) => ms(finishedAtOf(op.patch)) ?? null),
        patched.map((op) => ms(op.patch.updatedAt)),
      ],
    );
  };

  /**
   * A create that did not go in: the execution of its idempotency key, or a retry of
   * one whose first try committed (its answer was lost), or an id already taken.
   */
  const createRefused = async (op: PendingCreate): Promise<CreateResult> => {
    const { run, lease } = op;
    const { rows } = await query<RunRow & { creator: string | null }>(
      `SELECT ${RUN_COLUMNS}, creator FROM ${s}.runs WHERE execution_id = $1 OR idempotency_key = $2
       ORDER BY execution_id = $1 DESC LIMIT 1`,
      [run.executionId, run.idempotencyKey ?? null],
    );
    if (rows[0] === undefined) throw new Error(`Execution ${run.executionId}: the create was refused`);
    const found = recordOf(rows[0]);
    if (rows[0].creator === creatorOf(run)) {
      // Our own create, retried after its answer was lost; another engine may have claimed it since.
      if (found.epoch === 1 && found.owner === lease.owner) {
        return {
          created: true,
          lease: { executionId: run.executionId, owner: lease.owner, epoch: 1, until: lease.until },
        };
      }
      throw new LeaseLostError(
        run.executionId,
        `it was taken over (epoch ${found.epoch}) while its creation was retried`,
      );
    }
    if (found.idempotencyKey !== undefined && found.idempotencyKey === run.idempotencyKey) {
      return { created: false, run: found };
    }
    throw new RangeError(`Execution ${run.executionId} exists already`);
  };

  /**
   * The refused appends that are retries of one that landed: a commit whose answer was
   * lost (the connection broke after COMMIT) is retried, and finds its own events there,
   * written under the same lease. Those succeed without writing anything again.
   */
  const alreadyLanded = async (
    refused: readonly PendingAppend[],
    current: ReadonlyMap<string, CurrentRow>,
  ): Promise<Set<PendingAppend>> => {
    const candidates = refused.filter((op) => {
      const row = current.get(op.lease.executionId);
      return op.events.length > 0 && row?.epoch === op.lease.epoch && row.last_seq === op.events.at(-1)!.seq;
    });
    if (candidates.length === 0) return new Set();
    const { rows } = await query<{ execution_id: string; type: string }>(
      `SELECT e.execution_id, e.type FROM ${s}.events e
       JOIN unnest($1::text[], $2::int[]) AS v(execution_id, seq) ON e.execution_id = v.execution_id AND e.seq = v.seq`,
      [candidates.map((op) => op.lease.executionId), candidates.map((op) => op.events.at(-1)!.seq)],
    );
    const types = new Map(rows.map((r) => [r.execution_id, r.type]));
    return new Set(candidates.filter((op) => types.get(op.lease.executionId) === op.events.at(-1)!.type));
  };

  // At most FLUSHES groups in flight: the appends that come meanwhile wait and go together
  // in the next group (a group costs about one commit however many appends it holds).
  let flushing = 0;
  let scheduled = false;
  const schedule = () => {
    if (scheduled || flushing >= FLUSHES || pending.length + creating.length === 0) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void flushPending();
    });
  };
  const flushPending = async () => {
    if (flushing >= FLUSHES || pending.length + creating.length === 0) return;
    const taken = pending;
    const creates = creating;
    pending = [];
    creating = [];
    // One write per execution (and per idempotency key) in a group; another is kept for the next group.
    const seen = new Set<string>();
    const batch: PendingAppend[] = [];
    for (const op of taken) {
      if (seen.has(op.lease.executionId)) pending.push(op);
      else {
        seen.add(op.lease.executionId);
        batch.push(op);
      }
    }
    const group: PendingCreate[] = [];
    for (const op of creates) {
      const key = op.run.idempotencyKey === undefined ? undefined : `key:${op.run.idempotencyKey}`;
      if (seen.has(op.run.executionId) || (key !== undefined && seen.has(key))) creating.push(op);
      else {
        seen.add(op.run.executionId);
        if (key !== undefined) seen.add(key);
        group.push(op);
      }
    }
    flushing++;
    try {
      await flush(group, batch);
    } catch (error) {
      if (isTransient(error) || group.length + batch.length === 1) {
        // The server went away (or a read after the statement did): what was not yet
        // answered is rejected (a write that did commit is recognised on retry).
        for (const op of [...group, ...batch]) op.reject(error);
      } else {
        // The statement refused one write (a value it cannot store): each again on its
        // own, so that only that one fails.
        for (const op of group) await flush([op], []).catch((e: unknown) => op.reject(e));
        for (const op of batch) await flush([], [op]).catch((e: unknown) => op.reject(e));
      }
    } finally {
      flushing--;
      schedule();
    }
  };

  let closed = false;
  const open = () => {
    if (closed) throw new Error("The Postgres store is closed");
  };

  // LISTEN/NOTIFY, only as a wake-up hint for recovery loops: a connection of its own
  // (not one of the pool's, which it would hold for ever) listens while someone does; if
  // it breaks, the listeners are woken (they may have missed one) and it listens again a
  // second later.
  const channel = `rubberduck_${s}`;
  const listeners = new Set<() => void>();
  let listening: pg.Client | undefined;
  let connecting = false;
  const notify = () => {
    for (const listener of listeners) {
      try {
        listener();
      } catch {
        // a hint: a listener that throws misses it
      }
    }
  };
  const connectionOptions = (): pg.ClientConfig =>
    options.pool === undefined
      ? { connectionString: options.connectionString }
      : { ...(options.pool as unknown as { options: pg.ClientConfig }).options };
  const listen = async (): Promise<void> => {
    if (closed || connecting || listening !== undefined || listeners.size === 0) return;
    connecting = true;
    const client = new pg.Client(connectionOptions());
    let dropped = false;
    const drop = () => {
      if (dropped) return;
      dropped = true;
      client.off("notification", notify);
      if (listening === client) listening = undefined;
      client.end().catch(() => {});
      if (!closed && listeners.size > 0) {
        notify();
        setTimeout(() => void listen(), 1_000).unref();
      }
    };
    client.on("error", drop);
    client.on("notification", notify);
    try {
      await migrated();
      await client.connect();
      await client.query(`LISTEN ${channel}`);
      listening = client;
    } catch {
      drop();
    } finally {
      connecting = false;
    }
    if (listening === client && (closed || listeners.size === 0)) unlisten();
  };
  const unlisten = () => {
    const client = listening;
    listening = undefined;
    if (client === undefined) return;
    client.removeAllListeners("notification");
    // Its `error` handler stays (an error while ending must not go unhandled), but no longer listens again.
    client.removeAllListeners("error");
    client.on("error", () => {});
    client.end().catch(() => {});
  };

  return {
    async create(run: NewRun, events, lease): Promise<CreateResult> {
      open();
      checkSeqs(run.executionId, 0, events);
      noNul(run.executionId, "an execution id");
      noNul(run.idempotencyKey, "an idempotency key");
      noNul(run.parentId, "a parent id");
      noNul(run.workflow, "a workflow name");
      noNul(run.version, "a version");
      noNul(lease.owner, "an owner");
      return new Promise<CreateResult>((resolve, reject) => {
        creating.push({ run, events, lease, resolve, reject });
        schedule();
      });
    },

    append(lease, events, patch) {
      open();
      return new Promise<void>((resolve, reject) => {
        pending.push({ lease, events, patch, resolve, reject });
        schedule();
      });
    },

    async renew(lease, until) {
      open();
      const { rows } = await query<{ execution_id: string }>(
        `UPDATE ${s}.runs SET lease_until = $1 WHERE execution_id = $2 AND epoch = $3 AND status NOT IN ${FINAL}
         RETURNING execution_id`,
        [ms(until), lease.executionId, lease.epoch],
      );
      if (rows.length === 0) {
        const current = await query<{ epoch: number; status: string }>(
          `SELECT epoch, status FROM ${s}.runs WHERE execution_id = $1`,
          [lease.executionId],
        );
        throw fenced(lease, current.rows[0]) ?? new Error(`Execution ${lease.executionId}: the renewal was refused`);
      }
      return { ...lease, until };
    },

    async release(lease) {
      open();
      // Released, and a wake-up for the engines listening (delivered when it commits).
      await query(
        `WITH released AS (
           UPDATE ${s}.runs SET owner = NULL, lease_until = NULL WHERE execution_id = $1 AND epoch = $2
             AND status NOT IN ${FINAL}
           RETURNING 1
         )
         SELECT pg_notify($3, '') FROM released`,
        [lease.executionId, lease.epoch, channel],
      );
    },

    onReleased(listener) {
      open();
      listeners.add(listener);
      void listen();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) unlisten();
      };
    },

    async claim({ owner, now, until, limit, executionIds, gone }) {
      open();
      const { rows } = await query<{ execution_id: string; epoch: number; started_at: number }>(
        `WITH c AS (
           SELECT execution_id FROM ${s}.runs
           WHERE status IN ${UNFINISHED}
             AND (lease_until IS NULL OR lease_until < $1 OR owner = ANY($2::text[]))
             AND ($3::text[] IS NULL OR execution_id = ANY($3::text[]))
           ORDER BY started_at, execution_id
           LIMIT $4
           FOR UPDATE SKIP LOCKED
         )
         UPDATE ${s}.runs r SET owner = $5, lease_until = $6, epoch = r.epoch + 1
         FROM c WHERE r.execution_id = c.execution_id
         RETURNING r.execution_id, r.epoch, r.started_at::float8 AS started_at`,
        [ms(now), [...(gone ?? [])], executionIds === undefined ? null : [...executionIds], limit, owner, ms(until)],
      );
      return rows
        .sort((a, b) => a.started_at - b.started_at || (a.execution_id < b.execution_id ? -1 : 1))
        .map((row): Lease => ({ executionId: row.execution_id, owner, epoch: row.epoch, until }));
    },

    async get(executionId) {
      open();
      const { rows } = await query<RunRow>(`SELECT ${RUN_COLUMNS} FROM ${s}.runs WHERE execution_id = $1`, [
        executionId,
      ]);
      return rows[0] === undefined ? undefined : recordOf(rows[0]);
    },

    async requestCancel(executionId, reason) {
      open();
      // Kept only for an unfinished execution; the first request's reason stands.
      const { rows } = await query<{ status: string }>(
        `WITH run AS (SELECT status FROM ${s}.runs WHERE execution_id = $1),
         kept AS (
           INSERT INTO ${s}.cancel_requests (execution_id, reason, at)
           SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM run WHERE status IN ('running', 'stopping', 'compensating'))
           ON CONFLICT (execution_id) DO NOTHING
         )
         SELECT status FROM run`,
        [executionId, reason, Date.now()],
      );
      return rows[0] !== undefined && !FINAL_STATUSES.has(rows[0].status as RunStatus);
    },

    async cancelRequests(executionIds) {
      open();
      const { rows } = await query<{ execution_id: string; reason: string }>(
        `SELECT execution_id, reason FROM ${s}.cancel_requests WHERE execution_id = ANY($1::text[])`,
        [executionIds],
      );
      return new Map(rows.map((r) => [r.execution_id, r.reason]));
    },

    async events(executionId, fromSeq = 1) {
      open();
      const { rows } = await query<{ seq: number; type: string; at: number; data: string }>(
        `SELECT seq, type, at::float8 AS at, data FROM ${s}.events WHERE execution_id = $1 AND seq >= $2 ORDER BY seq`,
        [executionId, fromSeq],
      );
      return rows.map((e) => ({ seq: e.seq, type: e.type, at: e.at, data: JSON.parse(e.data) as unknown }));
    },

    async journals(executionIds) {
      open();
      const { rows } = await query<{ execution_id: string; seq: number; type: string; at: number; data: string }>(
        `SELECT execution_id, seq, type, at::float8 AS at, data FROM ${s}.events
         WHERE execution_id = ANY($1::text[]) ORDER BY execution_id, seq`,
        [[...executionIds]],
      );
      const found = new Map<string, JournalEvent[]>();
      for (const e of rows) {
        let list = found.get(e.execution_id);
        if (list === undefined) found.set(e.execution_id, (list = []));
        list.push({ seq: e.seq, type: e.type, at: e.at, data: JSON.parse(e.data) as unknown });
      }
      return found;
    },

    async list(q: RunQuery = {}) {
      open();
      const where: string[] = [];
      const values: unknown[] = [];
      const param = (value: unknown) => {
        values.push(value);
        return `$${values.length}`;
      };
      if (q.status !== undefined) where.push(`status = ANY(${param([q.status].flat())}::text[])`);
      if (q.workflow !== undefined) where.push(`workflow = ${param(q.workflow)}`);
      if (q.startedAfter !== undefined) where.push(`started_at > ${param(q.startedAfter)}`);
      if (q.startedBefore !== undefined) where.push(`started_at < ${param(q.startedBefore)}`);
      if (q.cursor !== undefined) {
        const [startedAt, id] = decodeCursor(q.cursor);
        where.push(`(started_at, execution_id) < (${param(startedAt)}, ${param(id)})`);
      }
      const limit = q.limit ?? 50;
      const { rows } = await query<RunRow>(
        // Ordered by the table's columns (`r.`), not the output's float8 aliases: so that the index gives the order.
        `SELECT ${RUN_COLUMNS} FROM ${s}.runs r ${where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`}
         ORDER BY r.started_at DESC, r.execution_id DESC LIMIT ${param(limit + 1)}`,
        values,
      );
      const runs = rows.slice(0, limit).map(recordOf);
      return { runs, cursor: rows.length > limit ? encodeCursor(runs.at(-1)!) : undefined };
    },

    async prune({ finishedBefore }) {
      open();
      let total = 0;
      // In batches: a long prune does not hold one huge transaction.
      for (;;) {
        const n = await transaction(async (client) => {
          const { rows } = await client.query<{ execution_id: string }>(
            `DELETE FROM ${s}.runs WHERE execution_id IN (
               SELECT execution_id FROM ${s}.runs WHERE finished_at IS NOT NULL AND finished_at < $1 LIMIT 1000
             ) RETURNING execution_id`,
            [finishedBefore],
          );
          if (rows.length > 0) {
            await client.query(`DELETE FROM ${s}.events WHERE execution_id = ANY($1::text[])`, [
              rows.map((r) => r.execution_id),
            ]);
            await client.query(`DELETE FROM ${s}.cancel_requests WHERE execution_id = ANY($1::text[])`, [
              rows.map((r) => r.execution_id),
            ]);
          }
          return rows.length;
        });
        total += n;
        if (n < 1000) return total;
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      unlisten();
      // What was appended is written first.
      while (pending.length + creating.length > 0 || flushing > 0) {
        schedule();
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      pool.off("error", onPoolError);
      if (options.pool === undefined) await pool.end();
    },
  };
}

/** Apply the migrations this schema lacks, in one transaction, under an advisory lock (several engines may start at once). */
async function migrate(pool: pg.Pool, s: string): Promise<void> {
  const client = await pool.connect();
  const onError = () => {};
  client.on("error", onError);
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`rubberduck:${s}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_version (version integer NOT NULL)`);
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${s}.schema_version`);
    const applied = rows[0]?.version ?? 0;
    if (applied > MIGRATIONS.length) {
      throw new Error(
        `This store's schema is version ${applied}, newer than this library knows (${MIGRATIONS.length})`,
      );
    }
    for (let v = applied; v < MIGRATIONS.length; v++) await client.query(MIGRATIONS[v]!(s));
    if (rows.length === 0) await client.query(`INSERT INTO ${s}.schema_version VALUES ($1)`, [MIGRATIONS.length]);
    else await client.query(`UPDATE ${s}.schema_version SET version = $1`, [MIGRATIONS.length]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.off("error", onError);
    client.release();
  }
}
