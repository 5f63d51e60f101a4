/**
 * The step actor: one per step, spawned by the workflow actor when the step is
 * ready and stopped once it settles.
 *
 *   idle ─▶ running ─▶ succeeded
 *             │  ▲
 *             ▼  │ (backoff)
 *          deciding ─▶ retrying
 *             └──────▶ failed
 *   running ─ABORT→ (signal aborted, waits for the attempt to settle) ─▶ cancelled | succeeded
 *
 *   idle ─▶ compensating ─▶ compensated | compensation_failed   (spawned again for rollback)
 *
 * Each attempt is an invoked promise actor; its AbortSignal is aborted on timeout
 * (a delayed TIMEOUT event, cancelled when the attempt ends) or on ABORT. Every
 * attempt and retry is reported to the parent with `sendParent`; the settled outcome
 * is the actor's output, which reaches the parent as its `xstate.done.actor.*` event.
 */

import { assign, cancel, enqueueActions, fromPromise, not, sendParent, setup } from "xstate";
import type { StepErrorDecision } from "../src/dsl/options.js";
import type { StepContext, StepResults } from "../src/dsl/step.js";
import {
  CompensationError,
  RetriesExhaustedError,
  StepAbortedError,
  StepTimeoutError,
  type WorkflowError,
} from "../src/errors.js";
import type { PlannedStep } from "../src/planner/types.js";
import { backoffDelay, shouldRetry } from "../src/policy/retry.js";
import type { AbortStepEvent, SettledReport, StepReport } from "./protocol.js";
import { runAttempt, runCompensation } from "./step-work.js";

/** What the workflow actor knows about the execution, shared by all its step actors. */
export interface ExecutionScope {
  readonly executionId: string;
  readonly workflow: string;
  readonly version: string;
  readonly workflowInput: Readonly<Record<string, unknown>>;
  readonly results: StepResults;
  readonly random: () => number;
}

export interface StepActorInput {
  readonly mode: "run" | "compensate";
  readonly step: PlannedStep;
  /** The step's resolved, frozen input. */
  readonly input: Readonly<Record<string, unknown>>;
  readonly scope: ExecutionScope;
  /** Compensation only: what the step returned (`undefined` if it failed). */
  readonly output?: Readonly<Record<string, unknown>> | undefined;
  /** Compensation only: the error the workflow is rolling back for. */
  readonly cause?: WorkflowError;
}

interface Verdict {
  readonly retry: boolean;
  readonly error: WorkflowError;
  readonly decision: Exclude<StepErrorDecision, "retry"> | undefined;
  readonly delay: number;
}

export interface StepActorContext extends StepActorInput {
  readonly attempt: number;
  readonly errors: readonly WorkflowError[];
  readonly controller: AbortController;
  readonly abortReason: string | undefined;
  readonly verdict: Verdict | undefined;
  readonly output: Readonly<Record<string, unknown>> | undefined;
}

type TimeoutEvent = { type: "TIMEOUT"; attempt: number };
type StepActorEvent = AbortStepEvent | TimeoutEvent;

const TIMEOUT_ID = "attempt-timeout";

