/**
 * Typed errors. Every error the runtime produces is a {@link WorkflowError} with a
 * stable `code` (from {@link ErrorCode}), a `retryable` flag and an optional `cause`.
 * Whatever a step throws — an Error, a string, `undefined` — is normalised into one of
 * these by {@link toWorkflowError}, so results never carry bare values.
 */

import { type SerializedError, serializeError } from "./error-codec.js";

/**
 * Stable error codes. Match on these, not on messages.
 *
 * @example
 * if (result.error?.code === ErrorCode.STEP_TIMEOUT) console.warn(`${result.error.step} timed out`);
 */
export const ErrorCode = {
  DEFINITION_INVALID: "DEFINITION_INVALID",
  INPUT_INVALID: "INPUT_INVALID",
  VALIDATION_FAILED: "VALIDATION_FAILED",
  STEP_FAILED: "STEP_FAILED",
  STEP_TIMEOUT: "STEP_TIMEOUT",
  STEP_OUTPUT_INVALID: "STEP_OUTPUT_INVALID",
  STEP_ABORTED: "STEP_ABORTED",
  NON_RETRYABLE: "NON_RETRYABLE",
  RETRIES_EXHAUSTED: "RETRIES_EXHAUSTED",
  COMPENSATION_FAILED: "COMPENSATION_FAILED",
  WORKFLOW_TIMEOUT: "WORKFLOW_TIMEOUT",
  WORKFLOW_CANCELLED: "WORKFLOW_CANCELLED",
  SUB_WORKFLOW_FAILED: "SUB_WORKFLOW_FAILED",
  WORKFLOW_NOT_FOUND: "WORKFLOW_NOT_FOUND",
  VERSION_CONFLICT: "VERSION_CONFLICT",
  SNAPSHOT_NOT_RESTORABLE: "SNAPSHOT_NOT_RESTORABLE",
  LEASE_LOST: "LEASE_LOST",
  EXECUTION_NOT_FOUND: "EXECUTION_NOT_FOUND",
  DEFINITION_MISMATCH: "DEFINITION_MISMATCH",
  JOURNAL_FAILED: "JOURNAL_FAILED",
  NOT_SERIALIZABLE: "NOT_SERIALIZABLE",
  STORE_UNAVAILABLE: "STORE_UNAVAILABLE",
  RECOVERY_LIMIT: "RECOVERY_LIMIT",
  EXECUTOR_NOT_FOUND: "EXECUTOR_NOT_FOUND",
  EXECUTOR_FAILED: "EXECUTOR_FAILED",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

interface WorkflowErrorOptions {
  cause?: unknown;
  step?: string;
}

/**
 * Base class of every error the runtime produces.
 *
 * @example
 * if (result.status !== "succeeded" && result.error instanceof WorkflowError) {
 *   console.error(result.error.code, result.error.step, result.error.detail, result.error.retryable);
 * }
 */
export class WorkflowError extends Error {
  /**
   * `instanceof` also recognises errors made by another copy of this library (two
   * versions in one app, a worker's bundle): they carry the same `Symbol.for` brand,
   * and a subclass is told by its stable `code`.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: subclasses inherit this check; `this` is the class asked about.
    return isInstance(this, value);
  }

  override readonly name: string = "WorkflowError";
  readonly code: ErrorCode;
  /** Whether a retry policy may try the failed attempt again. */
  readonly retryable: boolean;
  /** The step the error belongs to, when there is one. */
  readonly step: string | undefined;

  constructor(code: ErrorCode, message: string, retryable: boolean, options: WorkflowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = retryable;
    this.step = options.step;
  }

  /**
   * What went wrong, without the step the message starts with: `nope` for a step that
   * threw "nope" (its message: "Step `t` failed: nope"), `timed out after 100 ms`.
   * Handy next to the step's name: `${error.step}: ${error.detail}`.
   */
  get detail(): string {
    return reasonOf(this);
  }

  /** A plain, JSON-safe description (used in results, events and logs); `deserializeError` rebuilds it. */
  toJSON(): SerializedError {
    return serializeError(this);
  }
}

/**
 * One problem found in a workflow definition.
 *
 * @example
 * const cycles = error.issues.filter((issue) => issue.code === "CYCLE").map((issue) => issue.steps.join(" → "));
 */
export interface DefinitionIssue {
  code:
    | "DUPLICATE_STEP"
    | "UNKNOWN_DEPENDENCY"
    | "UNKNOWN_INPUT_SOURCE"
    | "CYCLE"
    | "DUPLICATE_OUTPUT"
    | "NOTHING_TO_RUN"
    | "INVALID_OPTION"
    | "INVALID_NAME";
  message: string;
  /** The steps involved (for a cycle: the cycle's path, first step repeated at the end). */
  steps: string[];
}

/**
 * A workflow definition is invalid. Thrown when a workflow is planned, compiled or
 * registered — never in the middle of a run — and lists every problem at once.
 *
 * @example
 * try { plan(wf); } catch (error) {
 *   if (error instanceof WorkflowDefinitionError) for (const issue of error.issues) console.error(issue.message);
 * }
 */
export class WorkflowDefinitionError extends WorkflowError {
  override readonly name = "WorkflowDefinitionError";
  readonly workflow: string;
  readonly issues: readonly DefinitionIssue[];

  constructor(workflow: string, issues: readonly DefinitionIssue[]) {
    const lines = issues.map((issue) => `  - ${issue.message}`).join("\n");
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    super(ErrorCode.DEFINITION_INVALID, `Workflow \`${workflow}\` has ${count}:\n${lines}`, false);
    this.workflow = workflow;
    this.issues = issues;
  }
}

/**
 * The workflow input is missing values the steps need, or failed its schema.
 *
 * @example
 * const result = await engine.execute("code_analysis", {});
 * if (result.error instanceof WorkflowInputError) console.error("missing:", result.error.missing.join(", "));
 */
export class WorkflowInputError extends WorkflowError {
  override readonly name = "WorkflowInputError";
  /** Names the steps read from the workflow input that the input does not have. */
  readonly missing: readonly string[];

  constructor(message: string, missing: readonly string[] = [], cause?: unknown) {
    super(ErrorCode.INPUT_INVALID, message, false, { cause });
    this.missing = missing;
  }
}

/**
 * One failed check of a {@link ValidationError}.
 *
 * @example
 * const lines = error.issues.map((issue) => `${issue.path.map(String).join(".")}: ${issue.message}`);
 */
export interface ValidationIssue {
  message: string;
  path: readonly PropertyKey[];
}

/**
 * Data failed validation (a schema, or a module's `validateInput`). Never retried.
 *
 * @example
 * if (result.error instanceof ValidationError) {
 *   for (const issue of result.error.issues) console.error(issue.path.map(String).join("."), issue.message);
 * }
 */
export class ValidationError extends WorkflowError {
  override readonly name = "ValidationError";
  readonly issues: readonly ValidationIssue[];

  constructor(message: string, issues: readonly ValidationIssue[] = [], options: WorkflowErrorOptions = {}) {
    super(ErrorCode.VALIDATION_FAILED, message, false, options);
    this.issues = issues;
  }
}

/**
 * A step attempt ran past its `timeout`. Retryable. A timeout aborts the attempt's
 * signal; it cannot interrupt synchronous code, which holds the only thread until it
 * returns: `blockedMs` says how long the attempt's code ran before it first returned,
 * and the message says so when that alone overran the timeout.
 *
 * @example
 * if (result.error instanceof StepTimeoutError) console.log(result.error.step, result.error.timeoutMs);
 */
export class StepTimeoutError extends WorkflowError {
  override readonly name = "StepTimeoutError";
  readonly timeoutMs: number;
  /** How long the attempt's code ran synchronously before it first returned, in ms. */
  readonly blockedMs: number;

  constructor(step: string, timeoutMs: number, blockedMs = 0) {
    const blocked =
      blockedMs > timeoutMs
        ? `: its code ran synchronously for ${Math.round(blockedMs)} ms, and a timeout cannot interrupt ` +
          "synchronous code on the event loop's thread (await between chunks of work, or run it on a worker thread)"
        : "";
    super(ErrorCode.STEP_TIMEOUT, `Step \`${step}\` timed out after ${timeoutMs} ms${blocked}`, true, { step });
    this.timeoutMs = timeoutMs;
    this.blockedMs = blockedMs;
  }
}

/**
 * Throw this from a step to fail it without retries, whatever its retry policy says.
 *
 * @example
 * if (response.status === 404) throw new NonRetryableError("No such repository", { cause: response });
 */
export class NonRetryableError extends WorkflowError {
  override readonly name = "NonRetryableError";

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(ErrorCode.NON_RETRYABLE, message, false, options);
  }
}

