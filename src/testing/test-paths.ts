/**
 * One line in a test file turns every model path of a workflow into a named test.
 * The test runner's `describe`/`it` are passed in (or found as globals), so the
 * library does not depend on vitest at run time; any runner with that shape works
 * (vitest, jest, node:test).
 */

import type { AnyWorkflow } from "../index.js";
import { type GeneratePathsOptions, generatePaths, type WorkflowPath } from "./generate-paths.js";
import { checkInvariants } from "./invariants.js";
import { type ReplayOptions, replay } from "./replay.js";
import { TestingError } from "./testing-error.js";

/**
 * Options of {@link testPaths}: which paths (as {@link generatePaths}), how to replay
 * them (as {@link replay}), and the test runner's functions.
 *
 * @example
 * import { describe, it } from "vitest";
 * testPaths(codegen, { describe, it, maxFailures: 2 });
 */
export interface TestPathsOptions extends GeneratePathsOptions, ReplayOptions {
  /** The runner's `describe`. @default globalThis.describe (vitest `globals: true`, jest) */
  describe?: (name: string, body: () => void) => unknown;
  /** The runner's `it` (or `test`). @default globalThis.it */
  it?: (name: string, body: () => Promise<void>) => unknown;
  /** The name of the test group. @default `${workflow.name}: model paths` */
  name?: string;
}

/**
 * Register one test per model path of `workflow`: each replays the path on the real
 * engine and fails with every broken invariant. Returns the paths.
 *
 * @throws {TestingError} `NO_TEST_RUNNER` without `describe`/`it`, given or global.
 * @example
 * import { describe, it } from "vitest";
 * import { testPaths } from "@rubberduck/workflows/testing";
 *
 * testPaths(codegenTransaction, { describe, it });
 */
export function testPaths(wf: AnyWorkflow, options: TestPathsOptions = {}): WorkflowPath[] {
  const globals = globalThis as { describe?: TestPathsOptions["describe"]; it?: TestPathsOptions["it"] };
  const describe = options.describe ?? globals.describe;
  const it = options.it ?? globals.it;
  if (describe === undefined || it === undefined) {
    throw new TestingError(
      "NO_TEST_RUNNER",
      "testPaths needs the test runner's `describe` and `it`: testPaths(wf, { describe, it })",
    );
  }
  const paths = generatePaths(wf, options);
  describe(options.name ?? `${wf.name}: model paths`, () => {
    for (const path of paths) {
      it(path.description, async () => {
        const replayed = await replay(path, options);
        const violations = checkInvariants(replayed, path);
        if (violations.length > 0) {
          const lines = violations.map((v) => `  - [${v.invariant}] ${v.message}`).join("\n");
          throw new TestingError("INVARIANTS_VIOLATED", `${path.description}\n${lines}`);
        }
      });
    }
  });
  return paths;
}
