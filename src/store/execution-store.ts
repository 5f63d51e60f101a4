/**
 * Where executions are journaled: an append-only log of events per execution, keyed
 * (execution, seq), beside a small projection row per execution for listing and
 * claiming. A journal row per fact, never a rewritten blob.
 *
 * Ownership: an execution is leased by one owner at a time. Taking a lease (creating
 * the execution, or claiming one whose lease expired) bumps its `epoch`; every append
 * and renewal is fenced by the epoch it was given, so an owner that lost its lease
 * (expired and claimed by another) gets a LeaseLostError instead of writing.
 *
 * Every implementation passes the same conformance suite (test/store/conformance.ts).
 */

import { LeaseLostError } from "../errors.js";

export { LeaseLostError };

/**
 * One journaled fact of an execution. `data` is JSON.
 *
 * @example
 * for (const e of await store.events(id)) console.log(e.seq, e.type, new Date(e.at).toISOString());
 */
export interface JournalEvent {
  /** 1, 2, 3… per execution, without gaps. */
  readonly seq: number;
  readonly type: string;
  /** When it happened (ms since the epoch). */
  readonly at: number;
  readonly data: unknown;
}

/**
 * Where an execution is, as its projection row says.
 *
 * @example
 * const unfinished: RunStatus[] = ["running", "stopping", "compensating"];
 */
export type RunStatus = "running" | "stopping" | "compensating" | "succeeded" | "failed" | "cancelled" | "timed_out";

/**
 * Every status an execution's row may have, unfinished first.
 *
 * @example
 * RUN_STATUSES.includes(value as RunStatus); // a status a user typed, checked
 */
export const RUN_STATUSES: readonly RunStatus[] = Object.freeze([
  "running",
  "stopping",
  "compensating",
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
]);

/**
 * The statuses of an execution that has not finished: it is leased, and can still change.
 *
 * @example
 * await engine.runs.list({ status: UNFINISHED_STATUSES });
 */
export const UNFINISHED_STATUSES: readonly RunStatus[] = Object.freeze(["running", "stopping", "compensating"]);

/**
 * The projection row of an execution.
 *
 * @example
 * const { runs } = await engine.runs.list({ status: "running" });
 * for (const r of runs) console.log(r.executionId, r.workflow, r.owner, new Date(r.startedAt));
 */
export interface RunRecord {
  readonly executionId: string;
  readonly workflow: string;
  readonly version: string;
  /** The hash of the definition it started on: it resumes only on that one. */
  readonly definitionHash: string;
  readonly status: RunStatus;
  readonly idempotencyKey: string | undefined;
  /** The execution that runs this one as a sub-workflow. */
  readonly parentId: string | undefined;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly owner: string | undefined;
  readonly leaseUntil: number | undefined;
  readonly epoch: number;
  /** The seq of its last journaled event. */
  readonly lastSeq: number;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly finishedAt: number | undefined;
}

/**
 * What a new execution's projection starts with.
 *
 * @example
 * await store.create({ executionId: "e1", workflow: "codegen", version: "1.0.0", definitionHash, startedAt: Date.now() }, [started], lease);
 */
export interface NewRun {
  readonly executionId: string;
  readonly workflow: string;
  readonly version: string;
  readonly definitionHash: string;
  readonly idempotencyKey?: string;
  readonly parentId?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly startedAt: number;
}

/**
 * The right to write an execution's journal, until `until`.
 *
 * @example
 * const [lease] = await store.claim({ owner: "api-2", now, until: now + 30_000, limit: 1, executionIds: [id] });
 */
export interface Lease {
  readonly executionId: string;
  readonly owner: string;
  readonly epoch: number;
  readonly until: number;
}

/**
 * How an append changes the projection (status, and when it finished).
 *
 * @example
 * await store.append(lease, events, { status: "compensating", updatedAt: Date.now() });
 */
export interface RunPatch {
  readonly status?: RunStatus;
  readonly finishedAt?: number;
  readonly updatedAt: number;
}

