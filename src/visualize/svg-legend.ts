/**
 * The SVG's legend: a swatch for each status shown, then what each kind of marker
 * and the dashed edge mean — only for what the diagram actually contains. Entries
 * flow left to right and wrap at the diagram's width.
 */

import type { StepStatus } from "../result.js";
import { escapeXml } from "./escape.js";
import type { WorkflowGraph } from "./graph-model.js";
import { STATUS_STYLES, STEP_STATUSES } from "./status-style.js";
import { clockSvg } from "./svg-markers.js";
import { num } from "./svg-number.js";
import { textWidth } from "./text-metrics.js";

const SIZE = 11;
const LINE = 20;
const SWATCH = 12;
const ICON_GAP = 6;
const GAP = 18;
const COLOUR = "#475569";
/** A legend never asks for more width than this on its own; it wraps instead. */
const MAX_OWN_WIDTH = 480;

/** A legend entry: what it shows before its text, and its width. */
export interface LegendItem {
  readonly text: string;
  readonly icon: { readonly status: StepStatus } | "clock" | "dash" | undefined;
  readonly width: number;
}

/** Legend entries in rows, and the height they take. */
export interface Legend {
  readonly rows: readonly (readonly LegendItem[])[];
  readonly height: number;
}

/**
 * The legend entries a graph needs: statuses shown, marker kinds used, dashed edges.
 *
 * @example
 * legendItems(workflowGraph(codeAnalysis)).map((i) => i.text); // ["↻ retries", "timeout per attempt", "↶ compensation"]
 */
export function legendItems(graph: WorkflowGraph): LegendItem[] {
  const items: LegendItem[] = [];
  const item = (text: string, icon: LegendItem["icon"]) =>
    items.push({ text, icon, width: (icon === undefined ? 0 : iconWidth(icon) + ICON_GAP) + textWidth(text, SIZE) });
  const shown = new Set(graph.nodes.map((n) => n.status));
  for (const status of STEP_STATUSES) if (shown.has(status)) item(status, { status });
  const markers = graph.nodes.flatMap((n) => n.markers);
  if (markers.some((m) => m.startsWith("↻"))) item("↻ retries", undefined);
  if (markers.some((m) => m.startsWith("⏱"))) item("timeout per attempt", "clock");
  if (markers.includes("↶")) item("↶ compensation", undefined);
  if (graph.edges.some((e) => e.kind === "order")) item("dependsOn only", "dash");
  return items;
}

/**
 * The width a legend would like: all entries on one line, up to a cap.
 *
 * @example
 * const width = Math.max(graphWidth, legendWidth(items));
 */
export function legendWidth(items: readonly LegendItem[]): number {
  return Math.min(
    MAX_OWN_WIDTH,
    items.reduce((sum, item) => sum + item.width + GAP, -GAP),
  );
}

/**
 * Flow entries into rows no wider than `width`.
 *
 * @example
 * const { rows, height } = layoutLegend(legendItems(graph), 600);
 */
export function layoutLegend(items: readonly LegendItem[], width: number): Legend {
  const rows: LegendItem[][] = [];
  let row: LegendItem[] = [];
  let used = 0;
  for (const item of items) {
    if (row.length > 0 && used + item.width > width) {
      rows.push(row);
      row = [];
      used = 0;
    }
    row.push(item);
    used += item.width + GAP;
  }
  if (row.length > 0) rows.push(row);
  return { rows, height: rows.length * LINE };
}

/**
 * Draw a legend with its top-left corner at (`x`, `y`).
 *
 * @example
 * out.push(legendSvg(layoutLegend(items, width), 20, height - 40));
 */
export function legendSvg(legend: Legend, x: number, y: number): string {
  if (legend.rows.length === 0) return "";
  const out = [`<g class="legend" font-size="${SIZE}" fill="${COLOUR}">`];
  legend.rows.forEach((row, r) => {
    let left = x;
    const baseline = y + r * LINE + SIZE;
    const middle = baseline - SIZE * 0.36;
    for (const item of row) {
      let textX = left;
      if (item.icon !== undefined) {
        out.push(iconSvg(item.icon, left, middle));
        textX += iconWidth(item.icon) + ICON_GAP;
      }
      out.push(`<text x="${num(textX)}" y="${num(baseline)}">${escapeXml(item.text)}</text>`);
      left += item.width + GAP;
    }
  });
  out.push("</g>");
  return out.join("\n");
}

function iconWidth(icon: NonNullable<LegendItem["icon"]>): number {
  return icon === "dash" ? 22 : icon === "clock" ? SIZE : SWATCH;
}

function iconSvg(icon: NonNullable<LegendItem["icon"]>, left: number, middle: number): string {
  if (icon === "clock") return clockSvg(left + SIZE / 2, middle, SIZE, COLOUR);
  if (icon === "dash") {
    return `<path d="M${num(left)} ${num(middle)} H${num(left + 22)}" stroke="#64748b" stroke-width="1.4" stroke-dasharray="5 4"/>`;
  }
  const style = STATUS_STYLES[icon.status];
  return `<rect x="${num(left)}" y="${num(middle - SWATCH / 2)}" width="${SWATCH}" height="${SWATCH}" rx="3" fill="${style.fill}" stroke="${style.stroke}"/>`;
}
