/**
 * Assertions on a WorkflowResult, as matchers for `expect.extend` (vitest or jest) —
 * the guide's `assert_compensation_executed` and friends. Each failure message says
 * what the run did instead: its status, its error, the compensations that ran.
 * `import "@rubberduck/workflows/vitest"` registers them with vitest, typed.
 */

import type { WorkflowResult } from "../result.js";

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/** What the matchers need of a result (any WorkflowResult). */
type ResultLike = Pick<WorkflowResult, "status" | "error" | "compensation" | "steps" | "workflow" | "degraded">;

function isResult(value: unknown): value is ResultLike {
  return typeof value === "object" && value !== null && "status" in value && "compensation" in value;
}

function describeRun(result: ResultLike): string {
  const error = result.error === undefined ? "" : ` at step \`${result.error.step ?? "?"}\`: ${result.error.message}`;
  const undone = result.compensation.compensated;
  return `\`${result.workflow}\` ${result.status}${error}; compensated: [${undone.join(", ")}]`;
}

function notAResult(name: string, received: unknown): MatcherResult {
  return { pass: false, message: () => `${name} expects a WorkflowResult, got ${typeof received}` };
}

/**
 * The matchers. Register them with `expect.extend(workflowMatchers)`, or import
 * `@rubberduck/workflows/vitest` in a vitest setup file.
 *
 * @example
 * expect.extend(workflowMatchers);
 * expect(result).toHaveSucceeded();
 * expect(result).toHaveFailedAt("validate_code");
 * expect(result).toHaveCompensated(["generate_code", "reserve_resources"]);
 */
export const workflowMatchers = {
  /** The run ended `succeeded`. */
  toHaveSucceeded(received: unknown): MatcherResult {
    if (!isResult(received)) return notAResult("toHaveSucceeded", received);
    return {
      pass: received.status === "succeeded",
      message: () =>
        received.status === "succeeded"
          ? `expected \`${received.workflow}\` not to succeed`
          : `expected \`${received.workflow}\` to succeed, but it ${describeRun(received).split(" ").slice(1).join(" ")}`,
    };
  },

  /** The run failed, and the failure that decided it was step `step`'s. */
  toHaveFailedAt(received: unknown, step: string): MatcherResult {
    if (!isResult(received)) return notAResult("toHaveFailedAt", received);
    const pass = received.status === "failed" && received.error?.step === step;
    return {
      pass,
      message: () =>
        pass
          ? `expected \`${received.workflow}\` not to fail at \`${step}\``
          : `expected \`${received.workflow}\` to fail at \`${step}\`, but: ${describeRun(received)}`,
    };
  },

  /** Exactly these steps were compensated, in this order (the rollback order). */
  toHaveCompensated(received: unknown, steps: readonly string[]): MatcherResult {
    if (!isResult(received)) return notAResult("toHaveCompensated", received);
    const actual = received.compensation.compensated;
    const pass = actual.length === steps.length && actual.every((s, i) => s === steps[i]);
    return {
      pass,
      message: () =>
        pass
          ? `expected \`${received.workflow}\` not to have compensated [${steps.join(", ")}]`
          : `expected \`${received.workflow}\` to have compensated [${steps.join(", ")}] in that order, ` +
            `but it compensated [${actual.join(", ")}]` +
            (received.compensation.failed.length > 0
              ? `; failed to compensate [${received.compensation.failed.map((f) => f.step).join(", ")}]`
              : ""),
    };
  },

  /** Step `step` degraded (optional, or a fallback) without failing the run. */
  toHaveDegraded(received: unknown, step: string): MatcherResult {
    if (!isResult(received)) return notAResult("toHaveDegraded", received);
    const pass = received.degraded.some((d) => d.step === step);
    return {
      pass,
      message: () =>
        pass
          ? `expected step \`${step}\` not to have degraded`
          : `expected step \`${step}\` to have degraded, but it is ${received.steps[step]?.status ?? "not a step"}`,
    };
  },
};

/**
 * The matchers' signatures, for a test runner's `Matchers` interface.
 *
 * @example
 * declare global {
 *   namespace jest { interface Matchers<R> extends WorkflowMatchers<R> {} }
 * }
 */
export interface WorkflowMatchers<R = unknown> {
  toHaveSucceeded(): R;
  toHaveFailedAt(step: string): R;
  toHaveCompensated(steps: readonly string[]): R;
  toHaveDegraded(step: string): R;
}