/**
 * A filter of `engine.runs.list` (and `store.list`).
 *
 * @example
 * await engine.runs.list({ status: ["failed", "timed_out"], workflow: "codegen", startedAfter: Date.now() - 86_400_000 });
 */
export interface RunQuery {
  readonly status?: RunStatus | readonly RunStatus[];
  readonly workflow?: string;
  readonly startedAfter?: number;
  readonly startedBefore?: number;
  /** @default 50 */
  readonly limit?: number;
  /** From a previous page's `cursor`. */
  readonly cursor?: string;
}

/**
 * One page of executions.
 *
 * @example
 * let page = await engine.runs.list({ limit: 100 });
 * while (page.cursor !== undefined) page = await engine.runs.list({ limit: 100, cursor: page.cursor });
 */
export interface RunPage {
  /** Newest first. */
  readonly runs: readonly RunRecord[];
  /** Pass it back for the next page; undefined on the last one. */
  readonly cursor: string | undefined;
}

/**
 * What `store.create` did: created the execution (with its lease), or found one with the same idempotency key.
 *
 * @example
 * const created = await store.create(run, [started], { owner, until });
 * if (!created.created) console.log("already there:", created.run.executionId);
 */
export type CreateResult =
  | { readonly created: true; readonly lease: Lease }
  | { readonly created: false; readonly run: RunRecord };

/**
 * An execution store.
 *
 * @example
 * const { lease } = await store.create(run, [started], { owner: "api-1", until: now + 30_000 });
 * await store.append(lease, [stepSucceeded], { updatedAt: now });
 */
export interface ExecutionStore {
  /**
   * Journal a new execution with its first events, leased to `owner`; or, when one with
   * the same idempotency key exists, change nothing and return it.
   */
  create(
    run: NewRun,
    events: readonly JournalEvent[],
    lease: { readonly owner: string; readonly until: number },
  ): Promise<CreateResult>;
  /**
   * Append events (their seqs follow the journal's last, without gaps) and update the
   * projection, in one transaction. @throws {LeaseLostError} when the lease's epoch is
   * no longer the execution's, or the execution is finished.
   */
  append(lease: Lease, events: readonly JournalEvent[], patch: RunPatch): Promise<void>;
  /** Extend a lease. @throws {LeaseLostError} as `append` does. */
  renew(lease: Lease, until: number): Promise<Lease>;
  /**
   * Let go of a lease (an engine closing): the execution is claimable at once, and the
   * next claim does not count as a recovery. A lease already lost changes nothing.
   */
  release(lease: Lease): Promise<void>;
  /**
   * Optional wake-up hint: call `listener` when some engine released a lease (so that a
   * recovery loop looks at once instead of at its next tick). Only a hint — a missed one
   * costs a tick, never an execution. Returns how to stop listening.
   */
  onReleased?(listener: () => void): () => void;
  /**
   * Take unfinished executions whose lease expired before `now` (oldest first, at most
   * `limit`), each with a new epoch; `executionIds` claims those only (the ones that are
   * claimable, in one transaction). `gone`: owners known to be gone — their leases are
   * taken even before they expire.
   */
  claim(options: {
    readonly owner: string;
    readonly now: number;
    readonly until: number;
    readonly limit: number;
    readonly executionIds?: readonly string[];
    readonly gone?: readonly string[];
  }): Promise<Lease[]>;
  /**
   * Ask whichever engine runs an unfinished execution to cancel it: the request is kept
   * with the execution until it finishes, and the engine that holds it (or resumes it)
   * reads it with `cancelRequests` and cancels it. Resolves false when the execution is
   * finished or absent. Optional: without it, only the engine that runs an execution can
   * cancel it.
   */
  requestCancel?(executionId: string, reason: string): Promise<boolean>;
  /** Of these executions, the ones with a cancel request, with its reason. */
  cancelRequests?(executionIds: readonly string[]): Promise<Map<string, string>>;
  get(executionId: string): Promise<RunRecord | undefined>;
  /** The journal of an execution from `fromSeq` (default 1), in seq order. */
  events(executionId: string, fromSeq?: number): Promise<JournalEvent[]>;
  /** The whole journals of several executions at once (recovery reads them in batches); absent ones are left out. */
  journals(executionIds: readonly string[]): Promise<Map<string, JournalEvent[]>>;
  list(query?: RunQuery): Promise<RunPage>;
  /** Delete finished executions (and their journals) finished before `finishedBefore`; how many. */
  prune(options: { readonly finishedBefore: number }): Promise<number>;
  close(): Promise<void>;
}

