/**
 * @rubberduck/workflows/vitest — the WorkflowResult matchers, registered with vitest
 * and typed on its `expect`. Import it once, e.g. in a setup file.
 *
 * @example
 * // vitest.config.ts: test: { setupFiles: ["@rubberduck/workflows/vitest"] }
 * expect(result).toHaveCompensated(["generate_code", "reserve_resources"]);
 */

import { expect } from "vitest";
import { type WorkflowMatchers, workflowMatchers } from "./matchers.js";

expect.extend(workflowMatchers);

declare module "vitest" {
  interface Matchers<T = any> extends WorkflowMatchers<T> {}
}
