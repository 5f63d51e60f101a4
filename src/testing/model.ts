/**
 * The abstract model of a workflow execution, as pure functions over an immutable
 * state. It mirrors the engine's documented semantics, not its code:
 *
 *   running:      the steps in flight are those the scheduler would have started
 *                 (ready = every dependency succeeded; highest remaining path first,
 *                 then declaration order; at most `parallelLimit`; `parallel: false`
 *                 alone). An event settles one of them with an outcome, or cancels
 *                 the run. A failure under `continue` skips its transitive
 *                 dependents; under any other policy (and a cancel) it stops the run:
 *                 the others in flight are aborted, and are cancelled at once…
 *   stopping:     …unless `ignores_abort` is explored: then each settles by an event,
 *                 cancelled, or succeeding anyway within the abort grace period.
 *   compensating: `compensate_all` undoes every succeeded compensable step, newest
 *                 first; `compensate_failed` only the failed step. One event each.
 *   done.
 *
 * Time, retries' delays and the order in which the engine happens to process
 * things are abstracted away: only which step settles next, and how, matters.
 */

import type { ModelConfig } from "./model-config.js";
import type { CompensationOutcome, FailureKind, ModelEvent, StepOutcome } from "./outcomes.js";

/**
 * A step's status in the model: the engine's statuses that a scripted run can reach.
 *
 * @example
 * const status: ModelStatus = "compensated";
 */
export type ModelStatus =
  | "pending"
  | "running"
  | "succeeded"
  | "failed"
  | "cancelled"
  | "skipped"
  | "compensated"
  | "compensation_failed";

/**
 * The abstract state of an execution (the model machine's context).
 *
 * @example
 * createActor(createModelMachine(wf)).start().getSnapshot().context.inFlight; // [0]
 */
export interface ModelState {
  readonly phase: "running" | "stopping" | "compensating" | "done";
  readonly status: readonly ModelStatus[];
  readonly run: readonly (StepOutcome | undefined)[];
  readonly undo: readonly (CompensationOutcome | undefined)[];
  /** Steps in flight, in the order they started. */
  readonly inFlight: readonly number[];
  /** Steps that succeeded, in completion order. */
  readonly completed: readonly number[];
  /** Compensations still to run, next first. */
  readonly rollback: readonly number[];
  /** Compensations that ran, in order. */
  readonly undone: readonly number[];
  readonly failures: number;
  /** The step whose failure halted the run. */
  readonly halted: number | undefined;
  /** The first step that failed (the run's error under `continue`). */
  readonly firstFailure: number | undefined;
  /** The run was cancelled. */
  readonly cancelled: boolean;
}

interface Draft {
  phase: ModelState["phase"];
  status: ModelStatus[];
  run: (StepOutcome | undefined)[];
  undo: (CompensationOutcome | undefined)[];
  inFlight: number[];
  completed: number[];
  rollback: number[];
  undone: number[];
  failures: number;
  halted: number | undefined;
  firstFailure: number | undefined;
  cancelled: boolean;
}

/**
 * The state before any event: the first ready steps are in flight.
 *
 * @example
 * initialState(modelConfig(codegen)).status; // ["running", "pending", "pending", "pending"]
 */
export function initialState(config: ModelConfig): ModelState {
  const n = config.steps.length;
  const draft: Draft = {
    phase: "running",
    status: new Array<ModelStatus>(n).fill("pending"),
    run: new Array(n).fill(undefined),
    undo: new Array(n).fill(undefined),
    inFlight: [],
    completed: [],
    rollback: [],
    undone: [],
    failures: 0,
    halted: undefined,
    firstFailure: undefined,
    cancelled: false,
  };
  take(config, draft);
  if (draft.inFlight.length === 0) draft.phase = "done";
  return draft;
}

// The graph walk asks for the events and the key of one state many times (XState
// hands the same context object to every guard): compute each once per state.
interface Memo {
  readonly events: WeakMap<ModelState, readonly ModelEvent[]>;
  readonly keys: WeakMap<ModelState, string>;
}
const memos = new WeakMap<ModelConfig, Memo>();

function memoOf(config: ModelConfig): Memo {
  let memo = memos.get(config);
  if (memo === undefined) {
    memo = { events: new WeakMap(), keys: new WeakMap() };
    memos.set(config, memo);
  }
  return memo;
}