/**
 * Statuses after which nothing is appended.
 *
 * @example
 * if (FINAL_STATUSES.has(record.status)) console.log("finished", record.finishedAt);
 */
export const FINAL_STATUSES: ReadonlySet<RunStatus> = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

/** When a patch says the execution finished: its `finishedAt`, or its update time when it reaches a final status. */
export function finishedAtOf(patch: RunPatch): number | undefined {
  if (patch.finishedAt !== undefined) return patch.finishedAt;
  return patch.status !== undefined && FINAL_STATUSES.has(patch.status) ? patch.updatedAt : undefined;
}

/**
 * Why a lease may not write an execution whose row says `current` (undefined: it may).
 * One rule for every store: the row exists, has the lease's epoch, and is not finished.
 */
export function fenced(
  lease: Lease,
  current: { epoch: number; status: string } | undefined,
): LeaseLostError | undefined {
  if (current === undefined) return new LeaseLostError(lease.executionId, "no such execution");
  if (current.epoch !== lease.epoch) {
    return new LeaseLostError(lease.executionId, `epoch ${lease.epoch} was superseded by ${current.epoch}`);
  }
  if (FINAL_STATUSES.has(current.status as RunStatus)) return new LeaseLostError(lease.executionId, "it is finished");
  return undefined;
}

/** Journal events must follow `lastSeq` one by one. */
export function checkSeqs(executionId: string, lastSeq: number, events: readonly JournalEvent[]): void {
  events.forEach((event, i) => {
    if (event.seq !== lastSeq + i + 1) {
      throw new RangeError(
        `Execution ${executionId}: expected event seq ${lastSeq + i + 1}, got ${event.seq} (${event.type})`,
      );
    }
  });
}

/** The opaque cursor of a page: the last row's (startedAt, executionId). */
export function encodeCursor(run: RunRecord): string {
  return Buffer.from(JSON.stringify([run.startedAt, run.executionId])).toString("base64url");
}

export function decodeCursor(cursor: string): [number, string] {
  try {
    const [startedAt, executionId] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (typeof startedAt === "number" && typeof executionId === "string") return [startedAt, executionId];
  } catch {
    // falls through
  }
  throw new RangeError(`Not a cursor of this store: ${cursor}`);
}

/** A projection row as the SQL stores read it (bigints as numbers, metadata as JSON text). */
export interface RunRow {
  execution_id: string;
  workflow: string;
  version: string;
  definition_hash: string;
  status: string;
  idempotency_key: string | null;
  parent_id: string | null;
  metadata: string;
  owner: string | null;
  lease_until: number | null;
  epoch: number;
  last_seq: number;
  started_at: number;
  updated_at: number;
  finished_at: number | null;
}

/** The RunRecord of a SQL store's row. */
export const recordOf = (row: RunRow): RunRecord => ({
  executionId: row.execution_id,
  workflow: row.workflow,
  version: row.version,
  definitionHash: row.definition_hash,
  status: row.status as RunStatus,
  idempotencyKey: row.idempotency_key ?? undefined,
  parentId: row.parent_id ?? undefined,
  metadata: JSON.parse(row.metadata) as Record<string, unknown>,
  owner: row.owner ?? undefined,
  leaseUntil: row.lease_until ?? undefined,
  epoch: row.epoch,
  lastSeq: row.last_seq,
  startedAt: row.started_at,
  updatedAt: row.updated_at,
  finishedAt: row.finished_at ?? undefined,
});
