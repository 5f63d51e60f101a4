/**
 * Property-based tests over random DAGs, random failures, random limits and every
 * error policy: the scheduling and saga invariants must hold for all of them.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AnyWorkflow, createEngine, type ErrorPolicy, type WorkflowEvent, workflow } from "../src/index.js";

interface Scenario {
  deps: number[][];
  /** How each step behaves: succeed, fail for good, or fail once then succeed on retry. */
  behaviour: ("ok" | "fail" | "flaky")[];
  /** Microtask turns each attempt takes, to vary interleavings. */
  ticks: number[];
  limit: number;
  policy: ErrorPolicy;
}

const scenario: fc.Arbitrary<Scenario> = fc.integer({ min: 1, max: 10 }).chain((n) =>
  fc.record({
    deps: fc.tuple(
      ...Array.from({ length: n }, (_, i) =>
        fc.subarray(
          Array.from({ length: i }, (_, j) => j),
          { maxLength: Math.min(3, i) },
        ),
      ),
    ),
    behaviour: fc.array(fc.constantFrom("ok", "ok", "ok", "fail", "flaky"), { minLength: n, maxLength: n }),
    ticks: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: n, maxLength: n }),
    limit: fc.integer({ min: 1, max: 4 }),
    policy: fc.constantFrom<ErrorPolicy>("compensate_all", "fail_fast", "continue", "compensate_failed"),
  }),
);

interface Observed {
  events: WorkflowEvent[];
  maxInFlight: number;
  compensations: string[];
}

async function runScenario(s: Scenario) {
  const observed: Observed = { events: [], maxInFlight: 0, compensations: [] };
  let inFlight = 0;
  let wf: AnyWorkflow = workflow("random", { parallelLimit: s.limit, onError: s.policy });
  s.deps.forEach((deps, i) => {
    wf = wf.step(`s${i}`, {
      dependsOn: deps.map((d) => `s${d}`),
      retry: s.behaviour[i] === "flaky" ? { maxAttempts: 2, baseDelay: 0, jitter: false } : 0,
      run: async (_input: unknown, ctx) => {
        inFlight++;
        observed.maxInFlight = Math.max(observed.maxInFlight, inFlight);
        for (let t = 0; t < s.ticks[i]!; t++) await Promise.resolve();
        inFlight--;
        const behaviour = s.behaviour[i];
        if (behaviour === "fail" || (behaviour === "flaky" && ctx.attempt === 1)) throw new Error(`s${i} failed`);
      },
      compensate: () => {
        observed.compensations.push(`s${i}`);
      },
    });
  });
  const run = createEngine().start(wf, {});
  run.events.subscribe((e) => observed.events.push(e));
  const result = await run.result;
  return { result, observed };
}

const stepsWith = (events: WorkflowEvent[], type: string) => events.filter((e) => e.type === type).map((e) => e.step!);

describe("invariants over random DAGs and failures", () => {
  it("hold for every policy", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const { result, observed } = await runScenario(s);
        const { events } = observed;
        const succeeded = stepsWith(events, "step.succeeded");
        const failed = stepsWith(events, "step.failed");

        // No step starts before all its dependencies have succeeded.
        events.forEach((e, at) => {
          if (e.type !== "step.started") return;
          const i = Number(e.step!.slice(1));
          for (const d of s.deps[i]!) {
            const done = events.findIndex((x) => x.type === "step.succeeded" && x.step === `s${d}`);
            expect(done, `s${d} before ${e.step}`).toBeGreaterThanOrEqual(0);
            expect(done).toBeLessThan(at);
          }
        });

        // Never more steps in flight than the limit.
        expect(observed.maxInFlight).toBeLessThanOrEqual(s.limit);

        // Nothing that never succeeded is compensated, and nothing twice.
        for (const c of observed.compensations) {
          if (s.policy !== "compensate_failed") expect(succeeded).toContain(c);
        }
        expect(new Set(observed.compensations).size).toBe(observed.compensations.length);
        expect(result.compensation.compensated).toEqual(observed.compensations);

        const anyFailure = failed.length > 0;
        expect(result.status).toBe(anyFailure ? "failed" : "succeeded");

        switch (s.policy) {
          case "compensate_all":
            // Every succeeded step compensated exactly once, in reverse completion order.
            expect(observed.compensations).toEqual(anyFailure ? [...succeeded].reverse() : []);
            break;
          case "fail_fast":
            expect(observed.compensations).toEqual([]);
            break;
          case "compensate_failed":
            expect(observed.compensations).toEqual(anyFailure ? [failed[0]] : []);
            break;
          case "continue": {
            expect(observed.compensations).toEqual([]);
            // Exactly the transitive dependents of failed steps are skipped; the rest succeed.
            const blocked = new Set<number>();
            s.deps.forEach((deps, i) => {
              if (deps.some((d) => blocked.has(d) || s.behaviour[d] === "fail")) blocked.add(i);
            });
            s.behaviour.forEach((b, i) => {
              const status = result.steps[`s${i}`]!.status;
              expect(status).toBe(blocked.has(i) ? "skipped" : b === "fail" ? "failed" : "succeeded");
            });
            break;
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
