/**
 * The journal of one execution on an ExecutionStore: events appended by the workflow
 * actor are buffered and written in order, one store call at a time (the store groups
 * the calls of one tick, across executions, into one transaction). The first write
 * creates the execution (its projection row and `workflow.started` together); every
 * later one is fenced by the lease. `pending` is true from the first unwritten event
 * until the store has it: the workflow actor starts no step in the meantime.
 */

import type { RunRequestOptions } from "../../machines/run-request.js";
import { serializeError } from "../error-codec.js";
import { JournalError, LeaseLostError, StoreUnavailableError } from "../errors.js";
import type { WorkflowEvent } from "../events.js";
import type { RunEvent } from "../policy/run-event.js";
import type { ExecutionStore, JournalEvent, Lease, NewRun, RunRecord, RunStatus } from "../store/execution-store.js";
import { encodeEvent } from "./codec.js";

type RunJournal = NonNullable<RunRequestOptions["journal"]>;

const FINAL: Readonly<Record<string, RunStatus>> = {
  "workflow.succeeded": "succeeded",
  "workflow.failed": "failed",
  "workflow.cancelled": "cancelled",
  "workflow.timed_out": "timed_out",
};

export interface StoreJournalOptions {
  readonly store: ExecutionStore;
  /** A new execution: created by the first write. */
  readonly create?: { readonly run: NewRun; readonly owner: string; readonly leaseMs: number };
  /** A resumed execution: its lease. */
  readonly lease?: Lease;
  readonly now: () => number;
  /** Where the execution is (running, stopping, compensating), for its projection row. */
  readonly phase: () => RunStatus;
  /** The journal cannot write any more (lease lost, store failed): stop this copy. */
  readonly onFailure: (error: JournalError | LeaseLostError) => void;
  /** A new execution's idempotency key was already in the store: nothing was written; follow that one. */
  readonly onDuplicate?: (run: RunRecord) => void;
  /** Told when a write found the store unavailable (it is retried), and when one got through again. */
  readonly outage?: { down(error: StoreUnavailableError): void; up(): void };
  /** Waits between retries of a write the store could not take. @default setTimeout */
  readonly sleep?: (ms: number, wake: AbortSignal) => Promise<void>;
}

/** Backoff between retries of a write while the store is unavailable: 50 ms, doubling, at most 2 s. */
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 2_000;

