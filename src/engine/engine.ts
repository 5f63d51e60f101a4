/**
 * The engine: a registry of workflows, and executions of them as XState actors.
 */

import { nanoid } from "nanoid";
import { type Observable, Subject } from "rxjs";
import type { InspectionEvent, Observer } from "xstate";
import { toMachine } from "../../machines/workflow.machine.js";
import { memoryCache } from "../cache/memory.js";
import type { CacheStore } from "../cache/store.js";
import type { AnyWorkflow, InputOf, ResultOf } from "../dsl/workflow.js";
import type { WorkflowEvent } from "../events.js";
import type { WorkflowResult } from "../result.js";
import type { Instrument, Telemetry } from "../telemetry/telemetry.js";
import { type Clock, systemClock } from "./clock.js";
import { type ExecutionStatus, startExecution, type WorkflowRun } from "./execution.js";
import { GuardedObservable, guardInspector, guardInstrument, warnAdapter } from "./guard.js";
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
  /** @default a nanoid */
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
  const cache = options.cache ?? memoryCache({ now: clock.now });
  const telemetry: readonly Telemetry[] =
    options.telemetry === undefined
      ? []
      : Array.isArray(options.telemetry)
        ? options.telemetry
        : [options.telemetry as Telemetry];
  const instrument = combineInstruments(telemetry);
  const events = new Subject<WorkflowEvent>();
  const live = new Map<string, WorkflowRun>();
  const finished = new Map<string, ExecutionStatus>();

  const start = (target: AnyWorkflow | string, input: unknown, execOptions: ExecuteOptions = {}): WorkflowRun => {
    const wf = typeof target === "string" ? registry.get(target, execOptions.version) : target;
    const machine = toMachine(wf);
    const executionId = execOptions.executionId ?? nanoid();
    const run = startExecution(machine, input, {
      executionId,
      clock,
      random,
      inspect: combineInspectors(options.inspect, execOptions.inspect),
      signal: execOptions.signal,
      cache,
      instrument,
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
        live.delete(ended.id);
        finished.set(ended.id, ended.status());
        if (finished.size > historyLimit) finished.delete(finished.keys().next().value!);
      },
    });
    live.set(executionId, run);
    return run;
  };

  return {
    registry,
    events: new GuardedObservable(events, "An engine.events subscriber"),
    register: (wf) => registry.register(wf),
    start: start as Engine["start"],
    execute: (async (target: AnyWorkflow | string, input: unknown, execOptions?: ExecuteOptions) =>
      start(target, input, execOptions).result) as Engine["execute"],
    getStatus: (id) => live.get(id)?.status() ?? finished.get(id),
  };
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
