/**
 * One execution's context for the workflow actor: the RunRequest a caller passes, the
 * ledger, the scope step actors share, the event sink, the checks of the workflow
 * input, and the runner of sub-workflow steps.
 */

import { freeze } from "immer";
import { nanoid } from "nanoid";
import { type ActorRefFrom, type AnyActorRef, createActor } from "xstate";
import { type CacheAccess, forgetCache } from "../src/cache/step-cache.js";
import type { AnyWorkflow } from "../src/dsl/workflow.js";
import { StepAbortedError, SubWorkflowError, type WorkflowError, WorkflowInputError } from "../src/errors.js";
import type { WorkflowEvent } from "../src/events.js";
import { plan as planWorkflow } from "../src/planner/plan.js";
import type { PlannedStep, WorkflowPlan } from "../src/planner/types.js";
import type { RunEvent, TimedRunEvent } from "../src/policy/run-event.js";
import { RunState } from "../src/policy/run-state.js";
import { findNonJson } from "../src/util/json-data.js";
import { warnAdapter } from "../src/util/warn-adapter.js";
import { validate } from "../src/validation/standard-schema.js";
import type { ExecutionScope } from "./attempt-context.js";
import type { AttemptSignal } from "./attempt-signal.js";
import { type RunJournal, RunRequest, type RunRequestOptions } from "./run-request.js";
import type { stepLogic } from "./step.machine.js";
import type { SubWorkflowRunner } from "./step-work.js";
import type { WorkflowActorSnapshot, WorkflowLogic } from "./workflow-logic.js";

/** Compiles a sub-workflow's machine (the workflow machine's `toMachine`, passed in: no import cycle). */
export type Compile = (wf: AnyWorkflow) => WorkflowLogic;

/** A workflow actor's snapshot as the engine sees it: with its context. */
export type InternalSnapshot = WorkflowActorSnapshot & { readonly context: WorkflowMachineContext };

type StepActorRef = ActorRefFrom<typeof stepLogic>;

export interface WorkflowMachineContext {
  readonly ledger: RunState;
  readonly scope: ExecutionScope;
  /** Where events go; undefined: XState's `emit`. */
  readonly sink: Pick<RunRequestOptions, "onEvent" | "listening"> | undefined;
  /** Where events are journaled; undefined: nowhere (in memory only). */
  readonly journal: RunJournal | undefined;
  /** The workflow input as the caller gave it (on `workflow.started`). */
  readonly input: unknown;
  /** The step actors in flight (and the one compensating), by step index. */
  readonly live: Map<number, StepActorRef>;
  /** Step actors created while the journal was not yet durable: they start when it is. */
  deferred: StepActorRef[] | undefined;
  /** A journal to rebuild the run from, until it is folded in. */
  history: readonly TimedRunEvent[] | undefined;
  /** A rebuilt run: the journaled events of its sub-workflow steps' unfinished runs, to resume, by step. */
  subHistory: Map<number, TimedRunEvent[]> | undefined;
  /** A rebuilt run: the journaled events of all its sub-workflow steps' runs (a rollback rebuilds from them). */
  rebuiltSubs: Map<number, TimedRunEvent[]> | undefined;
}

