/**
 * The engine: a registry of workflows, and executions of them as XState actors.
 */

import { createHash } from "node:crypto";
import { nanoid } from "nanoid";
import { type Observable, Subject } from "rxjs";
import type { InspectionEvent, Observer } from "xstate";
import { toMachine } from "../../machines/workflow.machine.js";
import { memoryCache } from "../cache/memory.js";
import type { CacheStore } from "../cache/store.js";
import type { AnyWorkflowLike } from "../dsl/step.js";
import type { AnyWorkflow, InputOf, ResultOf } from "../dsl/workflow.js";
import {
  DefinitionMismatchError,
  ExecutionNotFoundError,
  ExecutorNotFoundError,
  LeaseLostError,
  RecoveryLimitError,
} from "../errors.js";
import type { WorkflowEvent } from "../events.js";
import type { Executor } from "../executors/executor.js";
import { toWorkflowEvent } from "../journal/codec.js";
import { cutOffAttempts, deadLetterEvents } from "../journal/dead-letter.js";
import type { StoreJournal } from "../journal/store-journal.js";
import { plan } from "../planner/plan.js";
import type { TimedRunEvent } from "../policy/run-event.js";
import type { WorkflowResult } from "../result.js";
import { type ExecutionStore, FINAL_STATUSES, type Lease, type RunRecord } from "../store/execution-store.js";
import type { Instrument, Telemetry } from "../telemetry/telemetry.js";
import { type Clock, systemClock } from "./clock.js";
import { Durable, type Runs } from "./durable.js";
import { createExecution, type Execution, type ExecutionStatus, phaseOf, type WorkflowRun } from "./execution.js";
import { GuardedObservable, guardInspector, guardInstrument, warnAdapter } from "./guard.js";
import { defaultOwner } from "./ownership.js";
import { RecoveryLoop } from "./recovery-loop.js";
import { WorkflowRegistry } from "./registry.js";

/**
 * An XState inspection observer, e.g. from `@statelyai/inspect`'s `createBrowserInspector().inspect`.
 *
 * @example
 * createEngine({ inspect: (event) => console.log(event.type, event.actorRef.id) });
 */
export type InspectOption = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/**
 * Options of `createEngine`: workflows to register, and what every execution shares.
 *
 * @example
 * createEngine({ workflows: [codeAnalysis], historyLimit: 100, cache: memoryCache({ max: 10_000 }) });
 */
