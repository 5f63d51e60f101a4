/**
 * Property-based fault injection: random DAGs whose steps throw non-Error values,
 * reject late, hang past their timeout (honouring their signal or not), resolve after
 * being aborted, run sub-workflows, decide their own `onError`, have compensations that
 * throw, under random error policies, caching, workflow timeouts and cancels. Each
 * scenario runs twice on one engine (so the second run can hit the first one's cache).
 *
 * Whatever happens: the run ends; its terminal event is its last, even long after; no
 * step starts before its dependencies succeeded; nothing is compensated twice or
 * without having succeeded, and compensate_all undoes in reverse completion order;
 * every error is a WorkflowError; a cache hit is a value the engine accepted. And the run
 * state is a fold: the same scenarios journaled, the journal folds back into the result
 * the live run had.
 * `FAULT_RUNS=4000 npx vitest run test/fault-properties.test.ts` searches longer.
 */
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import {
  type AnyWorkflow,
  createEngine,
  type ErrorPolicy,
  isWorkflowError,
  memoryStore,
  type StepErrorDecision,
  type WorkflowEvent,
  type WorkflowResult,
  workflow,
} from "../src/index.js";
import { settle, useFakeClock } from "./helpers.js";

useFakeClock();

const KINDS = [
  "ok",
  "ok",
  "ok",
  "throw_error",
  "throw_string",
  "throw_undefined",
  "reject_later",
  "flaky",
  "hang_honour",
  "hang_ignore",
  "late_resolve",
  "sub",
] as const;
type Kind = (typeof KINDS)[number];
type Undo = "none" | "ok" | "throws" | "slow";
type Decision = StepErrorDecision | "throws" | undefined;

interface StepSpec {
  deps: number[];
  kind: Kind;
  delay: number;
  timeout: number | undefined;
  retries: number;
  undo: Undo;
  onError: Decision;
}

interface Scenario {
  steps: StepSpec[];
  policy: ErrorPolicy;
  limit: number;
  abortGrace: number;
  timeout: number | undefined;
  cancelAt: number | undefined;
  cache: boolean;
}

const stepSpec = (i: number): fc.Arbitrary<StepSpec> =>
  fc
    .record({
      deps: fc.subarray(
        Array.from({ length: i }, (_, j) => j),
        { maxLength: Math.min(2, i) },
      ),
      kind: fc.constantFrom(...KINDS),
      delay: fc.integer({ min: 0, max: 60 }),
      timeout: fc.option(fc.integer({ min: 10, max: 80 }), { nil: undefined }),
      retries: fc.constantFrom(0, 0, 1, 2),
      undo: fc.constantFrom<Undo>("none", "ok", "ok", "throws", "slow"),
      onError: fc.constantFrom<Decision>(
        undefined,
        undefined,
        undefined,
        "retry",
        "fail_fast",
        "compensate",
        "continue",
        "throws",
      ),
    })
    // A step that can hang has a timeout: otherwise only the workflow's end could stop it.
    .map((s) => (s.kind.startsWith("hang") && s.timeout === undefined ? { ...s, timeout: 30 } : s));

const scenario: fc.Arbitrary<Scenario> = fc.integer({ min: 1, max: 7 }).chain((n) =>
  fc.record({
    steps: fc.tuple(...Array.from({ length: n }, (_, i) => stepSpec(i))),
    policy: fc.constantFrom<ErrorPolicy>("compensate_all", "fail_fast", "continue", "compensate_failed"),
    limit: fc.integer({ min: 1, max: 4 }),
    abortGrace: fc.constantFrom(0, 20, 1_000),
    timeout: fc.option(fc.integer({ min: 20, max: 300 }), { nil: undefined }),
    cancelAt: fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }),
    cache: fc.boolean(),
  }),
);

/** What the steps' code did, outside the engine. */
interface Observed {
  compensations: string[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A small saga to run as a sub-workflow step: two steps, both undoable. */
function inner(observed: Observed, fail: boolean, output: string): AnyWorkflow {
  return workflow("inner", { abortGrace: 10 })
    .step("reserve", {
      outputs: ["id"],
      run: async () => {
        await sleep(5);
        return { id: 1 };
      },
      compensate: async () => {
        await sleep(5);
        observed.compensations.push("inner.reserve");
      },
    })
    .step("commit", {
      inputs: ["id"],
      outputs: [output],
      run: async (_input, ctx) => {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, 20);
          ctx.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(ctx.signal.reason);
          });
        });
        if (fail) throw new Error("inner commit failed");
        return { [output]: "inner" };
      },
    });
}

