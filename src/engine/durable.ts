/**
 * The durable side of an engine: journals for new executions, leases kept alive while
 * they run, `resume` and `recover` of interrupted executions from the store, and
 * `engine.runs` (list, get, prune).
 */

import { createHash } from "node:crypto";
import type { AnyWorkflow } from "../dsl/workflow.js";
import {
  DefinitionMismatchError,
  ExecutionNotFoundError,
  type JournalError,
  LeaseLostError,
  type StoreUnavailableError,
} from "../errors.js";
import type { WorkflowEvent } from "../events.js";
import { decodeEvent, toWorkflowEvent } from "../journal/codec.js";
import { rebuildResult } from "../journal/rebuild.js";
import { StoreJournal } from "../journal/store-journal.js";
import { plan } from "../planner/plan.js";
import type { TimedRunEvent } from "../policy/run-event.js";
import type { WorkflowResult } from "../result.js";
import {
  type ExecutionStore,
  FINAL_STATUSES,
  type Lease,
  type NewRun,
  type RunPage,
  type RunQuery,
  type RunRecord,
  type RunStatus,
  UNFINISHED_STATUSES,
} from "../store/execution-store.js";
import { fingerprint } from "./fingerprint.js";
import { ownerGone } from "./ownership.js";
import type { WorkflowRegistry } from "./registry.js";

const hashes = new WeakMap<AnyWorkflow, string>();

/** The hash of a definition (its structure, options and function sources): it resumes only on the same one. */
export function definitionHash(wf: AnyWorkflow): string {
  let hash = hashes.get(wf);
  if (hash === undefined) {
    hash = createHash("sha256").update(fingerprint(wf)).digest("hex");
    hashes.set(wf, hash);
  }
  return hash;
}

/**
 * An execution as `engine.runs.get` returns it: its projection row and its events, in seq order.
 *
 * @example
 * const { run, events, result } = await engine.runs.get(id);
 * console.log(run.status, events.length, result?.compensation.compensated);
 */
export interface RunDetails {
  readonly run: RunRecord;
  readonly events: readonly WorkflowEvent[];
  /** A finished execution's result, rebuilt from its journal (undefined while it runs, or if its definition is not registered). */
  readonly result: WorkflowResult | undefined;
}

/**
 * The executions in the engine's store.
 *
 * @example
 * const { runs, cursor } = await engine.runs.list({ status: "failed", workflow: "codegen", limit: 20 });
 * const { run, events } = await engine.runs.get(runs[0].executionId);
 * await engine.runs.prune({ finishedBefore: Date.now() - 7 * 86_400_000 });
 */
export interface Runs {
  /** Newest first; filter by status, workflow and start time; page with `cursor`. */
  list(query?: RunQuery): Promise<RunPage>;
  /** @throws {ExecutionNotFoundError} */
  get(executionId: string): Promise<RunDetails>;
  /** Delete executions finished before `finishedBefore`, with their journals; how many. */
  prune(options: { readonly finishedBefore: number }): Promise<number>;
}

export interface DurableOptions {
  readonly store: ExecutionStore;
  readonly owner: string;
  readonly leaseMs: number;
  /** Owners of this host whose process is gone lose their leases at once. */
  readonly takeOverLocal: boolean;
  readonly now: () => number;
  readonly registry: WorkflowRegistry;
}

export class Durable {
  readonly #options: DurableOptions;
  /** The journals of executions this engine runs, for lease renewal. */
  readonly #journals = new Set<StoreJournal>();
  #renewal: ReturnType<typeof setInterval> | undefined;

  constructor(options: DurableOptions) {
    this.#options = options;
  }

  /** Whether the store is unavailable, as the last journal write found it: one warning per outage. */
  #down = false;
  readonly #outage = {
    down: (error: StoreUnavailableError) => {
      if (this.#down) return;
      this.#down = true;
      process.emitWarning(
        `${error.message}; journal writes are retried until it answers, and executions wait meanwhile`,
        "RubberDuckStoreWarning",
      );
    },
    up: () => {
      this.#down = false;
    },
  };