export function createContext(plan: WorkflowPlan, raw: unknown, compile: Compile): WorkflowMachineContext {
  const request = raw instanceof RunRequest ? raw : new RunRequest(raw);
  const options = request.options;
  const rollback = rollbackOf(request);
  const history = options.history !== undefined && options.history.length > 0 ? options.history : undefined;
  const started = history?.[0];
  const input = started === undefined ? request.input : started.input;
  const now = options.now ?? Date.now;
  const ledger =
    rollback?.ledger ?? new RunState(plan, options.executionId ?? nanoid(), EMPTY, now, started?.at ?? now());
  if (rollback !== undefined) ledger.reopenForRollback(rollback.cause);
  else {
    guardInput(plan, ledger, () => {
      const metadata = started === undefined ? options.metadata : started.metadata;
      if (options.serializable === true) mustBeJson(plan, input, metadata);
      if (metadata !== undefined) ledger.metadata = metadataOf(metadata);
      acceptInput(plan, ledger, input);
    });
  }
  const sink = options.onEvent === undefined ? undefined : { onEvent: options.onEvent, listening: options.listening };
  const context: WorkflowMachineContext = {
    ledger,
    scope: undefined as never,
    sink,
    journal: options.journal,
    input,
    live: new Map(),
    deferred: undefined,
    history,
    subHistory: undefined,
    rebuiltSubs: undefined,
  };
  if (history !== undefined) {
    ledger.recovered = true;
    if (!ledger.validating && ledger.halt === undefined) replayHistory(context);
  }
  const store = options.cache;
  const cache: CacheAccess | undefined =
    store === undefined
      ? undefined
      : {
          store,
          workflow: plan.workflow,
          version: plan.version,
          bypassed: (step, reason) => {
            // A write that fails after the run ended has no event to go to: the store is to blame.
            if (context.ledger.closed) warnAdapter("A cache store", `for step \`${step.name}\``, reason);
            else deliver(context, { type: "step.cache_bypassed", step: step.name, reason });
          },
        };
  const scope: ExecutionScope = {
    executionId: ledger.executionId,
    workflow: plan.workflow,
    version: plan.version,
    get workflowInput() {
      return ledger.workflowInput;
    },
    results: ledger.results,
    get metadata() {
      return ledger.metadata;
    },
    startedAt: ledger.startedAt,
    phase: () => ledger.phase,
    random: options.random ?? Math.random,
    now,
    serializable: options.serializable === true,
    maxOutputBytes: options.maxOutputBytes ?? 16 * 1024 * 1024,
    durable: options.journal,
    cache,
    subWorkflows: subWorkflowRunner(context, options, compile),
    instrument: options.instrument,
    executors: options.executors,
  };
  (context as { scope: ExecutionScope }).scope = scope;
  return context;
}

/** Whether the sink wants events now (no `listening` answer: always). */
const listening = (sink: NonNullable<WorkflowMachineContext["sink"]>) =>
  sink.listening === undefined || sink.listening();

/**
 * Apply an event to the run state, journal it, and deliver it to the run's sink (built
 * only if someone listens or a journal records it). Nothing goes out after the terminal
 * event: a late report there is an engine bug, said in a warning.
 */
export function deliver(context: WorkflowMachineContext, fields: RunEvent): void {
  const { sink, ledger, journal } = context;
  if (ledger.closed) {
    lateEvent(ledger, fields.type);
    return;
  }
  ledger.apply(fields, ledger.now());
  const wanted = sink !== undefined && listening(sink);
  if (!wanted && journal === undefined) return;
  const event = ledger.event(fields);
  journal?.append(event, fields);
  if (wanted) sink.onEvent!(event);
}

/**
 * Fold the journal of a rebuilt run into its state (once its input is settled), and
 * rebuild the runs of its sub-workflow steps from their forwarded events.
 */
export function replayHistory(context: WorkflowMachineContext): void {
  const { history, ledger } = context;
  if (history === undefined) return;
  context.history = undefined;
  ledger.subHistory = new Map();
  for (const event of history) ledger.apply(event, event.at);
  const subs = ledger.subHistory;
  ledger.subHistory = undefined;
  context.subHistory = subs;
  context.rebuiltSubs = new Map(subs);
  if (ledger.halt === undefined) return;
  // It was stopping: the steps it was waiting for are cancelled (whatever they did is not
  // journaled, so not compensated) — but a sub-workflow step whose sub run journaled its
  // steps resumes that run, aborted, so that it rolls them back (resumeInFlight). With
  // nothing left in flight the rollback is planned now: before the actor's initial state
  // is computed, whose guards must see it.
  for (const i of [...ledger.inFlight]) {
    if (subs.has(i) && !endsRun(subs.get(i)!)) continue;
    const step = ledger.plan.steps[i]!.name;
    const error = new StepAbortedError(step, "the execution was stopping when its engine stopped");
    deliver(context, { type: "step.cancelled", step, attempt: ledger.attemptsOf(i), error, index: i });
  }
  if (ledger.inFlight.size === 0) ledger.planRollback();
}

/**
 * Start a step actor once the journal says everything so far is durable (one wait,
 * however many actors are created in the meantime).
 */