export const stepMachine = setup({
  types: {
    input: {} as StepActorInput,
    context: {} as StepActorContext,
    output: {} as SettledReport,
    events: {} as StepActorEvent,
  },
  actors: {
    attempt: fromPromise(({ input }: { input: Parameters<typeof runAttempt>[0] }) => runAttempt(input)),
    compensation: fromPromise(({ input }: { input: Parameters<typeof runCompensation>[0] }) => runCompensation(input)),
  },
  delays: {
    backoff: ({ context }) => context.verdict?.delay ?? 0,
  },
  guards: {
    isCompensation: ({ context }) => context.mode === "compensate",
    aborting: ({ context }) => context.abortReason !== undefined,
    willRetry: ({ context }) => context.verdict?.retry === true,
    currentTimeout: ({ context, event }) => (event as TimeoutEvent).attempt === context.attempt,
  },
  actions: {
    beginAttempt: assign(({ context }) => ({ attempt: context.attempt + 1, controller: new AbortController() })),
    scheduleTimeout: enqueueActions(({ context, enqueue }) => {
      const timeout = context.step.timeout;
      if (timeout !== undefined) {
        enqueue.raise({ type: "TIMEOUT", attempt: context.attempt }, { delay: timeout, id: TIMEOUT_ID });
      }
    }),
    cancelTimeout: cancel(TIMEOUT_ID),
    /** Abort the attempt's signal when it ends without settling (timeout). */
    abortUnsettled: ({ context, event }) => {
      if (!event.type.startsWith("xstate.done.actor") && !event.type.startsWith("xstate.error.actor")) {
        const reason =
          event.type === "TIMEOUT" ? new StepTimeoutError(context.step.name, context.step.timeout ?? 0) : undefined;
        context.controller.abort(reason);
      }
    },
    abortAttempt: assign(({ context, event }) => {
      const reason = (event as AbortStepEvent).reason;
      context.controller.abort(new StepAbortedError(context.step.name, reason));
      return { abortReason: reason };
    }),
    judgeFailure: assign(({ context, event }) => {
      const error = failureOf(context, event);
      const errors = [...context.errors, error];
      return { errors, verdict: judge({ ...context, errors }, error) };
    }),
    judgeCompensationFailure: assign(({ context, event }) => {
      const error = failureOf(context, event);
      const retry = safeShouldRetry(context, error, false);
      const delay = retry ? backoffDelay(context.step.retry, context.attempt, context.scope.random) : 0;
      return {
        errors: [...context.errors, error],
        verdict: { retry, error: new CompensationError(context.step.name, error), decision: undefined, delay },
      };
    }),
    reportStarted: sendParent(
      ({ context }): StepReport => ({ type: "STEP.STARTED", index: context.step.index, attempt: context.attempt }),
    ),
    reportRetrying: sendParent(
      ({ context }): StepReport => ({
        type: "STEP.RETRYING",
        index: context.step.index,
        attempt: context.attempt,
        delayMs: context.verdict!.delay,
        error: context.verdict!.error,
      }),
    ),
    reportCompensating: sendParent(
      ({ context }): StepReport => ({ type: "STEP.COMPENSATING", index: context.step.index, attempt: context.attempt }),
    ),
  },
}).createMachine({
  id: "step",
  context: ({ input }) => ({
    ...input,
    attempt: 0,
    errors: [],
    controller: new AbortController(),
    abortReason: undefined,
    verdict: undefined,
    output: input.output,
  }),
  initial: "idle",
  states: {
    idle: {
      always: [{ guard: "isCompensation", target: "compensating" }, { target: "running" }],
    },
    running: {
      entry: ["beginAttempt", "reportStarted", "scheduleTimeout"],
      exit: ["cancelTimeout", "abortUnsettled"],
      invoke: {
        src: "attempt",
        input: ({ context }) => ({ step: context.step, input: context.input, ctx: stepContext(context) }),
        onDone: { target: "succeeded", actions: assign({ output: ({ event }) => event.output }) },
        onError: [
          { guard: "aborting", target: "cancelled" },
          { target: "deciding", actions: "judgeFailure" },
        ],
      },
      on: {
        TIMEOUT: [
          { guard: not("currentTimeout") },
          { guard: "aborting", target: "cancelled" },
          { target: "deciding", actions: "judgeFailure" },
        ],
        ABORT: { actions: "abortAttempt" },
      },
    },
    deciding: {
      always: [{ guard: "willRetry", target: "retrying" }, { target: "failed" }],
    },
    retrying: {
      entry: "reportRetrying",
      after: { backoff: "running" },
      on: { ABORT: { target: "cancelled", actions: assign({ abortReason: ({ event }) => event.reason }) } },
    },
    succeeded: {
      type: "final",
      output: ({ context }): SettledReport => ({
        type: "STEP.SUCCEEDED",
        index: context.step.index,
        attempt: context.attempt,
        output: context.output!,
      }),
    },
    failed: {
      type: "final",
      output: ({ context }): SettledReport => ({
        type: "STEP.FAILED",
        index: context.step.index,
        attempt: context.attempt,
        error: context.verdict!.error,
        decision: context.verdict!.decision,
      }),
    },
    cancelled: {
      type: "final",
      output: ({ context }): SettledReport => ({
        type: "STEP.CANCELLED",
        index: context.step.index,
        attempt: context.attempt,
        error: new StepAbortedError(context.step.name, context.abortReason ?? "aborted"),
      }),
    },
    compensating: {
      initial: "attempting",
      states: {
        attempting: {
          entry: ["beginAttempt", "reportCompensating", "scheduleTimeout"],
          exit: ["cancelTimeout", "abortUnsettled"],
          invoke: {
            src: "compensation",
            input: ({ context }) => ({ step: context.step, ctx: compensationContext(context), cause: context.cause! }),
            onDone: { target: "#step.compensated" },
            onError: { target: "judging", actions: "judgeCompensationFailure" },
          },
          on: { TIMEOUT: { guard: "currentTimeout", target: "judging", actions: "judgeCompensationFailure" } },
        },
        judging: {
          always: [{ guard: "willRetry", target: "backoff" }, { target: "#step.compensation_failed" }],
        },
        backoff: { after: { backoff: "attempting" } },
      },
    },
    compensated: {
      type: "final",
      output: ({ context }): SettledReport => ({
        type: "STEP.COMPENSATED",
        index: context.step.index,
        attempt: context.attempt,
      }),
    },
    compensation_failed: {
      type: "final",
      output: ({ context }): SettledReport => ({
        type: "STEP.COMPENSATION_FAILED",
        index: context.step.index,
        attempt: context.attempt,
        error: context.verdict!.error,
      }),
    },
  },
  // The final state's report becomes the actor's output, delivered to the parent in
  // its `xstate.done.actor.*` event.
  output: ({ event }) => (event as unknown as { output: SettledReport }).output,
});