export interface EngineOptions {
  /** Workflows to register up front (every problem of an invalid one is thrown here). */
  workflows?: readonly AnyWorkflow[];
  /** Sees every actor of every execution: the workflow actor and each step actor. */
  inspect?: InspectOption;
  /** Time source for delays, timestamps and durations. @default the system clock */
  clock?: Clock;
  /** Random source for backoff jitter, in [0, 1). @default Math.random */
  random?: () => number;
  /** How many finished executions `getStatus` still knows. @default 1000 */
  historyLimit?: number;
  /**
   * Telemetry backends (e.g. `openTelemetry({ tracer, meter })` from
   * `@rubberduck/workflows/opentelemetry`): they see every event of every execution,
   * and run step code in their context.
   */
  telemetry?: Telemetry | readonly Telemetry[];
  /**
   * Where cached step outputs live (steps with `cache`, workflows with `cacheResults`).
   * @default an in-memory LRU of 1,000 entries on the engine's clock
   */
  cache?: CacheStore;
  /**
   * Where executions are journaled, to resume them after a crash: `sqliteStore(path)`,
   * `postgresStore(...)` or `memoryStore()`. Without one, nothing is journaled (and
   * nothing costs): an execution lives as long as the process.
   * @example
   * createEngine({ workflows: [codegen], store: sqliteStore("runs.db") })
   */
  store?: ExecutionStore;
  /** Who holds the leases of this engine's executions. @default `${hostname}:${pid}` */
  owner?: string;
  /**
   * Take over at once, without waiting for their leases to expire, the executions of an
   * owner of the default form `${hostname}:${pid}` whose host is this one and whose process
   * is gone (a `kill -9`, a crash). Processes are told apart by pid: if engines on one host
   * run in separate PID namespaces under one hostname (containers on the host's network),
   * set it to false, or give each engine its own `owner`. @default true
   */
  takeOverLocal?: boolean;
  /**
   * How long a lease lasts without renewal, in ms (renewed every third of it while the
   * execution runs): how long another engine waits before it may take over the
   * executions of one that died. @default 30000
   */
  leaseMs?: number;
  /**
   * With a store that keeps cancel requests (all of ours do): how often this engine looks
   * for requests to cancel the executions it runs (`engine.cancel` from another engine:
   * the studio, a CLI), in ms. @default 1000
   */
  cancelPollMs?: number;
  /**
   * With a store: the most bytes (of JSON) a step's outputs may take; past it, the step
   * fails with a SerializationError (large outputs are stored by reference, but a journal
   * is not a blob store: keep big artefacts elsewhere and return their address).
   * @default 16 MiB
   */
  maxOutputBytes?: number;
  /**
   * Dead-lettering: an execution one of whose steps had its engine die while it ran more
   * than this many times in a row (what kills its engine would kill the next one) is
   * failed with a RecoveryLimitError instead of recovered again. A step that settles, or
   * retries after a failure of its own, starts again from 0. Compensations are not
   * counted. @default 10
   */
  maxRecoveries?: number;
  /**
   * With a store: take over, on its own, what this engine may claim — at once, then
   * every this many ms, and sooner when a lease it saw held is due to expire or another
   * engine releases one (a store that can tell, like Postgres with LISTEN/NOTIFY, wakes
   * it). The loop does not keep the process alive on its own; `close()` stops it.
   * Off by default: call `recover()` yourself.
   * @example
   * createEngine({ workflows, store: postgresStore({ connectionString }), recoverEvery: 10_000 })
   */
  recoverEvery?: number;
  /**
   * Where steps that name an executor run, by that name: `threadExecutor(…)` from
   * `@rubberduck/workflows/threads`, `bullmqExecutor(…)` from `@rubberduck/workflows/bullmq`,
   * or an {@link Executor} of your own. Starting a workflow one of whose steps names an
   * executor not given here throws an ExecutorNotFoundError. `close()` closes them.
   * @example
   * createEngine({ workflows: [codeAnalysis], executors: { threads: threadExecutor({ modules: [new URL("./code-analysis.ts", import.meta.url)] }) } })
   */
  executors?: Readonly<Record<string, Executor>>;
}

/**
 * Options of one execution, for `engine.execute` and `engine.start`.
 *
 * @example
 * const controller = new AbortController();
 * const result = await engine.execute("code_analysis", input, { version: "1.0.0", signal: controller.signal });
 */
export interface ExecuteOptions {
  /** Cancels the execution when aborted (the rollback still runs). */
  signal?: AbortSignal;
  /** An inspection observer for this execution only (in addition to the engine's). */
  inspect?: InspectOption;
  /** With a workflow name: run exactly this version instead of the latest. */
  version?: string;
  /** @default a nanoid that does not start with `-` */
  executionId?: string;
  /** Put the ordered trace of every event and actor state transition in `result.trace`. */
  debug?: boolean;
  /**
   * Data to attach to the execution (who asked, a request id, a tenant…): steps read it
   * as `ctx.metadata`; it is on `workflow.started` and in `result.metadata`. Frozen.
   * @example
   * engine.start("code_analysis", input, { metadata: { requestedBy: "ci", pr: 42 } })
   */
  metadata?: Readonly<Record<string, unknown>>;
  /**
   * With a store: a key naming this request (an order id, a webhook delivery id). A start
   * with a key the store already holds returns a handle on that execution (its result,
   * its events) instead of starting a second one. The execution id is derived from it
   * unless `executionId` is given.
   * @example
   * engine.start("code_generation_transaction", input, { idempotencyKey: "order-42" })
   */
  idempotencyKey?: string;
}