export function deferStart(context: WorkflowMachineContext, self: AnyActorRef, actor: StepActorRef): void {
  if (context.deferred !== undefined) {
    context.deferred.push(actor);
    return;
  }
  context.deferred = [actor];
  context.journal!.whenDurable(() => {
    const actors = context.deferred ?? [];
    context.deferred = undefined;
    if (self.getSnapshot().status !== "active") return;
    for (const a of actors) if (a.getSnapshot().status === "active") a.start();
  });
}

function lateEvent(ledger: RunState, type: string): void {
  process.emitWarning(
    `Execution ${ledger.executionId} of \`${ledger.plan.workflow}\` produced ${type} after its terminal event; it was dropped`,
    "RubberDuckLateEventWarning",
  );
}

/**
 * Sub-workflow steps: each runs its workflow's own machine as an actor whose parent
 * is the step's actor, with this execution's clock, cache and event sink (its events
 * tagged with the step's path); a succeeded run keeps its ledger so a later rollback
 * can compensate its steps.
 */
function subWorkflowRunner(
  context: WorkflowMachineContext,
  options: RunRequestOptions,
  compile: Compile,
): SubWorkflowRunner {
  const requestFor = (step: PlannedStep, input: unknown) => {
    const { ledger, sink } = context;
    const journal = context.journal === undefined ? undefined : forwardingJournal(context, context.journal, step.name);
    const forward =
      sink === undefined || journal !== undefined
        ? undefined
        : (event: WorkflowEvent) => {
            if (ledger.closed) lateEvent(ledger, event.type);
            else if (listening(sink)) sink.onEvent!(ledger.forwarded(event, step.name));
            else ledger.skipEvent();
          };
    // A rebuilt run's sub-workflow step resumes the sub run it had started.
    const history = context.subHistory?.get(step.index);
    context.subHistory?.delete(step.index);
    const outer = options.instrument;
    return new RunRequest<unknown>(input, {
      executionId: `${ledger.executionId}/${step.name}`,
      now: options.now,
      random: options.random,
      cache: options.cache,
      metadata: ledger.metadata,
      onEvent: forward,
      listening: sink?.listening,
      journal,
      serializable: options.serializable,
      maxOutputBytes: options.maxOutputBytes,
      executors: options.executors,
      history: history !== undefined && !endsRun(history) ? history : undefined,
      // The sub-workflow's step code runs in the outer execution's context, under its path.
      instrument:
        outer === undefined
          ? undefined
          : (info, run) =>
              outer({ ...info, executionId: ledger.executionId, path: [step.name, ...(info.path ?? [])] }, run),
    });
  };
  const runActor = (step: PlannedStep, request: RunRequest<unknown>, parent: AnyActorRef, signal: AttemptSignal) =>
    new Promise<InternalSnapshot>((resolve, reject) => {
      const sub = step.definition.workflow as AnyWorkflow;
      const actor = createActor(compile(sub), {
        id: `workflow:${step.name}`,
        src: "workflow",
        parent,
        input: request,
      });
      actor.subscribe({
        next: (snapshot) => {
          if (snapshot.status !== "done") return;
          // The rollback the sub run did belongs to this run's result, however the step ends.
          context.ledger.nestedRollback(step.name, snapshot.output!.compensation);
          resolve(snapshot as InternalSnapshot);
        },
        error: reject,
      });
      signal.adoptRun();
      actor.start();
      // Aborted: the sub run stops like any workflow (its policy rolls it back), and the
      // step waits for it; hurried, it stops waiting for its own steps' grace. The
      // step's actor stopped: the sub run stops with it.
      const cancel = (reason: string) => {
        if (actor.getSnapshot().status === "active") actor.send({ type: "CANCEL", reason });
      };
      signal.onAbort((reason) => cancel(reason instanceof Error ? reason.message : String(reason)));
      signal.onHurry(cancel);
      // Stopped, not cancelled: the outer actor stopped (its engine closed, or it was
      // stopped by its owner), and nothing may run for it any more — not even a rollback.
      // (`stop()` refuses a child actor; `_stop` is what XState's own stopChild calls.)
      signal.onDispose(() => (actor as unknown as { _stop(): void })._stop());
    });
  return {
    run: async (step, input, signal, parent) => {
      // Aborted before its run began: there is nothing to stop or roll back. (A rollback
      // starts even so, like any compensation, and is then cancelled under its policy.)
      if (signal.aborted) throw signal.reason;
      const snapshot = await runActor(step, requestFor(step, input), parent, signal);
      const result = snapshot.output!;
      if (result.status !== "succeeded") {
        throw new SubWorkflowError(step.name, result.workflow, result.status, result.error, result);
      }
      return { output: result.output, handle: snapshot.context.ledger };
    },
    rollback: async (step, handle, cause, signal, parent) => {
      const request = requestFor(step, undefined);
      const ledger = (handle as RunState | undefined) ?? rebuiltSubRun(context, step);
      if (ledger === undefined) return { compensated: [], failed: [], kept: [] };
      rollbacks.set(request, { ledger, cause });
      const snapshot = await runActor(step, request, parent, signal);
      return snapshot.output!.compensation;
    },
  };
}

