/**
 * @rubberduck/workflows — the public API. Nothing outside this file is public.
 */

export type { RunRequestOptions } from "../machines/run-request.js";
export { RunRequest } from "../machines/run-request.js";
export type { StepState } from "../machines/step-chart.js";
export { type StepChartConfig, stepChartConfig, stepStates } from "../machines/step-chart.js";
export { toMachine } from "../machines/workflow.machine.js";
export type {
  WorkflowActor,
  WorkflowActorSnapshot,
  WorkflowControlEvent,
  WorkflowLogic,
  WorkflowPhase,
} from "../machines/workflow-logic.js";
export type { MemoryCacheOptions } from "./cache/memory.js";
export { memoryCache } from "./cache/memory.js";
export type { CachePolicy } from "./cache/policy.js";
export type { CacheStore } from "./cache/store.js";
export type { KeptEffect } from "./dsl/keep.js";
export { keep } from "./dsl/keep.js";
export type {
  BackoffKind,
  ErrorPolicy,
  RetryOptions,
  RetrySetting,
  StepErrorDecision,
  WorkflowOptions,
} from "./dsl/options.js";
export type {
  CompensateFn,
  CompensationContext,
  InputBinding,
  StepContext,
  StepDefinition,
  StepErrorHandler,
  StepModule,
  StepResults,
  ValidateInputResult,
} from "./dsl/step.js";
export type {
  AnyWorkflow,
  InputOf,
  ModuleStepOptions,
  OutputOf,
  RunStepOptions,
  StepCommonOptions,
  StepOptions,
  Workflow,
} from "./dsl/workflow.js";
export { isWorkflow, workflow } from "./dsl/workflow.js";
export type { Clock } from "./engine/clock.js";
export { systemClock } from "./engine/clock.js";
export type { RunDetails, Runs } from "./engine/durable.js";
export type { Engine, EngineOptions, ExecuteOptions, InspectOption } from "./engine/engine.js";
export { createEngine } from "./engine/engine.js";
export type { ExecutionStatus, WorkflowRun } from "./engine/execution.js";
export type { RegisteredWorkflow, WorkflowRegistry } from "./engine/registry.js";
export type { SerializedError } from "./error-codec.js";
export { deserializeError, serializeError } from "./error-codec.js";
export type { DefinitionIssue, ValidationIssue } from "./errors.js";
export {
  CompensationError,
  DefinitionMismatchError,
  ErrorCode,
  ExecutionNotFoundError,
  ExecutorError,
  ExecutorNotFoundError,
  isWorkflowError,
  JournalError,
  LeaseLostError,
  NonRetryableError,
  RecoveryLimitError,
  RetriesExhaustedError,
  SerializationError,
  SnapshotRestoreError,
  StepAbortedError,
  StepError,
  StepOutputError,
  StepTimeoutError,
  StoreUnavailableError,
  SubWorkflowError,
  ValidationError,
  WorkflowCancelledError,
  WorkflowDefinitionError,
  WorkflowError,
  WorkflowInputError,
  WorkflowNotFoundError,
  WorkflowTimeoutError,
  WorkflowVersionConflictError,
} from "./errors.js";
export type { WorkflowEvent } from "./events.js";
export { WorkflowEventType } from "./events.js";
export type { Executor, ExecutorRequest } from "./executors/executor.js";
export { inProcessExecutor } from "./executors/executor.js";
export { plan } from "./planner/plan.js";
export type { PlannedStep, ResolvedInput, WorkflowPlan } from "./planner/types.js";
export type { RetryPolicy } from "./policy/retry.js";
export type {
  CompensationSummary,
  StepResult,
  StepStatus,
  WorkflowResult,
  WorkflowResultBase,
  WorkflowStatus,
} from "./result.js";
export type {
  CreateResult,
  ExecutionStore,
  JournalEvent,
  Lease,
  NewRun,
  RunPage,
  RunPatch,
  RunQuery,
  RunRecord,
  RunStatus,
} from "./store/execution-store.js";
export { FINAL_STATUSES, RUN_STATUSES, UNFINISHED_STATUSES } from "./store/execution-store.js";
export { memoryStore } from "./store/memory-store.js";
export type { SqliteStoreOptions } from "./store/sqlite-store.js";
export { sqliteStore } from "./store/sqlite-store.js";
export type { AttemptMetrics, StepMetrics, WorkflowMetrics } from "./telemetry/metrics.js";
export type { AttemptInfo, Telemetry } from "./telemetry/telemetry.js";
export type { TraceEntry, TraceEvent } from "./telemetry/trace.js";
export type { StandardSchemaV1 } from "./validation/standard-schema.js";
export { toDot } from "./visualize/dot.js";
export type { GraphEdge, GraphGroup, GraphNode, WorkflowGraph } from "./visualize/graph-model.js";
export { workflowGraph } from "./visualize/graph-model.js";
export { toMermaid } from "./visualize/mermaid.js";
export type { DiagramDirection, DiagramOptions, StatusInput } from "./visualize/options.js";
export type { StepChartSvgOptions } from "./visualize/step-chart.js";
export { stepChartSvg, stepMachineMermaid } from "./visualize/step-chart.js";
export type { SvgOptions } from "./visualize/svg.js";
export { toSvg } from "./visualize/svg.js";