/**
 * A workflow engine: its registry, the event stream of all its executions, and ways to
 * run workflows and ask where an execution is. Made by `createEngine`.
 *
 * @example
 * engine.register(codeAnalysis);
 * const run = engine.start("code_analysis", { file_paths: ["src/a.ts"] });
 * engine.getStatus(run.id)?.status; // "running"
 */
export interface Engine {
  readonly registry: WorkflowRegistry;
  /** Every event of every execution of this engine. */
  readonly events: Observable<WorkflowEvent>;
  /** Register a workflow version. @throws {WorkflowDefinitionError} @throws {WorkflowVersionConflictError} */
  register(wf: AnyWorkflow): void;
  /**
   * Run a workflow to its end. Resolves to the result whatever happens to the steps;
   * rejects only if the workflow is unknown or its definition is invalid.
   */
  execute<W extends AnyWorkflow>(wf: W, input: InputOf<W>, options?: ExecuteOptions): Promise<ResultOf<W>>;
  execute(name: string, input: Record<string, unknown>, options?: ExecuteOptions): Promise<WorkflowResult>;
  /** Start a workflow and get its handle. Throws (synchronously) for an unknown or invalid workflow. */
  start<W extends AnyWorkflow>(wf: W, input: InputOf<W>, options?: ExecuteOptions): WorkflowRun<ResultOf<W>>;
  start(name: string, input: Record<string, unknown>, options?: ExecuteOptions): WorkflowRun;
  /** Where an execution is (live, or among the last `historyLimit` finished). */
  getStatus(executionId: string): ExecutionStatus | undefined;
  /**
   * Resume one interrupted execution from the store's journal (steps with a journaled
   * completion never run again; the ones in flight run again with their next attempt).
   * A finished one's handle has its rebuilt result.
   * @throws {ExecutionNotFoundError} @throws {DefinitionMismatchError} (nothing is touched)
   * @throws {LeaseLostError} when another live engine holds it
   */
  resume(executionId: string): Promise<WorkflowRun>;
  /**
   * Cancel an execution by id, as `run.cancel(reason)` does: it ends `cancelled` after its
   * error policy ran (the rollback, under `compensate_all`), journaled like any other end.
   * - one this engine runs is cancelled where it is, and resolves to its handle;
   * - with a store, an interrupted one is resumed here (so its rollback runs), then
   *   cancelled: its handle; a finished one is left as it is: its handle (with its result);
   * - one another live engine runs gets a cancel request in the store, which that engine
   *   reads within its `cancelPollMs` and acts on: resolves to `undefined` (follow it with
   *   `engine.runs.get`).
   * Without a store, only executions this engine runs can be cancelled.
   * @throws {ExecutionNotFoundError} @throws {DefinitionMismatchError}
   * @throws {LeaseLostError} when another engine runs it and the store keeps no cancel requests
   */
  cancel(executionId: string, reason?: string): Promise<WorkflowRun | undefined>;
  /** Resume every interrupted execution this engine may claim (lease expired, or its owner gone) and has the definition of. */
  recover(): Promise<WorkflowRun[]>;
  /** The executions in the store. */
  readonly runs: Runs;
  /**
   * Stop this engine (a deploy, a shutdown): with a store, every live execution stops
   * where it is — what it journaled stays, its lease is released so that another engine
   * (or this one, after a restart) resumes it at once — and its `result` rejects with a
   * LeaseLostError. Without a store, live executions are cancelled and awaited.
   */
  close(): Promise<void>;
}

/**
 * Create an engine.
 *
 * @example
 * const engine = createEngine({ workflows: [codeAnalysis] });
 * const result = await engine.execute("code_analysis", { file_paths: ["src/a.ts"] });
 */
