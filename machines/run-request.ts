/**
 * The input of a workflow machine with per-execution settings: what a caller that runs
 * a machine without the engine passes to `createActor(toMachine(wf), { input })`.
 */

import type { CacheStore } from "../src/cache/store.js";
import type { WorkflowEvent } from "../src/events.js";
import type { Executor } from "../src/executors/executor.js";
import type { RunEvent, TimedRunEvent } from "../src/policy/run-event.js";
import type { Instrument } from "../src/telemetry/telemetry.js";

/**
 * Per-execution settings for a machine run without the engine.
 *
 * @example
 * new RunRequest({ file_paths }, { executionId: "run-1", onEvent: (e) => console.log(e.seq, e.type, e.step) });
 */
export interface RunRequestOptions {
  /** @default a nanoid */
  executionId?: string;
  /** Time source for timestamps and durations. @default Date.now */
  now?: () => number;
  /** Random source for backoff jitter, in [0, 1). @default Math.random */
  random?: () => number;
  /** Receives every WorkflowEvent of the execution. */
  onEvent?: (event: WorkflowEvent) => void;
  /**
   * With `onEvent`: whether anyone wants events right now. When it answers false, events
   * are not even built (sequence numbers still advance). @default always true
   */
  listening?: () => boolean;
  /** Where cached step outputs live; without one, nothing is cached. */
  cache?: CacheStore;
  /** Runs each piece of step code inside a context (telemetry). */
  instrument?: Instrument;
  /**
   * Where steps that name an executor (`executor: "threads"`) run, by name. A step whose
   * executor is not here fails with an `ExecutorNotFoundError`.
   */
  executors?: Readonly<Record<string, Executor>>;
  /**
   * Data the caller attaches to the execution (who asked, a request id, a tenant…):
   * frozen, in `ctx.metadata`, on `workflow.started` and in the result.
   */
  metadata?: Readonly<Record<string, unknown>>;
  /**
   * Where the execution's events are journaled. With one, a step (or a compensation)
   * starts only once every event before it is durable.
   */
  journal?: RunJournal;
  /**
   * Values must survive JSON (set with a journal): the input, metadata and every
   * step's outputs are checked, and what JSON would change fails with a clear error.
   */
  serializable?: boolean;
  /** With `serializable`: the most bytes (of JSON) a step's outputs may take. @default 16 MiB */
  maxOutputBytes?: number;
  /** Rebuild the execution from these journaled events (oldest first) and resume it. */
  history?: readonly TimedRunEvent[];
}

/**
 * The journal of one execution, as the workflow actor sees it (the engine backs it with
 * an ExecutionStore).
 */
export interface RunJournal {
  /** Record an event (its public form, and the fields it was built from). */
  append(event: WorkflowEvent, fields: RunEvent): void;
  /** Some appended events are not durable yet. */
  readonly pending: boolean;
  /** Call back once every event appended so far is durable (never, if the journal failed). */
  whenDurable(callback: () => void): void;
}

/**
 * Input for a workflow machine with per-execution settings. A machine's input may be
 * the workflow input itself or a RunRequest wrapping it.
 *
 * @example
 * createActor(toMachine(wf), { input: new RunRequest({ file_paths }, { executionId: "run-1" }) }).start();
 */
export class RunRequest<I = Record<string, unknown>> {
  readonly input: I;
  readonly options: RunRequestOptions;

  constructor(input: I, options: RunRequestOptions = {}) {
    this.input = input;
    this.options = options;
  }
}