/**
 * The events the model allows next, in a fixed order (successes first).
 *
 * @example
 * enabledEvents(config, initialState(config)); // [{ type: "STEP", step: "reserve_resources", outcome: "succeeds" }, …]
 */
export function enabledEvents(config: ModelConfig, state: ModelState): readonly ModelEvent[] {
  const memo = memoOf(config).events;
  let events = memo.get(state);
  if (events === undefined) {
    events = computeEnabled(config, state);
    memo.set(state, events);
  }
  return events;
}

function computeEnabled(config: ModelConfig, state: ModelState): ModelEvent[] {
  const budget = state.failures < config.maxFailures;
  const events: ModelEvent[] = [];
  if (state.phase === "running") {
    const candidates = config.interleavings === "all" ? state.inFlight : state.inFlight.slice(0, 1);
    for (const i of candidates) {
      const step = config.steps[i]!;
      events.push({ type: "STEP", step: step.name, outcome: "succeeds" });
      if (!budget) continue;
      for (const outcome of ["fails", "times_out", "succeeds_on_retry"] as const) {
        if (step.kinds.has(outcome)) events.push({ type: "STEP", step: step.name, outcome });
      }
    }
    if (budget && config.cancel) events.push({ type: "CANCEL" });
  } else if (state.phase === "stopping") {
    const candidates = config.interleavings === "all" ? state.inFlight : state.inFlight.slice(0, 1);
    for (const i of candidates) {
      const name = config.steps[i]!.name;
      events.push({ type: "STEP", step: name, outcome: "cancelled" });
      if (budget) events.push({ type: "STEP", step: name, outcome: "ignores_abort" });
    }
  } else if (state.phase === "compensating") {
    const step = config.steps[state.rollback[0]!]!;
    events.push({ type: "COMPENSATE", step: step.name, outcome: "compensates" });
    if (budget && step.kinds.has("compensation_fails" satisfies FailureKind)) {
      events.push({ type: "COMPENSATE", step: step.name, outcome: "fails" });
    }
  }
  return events;
}

/**
 * Whether the model allows `event` now.
 *
 * @example
 * isEnabled(config, state, { type: "STEP", step: "commit_code", outcome: "succeeds" }); // false: not running
 */
export function isEnabled(config: ModelConfig, state: ModelState, event: ModelEvent): boolean {
  return enabledEvents(config, state).some(
    (e) =>
      e.type === event.type &&
      (e.type === "CANCEL" || (event.type !== "CANCEL" && e.step === event.step && e.outcome === event.outcome)),
  );
}

/**
 * The state after `event`; an event the model does not allow leaves it unchanged.
 *
 * @example
 * applyEvent(config, state, { type: "STEP", step: "generate_code", outcome: "fails" }).phase; // "compensating"
 */
export function applyEvent(config: ModelConfig, state: ModelState, event: ModelEvent): ModelState {
  if (!isEnabled(config, state, event)) return state;
  const draft = copy(state);
  if (event.type === "CANCEL") {
    // Like a failure under the workflow's policy (`continue` stops like `fail_fast`),
    // with no failed step: compensate_failed has nothing to undo.
    draft.failures++;
    draft.cancelled = true;
    stop(config, draft, undefined);
    return draft;
  }
  const i = config.plan.indexOf.get(event.step)!;
  if (event.type === "COMPENSATE") {
    draft.rollback.shift();
    draft.undone.push(i);
    draft.undo[i] = event.outcome;
    draft.status[i] = event.outcome === "compensates" ? "compensated" : "compensation_failed";
    if (event.outcome === "fails") draft.failures++;
    if (draft.rollback.length === 0) draft.phase = "done";
    return draft;
  }
  draft.inFlight.splice(draft.inFlight.indexOf(i), 1);
  draft.run[i] = event.outcome;
  if (event.outcome !== "succeeds" && event.outcome !== "cancelled") draft.failures++;
  switch (event.outcome) {
    case "succeeds":
    case "succeeds_on_retry":
    case "ignores_abort":
      // A late success while stopping counts (and is undone under compensate_all),
      // but releases nothing.
      draft.status[i] = "succeeded";
      draft.completed.push(i);
      break;
    case "cancelled":
      draft.status[i] = "cancelled";
      break;
    case "fails":
    case "times_out":
      draft.status[i] = "failed";
      draft.firstFailure ??= i;
      if (config.policy !== "continue") {
        stop(config, draft, i);
        return draft;
      }
      skipDependents(config, draft, i);
      break;
  }
  if (draft.phase === "stopping") {
    if (draft.inFlight.length === 0) settleStop(config, draft);
    return draft;
  }
  take(config, draft);
  if (draft.inFlight.length === 0) draft.phase = "done";
  return draft;
}