export function createEngine(options: EngineOptions = {}): Engine {
  const registry = new WorkflowRegistry();
  for (const wf of options.workflows ?? []) registry.register(wf);
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const historyLimit = options.historyLimit ?? 1000;
  const maxRecoveries = options.maxRecoveries ?? 10;
  const cache = options.cache ?? memoryCache({ now: clock.now });
  const telemetry: readonly Telemetry[] =
    options.telemetry === undefined
      ? []
      : Array.isArray(options.telemetry)
        ? options.telemetry
        : [options.telemetry as Telemetry];
  const instrument = combineInstruments(telemetry);
  const executors = options.executors;
  const cancelPollMs = options.cancelPollMs ?? 1000;
  if (!(cancelPollMs > 0) || !Number.isFinite(cancelPollMs) || cancelPollMs > 2 ** 31 - 1) {
    throw new TypeError(`Expected \`cancelPollMs\` to be a positive number of ms, got ${String(options.cancelPollMs)}`);
  }
  const events = new Subject<WorkflowEvent>();
  const live = new Map<string, WorkflowRun>();
  /** Idempotent starts checking the store, before they run or follow the execution they found. */
  const holding = new Map<string, WorkflowRun>();
  const followers = new WeakSet<WorkflowRun>();
  const finished = new Map<string, ExecutionStatus>();
  const durable =
    options.store === undefined
      ? undefined
      : new Durable({
          store: options.store,
          owner: options.owner ?? defaultOwner(),
          takeOverLocal: options.takeOverLocal !== false,
          leaseMs: options.leaseMs ?? 30_000,
          now: clock.now,
          registry,
        });
  const needStore = (): Durable => {
    if (durable === undefined) {
      throw new Error("This engine has no store: create it with `store: sqliteStore(path)` (or memoryStore())");
    }
    return durable;
  };

  /** Create an execution's handle (`history`: rebuild it from its journal). */
  const launch = (
    wf: AnyWorkflow,
    input: unknown,
    execOptions: ExecuteOptions,
    executionId: string,
    journal: (execution: () => Execution) => ReturnType<Durable["journalFor"]> | undefined,
    history?: Parameters<typeof createExecution>[2]["history"],
  ): Execution => {
    let execution: Execution | undefined;
    const j = journal(() => execution!);
    const keyed = j !== undefined && history === undefined && execOptions.idempotencyKey !== undefined;
    // A finished execution's handle only shows its rebuilt result: its actor never starts.
    const finishedRun = history !== undefined && j === undefined;
    execution = createExecution(toMachine(wf), input, {
      executionId,
      clock,
      random,
      inspect: combineInspectors(options.inspect, execOptions.inspect),
      signal: execOptions.signal,
      cache,
      instrument,
      executors,
      debug: execOptions.debug === true,
      metadata: execOptions.metadata,
      onEvent: (event) => {
        for (const t of telemetry) {
          try {
            t.onEvent(event);
          } catch (error) {
            // A broken telemetry backend must not break the execution it observes.
            warnAdapter("A telemetry backend", `on ${event.type}`, error, "RubberDuckTelemetryWarning");
          }
        }
        events.next(event);
      },
      listening: () => telemetry.length > 0 || events.observed,
      onEnd: (ended) => {
        if (j !== undefined) durable!.release(j);
        if (live.get(ended.id) === ended) live.delete(ended.id);
        if (holding.get(ended.id) === ended) holding.delete(ended.id);
        // A handle that followed another execution (or a finished one) has no status of its own.
        if (followers.has(ended)) return;
        finished.set(ended.id, ended.status());
        if (finished.size > historyLimit) finished.delete(finished.keys().next().value!);
      },
      journal: j,
      history,
      replay:
        durable === undefined
          ? undefined
          : async (fromSeq) => {
              // Whatever was emitted before the caller subscribed is in the store once written.
              await j?.drained().catch(() => {});
              return durable.replay({ executionId, workflow: wf.name, version: wf.version }, fromSeq);
            },
      hold: keyed || finishedRun,
      maxOutputBytes: options.maxOutputBytes,
    });
    if (finishedRun) followers.add(execution.run);
    else if (keyed) holding.set(executionId, execution.run);
    else {
      live.set(executionId, execution.run);
      if (j !== undefined) watchCancels();
    }
    return execution;
  };

  /**
   * Act on a cancel request once per handle, and only while the run is running: a second
   * CANCEL would cut short its abort grace or abort its rollback (a request stays in the
   * store until the execution ends, and is read again at every poll).
   */
  const cancelled = new WeakSet<WorkflowRun>();
  const honourCancel = (run: WorkflowRun, reason: string) => {
    if (cancelled.has(run)) return;
    cancelled.add(run);
    if (phaseOf(run) === "running") run.cancel(reason);
  };

  /** Cancel requests other engines left in the store for executions this one runs: read every cancelPollMs. */
  let cancelWatch: ReturnType<typeof setInterval> | undefined;
  let lookingForCancels = false;
  const watchCancels = () => {
    const store = options.store;
    if (cancelWatch !== undefined || store?.cancelRequests === undefined) return;
    cancelWatch = setInterval(
      async () => {
        if (live.size === 0) {
          clearInterval(cancelWatch);
          cancelWatch = undefined;
          return;
        }
        if (lookingForCancels) return;
        lookingForCancels = true;
        try {
          for (const [id, reason] of await store.cancelRequests!([...live.keys()])) {
            const run = live.get(id);
            if (run !== undefined) honourCancel(run, reason);
          }
        } catch {
          // The store is down for a moment: the next look tries again.
        } finally {
          lookingForCancels = false;
        }
      },
      Math.max(10, cancelPollMs),
    );
    cancelWatch.unref?.();
  };

  /** A handle that follows another execution (its own actor never ran, or stopped before a step). */
  const follow = (execution: Execution, other: () => Promise<WorkflowRun | WorkflowResult>) => {
    followers.add(execution.run);
    holding.delete(execution.run.id);
    // Out of `live` first: the execution it follows may have the same id.
    if (live.get(execution.run.id) === execution.run) live.delete(execution.run.id);
    execution.follow(other());
  };

  const start = (target: AnyWorkflow | string, input: unknown, execOptions: ExecuteOptions = {}): WorkflowRun => {
    const wf = typeof target === "string" ? registry.get(target, execOptions.version) : target;
    toMachine(wf); // an invalid definition throws here
    checkExecutors(wf, executors);
    const key = execOptions.idempotencyKey;
    if (key !== undefined && (typeof key !== "string" || key.length === 0)) {
      throw new TypeError(`Expected \`idempotencyKey\` to be a non-empty string, got ${JSON.stringify(key)}`);
    }
    const executionId = execOptions.executionId ?? (key === undefined ? newExecutionId() : keyedId(key));
    const running = live.get(executionId) ?? holding.get(executionId);
    if (key !== undefined && running !== undefined) return running;
    if (durable !== undefined) registry.register(wf); // it resumes on the registered definition
    const startedAt = clock.now();
    const execution = launch(wf, input, execOptions, executionId, (self) =>
      durable?.journalFor(
        wf,
        { executionId, idempotencyKey: key, metadata: execOptions.metadata, startedAt },
        () => phaseOf(self().run),
        (error) => self().abandon(error),
        // Another start took the key first (nothing of this one was written): follow it.
        (record) => follow(self(), () => attach(record)),
      ),
    );
    if (durable !== undefined && key !== undefined) {
      // An idempotent start: run only if the store does not hold the execution yet.
      durable.store.get(executionId).then(
        (record) => {
          if (record !== undefined) {
            follow(execution, () => attach(record));
            return;
          }
          holding.delete(executionId);
          live.set(executionId, execution.run);
          watchCancels();
          execution.release();
        },
        (error: unknown) => execution.abandon(error instanceof Error ? error : new Error(String(error))),
      );
    }
    return execution.run;
  };

  /** The execution a keyed start found: its result if it finished, else resumed here or awaited. */
  const attach = async (record: RunRecord): Promise<WorkflowRun | WorkflowResult> => {
    const d = needStore();
    for (;;) {
      if (FINAL_STATUSES.has(record.status)) return d.resultOf(record);
      try {
        return await resume(record.executionId);
      } catch (error) {
        if (!(error instanceof LeaseLostError)) throw error;
      }
      // Another engine runs it: wait for it to finish (or for its lease to lapse).
      await new Promise((resolve) => setTimeout(resolve, 200));
      record = await d.record(record.executionId);
    }
  };

  const resuming = new Map<string, Promise<WorkflowRun>>();
  const resume = (executionId: string): Promise<WorkflowRun> => {
    const running = live.get(executionId);
    if (running !== undefined) return Promise.resolve(running);
    let pending = resuming.get(executionId);
    if (pending === undefined) {
      pending = resumeFromStore(executionId).finally(() => resuming.delete(executionId));
      resuming.set(executionId, pending);
    }
    return pending;
  };

  const resumeFromStore = async (executionId: string): Promise<WorkflowRun> => {
    const d = needStore();
    const record = await d.record(executionId);
    const wf = d.definitionOf(record);
    if (FINAL_STATUSES.has(record.status)) return finishedHandle(wf, record, await d.history(executionId));
    const lease = await d.claim(record);
    if (lease === undefined) {
      const until = record.leaseUntil === undefined ? "" : ` until ${new Date(record.leaseUntil).toISOString()}`;
      throw new LeaseLostError(executionId, `it is leased by ${record.owner ?? "another engine"}${until}`);
    }
    const requested = await options.store!.cancelRequests?.([executionId]);
    return relaunch(wf, lease, await d.history(executionId), requested?.get(executionId));
  };

  /** A claimed execution, rebuilt from its journal and resumed here. */
  const relaunch = async (
    wf: AnyWorkflow,
    lease: Lease,
    history: Parameters<typeof launch>[5],
    cancelRequested?: string,
  ): Promise<WorkflowRun> => {
    const d = needStore();
    const last = history?.findLast((e) => e.path === undefined);
    const ended = last === undefined ? undefined : TERMINAL[last.type];
    if (ended !== undefined) {
      // Its end is journaled but its row was not updated (a crash between the two writes
      // of a run that ended in its first): finish the row; nothing runs.
      await d.store.append(lease, [], { status: ended, finishedAt: last!.at, updatedAt: last!.at });
      return finishedHandle(wf, await d.record(lease.executionId), history);
    }
    const cutOff = cutOffAttempts(history ?? []);
    if (cutOff !== undefined && cutOff.times > maxRecoveries) {
      // Dead-lettered: fail it with what the journal says, and run nothing of it.
      const at = clock.now();
      const error = new RecoveryLimitError(lease.executionId, cutOff.step, cutOff.times, maxRecoveries);
      const rows = deadLetterEvents(plan(wf), lease.executionId, history ?? [], error, at);
      await d.store.append(lease, rows, { status: "failed", finishedAt: at, updatedAt: at });
      process.emitWarning(error.message, "RubberDuckRecoveryWarning");
      const run = { executionId: lease.executionId, workflow: wf.name, version: wf.version };
      for (const row of rows) events.next(toWorkflowEvent(row, run));
      return finishedHandle(wf, await d.record(lease.executionId), await d.history(lease.executionId));
    }
    let journal: StoreJournal | undefined;
    try {
      const run = launch(
        wf,
        undefined,
        {},
        lease.executionId,
        (self) =>
          (journal = d.journalOf(
            lease,
            () => phaseOf(self().run),
            (error) => self().abandon(error),
          )),
        history,
      ).run;
      // Someone asked for it to be cancelled while no engine ran it: it resumes into its rollback.
      if (cancelRequested !== undefined) honourCancel(run, cancelRequested);
      return run;
    } catch (error) {
      // It could not be rebuilt (a journal this definition cannot fold): let go of it, and
      // of its lease, rather than renew a lease with nothing behind it.
      if (journal !== undefined) d.release(journal);
      await d.store.release(lease).catch(() => {});
      throw error;
    }
  };

  /** The handle of a finished execution: its result, rebuilt from the journal already read; nothing runs. */
  const finishedHandle = (
    wf: AnyWorkflow,
    record: RunRecord,
    history: readonly TimedRunEvent[] | undefined,
  ): WorkflowRun => {
    const execution = launch(wf, undefined, {}, record.executionId, () => undefined, history);
    execution.follow(needStore().resultOf(record, history));
    return execution.run;
  };

  const recover = async (): Promise<WorkflowRun[]> => (await recoverNow()).runs;

  /** Recover what may be claimed now; and when the next lease held elsewhere expires. */
  const recoverNow = async (): Promise<{ runs: WorkflowRun[]; nextExpiry: number | undefined }> => {
    const d = needStore();
    const runs: WorkflowRun[] = [];
    const survey = await d.survey();
    const records = survey.claimable.filter((r) => !live.has(r.executionId) && !resuming.has(r.executionId));
    // Claimed in batches (one store transaction each); one claimed by another engine meanwhile is theirs.
    let unclaimed = false;
    for (let at = 0; at < records.length; at += 500) {
      const batch = records.slice(at, at + 500);
      const byId = new Map(batch.map((r) => [r.executionId, r]));
      const leases = await d.claimAll(batch);
      if (leases.length < batch.length) unclaimed = true;
      const histories = await d.histories(leases.map((l) => l.executionId));
      const requested = await options.store!.cancelRequests?.(leases.map((l) => l.executionId));
      for (const lease of leases) {
        const record = byId.get(lease.executionId)!;
        try {
          const history = histories.get(lease.executionId) ?? [];
          runs.push(await relaunch(d.definitionOf(record), lease, history, requested?.get(lease.executionId)));
        } catch (error) {
          warnAdapter("Recovery", `of execution ${lease.executionId}`, error, "RubberDuckRecoveryWarning");
        }
      }
    }
    // Some were claimable but not claimed: taken by another engine, or their row was busy
    // (a renewal in flight; claims skip locked rows). Look again soon rather than a period later.
    const soon = unclaimed ? clock.now() + RECHECK_MS : undefined;
    const nextExpiry =
      soon === undefined ? survey.nextExpiry : Math.min(soon, survey.nextExpiry ?? Number.POSITIVE_INFINITY);
    return { runs, nextExpiry };
  };

  const every = options.recoverEvery;
  if (every !== undefined && (durable === undefined || !(every > 0) || !Number.isFinite(every))) {
    throw new TypeError(
      durable === undefined
        ? "`recoverEvery` needs a `store` to recover from"
        : `Expected \`recoverEvery\` to be a positive number of ms, got ${String(every)}`,
    );
  }
  const loop =
    every === undefined
      ? undefined
      : new RecoveryLoop({ every, clock, pass: async () => (await recoverNow()).nextExpiry });
  const unlisten = loop === undefined ? undefined : options.store!.onReleased?.(() => loop.wake());
  loop?.wake();

  return {
    registry,
    events: new GuardedObservable(events, "An engine.events subscriber"),
    register: (wf) => registry.register(wf),
    start: start as Engine["start"],
    execute: (async (target: AnyWorkflow | string, input: unknown, execOptions?: ExecuteOptions) =>
      start(target, input, execOptions).result) as Engine["execute"],
    getStatus: (id) => live.get(id)?.status() ?? finished.get(id),
    resume,
    cancel: async (id, reason = "cancelled") => {
      const local = live.get(id);
      if (local !== undefined) {
        local.cancel(reason);
        return local;
      }
      if (durable === undefined) throw new ExecutionNotFoundError(id);
      try {
        const run = await resume(id);
        run.cancel(reason);
        return run;
      } catch (error) {
        // Another live engine runs it: leave it a request, which it reads within its cancelPollMs.
        // Or this engine lacks its definition: whichever engine resumes it acts on the request.
        const store = options.store!;
        const leftForAnother = error instanceof LeaseLostError || error instanceof DefinitionMismatchError;
        if (!leftForAnother || store.requestCancel === undefined) throw error;
        if (await store.requestCancel(id, reason)) return undefined;
        return resume(id); // it finished meanwhile: its handle, as for any finished one
      }
    },
    recover,
    close: async () => {
      unlisten?.();
      if (cancelWatch !== undefined) clearInterval(cancelWatch);
      cancelWatch = undefined;
      await loop?.stop();
      const runs = [...live.values()];
      if (durable === undefined) {
        for (const run of runs) run.cancel("the engine is closing");
        await Promise.allSettled(runs.map((run) => run.result));
      } else {
        await durable.close();
      }
      // Once nothing runs on them any more.
      await Promise.allSettled(Object.values(executors ?? {}).map((executor) => executor.close?.()));
    },
    runs: durable?.runs() ?? {
      list: async () => needStore().runs().list(),
      get: async () => needStore().runs().get(""),
      prune: async () => needStore().runs().prune({ finishedBefore: 0 }),
    },
  };
}

