/**
 * A step's `ctx` outside any workflow, to unit-test a step's `run` or `compensate` on
 * its own: every field a step reads, with defaults, and an `abort()` to act out a
 * timeout or a cancel.
 */

import type { CompensationContext, ExecutionPhase, StepContext, StepResults } from "../dsl/step.js";

/**
 * Options of `testContext`: the `ctx` fields to set; the others get defaults.
 *
 * @example
 * testContext({ step: "parse_files", attempt: 2, results: { config: { strict: true } }, status: "stopping" });
 */
export interface TestContextOptions {
  /** @default "step" */
  step?: string;
  /** @default 1 */
  attempt?: number;
  /** @default "test-execution" */
  executionId?: string;
  /** @default "test" */
  workflow?: string;
  /** @default "1.0.0" */
  version?: string;
  /** @default {} */
  workflowInput?: Record<string, unknown>;
  /** Outputs of earlier steps, by step name. @default {} */
  results?: Record<string, Record<string, unknown>>;
  /** @default {} */
  metadata?: Record<string, unknown>;
  /** @default 0 */
  startedAt?: number;
  /** @default "running" */
  status?: ExecutionPhase;
  /** For a `compensate`: the step's input and output. */
  input?: Record<string, unknown>;
  output?: Record<string, unknown>;
}

/**
 * A test `ctx`: a StepContext (and CompensationContext) whose signal `abort()` aborts.
 *
 * @example
 * const ctx: TestContext = testContext({ step: "upload", output: { url: "s3://bucket/a.tgz" } });
 * await removeUpload(ctx, new NonRetryableError("deploy failed"));
 * ctx.abort("timed out"); // ctx.signal.aborted is now true
 */
export interface TestContext extends CompensationContext {
  /** Abort the signal, as a timeout or the workflow stopping would. */
  abort(reason?: unknown): void;
}

/**
 * Make a `ctx` for calling a step's code directly.
 *
 * @example
 * const ctx = testContext({ step: "parse_files", workflowInput: { strict: true } });
 * expect(await parseFiles({ file_paths: ["a.ts"] }, ctx)).toEqual({ ast_trees: [...] });
 * ctx.abort(); // the step's signal is now aborted
 */
export function testContext(options: TestContextOptions = {}): TestContext {
  const controller = new AbortController();
  const outputs = Object.freeze({ ...(options.results ?? {}) });
  const results: StepResults = {
    get: (step) => outputs[step],
    has: (step) => Object.hasOwn(outputs, step),
    all: () => ({ ...outputs }),
    entries: () => Object.entries(outputs) as never,
  };
  const ctx: TestContext & StepContext = {
    executionId: options.executionId ?? "test-execution",
    workflow: options.workflow ?? "test",
    version: options.version ?? "1.0.0",
    step: options.step ?? "step",
    attempt: options.attempt ?? 1,
    idempotencyKey: `${options.executionId ?? "test-execution"}:${options.step ?? "step"}`,
    signal: controller.signal,
    workflowInput: Object.freeze({ ...(options.workflowInput ?? {}) }),
    results,
    metadata: Object.freeze({ ...(options.metadata ?? {}) }),
    startedAt: options.startedAt ?? 0,
    status: options.status ?? "running",
    input: Object.freeze({ ...(options.input ?? {}) }),
    output: options.output === undefined ? undefined : Object.freeze({ ...options.output }),
    abort: (reason?: unknown) => controller.abort(reason),
  };
  return ctx;
}
