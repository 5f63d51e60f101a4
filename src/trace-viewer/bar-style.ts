/**
 * How each timeline bar looks, by kind and outcome, and what the legend calls it.
 * Attempts are solid (green done, amber retried, red failed, grey cancelled, blue
 * still running), retry waits hatched amber with a dashed border, compensations
 * violet — the hues of the DAG's step statuses (status-style.ts), deeper so a thin
 * bar still reads.
 */

import type { BarKind, BarOutcome, TimelineBar } from "./timeline.js";

/** The look of a bar. */
export interface BarStyle {
  /** A colour, or `hatch` for the retry-wait pattern. */
  readonly fill: string;
  readonly stroke: string;
  /** Colour of text drawn on the bar. */
  readonly text: string;
  readonly dashed: boolean;
  /** The legend's words for it. */
  readonly legend: string;
}

/**
 * Id of the hatch pattern retry waits are filled with (defined once per page).
 *
 * @example
 * const fill = `url(#${HATCH_ID})`;
 */
export const HATCH_ID = "rd-trace-hatch";

const WAIT: BarStyle = {
  fill: "hatch",
  stroke: "#d97706",
  text: "#78350f",
  dashed: true,
  legend: "retry wait (backoff)",
};

const STYLES: Readonly<Record<BarKind, Partial<Record<BarOutcome, BarStyle>>>> = {
  attempt: {
    succeeded: { fill: "#22c55e", stroke: "#15803d", text: "#052e16", dashed: false, legend: "attempt succeeded" },
    cached: { fill: "#bbf7d0", stroke: "#15803d", text: "#14532d", dashed: false, legend: "cache hit" },
    retried: { fill: "#f59e0b", stroke: "#b45309", text: "#451a03", dashed: false, legend: "attempt failed, retried" },
    failed: { fill: "#ef4444", stroke: "#b91c1c", text: "#ffffff", dashed: false, legend: "attempt failed" },
    cancelled: { fill: "#9ca3af", stroke: "#4b5563", text: "#111827", dashed: false, legend: "attempt cancelled" },
    unfinished: {
      fill: "#60a5fa",
      stroke: "#1d4ed8",
      text: "#172554",
      dashed: true,
      legend: "running when the trace ends",
    },
  },
  "retry-wait": { waited: WAIT },
  compensation: {
    compensated: { fill: "#a855f7", stroke: "#6b21a8", text: "#ffffff", dashed: false, legend: "compensation" },
    retried: {
      fill: "#d8b4fe",
      stroke: "#7e22ce",
      text: "#3b0764",
      dashed: false,
      legend: "compensation failed, retried",
    },
    failed: { fill: "#db2777", stroke: "#9d174d", text: "#ffffff", dashed: false, legend: "compensation failed" },
    unfinished: {
      fill: "#e9d5ff",
      stroke: "#7e22ce",
      text: "#3b0764",
      dashed: true,
      legend: "compensating when the trace ends",
    },
  },
};

/**
 * The style of a bar. A retry wait always looks like one, whatever ended it; an
 * outcome a kind cannot have falls back to the kind's first style.
 *
 * @example
 * barStyle({ kind: "attempt", outcome: "failed" }).fill; // "#ef4444"
 */
export function barStyle(bar: Pick<TimelineBar, "kind" | "outcome">): BarStyle {
  if (bar.kind === "retry-wait") return WAIT;
  const styles = STYLES[bar.kind];
  return styles[bar.outcome] ?? Object.values(styles)[0]!;
}

/**
 * The distinct styles the given bars use, in legend order (attempts, waits,
 * compensations), each once.
 *
 * @example
 * legendStyles(timeline.rows.flatMap((r) => r.bars)).map((s) => s.legend);
 */
export function legendStyles(bars: Iterable<Pick<TimelineBar, "kind" | "outcome">>): BarStyle[] {
  const used = new Set<BarStyle>();
  for (const bar of bars) used.add(barStyle(bar));
  const order = [...Object.values(STYLES.attempt), WAIT, ...Object.values(STYLES.compensation)];
  return order.filter((style): style is BarStyle => style !== undefined && used.has(style));
}

/**
 * Words for a bar's outcome, as the tooltip says them.
 *
 * @example
 * outcomeText({ kind: "attempt", outcome: "retried" }); // "failed, retried"
 */
export function outcomeText(bar: Pick<TimelineBar, "kind" | "outcome">): string {
  switch (bar.outcome) {
    case "cached":
      return "succeeded (cache hit)";
    case "retried":
      return "failed, retried";
    case "waited":
      return "waited, then retried";
    case "unfinished":
      return bar.kind === "retry-wait" ? "still waiting when the trace ends" : "still running when the trace ends";
    default:
      return bar.outcome;
  }
}