/**
 * Run a sequence of events from the initial state.
 *
 * @example
 * simulate(config, path.events).undone; // the compensations, in order
 */
export function simulate(config: ModelConfig, events: readonly ModelEvent[]): ModelState {
  let state = initialState(config);
  for (const event of events) state = applyEvent(config, state, event);
  return state;
}

/**
 * A key that two states share only if everything that can still happen from them is
 * the same: per-step status and outcomes, the start order of the steps in flight
 * (canonical interleaving), and, when compensation will follow, the completion
 * order of the compensable steps (it decides the rollback order).
 *
 * @example
 * serializeState(config, initialState(config)); // "running|running//|pending//|…"
 */
export function serializeState(config: ModelConfig, state: ModelState): string {
  const memo = memoOf(config).keys;
  let key = memo.get(state);
  if (key === undefined) {
    key = computeKey(config, state);
    memo.set(state, key);
  }
  return key;
}

function computeKey(config: ModelConfig, state: ModelState): string {
  const parts: string[] = [state.cancelled ? `${state.phase}!` : state.phase];
  for (let i = 0; i < state.status.length; i++) {
    parts.push(`${state.status[i]}/${state.run[i] ?? ""}/${state.undo[i] ?? ""}`);
  }
  if (config.interleavings === "canonical") parts.push(`f:${state.inFlight.join(",")}`);
  if (config.policy === "compensate_all") {
    parts.push(`c:${state.completed.filter((i) => config.steps[i]!.compensable).join(",")}`);
    parts.push(`r:${state.rollback.join(",")}`);
  }
  return parts.join("|");
}

/** Start ready steps as the engine's scheduler does (see the ledger's `take`). */
function take(config: ModelConfig, draft: Draft): void {
  const { steps, limit } = config;
  const ready = steps
    .filter((s) => draft.status[s.index] === "pending" && s.deps.every((d) => draft.status[d] === "succeeded"))
    .sort((a, b) => b.remaining - a.remaining || a.index - b.index);
  let exclusive = draft.inFlight.some((i) => !steps[i]!.parallel);
  for (const step of ready) {
    if (exclusive) break;
    const alone = !step.parallel;
    if (alone ? draft.inFlight.length > 0 : draft.inFlight.length >= limit) break;
    draft.status[step.index] = "running";
    draft.inFlight.push(step.index);
    exclusive = alone;
  }
}

/**
 * Stop scheduling for a failed step (or a cancel) and abort what is in flight: each
 * settles by an event while `stopping` if late successes are explored, else it is
 * cancelled at once.
 */
function stop(config: ModelConfig, draft: Draft, failed: number | undefined): void {
  draft.halted = failed;
  if (config.lateSuccess && draft.inFlight.length > 0) {
    draft.phase = "stopping";
    return;
  }
  for (const i of draft.inFlight) draft.status[i] = "cancelled";
  draft.inFlight = [];
  settleStop(config, draft);
}

/** Nothing is in flight any more: queue the policy's rollback. */
function settleStop(config: ModelConfig, draft: Draft): void {
  const failed = draft.halted;
  if (config.policy === "compensate_all") {
    draft.rollback = draft.completed.filter((i) => config.steps[i]!.compensable).reverse();
  } else if (config.policy === "compensate_failed" && failed !== undefined && config.steps[failed]!.compensable) {
    draft.rollback = [failed];
  }
  draft.phase = draft.rollback.length > 0 ? "compensating" : "done";
}

function skipDependents(config: ModelConfig, draft: Draft, failed: number): void {
  const stack = [...config.steps[failed]!.dependents];
  while (stack.length > 0) {
    const d = stack.pop()!;
    if (draft.status[d] !== "pending") continue;
    draft.status[d] = "skipped";
    stack.push(...config.steps[d]!.dependents);
  }
}

function copy(state: ModelState): Draft {
  return {
    ...state,
    status: [...state.status],
    run: [...state.run],
    undo: [...state.undo],
    inFlight: [...state.inFlight],
    completed: [...state.completed],
    rollback: [...state.rollback],
    undone: [...state.undone],
  };
}
