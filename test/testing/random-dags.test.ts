/**
 * Model-based tests of random workflows: random DAGs, retry budgets, timeouts,
 * compensations, `parallel: false` steps, limits and error policies. Every path of
 * their models, in every completion order of parallel steps, with up to two failures
 * (cancels and steps that outlive their abort included), must replay on the engine
 * without breaking an invariant. Seeds are fixed.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkInvariants, generatePaths, replay, STEP_FAILURE_KINDS, type Violation } from "../../src/testing/index.js";
import { buildDag, dagSpec, describeDag } from "../fixtures/random-dag.js";

const bounds = {
  maxFailures: 2,
  interleavings: "all",
  limit: 200,
  kinds: [...STEP_FAILURE_KINDS, "cancelled", "ignores_abort"],
} as const;

// A few random DAGs, each path its own named test.
fc.sample(dagSpec(5), { seed: 20_261_126, numRuns: 4 }).forEach((spec, k) => {
  describe(`random DAG #${k + 1}: ${describeDag(spec)}`, () => {
    const paths = generatePaths(buildDag(spec, `random_${k + 1}`), bounds);
    for (const path of paths) {
      it(path.description, async () => {
        expect(checkInvariants(await replay(path), path)).toEqual([]);
      });
    }
  });
});

describe("random DAGs", () => {
  it("keep every invariant on every path", async () => {
    await fc.assert(
      fc.asyncProperty(dagSpec(6), async (spec) => {
        const violations: { path: string; violations: Violation[] }[] = [];
        for (const path of generatePaths(buildDag(spec), bounds)) {
          const found = checkInvariants(await replay(path), path);
          if (found.length > 0) violations.push({ path: path.description, violations: found });
        }
        expect(violations).toEqual([]);
      }),
      { seed: 42, numRuns: 40 },
    );
  }, 60_000);
});