/**
 * The journal of a sub-workflow's run: its events are re-stamped into the outer
 * execution (its seq, its path) and journaled there, and durable when the outer
 * journal is.
 */
function forwardingJournal(context: WorkflowMachineContext, outer: RunJournal, step: string): RunJournal {
  const { ledger, sink } = context;
  return {
    append: (event, fields) => {
      if (ledger.closed) {
        lateEvent(ledger, event.type);
        return;
      }
      const forwarded = ledger.forwarded(event, step);
      outer.append(forwarded, fields);
      if (sink !== undefined && listening(sink)) sink.onEvent!(forwarded);
    },
    get pending() {
      return outer.pending;
    },
    whenDurable: (callback) => outer.whenDurable(callback),
  };
}

const FINAL_TYPES = new Set(["workflow.succeeded", "workflow.failed", "workflow.cancelled", "workflow.timed_out"]);
const endsRun = (events: readonly TimedRunEvent[]) =>
  events.some((e) => e.path === undefined && FINAL_TYPES.has(e.type));

/**
 * A rebuilt run's sub-workflow step in flight: whether the sub run it resumes had been
 * stopped already (interrupted, or halted by a failure of its own) — it then rolls back
 * by itself, and must not be cancelled again (that would abort its compensations).
 */
export function subRunStopped(context: WorkflowMachineContext, step: PlannedStep): boolean {
  const events = context.subHistory?.get(step.index);
  const first = events?.[0];
  if (events === undefined || first === undefined) return false;
  const sub = planWorkflow(step.definition.workflow as AnyWorkflow);
  const state = new RunState(sub, `${context.ledger.executionId}/${step.name}`, EMPTY, () => first.at, first.at);
  for (const event of events) state.apply(event, event.at);
  return state.halt !== undefined;
}

/**
 * A rebuilt run's succeeded sub-workflow step: its sub run's state, folded from the
 * events it journaled up to its end, to roll it back with.
 */
function rebuiltSubRun(context: WorkflowMachineContext, step: PlannedStep): RunState | undefined {
  const events = context.rebuiltSubs?.get(step.index);
  const first = events?.[0];
  if (events === undefined || first === undefined) return undefined;
  const sub = planWorkflow(step.definition.workflow as AnyWorkflow);
  const { ledger: outer } = context;
  const ledger = new RunState(sub, `${outer.executionId}/${step.name}`, EMPTY, () => outer.now(), first.at);
  if (first.metadata !== undefined) ledger.metadata = metadataOf(first.metadata);
  acceptInput(sub, ledger, first.input);
  const end = events.findIndex((e) => e.path === undefined && FINAL_TYPES.has(e.type));
  for (const event of end === -1 ? events : events.slice(0, end + 1)) ledger.apply(event, event.at);
  return ledger;
}

/** A journaled execution's input and metadata must survive JSON. */
function mustBeJson(plan: WorkflowPlan, input: unknown, metadata: unknown): void {
  const problem =
    (input === undefined ? undefined : findNonJson(input, "input")) ??
    (metadata === undefined ? undefined : findNonJson(metadata, "metadata"));
  if (problem !== undefined) {
    throw new WorkflowInputError(
      `Workflow \`${plan.workflow}\` is journaled, and its ${problem.path} is ${problem.found}: pass plain JSON data`,
    );
  }
}