function build(s: Scenario, observed: Observed, runNo: number): AnyWorkflow {
  let wf: AnyWorkflow = workflow("faulty", {
    onError: s.policy,
    parallelLimit: s.limit,
    abortGrace: s.abortGrace,
    cacheResults: s.cache,
    ...(s.timeout === undefined ? {} : { timeout: s.timeout }),
  });
  s.steps.forEach((spec, i) => {
    const name = `s${i}`;
    const common = {
      dependsOn: spec.deps.map((d) => `s${d}`),
      inputs: spec.deps.map((d) => `v${d}`),
      outputs: [`v${i}`],
      retry: { maxAttempts: spec.retries + 1, baseDelay: 5, jitter: false },
      ...(spec.timeout === undefined ? {} : { timeout: spec.timeout }),
      ...(spec.onError === undefined
        ? {}
        : {
            onError: () => {
              if (spec.onError === "throws") throw new Error("onError bug");
              return spec.onError as StepErrorDecision;
            },
          }),
      ...(spec.undo === "none"
        ? {}
        : {
            compensate: async () => {
              if (spec.undo === "slow") await sleep(15);
              if (spec.undo === "throws") throw "cannot undo";
              observed.compensations.push(name);
            },
          }),
    };
    if (spec.kind === "sub") {
      wf = wf.step(name, {
        ...common,
        compensate: undefined,
        inputs: [],
        workflow: inner(observed, spec.delay % 2 === 1, `v${i}`),
      } as never);
      return;
    }
    wf = wf.step(name, {
      ...common,
      run: (_input: unknown, ctx: { attempt: number; signal: AbortSignal }) => {
        const value = { [`v${i}`]: `${name}@${ctx.attempt}#${runNo}` };
        switch (spec.kind) {
          case "ok":
            return sleep(spec.delay).then(() => value);
          case "throw_error":
            throw new Error(`${name} failed`);
          case "throw_string":
            throw `${name} failed`;
          case "throw_undefined":
            throw undefined;
          case "reject_later":
            return sleep(spec.delay).then(() => Promise.reject(new Error(`${name} failed later`)));
          case "flaky":
            if (ctx.attempt === 1) throw new Error(`${name} flaked`);
            return value;
          case "hang_honour":
            return new Promise((_resolve, reject) => {
              ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
            });
          case "hang_ignore":
            return new Promise(() => {});
          case "late_resolve":
            // Ignores its signal, and resolves well after any timeout.
            return sleep(100 + spec.delay).then(() => value);
        }
      },
    } as never);
  });
  return wf;
}

interface Ran {
  result: WorkflowResult;
  events: WorkflowEvent[];
  after: number;
}

async function runOnce(engine: ReturnType<typeof createEngine>, s: Scenario, observed: Observed, runNo: number) {
  const run = engine.start(build(s, observed, runNo), {});
  const events: WorkflowEvent[] = [];
  run.events.subscribe((e) => events.push(e));
  const all: WorkflowEvent[] = [];
  const sub = engine.events.subscribe((e) => {
    if (e.executionId === run.id) all.push(e);
  });
  if (s.cancelAt !== undefined) setTimeout(() => run.cancel("random cancel"), s.cancelAt);
  const result = await settle(run.result, 5, 20_000);
  const after = all.length;
  // Long after the end: still nothing more for this execution.
  await vi.advanceTimersByTimeAsync(5_000);
  sub.unsubscribe();
  expect(all.length, "events after the terminal event").toBe(after);
  return { result, events, after } satisfies Ran;
}

