/**
 * The `ctx` a step's code receives, one per attempt, and the execution's scope it is
 * read from. Created on the hot path (every attempt): it holds the scope, the step's
 * name, the attempt number and its signal; everything else is read through the scope.
 */

import type { CacheAccess } from "../src/cache/step-cache.js";
import type { CompensationContext, ExecutionPhase, StepContext, StepResults } from "../src/dsl/step.js";
import type { Executor } from "../src/executors/executor.js";
import type { Instrument } from "../src/telemetry/telemetry.js";
import type { AttemptSignal } from "./attempt-signal.js";
import type { SubWorkflowRunner } from "./step-work.js";

/** What the workflow actor knows about the execution, shared by all its step actors. */
export interface ExecutionScope {
  readonly executionId: string;
  readonly workflow: string;
  readonly version: string;
  readonly workflowInput: Readonly<Record<string, unknown>>;
  readonly results: StepResults;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly startedAt: number;
  /** Where the execution is now. */
  readonly phase: () => ExecutionPhase;
  readonly random: () => number;
  /** The execution's clock (ms since the epoch). */
  readonly now: () => number;
  /** Values must survive JSON (the execution is journaled): outputs that would not fail their attempt. */
  readonly serializable: boolean;
  /** With `serializable`: the most bytes (of JSON) a step's outputs may take. */
  readonly maxOutputBytes: number;
  /** The execution's journal, when it has one: a retried attempt runs once its start is durable. */
  readonly durable: { readonly pending: boolean; whenDurable(callback: () => void): void } | undefined;
  /** The cache, when the execution has one. */
  readonly cache: CacheAccess | undefined;
  /** Runs sub-workflow steps (provided by the workflow actor). */
  readonly subWorkflows: SubWorkflowRunner | undefined;
  /** Wraps step code in a telemetry context, when the execution has telemetry. */
  readonly instrument: Instrument | undefined;
  /** Where steps that name an executor run. */
  readonly executors: Readonly<Record<string, Executor>> | undefined;
}

/** The `ctx` a step receives; its `signal` is created on first read. */
export class AttemptContext implements StepContext {
  readonly step: string;
  readonly attempt: number;
  readonly #scope: ExecutionScope;
  readonly #signal: AttemptSignal;

  constructor(scope: ExecutionScope, step: string, attempt: number, signal: AttemptSignal) {
    this.#scope = scope;
    this.step = step;
    this.attempt = attempt;
    this.#signal = signal;
  }

  get executionId(): string {
    return this.#scope.executionId;
  }

  get workflow(): string {
    return this.#scope.workflow;
  }

  get idempotencyKey(): string {
    return `${this.#scope.executionId}:${this.step}`;
  }

  get version(): string {
    return this.#scope.version;
  }

  get workflowInput(): Readonly<Record<string, unknown>> {
    return this.#scope.workflowInput;
  }

  get results(): StepResults {
    return this.#scope.results;
  }

  get metadata(): Readonly<Record<string, unknown>> {
    return this.#scope.metadata;
  }

  get startedAt(): number {
    return this.#scope.startedAt;
  }

  get status(): ExecutionPhase {
    return this.#scope.phase();
  }

  get signal(): AbortSignal {
    return this.#signal.signal;
  }

  /** A plain view for logs and inspection (getters are not own properties). */
  toJSON(): Record<string, unknown> {
    const { executionId, workflow, version, step, attempt, idempotencyKey, metadata, startedAt, status } = this;
    return { executionId, workflow, version, step, attempt, idempotencyKey, metadata, startedAt, status };
  }
}

/** The `ctx` of a `compensate` call: the step's own input and output as well. */
export class CompensationAttemptContext extends AttemptContext implements CompensationContext {
  constructor(
    scope: ExecutionScope,
    step: string,
    attempt: number,
    signal: AttemptSignal,
    readonly input: Readonly<Record<string, unknown>>,
    readonly output: Readonly<Record<string, unknown>> | undefined,
  ) {
    super(scope, step, attempt, signal);
  }
}