/**
 * A step returned a value without one of its declared outputs. Never retried.
 *
 * @example
 * if (result.error instanceof StepOutputError) console.error(result.error.step, "lacks", result.error.missing);
 */
export class StepOutputError extends WorkflowError {
  override readonly name = "StepOutputError";
  readonly missing: readonly string[];

  constructor(step: string, missing: readonly string[]) {
    const list = missing.map((name) => `\`${name}\``).join(", ");
    super(ErrorCode.STEP_OUTPUT_INVALID, `Step \`${step}\` did not return its declared output ${list}`, false, {
      step,
    });
    this.missing = missing;
  }
}

/**
 * A step failed every attempt its retry policy allowed. `attempts` holds each attempt's error.
 *
 * @example
 * if (result.error instanceof RetriesExhaustedError) {
 *   result.error.attempts.forEach((e, i) => console.error(`attempt ${i + 1}: ${e.detail}`));
 * }
 */
export class RetriesExhaustedError extends WorkflowError {
  override readonly name = "RetriesExhaustedError";
  readonly attempts: readonly WorkflowError[];

  /** `count`: how many attempts ran, when some left no error (an execution resumed after a crash). */
  constructor(step: string, attempts: readonly WorkflowError[], count = attempts.length) {
    const last = attempts[attempts.length - 1];
    const why = last === undefined ? "unknown error" : reasonOf(last);
    super(ErrorCode.RETRIES_EXHAUSTED, `Step \`${step}\` failed after ${count} attempts; the last: ${why}`, false, {
      step,
      cause: last,
    });
    this.attempts = attempts;
  }
}