function checkRun(s: Scenario, { result, events }: Ran, compensations: readonly string[]) {
  const top = events.filter((e) => e.path === undefined);
  // One terminal event, the last one; sequence numbers 1, 2, 3…
  const terminal = top.filter(
    (e) => e.type.startsWith("workflow.") && e.type !== "workflow.started" && e.type !== "workflow.interrupted",
  );
  expect(terminal.map((e) => e.type)).toEqual([`workflow.${result.status}`]);
  expect(events.at(-1)).toBe(terminal[0]);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));

  // No step starts before its dependencies succeeded.
  top.forEach((e, at) => {
    if (e.type !== "step.started" || e.attempt !== 1) return;
    for (const d of s.steps[Number(e.step!.slice(1))]!.deps) {
      const done = top.findIndex((x) => x.type === "step.succeeded" && x.step === `s${d}`);
      expect(done).toBeGreaterThanOrEqual(0);
      expect(done).toBeLessThan(at);
    }
  });

  // Compensation: at most once per step, only of steps that succeeded (but under
  // compensate_failed); under compensate_all in reverse completion order.
  const succeeded = top.filter((e) => e.type === "step.succeeded").map((e) => e.step!);
  const compensated = top.filter((e) => e.type === "step.compensated").map((e) => e.step!);
  expect(new Set(compensated).size).toBe(compensated.length);
  expect(result.compensation.compensated).toEqual(compensated);
  // A compensation's code ran only for a step the engine compensated (or whose
  // compensation it gave up on: a timed-out one may still finish its work).
  const tried = new Set(top.filter((e) => e.type === "step.compensating").map((e) => e.step!));
  for (const c of compensations.filter((c) => !c.startsWith("inner."))) expect(tried).toContain(c);
  const undone = top.filter((e) => e.type === "step.compensating" && e.attempt === 1).map((e) => e.step!);
  if (!succeeded.every((step) => !undone.includes(step)) && !top.some((e) => e.type === "step.failed")) {
    expect(result.status).not.toBe("succeeded");
  }
  const byCompletion = succeeded.filter((step) => undone.includes(step));
  if (undone.length > 1 && undone.every((step) => succeeded.includes(step))) {
    expect(undone).toEqual([...byCompletion].reverse());
  }

  // Every error is typed; the status has a cause.
  for (const step of Object.values(result.steps)) {
    if (step.error !== undefined) expect(isWorkflowError(step.error)).toBe(true);
  }
  if (result.status !== "succeeded") expect(isWorkflowError(result.error)).toBe(true);
  if (result.status === "cancelled") expect(s.cancelAt).toBeDefined();
  if (result.status === "timed_out") expect(s.timeout).toBeDefined();
  if (result.status === "succeeded") {
    for (const step of Object.values(result.steps)) expect(["succeeded", "skipped"]).toContain(step.status);
  }
}

describe("fault injection over random DAGs", () => {
  it("every run ends, with one terminal event, and the saga and cache invariants hold", async () => {
    const warnings = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    try {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const engine = createEngine();
          const first: Observed = { compensations: [] };
          const one = await runOnce(engine, s, first, 1);
          checkRun(s, one, first.compensations);
          const second: Observed = { compensations: [] };
          const two = await runOnce(engine, s, second, 2);
          checkRun(s, two, second.compensations);

          // A cache hit is exactly a value the first run accepted and did not undo.
          for (const [name, step] of Object.entries(two.result.steps)) {
            if (!step.cached) continue;
            const accepted = one.result.steps[name as `s${number}`]!;
            expect(["succeeded", "compensation_failed"]).toContain(accepted.status);
            const value = two.result.output[`v${name.slice(1)}`];
            if (accepted.status === "succeeded" && one.result.output[`v${name.slice(1)}`] !== undefined) {
              expect(value).toBe(one.result.output[`v${name.slice(1)}`]);
            }
          }
          const late = warnings.mock.calls.filter((call) => String(call[1]) === "RubberDuckLateEventWarning");
          expect(late).toEqual([]);
        }),
        { numRuns: Number(process.env.FAULT_RUNS ?? 250) },
      );
    } finally {
      warnings.mockRestore();
    }
  });

  it("a journaled run folds back into the same result", async () => {
    const warnings = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    const view = (r: WorkflowResult) => ({
      status: r.status,
      error: r.error?.code,
      output: r.output,
      steps: Object.fromEntries(
        Object.entries(r.steps).map(([name, step]) => [
          name,
          {
            status: step.status,
            attempts: step.attempts,
            cached: step.cached,
            durationMs: step.durationMs,
            error: step.error?.code,
          },
        ]),
      ),
      compensation: JSON.parse(
        JSON.stringify(r.compensation, (_k, v) => (v instanceof Error ? (v as { code?: string }).code : v)),
      ),
      errors: r.errors.map((e) => e.code),
      degraded: r.degraded.map((d) => [d.step, d.error.code, d.fallback]),
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
    });
    try {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const engine = createEngine({ store: memoryStore() });
          for (const runNo of [1, 2]) {
            const { result } = await runOnce(engine, s, { compensations: [] }, runNo);
            const rebuilt = (await engine.runs.get(result.executionId)).result!;
            expect(view(rebuilt)).toEqual(view(result));
          }
        }),
        { numRuns: Math.ceil(Number(process.env.FAULT_RUNS ?? 250) / 2) },
      );
    } finally {
      warnings.mockRestore();
    }
  });
});
