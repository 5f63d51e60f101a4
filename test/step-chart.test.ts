/**
 * The step actor's chart (`stepStates`) is exactly what its transition can do: every
 * state reachable from `idle` is explored under every event (replayed from scratch,
 * since the actor's bookkeeping is mutable), for steps that run and compensate, with
 * and without retries, abort grace and a sub-workflow, fresh or resumed from a journal
 * with a retry pending; each transition that changes
 * anything must be in the chart, and each entry of the chart must be reached.
 */
import { describe, expect, it } from "vitest";
import { type StepActorEvent, type StepActorInput, type StepSnapshot, stepLogic } from "../machines/step.machine.js";
import { NonRetryableError, plan, StepError, stepStates, workflow } from "../src/index.js";

type Config = { mode: StepActorInput["mode"]; retries: number; grace: number; nested: boolean; resumed: boolean };

function inputOf({ mode, retries, grace, nested, resumed }: Config): StepActorInput {
  const inner = workflow("inner").step("x", { run: () => {} });
  const wf = nested
    ? workflow("chart", { abortGrace: grace }).step("s", { timeout: 100, retry: retries, workflow: inner })
    : workflow("chart", { abortGrace: grace }).step("s", {
        timeout: 100,
        retry: { maxAttempts: retries + 1, baseDelay: 0, jitter: false },
        run: () => new Promise<void>(() => {}),
        compensate: () => new Promise<void>(() => {}),
      });
  const step = plan(wf).steps[0]!;
  return {
    mode,
    step,
    input: {},
    abortGrace: grace,
    // Rebuilt from a journal with a retry pending: it waits out the rest of the backoff first.
    ...(resumed ? { attempt: 2, delay: 5 } : {}),
    output: mode === "compensate" ? {} : undefined,
    cause: mode === "compensate" ? new StepError("s", "boom") : undefined,
    scope: {
      executionId: "e",
      workflow: "chart",
      version: "1.0.0",
      workflowInput: {},
      results: { get: () => undefined, has: () => false, all: () => ({}), entries: () => [] },
      metadata: {},
      startedAt: 0,
      phase: () => "running",
      random: () => 0,
      now: () => 0,
      serializable: false,
      maxOutputBytes: Number.POSITIVE_INFINITY,
      durable: undefined,
      cache: undefined,
      // Never answers: the explorer sends the outcomes itself.
      subWorkflows: { run: () => new Promise(() => {}), rollback: () => new Promise(() => {}) },
      instrument: undefined,
      executors: undefined,
    },
  };
}

/** The events the actor can receive in a state whose current attempt is `attempt`. */
function alphabet(attempt: number): StepActorEvent[] {
  const outcome = { output: {}, cached: false, cacheKey: undefined, sub: undefined };
  return [
    { type: "START" },
    { type: "SETTLED", attempt, ok: true, output: outcome },
    { type: "SETTLED", attempt, ok: false, error: new StepError("s", "flaky") },
    { type: "SETTLED", attempt, ok: false, error: new NonRetryableError("bad") },
    { type: "TIMEOUT", attempt },
    { type: "BACKOFF", attempt },
    { type: "GRACE", attempt },
    { type: "ABORT", reason: "stop" },
    { type: "ABORT", reason: "now", force: true },
  ];
}

/** Replay `events` from a fresh actor; returns each step's (before, event, after) snapshots. */
function replay(config: Config, events: readonly StepActorEvent[]) {
  let current: StepSnapshot;
  const deferred: (() => void)[] = [];
  const scope = {
    self: { send: () => {}, getSnapshot: () => current, _parent: undefined },
    system: { _clock: { setTimeout: () => 0, clearTimeout: () => {} } },
    defer: (fn: () => void) => deferred.push(fn),
  } as never;
  const run = (fn: () => StepSnapshot) => {
    current = fn();
    while (deferred.length > 0) deferred.shift()!();
    // A sub-workflow step's attempt starts its nested run as soon as it begins.
    if (config.nested && current.runtime.pending) current.runtime.controller?.adoptRun();
    return current;
  };
  run(() => stepLogic.getInitialSnapshot(scope, inputOf(config)));
  const steps: { before: string; event: StepActorEvent; after: string; value: string }[] = [];
  for (const event of events) {
    const before = signature(current!);
    const from = current!.value;
    const next = run(() => stepLogic.transition(current, event, scope));
    steps.push({ before: `${from}|${before}`, event, after: signature(next), value: next.value });
  }
  return { snapshot: current!, steps };
}

/** Everything that tells two step actor states apart. */
function signature(s: StepSnapshot): string {
  const r = s.runtime;
  return [s.value, s.status, r.attempt, r.pending, r.abortReason !== undefined, r.timeoutError !== undefined].join("|");
}

function explore(config: Config) {
  const seen = new Set<string>();
  const transitions = new Set<string>();
  const queue: StepActorEvent[][] = [[]];
  while (queue.length > 0) {
    const path = queue.shift()!;
    const { snapshot } = replay(config, path);
    const key = signature(snapshot);
    if (seen.has(key)) continue;
    seen.add(key);
    if (snapshot.status !== "active") continue;
    for (const event of alphabet(snapshot.runtime.attempt)) {
      const { steps } = replay(config, [...path, event]);
      const last = steps.at(-1)!;
      // An event that changed nothing was ignored: it is not a transition of the chart.
      if (last.before === `${snapshot.value}|${last.after}`) continue;
      transitions.add(`${snapshot.value} ${event.type} ${last.value}`);
      queue.push([...path, event]);
    }
  }
  return transitions;
}

describe("the step actor's chart", () => {
  const configs: Config[] = [];
  for (const mode of ["run", "compensate"] as const)
    for (const retries of [0, 1])
      for (const grace of [0, 10])
        for (const nested of [false, true])
          for (const resumed of [false, true]) configs.push({ mode, retries, grace, nested, resumed });
  const reached = new Set<string>();
  for (const config of configs) for (const t of explore(config)) reached.add(t);

  it("lists every transition the logic can take", () => {
    const charted = stepStates as Record<string, Record<string, readonly string[]>>;
    const missing = [...reached].filter((t) => {
      const [from, event, to] = t.split(" ") as [string, string, string];
      return !charted[from]?.[event]?.includes(to);
    });
    expect(missing).toEqual([]);
  });

  it("lists nothing the logic cannot do", () => {
    const listed = Object.entries(stepStates).flatMap(([from, events]) =>
      Object.entries(events).flatMap(([event, targets]) =>
        (targets as readonly string[]).map((to) => `${from} ${event} ${to}`),
      ),
    );
    expect(listed.filter((t) => !reached.has(t))).toEqual([]);
  });
});