/**
 * A step failed with something that was not a {@link WorkflowError}; `cause` holds what it threw.
 *
 * @example
 * if (result.error instanceof StepError) console.error(`${result.error.step} threw`, result.error.cause);
 */
export class StepError extends WorkflowError {
  override readonly name = "StepError";

  constructor(step: string, cause: unknown) {
    super(ErrorCode.STEP_FAILED, `Step \`${step}\` failed: ${describe(cause)}`, true, { step, cause });
  }
}

/**
 * A step attempt was aborted because the workflow stopped (failure elsewhere, timeout, cancel).
 *
 * @example
 * const { status, error } = result.steps.security_scan;
 * if (status === "cancelled" && error instanceof StepAbortedError) console.log(error.detail);
 */
export class StepAbortedError extends WorkflowError {
  override readonly name = "StepAbortedError";

  constructor(step: string, reason: string) {
    super(ErrorCode.STEP_ABORTED, `Step \`${step}\` was aborted: ${reason}`, false, { step });
  }
}

/**
 * A step's `compensate` failed on every attempt its retry policy allowed.
 *
 * @example
 * for (const { step, error } of result.compensation.failed) {
 *   if (error instanceof CompensationError) console.error(`${step} was not undone:`, error.cause);
 * }
 */
export class CompensationError extends WorkflowError {
  override readonly name = "CompensationError";

  constructor(step: string, cause: unknown) {
    const why = cause instanceof WorkflowError ? reasonOf(cause) : describe(cause);
    super(ErrorCode.COMPENSATION_FAILED, `Could not compensate step \`${step}\`: ${why}`, false, {
      step,
      cause,
    });
  }
}

/**
 * The whole execution ran past the workflow's `timeout`.
 *
 * @example
 * if (result.error instanceof WorkflowTimeoutError) console.error(`gave up after ${result.error.timeoutMs} ms`);
 */
export class WorkflowTimeoutError extends WorkflowError {
  override readonly name = "WorkflowTimeoutError";
  readonly timeoutMs: number;

