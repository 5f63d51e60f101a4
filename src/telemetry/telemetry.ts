/**
 * The telemetry adapter interface: a consumer of every event, and optionally a wrapper
 * around each piece of step code (to run it inside a tracing context, so spans the step
 * creates nest under its attempt's span). `createEngine({ telemetry })`.
 */

import type { WorkflowEvent } from "../events.js";

/**
 * Which piece of step code is about to run.
 *
 * @example
 * const storage = new AsyncLocalStorage<AttemptInfo>(); // from node:async_hooks
 * const telemetry: Telemetry = { onEvent: () => {}, instrument: (info, run) => storage.run(info, run) };
 */
export interface AttemptInfo {
  readonly executionId: string;
  readonly workflow: string;
  readonly step: string;
  readonly attempt: number;
  readonly kind: "run" | "compensate";
  /** For a sub-workflow's step: the outer steps that ran it, outermost first. */
  readonly path: readonly string[] | undefined;
}

/** Runs a piece of step code inside a context (a telemetry backend's `instrument`). */
export type Instrument = <T>(attempt: AttemptInfo, run: () => T) => T;

/**
 * A telemetry backend. Both methods are called synchronously on the hot path: keep them cheap.
 *
 * @example
 * const logger: Telemetry = { onEvent: (e) => log.info({ type: e.type, step: e.step, ms: e.durationMs }) };
 * createEngine({ telemetry: logger });
 */
export interface Telemetry {
  onEvent(event: WorkflowEvent): void;
  instrument?<T>(attempt: AttemptInfo, run: () => T): T;
}