  get store(): ExecutionStore {
    return this.#options.store;
  }

  /** The journal of a new execution (created by its first write). */
  journalFor(
    wf: AnyWorkflow,
    run: Omit<NewRun, "workflow" | "version" | "definitionHash">,
    phase: () => RunStatus,
    onFailure: (error: JournalError | LeaseLostError) => void,
    onDuplicate: (run: RunRecord) => void,
  ): StoreJournal {
    const { store, owner, leaseMs, now } = this.#options;
    return this.#track(
      new StoreJournal({
        store,
        create: {
          run: { ...run, workflow: wf.name, version: wf.version, definitionHash: definitionHash(wf) },
          owner,
          leaseMs,
        },
        now,
        phase,
        onFailure,
        onDuplicate,
        outage: this.#outage,
      }),
    );
  }

  /** The journal of a claimed execution. */
  journalOf(
    lease: Lease,
    phase: () => RunStatus,
    onFailure: (error: JournalError | LeaseLostError) => void,
  ): StoreJournal {
    const { store, now } = this.#options;
    return this.#track(new StoreJournal({ store, lease, now, phase, onFailure, outage: this.#outage }));
  }

  /**
   * Stop every execution this engine journals: each stops writing once what it
   * appended is written, its copy stops, and its lease is released.
   */
  async close(): Promise<void> {
    const journals = [...this.#journals];
    await Promise.allSettled(journals.map((journal) => journal.close()));
    const { store } = this.#options;
    await Promise.allSettled(
      journals.map((journal) => (journal.lease === undefined ? undefined : store.release(journal.lease))),
    );
    for (const journal of journals) this.release(journal);
  }

  /** The execution ended (or this copy stopped): its lease is no longer renewed. */
  release(journal: StoreJournal): void {
    this.#journals.delete(journal);
    if (this.#journals.size === 0 && this.#renewal !== undefined) {
      clearInterval(this.#renewal);
      this.#renewal = undefined;
    }
  }

  #track(journal: StoreJournal): StoreJournal {
    this.#journals.add(journal);
    if (this.#renewal === undefined) {
      this.#renewal = setInterval(() => this.#renew(), Math.max(10, Math.floor(this.#options.leaseMs / 3)));
      this.#renewal.unref?.();
    }
    return journal;
  }

  #renew(): void {
    const { store, leaseMs, now } = this.#options;
    for (const journal of this.#journals) {
      const lease = journal.lease;
      if (lease === undefined || journal.failed) continue;
      store.renew(lease, now() + leaseMs).then(
        (renewed) => {
          if (journal.lease?.epoch === renewed.epoch) journal.lease = renewed;
        },
        (error: unknown) => {
          // Lost (claimed by another engine, or finished meanwhile): a finished one is fine.
          if (error instanceof LeaseLostError && !error.message.endsWith("it is finished")) journal.lose(error);
        },
      );
    }
  }

  /** The workflow an execution started on, if this engine has the same definition. */
  definitionOf(record: RunRecord): AnyWorkflow {
    const { registry } = this.#options;
    if (!registry.has(record.workflow, record.version)) {
      throw new DefinitionMismatchError(record.executionId, record.workflow, record.version, record.definitionHash);
    }
    const wf = registry.get(record.workflow, record.version);
    const hash = definitionHash(wf);
    if (hash !== record.definitionHash) {
      throw new DefinitionMismatchError(
        record.executionId,
        record.workflow,
        record.version,
        record.definitionHash,
        hash,
      );
    }
    return wf;
  }

  /**
   * Claim an execution to resume it: when its lease expired, or its owner is a process
   * of this host that is gone. Undefined: another owner holds it.
   */
  async claim(record: RunRecord): Promise<Lease | undefined> {
    const [lease] = await this.claimAll([record]);
    return lease;
  }

  /** Claim several at once (one store transaction): the leases of those still claimable. */
  async claimAll(records: readonly RunRecord[]): Promise<Lease[]> {
    const { store, owner, leaseMs, now } = this.#options;
    const t = now();
    const gone = [...new Set(records.flatMap((r) => (r.owner !== undefined && this.#gone(r.owner) ? [r.owner] : [])))];
    const executionIds = records.map((r) => r.executionId);
    return store.claim({ owner, now: t, until: t + leaseMs, limit: records.length, executionIds, gone });
  }

  async record(executionId: string): Promise<RunRecord> {
    const record = await this.#options.store.get(executionId);
    if (record === undefined) throw new ExecutionNotFoundError(executionId);
    return record;
  }

  async history(executionId: string) {
    return (await this.#options.store.events(executionId)).map(decodeEvent);
  }

  /** Several executions' journals, decoded, in one read. */
  async histories(executionIds: readonly string[]) {
    const journals = await this.#options.store.journals(executionIds);
    return new Map([...journals].map(([id, rows]) => [id, rows.map(decodeEvent)]));
  }

  /** Journaled events of an execution as WorkflowEvents, from `fromSeq`. */
  async replay(record: Pick<RunRecord, "executionId" | "workflow" | "version">, fromSeq: number) {
    return (await this.#options.store.events(record.executionId, fromSeq)).map((row) => toWorkflowEvent(row, record));
  }

  /** A finished execution's result, rebuilt from its journal (`history`: already read). */
  async resultOf(record: RunRecord, history?: readonly TimedRunEvent[]): Promise<WorkflowResult> {
    const events = history ?? (await this.history(record.executionId));
    return rebuildResult(plan(this.definitionOf(record)), record.executionId, events);
  }

  /**
   * Unfinished top-level executions that this engine could claim now (lease expired, or
   * held by a gone process of this host) and whose definition it has, oldest first; and
   * when the next lease of another owner's unfinished execution expires (undefined: none
   * is held), for a recovery loop to look again then.
   */
  async survey(): Promise<{ claimable: RunRecord[]; nextExpiry: number | undefined }> {
    const { store, now, owner } = this.#options;
    let cursor: string | undefined;
    const found: RunRecord[] = [];
    let nextExpiry: number | undefined;
    const gone = new Map<string, boolean>();
    const isGone = (owner: string | undefined) => {
      if (owner === undefined) return false;
      let answer = gone.get(owner);
      if (answer === undefined) gone.set(owner, (answer = this.#gone(owner)));
      return answer;
    };
    do {
      const page = await store.list({ status: UNFINISHED_STATUSES, limit: 1_000, cursor });
      const t = now();
      for (const record of page.runs) {
        if (record.parentId !== undefined) continue;
        const expired = record.leaseUntil === undefined || record.leaseUntil < t || isGone(record.owner);
        if (expired && this.#has(record)) found.push(record);
        else if (!expired && record.owner !== owner && (nextExpiry === undefined || record.leaseUntil! < nextExpiry)) {
          nextExpiry = record.leaseUntil;
        }
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    return { claimable: found.reverse(), nextExpiry };
  }

  #has(record: RunRecord): boolean {
    try {
      this.definitionOf(record);
      return true;
    } catch {
      return false;
    }
  }

  #gone(owner: string): boolean {
    return this.#options.takeOverLocal && ownerGone(owner);
  }

  runs(): Runs {
    const store = this.#options.store;
    return {
      list: (query) => store.list(query),
      get: async (executionId) => {
        const run = await this.record(executionId);
        const events = await this.replay(run, 1);
        let result: WorkflowResult | undefined;
        if (FINAL_STATUSES.has(run.status) && this.#has(run)) result = await this.resultOf(run);
        return { run, events, result };
      },
      prune: (options) => store.prune(options),
    };
  }
}