const defaultSleep = (ms: number, wake: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/** The store already held the execution's idempotency key. */
class Duplicate extends Error {
  constructor(readonly run: RunRecord) {
    super(`the store already holds execution ${run.executionId} for its idempotency key`);
  }
}

export class StoreJournal implements RunJournal {
  readonly #options: StoreJournalOptions;
  #lease: Lease | undefined;
  #buffer: JournalEvent[] = [];
  #writing = false;
  #waiters: (() => void)[] = [];
  #failed: JournalError | LeaseLostError | undefined;
  #scheduled = false;
  pending = false;

  constructor(options: StoreJournalOptions) {
    this.#options = options;
    this.#lease = options.lease;
  }

  get lease(): Lease | undefined {
    return this.#lease;
  }

  set lease(lease: Lease) {
    this.#lease = lease;
  }

  get failed(): boolean {
    return this.#failed !== undefined;
  }

  /** The engine closes: write what was appended, then nothing more; this copy stops. */
  async close(): Promise<void> {
    // A write waiting for the store to come back gives up: what it held was not journaled,
    // and the execution resumes from what was.
    this.#closing.abort();
    await this.drained().catch(() => {});
    const id = this.#lease?.executionId ?? this.#options.create?.run.executionId ?? "?";
    if (this.#failed !== undefined) return;
    const error = new LeaseLostError(id, "its engine was closed");
    // Journal where this copy stopped, and why (a clean stop, not a crash: the steps it
    // interrupts do not count toward dead-lettering); its `workflow.lease_lost` has this seq.
    if (this.#lease !== undefined && this.#lastSeq > 0) {
      const at = this.#options.now();
      const row = { seq: this.#lastSeq + 1, type: "workflow.lease_lost", at, data: { error: serializeError(error) } };
      await this.#options.store.append(this.#lease, [row], { updatedAt: at }).catch(() => {});
    }
    this.#fail(error);
  }

  /** The seq of the last event appended. */
  #lastSeq = 0;

  /** The lease was lost (a renewal was refused): stop writing, and stop this copy. */
  lose(error: LeaseLostError): void {
    if (this.#failed === undefined) this.#fail(error);
  }

  append(event: WorkflowEvent, fields: RunEvent): void {
    if (this.#failed !== undefined) return;
    this.#buffer.push(encodeEvent(event, fields));
    this.#lastSeq = event.seq;
    this.pending = true;
    if (!this.#scheduled && !this.#writing) {
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#scheduled = false;
        void this.#write();
      });
    }
  }

  whenDurable(callback: () => void): void {
    if (!this.pending) callback();
    else if (this.#failed === undefined) this.#waiters.push(callback);
  }

  /** Resolves once everything appended so far is written; rejects if the journal failed. */
  drained(): Promise<void> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    if (!this.pending) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push(resolve);
      this.#rejecters.push(reject);
    });
  }

  #rejecters: ((error: unknown) => void)[] = [];

  readonly #closing = new AbortController();

  async #write(): Promise<void> {
    if (this.#writing || this.#failed !== undefined) return;
    this.#writing = true;
    try {
      while (this.#buffer.length > 0) {
        const events = this.#buffer;
        this.#buffer = [];
        await this.#commitRetrying(events);
      }
    } catch (error) {
      this.#fail(error);
      return;
    } finally {
      this.#writing = false;
    }
    this.pending = false;
    const waiters = this.#waiters;
    this.#waiters = [];
    this.#rejecters = [];
    for (const w of waiters) w();
  }

  /**
   * Commit, and while the store is unavailable (its server restarting, the network
   * down), wait and commit again: nothing of a failed try is known to be written, and a
   * try whose answer was lost is recognised by the store as the retry it is. The
   * execution waits meanwhile: it starts no step until its events are durable.
   */
  async #commitRetrying(events: JournalEvent[]): Promise<void> {
    const { outage, sleep = defaultSleep } = this.#options;
    for (let delay = RETRY_FIRST_MS, failing = false; ; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
      try {
        await this.#commit(events);
        if (failing) outage?.up();
        return;
      } catch (error) {
        if (!(error instanceof StoreUnavailableError) || this.#closing.signal.aborted) throw error;
        failing = true;
        outage?.down(error);
        await sleep(delay, this.#closing.signal);
        if (this.#closing.signal.aborted) throw error;
      }
    }
  }

  async #commit(events: JournalEvent[]): Promise<void> {
    const { store, now } = this.#options;
    const last = events.at(-1)!;
    // A sub-workflow's own end (a forwarded event, with its path) does not end this one.
    const ends = (last.data as { path?: unknown } | undefined)?.path === undefined ? FINAL[last.type] : undefined;
    const status = ends ?? this.#options.phase();
    if (this.#lease === undefined) {
      const create = this.#options.create!;
      // What the execution started on, in its first event too: the journal alone says it all.
      const first = events[0]!;
      if (first.type === "workflow.started") {
        const { workflow, version, definitionHash } = create.run;
        events[0] = { ...first, data: { ...(first.data as object), workflow, version, definitionHash } };
      }
      const result = await store.create(create.run, events, {
        owner: create.owner,
        until: now() + create.leaseMs,
      });
      if (!result.created) throw new Duplicate(result.run);
      this.#lease = result.lease;
      this.#status = "running";
      if (status !== "running") await store.append(this.#lease, [], { status, updatedAt: last.at });
      this.#status = status;
      return;
    }
    // The projection's status is written when it changes (the row's indexed columns stay put otherwise).
    const changed = status === this.#status ? undefined : status;
    await store.append(this.#lease, events, { status: changed, updatedAt: last.at });
    this.#status = status;
  }

  /** The status the projection row has (as this journal last wrote it). */
  #status: RunStatus | undefined;

  #fail(error: unknown): void {
    const id = this.#lease?.executionId ?? this.#options.create?.run.executionId ?? "?";
    if (error instanceof Duplicate && this.#options.onDuplicate !== undefined) {
      this.#failed = new JournalError(id, error.message);
      this.#waiters = [];
      this.#rejecters = [];
      this.#options.onDuplicate(error.run);
      return;
    }
    const failure =
      error instanceof LeaseLostError || error instanceof JournalError
        ? error
        : new JournalError(id, error instanceof Error ? error.message : String(error), error);
    this.#failed = failure;
    this.#waiters = [];
    const rejecters = this.#rejecters;
    this.#rejecters = [];
    for (const r of rejecters) r(failure);
    this.#options.onFailure(failure);
  }
}
