/**
 * @rubberduck/workflows/testing — tests of workflows: run one with chosen steps
 * mocked (`mockSteps`), assert on its result (`workflowMatchers`), unit-test a step with
 * a `testContext()`; and model-based tests: enumerate the failure paths of a workflow
 * from an abstract model of its plan, replay each on the real engine with scripted
 * steps and a simulated clock, and check the saga invariants.
 *
 * @example
 * import { describe, it } from "vitest";
 * import { testPaths } from "@rubberduck/workflows/testing";
 * testPaths(myWorkflow, { describe, it });
 */

export type { ExpectedOutcome, ExpectedStep } from "./expectation.js";
export type { GeneratePathsOptions, WorkflowPath } from "./generate-paths.js";
export { generatePaths } from "./generate-paths.js";
export type { InvariantName, RunRecord, Violation } from "./invariants.js";
export { checkInvariants } from "./invariants.js";
export type { WorkflowMatchers } from "./matchers.js";
export { workflowMatchers } from "./matchers.js";
export type { StepMock, StepMocks } from "./mock-steps.js";
export { mockSteps } from "./mock-steps.js";
export type { ModelOptions } from "./model-config.js";
export type { ModelMachine, ModelSnapshot } from "./model-machine.js";
export { createModelMachine } from "./model-machine.js";
export type { CompensationOutcome, FailureKind, ModelEvent, StepOutcome, StepScript } from "./outcomes.js";
export { STEP_FAILURE_KINDS } from "./outcomes.js";
export type { Replay, ReplayOptions } from "./replay.js";
export { replay } from "./replay.js";
export { ScriptedFailure } from "./scripted-workflow.js";
export { SimulatedClock } from "./simulated-clock.js";
export type { TestContext, TestContextOptions } from "./test-context.js";
export { testContext } from "./test-context.js";
export type { TestPathsOptions } from "./test-paths.js";
export { testPaths } from "./test-paths.js";
export { TestingError, TestingErrorCode } from "./testing-error.js";