  constructor(workflow: string, timeoutMs: number) {
    super(ErrorCode.WORKFLOW_TIMEOUT, `Workflow \`${workflow}\` timed out after ${timeoutMs} ms`, false);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The execution was cancelled through its handle, an `AbortSignal` or a `CANCEL` event.
 *
 * @example
 * run.cancel("user pressed stop");
 * const result = await run.result;
 * if (result.error instanceof WorkflowCancelledError) console.log(result.error.reason); // "user pressed stop"
 */
export class WorkflowCancelledError extends WorkflowError {
  override readonly name = "WorkflowCancelledError";
  readonly reason: string;

  constructor(workflow: string, reason: string) {
    super(ErrorCode.WORKFLOW_CANCELLED, `Workflow \`${workflow}\` was cancelled: ${reason}`, false);
    this.reason = reason;
  }
}

/**
 * A sub-workflow step's workflow did not succeed (it already applied its own error
 * policy, e.g. compensated its steps). `cause` is the sub-workflow's error and
 * `result` its whole result. Not retried: the sub-workflow's steps have their own retries.
 *
 * @example
 * if (result.error instanceof SubWorkflowError) {
 *   console.error(`step ${result.error.step}: its sub-workflow failed with`, result.error.cause);
 * }
 */
export class SubWorkflowError extends WorkflowError {
  override readonly name = "SubWorkflowError";
  readonly result: unknown;

  constructor(step: string, workflow: string, status: string, cause: unknown, result: unknown) {
    super(
      ErrorCode.SUB_WORKFLOW_FAILED,
      `Sub-workflow \`${workflow}\` of step \`${step}\` ${status}: ${describe(cause)}`,
      false,
      {
        step,
        cause,
      },
    );
    this.result = result;
  }
}

/**
 * No workflow of that name (and version) is registered.
 *
 * @example
 * await engine.execute("code_analysis", input, { version: "9.0.0" }).catch((error) => {
 *   if (error instanceof WorkflowNotFoundError) console.error(error.message);
 * });
 */
export class WorkflowNotFoundError extends WorkflowError {
  override readonly name = "WorkflowNotFoundError";

  constructor(name: string, version?: string) {
    const what = version === undefined ? `\`${name}\`` : `\`${name}\` version \`${version}\``;
    super(ErrorCode.WORKFLOW_NOT_FOUND, `No workflow ${what} is registered`, false);
  }
}

/**
 * A version of a workflow was registered again with a different definition.
 *
 * @example
 * try { engine.register(changed); } catch (error) {
 *   if (error instanceof WorkflowVersionConflictError) engine.register(changed.with({ version: "1.1.0" }));
 * }
 */
export class WorkflowVersionConflictError extends WorkflowError {
  override readonly name = "WorkflowVersionConflictError";

  constructor(name: string, version: string) {
    super(
      ErrorCode.VERSION_CONFLICT,
      `Workflow \`${name}\` version \`${version}\` is already registered with a different definition; bump its version`,
      false,
    );
  }
}

/**
 * An actor was created from a persisted XState snapshot of a workflow or step actor.
 * Such snapshots do not hold an execution's state (step results, attempts, timers, the
 * rollback), so restoring one would leave a run that never moves: it fails at once.
 *
 * @example
 * const actor = createActor(toMachine(wf), { snapshot: persisted, input });
 * const outcome = toPromise(actor).catch((error) => error instanceof SnapshotRestoreError);
 * actor.start(); // await outcome: true
 */
export class SnapshotRestoreError extends WorkflowError {
  override readonly name = "SnapshotRestoreError";

  constructor(actor: string) {
    super(
      ErrorCode.SNAPSHOT_NOT_RESTORABLE,
      `${actor} cannot be restored from a persisted XState snapshot: it does not hold the execution's state ` +
        "(step results, attempts, timers, the rollback). Start the execution again with " +
        "`createActor(machine, { input })` or `engine.start(...)`.",
      false,
    );
  }
}

/**
 * An append or renewal whose lease is no longer the execution's: another owner claimed
 * it, or it is finished. The writer must stop its copy of the execution.
 *
 * @example
 * try { await store.append(lease, events, patch) } catch (e) { if (e instanceof LeaseLostError) stopMyCopy() }
 */
export class LeaseLostError extends WorkflowError {
  override readonly name = "LeaseLostError";
  readonly executionId: string;

  constructor(executionId: string, why: string) {
    super(ErrorCode.LEASE_LOST, `The lease on execution ${executionId} is lost: ${why}`, false);
    this.executionId = executionId;
  }
}

/**
 * `engine.resume(id)` (or `runs.get`) for an execution the store does not hold.
 *
 * @example
 * await engine.resume("nope").catch((e) => e instanceof ExecutionNotFoundError); // true
 */
export class ExecutionNotFoundError extends WorkflowError {
  override readonly name = "ExecutionNotFoundError";
  readonly executionId: string;

  constructor(executionId: string) {
    super(ErrorCode.EXECUTION_NOT_FOUND, `The store holds no execution ${executionId}`, false);
    this.executionId = executionId;
  }
}

/**
 * An execution can resume only on the definition it started with: this engine's
 * registry lacks that version of the workflow, or has a different definition under it
 * (its hash differs). The execution stays interrupted, untouched: register the
 * definition it started on and resume it again.
 *
 * @example
 * try { await engine.resume(id) } catch (e) { if (e instanceof DefinitionMismatchError) console.log(e.expectedHash) }
 */
export class DefinitionMismatchError extends WorkflowError {
  override readonly name = "DefinitionMismatchError";
  readonly executionId: string;
  readonly workflow: string;
  readonly version: string;
  readonly expectedHash: string;
  readonly registeredHash: string | undefined;

  constructor(executionId: string, workflow: string, version: string, expectedHash: string, registered?: string) {
    super(
      ErrorCode.DEFINITION_MISMATCH,
      registered === undefined
        ? `Execution ${executionId} started on \`${workflow}\`@${version}, which this engine has not registered`
        : `Execution ${executionId} started on a different definition of \`${workflow}\`@${version} ` +
            `(hash ${expectedHash.slice(0, 12)}, registered ${registered.slice(0, 12)}): ` +
            "a changed definition needs a new version",
      false,
    );
    this.executionId = executionId;
    this.workflow = workflow;
    this.version = version;
    this.expectedHash = expectedHash;
    this.registeredHash = registered;
  }
}

/**
 * The journal could not record an execution: a value that is not JSON data (a step's
 * output, the input, metadata), an event past the size cap, or the store failing. The
 * execution's copy in this engine stops; what was journaled before stays, and the
 * execution can be resumed.
 *
 * @example
 * const result = await run.result.catch((e) => (e instanceof JournalError ? e.detail : e));
 */
export class JournalError extends WorkflowError {
  override readonly name = "JournalError";
  readonly executionId: string;

  constructor(executionId: string, why: string, cause?: unknown) {
    super(ErrorCode.JOURNAL_FAILED, `Execution ${executionId} could not be journaled: ${why}`, false, { cause });
    this.executionId = executionId;
  }
}

/**
 * A step produced a value that cannot be recorded: its execution is journaled (or the
 * value crosses to another thread or process), and JSON would change or refuse it (a
 * Date, a Map, a class instance, a function, NaN, a cycle). Not retryable: the same code
 * returns the same kind of value. The message names the step and the value's path.
 *
 * @example
 * if (result.error instanceof SerializationError) console.log(result.error.path); // "output.report.createdAt"
 */
export class SerializationError extends WorkflowError {
  override readonly name = "SerializationError";
  /** Where the value is: `output.report.createdAt`. */
  readonly path: string;
  /** What it is: `a Date`. */
  readonly found: string;

  /**
   * @param crossing where the value was going, when not to the journal: `executor "threads"`.
   */
  constructor(step: string, path: string, found: string, crossing?: string) {
    super(
      ErrorCode.NOT_SERIALIZABLE,
      (crossing === undefined
        ? `Step \`${step}\` returned a value that cannot be journaled: ${path} is ${found} (return plain JSON data: `
        : `Step \`${step}\` has a value that cannot cross to ${crossing}: ${path} is ${found} (give and return plain JSON data: `) +
        "strings, finite numbers, booleans, null, arrays and plain objects)",
      false,
      { step },
    );
    this.path = path;
    this.found = found;
  }
}

/**
 * The store could not be reached (its server restarted, the network dropped, the
 * connection pool is exhausted): nothing of the call is known to be written. Retryable:
 * the engine retries its journal writes with a backoff until the store answers, and the
 * execution waits meanwhile (it starts no step, resolves no result).
 *
 * @example
 * await store.get(id).catch((e) => e instanceof StoreUnavailableError && console.warn("database down:", e.cause));
 */
export class StoreUnavailableError extends WorkflowError {
  override readonly name = "StoreUnavailableError";

  constructor(why: string, cause?: unknown) {
    super(ErrorCode.STORE_UNAVAILABLE, `The store is unavailable: ${why}`, true, { cause });
  }
}

/**
 * An execution was dead-lettered: one of its steps had its engine die while it ran more
 * times in a row than the engine's `maxRecoveries` allows, so the execution is failed
 * instead of recovered once more: what kills its engine would kill the next one. Nothing more of it runs (no compensation either); its journal says how
 * far it got.
 *
 * @example
 * const { runs } = await engine.runs.list({ status: "failed" });
 * for (const r of runs) {
 *   const { result } = await engine.runs.get(r.executionId);
 *   if (result?.error instanceof RecoveryLimitError) console.log(r.executionId, result.error.recoveries);
 * }
 */
export class RecoveryLimitError extends WorkflowError {
  override readonly name = "RecoveryLimitError";
  readonly executionId: string;
  /** How many times in a row its engine died while that step ran. */
  readonly recoveries: number;

  constructor(executionId: string, step: string, recoveries: number, limit: number) {
    super(
      ErrorCode.RECOVERY_LIMIT,
      `Execution ${executionId} was dead-lettered: its engine died while step \`${step}\` ran, ${recoveries} times ` +
        `in a row (the limit is maxRecoveries = ${limit}); it is failed instead of recovered again`,
      false,
      { step },
    );
    this.executionId = executionId;
    this.recoveries = recoveries;
  }
}

/**
 * A step names an executor (`executor: "threads"`) that the engine was not given in its
 * `executors` option. Thrown by `start` before anything runs; an attempt resumed on an
 * engine without it fails with it (not retryable: the engine will not grow one).
 *
 * @example
 * createEngine({ workflows: [codeAnalysis], executors: { threads: threadExecutor({ modules: [moduleUrl] }) } });
 */
export class ExecutorNotFoundError extends WorkflowError {
  override readonly name = "ExecutorNotFoundError";
  /** The name the step gave. */
  readonly executor: string;

  constructor(step: string, executor: string, known: readonly string[]) {
    super(
      ErrorCode.EXECUTOR_NOT_FOUND,
      `Step \`${step}\` runs on executor "${executor}", which this engine does not have ` +
        `(${known.length === 0 ? "it has none: pass `executors` to createEngine" : `it has ${known.map((k) => `"${k}"`).join(", ")}`})`,
      false,
      { step },
    );
    this.executor = executor;
  }
}

/**
 * An executor lost an attempt without the step's code failing: its worker thread crashed
 * or ran out of memory, its worker process died, its queue refused the job. Retryable:
 * the next attempt runs on a healthy worker.
 *
 * @example
 * retry: { maxAttempts: 3, retryOn: (e) => e.code === ErrorCode.EXECUTOR_FAILED || e.code === ErrorCode.STEP_TIMEOUT }
 */
export class ExecutorError extends WorkflowError {
  override readonly name = "ExecutorError";
  /** The executor's name. */
  readonly executor: string;

  constructor(step: string, executor: string, why: string, cause?: unknown) {
    super(ErrorCode.EXECUTOR_FAILED, `Step \`${step}\` was lost by executor "${executor}": ${why}`, true, {
      step,
      cause,
    });
    this.executor = executor;
  }
}

/** `value instanceof asked`, or `value` is the same error class of another copy of the library. */
function isInstance(asked: object, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(asked, value)) return true;
  if (typeof value !== "object" || value === null || (value as Record<symbol, unknown>)[BRAND] !== true) return false;
  return asked === WorkflowError || classOfCode((value as { code?: unknown }).code) === asked;
}

/** The brand every WorkflowError carries (on its prototype), shared by every copy of the library. */
const BRAND = Symbol.for("@rubberduck/workflows/error");
Object.defineProperty(WorkflowError.prototype, BRAND, { value: true });

type ErrorClass = abstract new (...args: never[]) => WorkflowError;
let classes: ReadonlyMap<string, ErrorClass> | undefined;

/** The error class of a code (each code has one), for `instanceof` and for rebuilding errors. */
export function classOfCode(code: unknown): ErrorClass | undefined {
  classes ??= new Map<string, ErrorClass>([
    [ErrorCode.DEFINITION_INVALID, WorkflowDefinitionError],
    [ErrorCode.INPUT_INVALID, WorkflowInputError],
    [ErrorCode.VALIDATION_FAILED, ValidationError],
    [ErrorCode.STEP_FAILED, StepError],
    [ErrorCode.STEP_TIMEOUT, StepTimeoutError],
    [ErrorCode.STEP_OUTPUT_INVALID, StepOutputError],
    [ErrorCode.STEP_ABORTED, StepAbortedError],
    [ErrorCode.NON_RETRYABLE, NonRetryableError],
    [ErrorCode.RETRIES_EXHAUSTED, RetriesExhaustedError],
    [ErrorCode.COMPENSATION_FAILED, CompensationError],
    [ErrorCode.WORKFLOW_TIMEOUT, WorkflowTimeoutError],
    [ErrorCode.WORKFLOW_CANCELLED, WorkflowCancelledError],
    [ErrorCode.SUB_WORKFLOW_FAILED, SubWorkflowError],
    [ErrorCode.WORKFLOW_NOT_FOUND, WorkflowNotFoundError],
    [ErrorCode.VERSION_CONFLICT, WorkflowVersionConflictError],
    [ErrorCode.SNAPSHOT_NOT_RESTORABLE, SnapshotRestoreError],
    [ErrorCode.LEASE_LOST, LeaseLostError],
    [ErrorCode.EXECUTION_NOT_FOUND, ExecutionNotFoundError],
    [ErrorCode.DEFINITION_MISMATCH, DefinitionMismatchError],
    [ErrorCode.JOURNAL_FAILED, JournalError],
    [ErrorCode.NOT_SERIALIZABLE, SerializationError],
    [ErrorCode.STORE_UNAVAILABLE, StoreUnavailableError],
    [ErrorCode.RECOVERY_LIMIT, RecoveryLimitError],
    [ErrorCode.EXECUTOR_NOT_FOUND, ExecutorNotFoundError],
    [ErrorCode.EXECUTOR_FAILED, ExecutorError],
  ]);
  return typeof code === "string" ? classes.get(code) : undefined;
}

/**
 * True for every error this library produces.
 *
 * @example
 * const reason = isWorkflowError(error) ? `${error.code}: ${error.detail}` : String(error);
 */
export function isWorkflowError(value: unknown): value is WorkflowError {
  return value instanceof WorkflowError;
}

/** Normalise anything a step threw into a {@link WorkflowError} tagged with the step. */
export function toWorkflowError(thrown: unknown, step: string): WorkflowError {
  if (thrown instanceof WorkflowError) return thrown;
  return new StepError(step, thrown);
}

/**
 * What went wrong, without the subject a message starts with: `nope` for a step that
 * threw "nope" (not "Step `t` failed: nope"), `timed out after 100 ms` for a timeout.
 * For messages that state a fact once when errors wrap each other.
 */
export function reasonOf(error: WorkflowError): string {
  if (error instanceof StepError) return describe(error.cause);
  const subject = error.step === undefined ? undefined : `Step \`${error.step}\` `;
  return subject !== undefined && error.message.startsWith(subject)
    ? error.message.slice(subject.length)
    : error.message;
}

/** A short human description of any thrown value. */
export function describe(value: unknown): string {
  if (value instanceof Error) return value.message || value.name;
  if (typeof value === "string") return value;
  if (value === undefined) return "undefined was thrown";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
