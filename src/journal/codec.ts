/**
 * Events as journal rows and back. A row's `data` holds what rebuilding the run needs:
 * the public fields of its WorkflowEvent (errors serialised), the fields subscribers
 * are not shown (an `onError` decision, a cache key), and a forwarded sub-workflow
 * event's path. Decoding rebuilds errors into their classes.
 */

import { deserializeError, type SerializedError, serializeError } from "../error-codec.js";
import type { WorkflowError } from "../errors.js";
import type { WorkflowEvent, WorkflowEventType } from "../events.js";
import type { RunEvent, TimedRunEvent } from "../policy/run-event.js";
import type { JournalEvent } from "../store/execution-store.js";

/** The `data` of a journal row. Absent fields are left out. */
interface EventData {
  step?: string;
  attempt?: number;
  error?: SerializedError;
  delayMs?: number;
  durationMs?: number;
  status?: string;
  reason?: string;
  metadata?: Record<string, unknown>;
  input?: unknown;
  output?: Record<string, unknown>;
  decision?: string;
  cacheKey?: string;
  retryAt?: number;
  path?: string[];
}

/** The journal row of an event (`fields`: what it was built from). */
export function encodeEvent(event: WorkflowEvent, fields: RunEvent): JournalEvent {
  const data: EventData = {};
  if (event.step !== undefined) data.step = event.step;
  if (event.attempt !== undefined) data.attempt = event.attempt;
  if (event.error !== undefined) data.error = serializeError(event.error);
  if (event.delayMs !== undefined) data.delayMs = event.delayMs;
  if (event.durationMs !== undefined) data.durationMs = event.durationMs;
  if (event.status !== undefined) data.status = event.status;
  if (event.reason !== undefined) data.reason = event.reason;
  if (event.metadata !== undefined) data.metadata = event.metadata as Record<string, unknown>;
  if (event.input !== undefined) data.input = event.input;
  if (event.output !== undefined) data.output = event.output as Record<string, unknown>;
  if (fields.decision !== undefined) data.decision = fields.decision;
  if (fields.cacheKey !== undefined) data.cacheKey = fields.cacheKey;
  if (fields.retryAt !== undefined) data.retryAt = fields.retryAt;
  if (event.path !== undefined) data.path = [...event.path];
  return { seq: event.seq, type: event.type, at: event.timestamp, data };
}

/** A journal row as the fold applies it. */
export function decodeEvent(row: JournalEvent): TimedRunEvent {
  const data = (row.data ?? {}) as EventData;
  return {
    type: row.type as WorkflowEventType,
    at: row.at,
    step: data.step,
    attempt: data.attempt,
    error: data.error === undefined ? undefined : (deserializeError(data.error) as WorkflowError),
    delayMs: data.delayMs,
    durationMs: data.durationMs,
    status: data.status as RunEvent["status"],
    reason: data.reason,
    metadata: data.metadata,
    input: data.input,
    output: data.output,
    decision: data.decision as RunEvent["decision"],
    cacheKey: data.cacheKey,
    retryAt: data.retryAt,
    path: data.path,
  };
}

/** A journal row as subscribers see events. */
export function toWorkflowEvent(
  row: JournalEvent,
  run: { readonly executionId: string; readonly workflow: string; readonly version: string },
): WorkflowEvent {
  const e = decodeEvent(row);
  return {
    type: e.type,
    executionId: run.executionId,
    workflow: run.workflow,
    version: run.version,
    seq: row.seq,
    timestamp: row.at,
    step: e.step,
    attempt: e.attempt,
    error: e.error,
    delayMs: e.delayMs,
    durationMs: e.durationMs,
    status: e.status,
    reason: e.reason,
    metadata: e.metadata,
    input: e.input,
    output: e.output,
    path: e.path,
  };
}