/** How soon a recovery loop looks again at executions it found claimable but could not claim. */
const RECHECK_MS = 250;

/** The statuses the terminal events journal. */
const TERMINAL: Readonly<Record<string, "succeeded" | "failed" | "cancelled" | "timed_out">> = {
  "workflow.succeeded": "succeeded",
  "workflow.failed": "failed",
  "workflow.cancelled": "cancelled",
  "workflow.timed_out": "timed_out",
};

/** Every step of `wf` (and of its sub-workflows) that names an executor finds it, or this throws. */
function checkExecutors(wf: AnyWorkflowLike, executors: Readonly<Record<string, Executor>> | undefined): void {
  for (const step of wf.steps) {
    const name = step.executor;
    if (name !== undefined && (executors === undefined || !Object.hasOwn(executors, name))) {
      throw new ExecutorNotFoundError(step.name, name, Object.keys(executors ?? {}));
    }
    if (step.workflow !== undefined) checkExecutors(step.workflow, executors);
  }
}

/**
 * A fresh execution id: a nanoid that does not start with `-`, so that it reads as an argument, not an
 * option, wherever it is typed (`rubberduck resume ID …`, `rubberduck runs show ID`).
 */
function newExecutionId(): string {
  let id = nanoid();
  while (id.startsWith("-")) id = nanoid();
  return id;
}

/** The execution id of an idempotency key: the same key, the same execution. */
function keyedId(key: string): string {
  return `key-${createHash("sha256").update(key).digest("base64url").slice(0, 24)}`;
}

/** One wrapper running step code inside every telemetry backend's context. */
function combineInstruments(telemetry: readonly Telemetry[]): Instrument | undefined {
  const wrappers = telemetry.flatMap((t) =>
    t.instrument === undefined ? [] : [guardInstrument(t.instrument.bind(t))],
  );
  if (wrappers.length === 0) return undefined;
  return (info, run) => wrappers.reduceRight<typeof run>((inner, wrap) => () => wrap(info, inner), run)();
}

function combineInspectors(
  ...inspectors: (InspectOption | undefined)[]
): ((event: InspectionEvent) => void) | undefined {
  const fns = inspectors
    .filter((i): i is InspectOption => i !== undefined)
    .map((i) => guardInspector(typeof i === "function" ? i : (event: InspectionEvent) => i.next?.(event)));
  if (fns.length === 0) return undefined;
  if (fns.length === 1) return fns[0];
  return (event) => {
    for (const fn of fns) fn(event);
  };
}
