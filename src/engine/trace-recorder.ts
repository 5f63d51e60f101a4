/**
 * Records the debug trace of one execution: its events, and every state its actors
 * reach, taken from XState's inspection stream (the same one the Stately inspector
 * reads), in the order they happen.
 */

import type { AnyActorRef, InspectionEvent } from "xstate";
import { serializeError } from "../error-codec.js";
import type { WorkflowEvent } from "../events.js";
import type { TraceEntry, TraceEvent } from "../telemetry/trace.js";

export interface TraceRecorder {
  readonly entries: TraceEntry[];
  onEvent(event: WorkflowEvent): void;
  inspect(event: InspectionEvent): void;
}

export function traceRecorder(now: () => number): TraceRecorder {
  const entries: TraceEntry[] = [];
  const lastState = new Map<string, string>();
  return {
    entries,
    onEvent(event) {
      entries.push({ kind: "event", at: now(), event: traceEvent(event) });
    },
    inspect(inspection) {
      if (inspection.type !== "@xstate.snapshot") return;
      const snapshot = inspection.snapshot as { value?: unknown; context?: unknown };
      if (snapshot.value === undefined) return;
      const actor = inspection.actorRef as AnyActorRef;
      const state = typeof snapshot.value === "string" ? snapshot.value : JSON.stringify(snapshot.value);
      const key = actor.sessionId;
      if (lastState.get(key) === state) return;
      lastState.set(key, state);
      const context = snapshot.context as { step?: unknown; attempt?: unknown } | undefined;
      entries.push({
        kind: "state",
        at: now(),
        actor: actor.id,
        parent: actor._parent?.id,
        state,
        step: typeof context?.step === "string" ? context.step : undefined,
        attempt: typeof context?.attempt === "number" ? context.attempt : undefined,
      });
    },
  };
}

/** A WorkflowEvent as plain JSON. */
export function traceEvent(event: WorkflowEvent): TraceEvent {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (value !== undefined) out[key] = key === "error" ? serializeError(value) : value;
  }
  return out as unknown as TraceEvent;
}