/** The caller's metadata, copied (own enumerable properties) and deeply frozen. */
function metadataOf(metadata: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    const got = metadata === null ? "null" : Array.isArray(metadata) ? "an array" : typeof metadata;
    throw new WorkflowInputError(`Expected the execution's \`metadata\` to be an object, got ${got}`);
  }
  // A deep copy (it is data, and a later store will journal it): the caller's objects stay theirs.
  let copy: Record<string, unknown>;
  try {
    copy = structuredClone(ownData(metadata as Record<string, unknown>));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new WorkflowInputError(`The execution's \`metadata\` must be plain data: ${reason}`, [], error);
  }
  return freeze(copy, true);
}

/**
 * A compensated step's side effects are undone: drop its cached outputs so a later
 * execution does not reuse a result that no longer holds.
 */
export function forgetCached(context: WorkflowMachineContext, i: number): void {
  const key = context.ledger.cacheKeys[i];
  const store = context.scope.cache?.store;
  if (key !== undefined && store !== undefined) forgetCache(store, key);
}

/** RunRequests that reopen a finished sub-workflow run to roll it back. */
const rollbacks = new WeakMap<RunRequest<unknown>, { ledger: RunState; cause: WorkflowError }>();
const rollbackOf = (request: RunRequest<unknown>) => rollbacks.get(request);

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * Run a check of the workflow input; whatever it throws (a getter of the input, a
 * schema that throws instead of reporting issues) fails the run before any step ran.
 */
function guardInput(plan: WorkflowPlan, ledger: RunState, check: () => void): void {
  try {
    check();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    ledger.reject(
      error instanceof WorkflowInputError
        ? error
        : new WorkflowInputError(`Workflow \`${plan.workflow}\` input could not be read: ${reason}`, [], error),
    );
  }
}

/**
 * Check the workflow input before anything runs: an object, valid against the
 * workflow's schema (whose output the steps see), holding every name a step reads.
 * An asynchronous schema leaves the ledger `validating`; `begin` waits for it.
 */
function acceptInput(plan: WorkflowPlan, ledger: RunState, value: unknown): void {
  const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
  if (plan.inputSchema !== undefined) {
    let verdict: unknown;
    try {
      verdict = validate(plan.inputSchema, value, `Workflow \`${plan.workflow}\` input`);
    } catch (error) {
      ledger.reject(error as WorkflowError);
      return;
    }
    if (verdict instanceof Promise) {
      ledger.pendingInput = verdict;
      return;
    }
    settleInput(plan, ledger, verdict);
    return;
  }
  if (!isObject && (value !== undefined || plan.requiredInputs.length > 0)) {
    const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    ledger.reject(new WorkflowInputError(`Workflow \`${plan.workflow}\` expects an object as input, got ${got}`));
    return;
  }
  settleInput(plan, ledger, isObject ? value : EMPTY);
}

/**
 * The workflow input's own enumerable properties, read once into a plain object: the
 * steps see values, never the caller's getters (which could throw or change later).
 * Nested values are kept as they are, and deeply frozen with it.
 */
function ownData(value: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) copy[key] = value[key];
  return copy;
}

/**
 * Freeze the (validated) input and check that every name a step reads is there —
 * unless a schema validated it: the schema is then the contract, and a key it leaves
 * out (an optional one) reads as undefined.
 */
export function settleInput(plan: WorkflowPlan, ledger: RunState, value: unknown): void {
  guardInput(plan, ledger, () => {
    const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
    ledger.workflowInput = isObject ? freeze(ownData(value as Record<string, unknown>), true) : EMPTY;
    checkRequired(plan, ledger);
  });
}

function checkRequired(plan: WorkflowPlan, ledger: RunState): void {
  if (plan.inputSchema !== undefined) return;
  const missing = ledger.missingInputs();
  if (missing.length > 0) {
    const names = missing.map((m) => `\`${m}\``).join(", ");
    ledger.reject(new WorkflowInputError(`Workflow \`${plan.workflow}\` input is missing ${names}`, missing));
  }
}
