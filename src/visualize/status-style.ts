/**
 * How each step status looks, shared by the Mermaid, DOT and SVG renderers so a run
 * reads the same in all three: green succeeded, red failed, amber retrying, violet
 * compensation, grey for what never ran.
 */

import type { StepStatus } from "../result.js";

/** Colours of a node in one status. */
export interface StatusStyle {
  readonly fill: string;
  readonly stroke: string;
  /** Colour of the node's text. */
  readonly text: string;
  /** Drawn with a dashed border (steps that did not run to an outcome of their own). */
  readonly dashed: boolean;
}

/**
 * Every step status in the order legends list them.
 *
 * @example
 * STEP_STATUSES.includes("compensated"); // true
 */
export const STEP_STATUSES: readonly StepStatus[] = Object.freeze([
  "pending",
  "running",
  "retrying",
  "succeeded",
  "failed",
  "degraded",
  "skipped",
  "cancelled",
  "compensating",
  "compensated",
  "kept",
  "compensation_failed",
]);

/**
 * The colours of each status.
 *
 * @example
 * STATUS_STYLES.failed.fill; // "#fee2e2"
 */
export const STATUS_STYLES: Readonly<Record<StepStatus, StatusStyle>> = Object.freeze({
  pending: { fill: "#f8fafc", stroke: "#94a3b8", text: "#475569", dashed: true },
  running: { fill: "#dbeafe", stroke: "#2563eb", text: "#1e3a8a", dashed: false },
  retrying: { fill: "#fef3c7", stroke: "#d97706", text: "#78350f", dashed: false },
  succeeded: { fill: "#dcfce7", stroke: "#16a34a", text: "#14532d", dashed: false },
  failed: { fill: "#fee2e2", stroke: "#dc2626", text: "#7f1d1d", dashed: false },
  degraded: { fill: "#ffedd5", stroke: "#ea580c", text: "#7c2d12", dashed: true },
  skipped: { fill: "#f1f5f9", stroke: "#94a3b8", text: "#64748b", dashed: true },
  cancelled: { fill: "#e5e7eb", stroke: "#6b7280", text: "#374151", dashed: true },
  compensating: { fill: "#ede9fe", stroke: "#7c3aed", text: "#4c1d95", dashed: false },
  compensated: { fill: "#f3e8ff", stroke: "#9333ea", text: "#581c87", dashed: false },
  kept: { fill: "#f3e8ff", stroke: "#9333ea", text: "#581c87", dashed: true },
  compensation_failed: { fill: "#fce7f3", stroke: "#be185d", text: "#831843", dashed: false },
});

/** Colours of a step with no status given. */
export const DEFAULT_STEP_STYLE: StatusStyle = Object.freeze({
  fill: "#ffffff",
  stroke: "#475569",
  text: "#0f172a",
  dashed: false,
});

/**
 * Whether a value is one of the step statuses (status maps may come from JSON).
 *
 * @example
 * isStepStatus("succeeded"); // true
 * isStepStatus("done"); // false
 */
export function isStepStatus(value: unknown): value is StepStatus {
  return typeof value === "string" && Object.hasOwn(STATUS_STYLES, value);
}
