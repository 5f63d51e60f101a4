/**
 * Full path coverage of the guide's example workflows: every path of their models is
 * a test, replayed on the real engine and checked against the saga invariants.
 */
import { describe, expect, it } from "vitest";
import { checkInvariants, generatePaths, replay, testPaths } from "../../src/testing/index.js";
import { codeAnalysis } from "../fixtures/code-analysis.js";
import { codegenTransaction, newWorld } from "../fixtures/codegen-transaction.js";
import { buildCustomWorkflow } from "../fixtures/dynamic.js";
import { generateDocs } from "../fixtures/generate-docs.js";
import { layeredSaga } from "../fixtures/layered-saga.js";
import { provisionEnvironment } from "../fixtures/provisioning.js";

describe("the transactional workflow's model", () => {
  it("has every single-failure point, each with its compensation order", () => {
    const paths = generatePaths(codegenTransaction(newWorld()), { maxFailures: 1 });
    const byFailingStep = Object.fromEntries(
      paths.filter((p) => p.expected.status === "failed").map((p) => [p.expected.error?.step, p.expected.compensated]),
    );
    expect(byFailingStep).toEqual({
      reserve_resources: [],
      generate_code: ["reserve_resources"],
      validate_code: ["generate_code", "reserve_resources"],
      // validate_code has nothing to undo.
      commit_code: ["generate_code", "reserve_resources"],
    });
  });

  it("undoes the real side effects on every failure path (callSteps)", async () => {
    const count = generatePaths(codegenTransaction(newWorld()), { maxFailures: 2 }).length;
    for (let i = 0; i < count; i++) {
      const world = newWorld();
      const path = generatePaths(codegenTransaction(world), { maxFailures: 2 })[i]!;
      const replayed = await replay(path, { callSteps: true, input: { requirements: { module: "users" } } });
      expect(checkInvariants(replayed, path)).toEqual([]);
      if (path.expected.status === "succeeded") {
        expect(world.commits).toEqual(["commit-1 users.ts"]);
      } else if (path.expected.compensationFailed.length === 0) {
        expect(world).toMatchObject({ commits: [], files: new Map(), reservations: new Set() });
      }
    }
  });
});

testPaths(codegenTransaction(newWorld()), { describe, it, maxFailures: 2 });

testPaths(codeAnalysis({ inFlight: 0, maxInFlight: 0, overlapped: false }), {
  describe,
  it,
  maxFailures: 2,
  interleavings: "all",
  traversal: "simple",
});

testPaths(provisionEnvironment([]), { describe, it, maxFailures: 2, interleavings: "all" });

testPaths(generateDocs, { describe, it, maxFailures: 2 });

testPaths(buildCustomWorkflow({ semantic_analysis: true, security_scan: true, llm_enhancement: true }), {
  describe,
  it,
  interleavings: "all",
});

describe("layered sagas of 10 and 30 steps", () => {
  it("have 16 and 48 single-failure paths", () => {
    expect(generatePaths(layeredSaga(10))).toHaveLength(16);
    expect(generatePaths(layeredSaga(30))).toHaveLength(48);
  });
});

testPaths(layeredSaga(10), { describe, it, maxFailures: 2 });
testPaths(layeredSaga(30), { describe, it });