function failureOf(context: StepActorContext, event: { type: string; error?: unknown }): WorkflowError {
  if (event.type === "TIMEOUT") return new StepTimeoutError(context.step.name, context.step.timeout ?? 0);
  return event.error as WorkflowError;
}

/** Retry, or fail with which error and which policy override. Calls user code defensively. */
function judge(context: StepActorContext, error: WorkflowError): Verdict {
  const { step } = context;
  let decision: StepErrorDecision | undefined;
  if (step.definition.onError !== undefined) {
    try {
      decision = step.definition.onError(error, stepContext(context)) ?? undefined;
    } catch {
      decision = undefined;
    }
  }
  if (decision !== undefined && decision !== "retry") {
    return { retry: false, error: finalError(context, error), decision, delay: 0 };
  }
  const retry = safeShouldRetry(context, error, decision === "retry");
  const delay = retry ? backoffDelay(step.retry, context.attempt, context.scope.random) : 0;
  return { retry, error: retry ? error : finalError(context, error), decision: undefined, delay };
}

function safeShouldRetry(context: StepActorContext, error: WorkflowError, forced: boolean): boolean {
  try {
    return shouldRetry(context.step.retry, error, context.attempt, forced);
  } catch {
    return false;
  }
}

/** A step that used up a retry budget of more than one attempt fails with every attempt's error. */
function finalError(context: StepActorContext, error: WorkflowError): WorkflowError {
  const { maxAttempts } = context.step.retry;
  if (maxAttempts > 1 && context.attempt >= maxAttempts && error.retryable) {
    return new RetriesExhaustedError(context.step.name, [...context.errors]);
  }
  return error;
}

function stepContext(context: StepActorContext): StepContext {
  const { scope } = context;
  return {
    executionId: scope.executionId,
    workflow: scope.workflow,
    version: scope.version,
    step: context.step.name,
    attempt: context.attempt,
    signal: context.controller.signal,
    workflowInput: scope.workflowInput,
    results: scope.results,
  };
}

function compensationContext(context: StepActorContext) {
  return { ...stepContext(context), input: context.input, output: context.output };
}
