/**
 * A workflow as a self-contained SVG, drawn without a browser: dagre places the
 * nodes and routes the edges (layout.ts); this file writes the markup. Everything
 * is styled with presentation attributes (no CSS, no external fonts, images or
 * scripts) so the file renders the same in browsers, librsvg, Inkscape and GitHub.
 *
 * Layers, back to front: background, title, depth-group bands, edges, edge labels,
 * nodes, legend. Each step is a `<g class="node step" data-step="…">` holding a
 * `<title>` tooltip, each edge a `<path class="edge" data-from="…" data-to="…">`.
 */

import type { AnyWorkflow } from "../dsl/workflow.js";
import { escapeXml } from "./escape.js";
import { type GraphNode, type WorkflowGraph, workflowGraph } from "./graph-model.js";
import { FONT_SIZES, type GraphLayout, layoutGraph, type PlacedEdge, type PlacedNode, type Point } from "./layout.js";
import type { DiagramOptions } from "./options.js";
import { DEFAULT_STEP_STYLE, STATUS_STYLES } from "./status-style.js";
import { layoutLegend, legendItems, legendSvg, legendWidth } from "./svg-legend.js";
import { markersSvg } from "./svg-markers.js";
import { num } from "./svg-number.js";
import { textWidth } from "./text-metrics.js";

/**
 * Options of `toSvg`.
 *
 * @example
 * toSvg(codeAnalysis, { idPrefix: "analysis-", legend: false, background: false, direction: "LR" });
 */
export interface SvgOptions extends DiagramOptions {
  /**
   * Prefix of the ids inside the SVG (arrowheads, title), so several diagrams can
   * share one HTML page.
   * @default "rd-" + the workflow name, sanitised
   */
  readonly idPrefix?: string | undefined;
  /**
   * A legend of the statuses, markers and edge styles shown.
   * @default true
   */
  readonly legend?: boolean | undefined;
  /**
   * Background colour, or `false` for a transparent one.
   * @default "#ffffff"
   */
  readonly background?: string | false | undefined;
}

const FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";
const MARGIN = 20;
const TITLE = { size: 16, line: 24 } as const;
const DESCRIPTION = { size: 12, line: 18 } as const;
const LEGEND_GAP = 14;
const EDGE_COLOUR = "#64748b";
const INPUT_COLOUR = "#94a3b8";
const BAND_FILLS = ["#f8fafc", "#f1f5f9"] as const;

/**
 * Draw a workflow's step graph as a standalone SVG document (a string): steps as
 * rounded boxes with their markers, data edges labelled, depth groups as bands,
 * and with `status`, steps coloured by status. Synchronous; no browser needed.
 *
 * @example
 * import { writeFileSync } from "node:fs";
 * writeFileSync("code-analysis.svg", toSvg(codeAnalysis));
 * @example
 * const result = await engine.execute(codeAnalysis, input);
 * writeFileSync("run.svg", toSvg(codeAnalysis, { status: result.steps, direction: "LR" }));
 */
export function toSvg(wf: AnyWorkflow, options: SvgOptions = {}): string {
  const graph = workflowGraph(wf, options);
  const placed = layoutGraph(graph, options.direction ?? "TB");
  const prefix = options.idPrefix ?? `rd-${graph.workflow.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const ids = { title: `${prefix}-title`, arrow: `${prefix}-arrow`, inputArrow: `${prefix}-arrow-input` };

  const header = heading(graph);
  const items = options.legend === false ? [] : legendItems(graph);
  const contentWidth = Math.max(placed.width, header.width, legendWidth(items));
  const legend = layoutLegend(items, contentWidth);
  const top = MARGIN + header.height;
  const legendTop = top + placed.height + LEGEND_GAP;
  const width = Math.ceil(contentWidth + 2 * MARGIN);
  const height = Math.ceil((legend.height > 0 ? legendTop + legend.height : top + placed.height) + MARGIN);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${escapeXml(FONT_FAMILY)}" role="img" aria-labelledby="${escapeXml(ids.title)}">`,
    `<title id="${escapeXml(ids.title)}">${escapeXml(graph.title ?? `${graph.workflow} v${graph.version}`)}</title>`,
  ];
  if (graph.description !== undefined) out.push(`<desc>${escapeXml(graph.description)}</desc>`);
  out.push("<defs>", arrowMarker(ids.arrow, EDGE_COLOUR), arrowMarker(ids.inputArrow, INPUT_COLOUR), "</defs>");
  if (options.background !== false) {
    out.push(`<rect width="100%" height="100%" fill="${escapeXml(options.background ?? "#ffffff")}"/>`);
  }
  out.push(...header.lines);

  out.push(`<g class="graph" transform="translate(${MARGIN} ${num(top)})">`);
  drawBands(out, placed);
  const names = new Map(graph.nodes.map((n) => [n.id, n.kind === "input" ? "input" : n.name]));
  out.push('<g class="edges" fill="none">');
  for (const e of placed.edges) out.push(edgeSvg(e, ids, names));
  out.push("</g>", '<g class="edge-labels">');
  for (const e of placed.edges) if (e.label !== undefined) out.push(edgeLabelSvg(e.label));
  out.push("</g>", '<g class="nodes">');
  for (const n of placed.nodes) out.push(nodeSvg(n));
  out.push("</g>", "</g>");
  if (legend.height > 0) out.push(legendSvg(legend, MARGIN, legendTop));
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

/** The title and, under it, the workflow's description (both omitted with `title: false`). */
function heading(graph: WorkflowGraph): { lines: string[]; width: number; height: number } {
  if (graph.title === undefined) return { lines: [], width: 0, height: 0 };
  let y = MARGIN + TITLE.size;
  const lines = [
    `<text class="title" x="${MARGIN}" y="${y}" font-size="${TITLE.size}" font-weight="bold" fill="#0f172a">${escapeXml(graph.title)}</text>`,
  ];
  let width = textWidth(graph.title, TITLE.size, true);
  y += TITLE.line - TITLE.size;
  if (graph.description !== undefined) {
    y += DESCRIPTION.size;
    lines.push(
      `<text class="description" x="${MARGIN}" y="${y}" font-size="${DESCRIPTION.size}" fill="#475569">${escapeXml(graph.description)}</text>`,
    );
    width = Math.max(width, textWidth(graph.description, DESCRIPTION.size));
    y += DESCRIPTION.line - DESCRIPTION.size;
  }
  return { lines, width, height: y - MARGIN + 10 };
}

function arrowMarker(id: string, colour: string): string {
  return `<marker id="${escapeXml(id)}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,1 L9,5 L0,9 z" fill="${colour}"/></marker>`;
}

function drawBands(out: string[], placed: GraphLayout): void {
  if (placed.bands.length === 0) return;
  out.push('<g class="groups">');
  for (const band of placed.bands) {
    const text = escapeXml(band.group.label);
    const label = placed.vertical
      ? `<text x="${num(band.labelX)}" y="${num(band.labelY + FONT_SIZES.group * 0.35)}">${text}</text>`
      : `<text x="${num(band.labelX)}" y="${num(band.labelY + FONT_SIZES.group)}" text-anchor="middle">${text}</text>`;
    out.push(
      `<g class="group" data-group="${band.group.depth}" font-size="${FONT_SIZES.group}" fill="#64748b">`,
      `<rect x="${num(band.x)}" y="${num(band.y)}" width="${num(band.width)}" height="${num(band.height)}" rx="8" fill="${BAND_FILLS[band.group.depth % 2]}" stroke="#e2e8f0"/>`,
      label,
      "</g>",
    );
  }
  out.push("</g>");
}

function edgeSvg(
  placed: PlacedEdge,
  ids: { readonly arrow: string; readonly inputArrow: string },
  names: ReadonlyMap<string, string>,
): string {
  const { edge } = placed;
  const input = edge.kind === "input";
  const dash = edge.kind === "order" ? ' stroke-dasharray="5 4"' : "";
  const from = escapeXml(names.get(edge.from)!);
  const to = escapeXml(names.get(edge.to)!);
  return `<path class="edge" data-from="${from}" data-to="${to}" data-kind="${edge.kind}" d="${pathData(placed.points)}" stroke="${input ? INPUT_COLOUR : EDGE_COLOUR}" stroke-width="1.4"${dash} marker-end="url(#${escapeXml(input ? ids.inputArrow : ids.arrow)})"/>`;
}

function edgeLabelSvg(label: NonNullable<PlacedEdge["label"]>): string {
  return (
    `<g class="edge-label"><rect x="${num(label.x - label.width / 2)}" y="${num(label.y - label.height / 2)}" width="${num(label.width)}" height="${num(label.height)}" rx="4" fill="#ffffff" fill-opacity="0.92" stroke="#e2e8f0"/>` +
    `<text x="${num(label.x)}" y="${num(label.y + FONT_SIZES.edge * 0.35)}" font-size="${FONT_SIZES.edge}" fill="#334155" text-anchor="middle">${escapeXml(label.text)}</text></g>`
  );
}

function nodeSvg(placed: PlacedNode): string {
  const { node, x, y, width, height } = placed;
  const input = node.kind === "input";
  const style = node.status === undefined ? DEFAULT_STEP_STYLE : STATUS_STYLES[node.status];
  const fill = input ? "#f1f5f9" : style.fill;
  const stroke = input ? INPUT_COLOUR : style.stroke;
  const textColour = input ? "#475569" : style.text;
  const dash = input || style.dashed ? ' stroke-dasharray="5 3"' : "";
  const top = y - height / 2;
  const nameY = top + 18 + FONT_SIZES.name * 0.35;
  const attrs = input
    ? 'class="node input"'
    : `class="node step" data-step="${escapeXml(node.name)}"${node.status === undefined ? "" : ` data-status="${node.status}"`}`;
  const parts = [
    `<g ${attrs}>`,
    `<title>${escapeXml(tooltip(node))}</title>`,
    `<rect x="${num(x - width / 2)}" y="${num(top)}" width="${num(width)}" height="${num(height)}" rx="${num(input ? height / 2 : 8)}" fill="${fill}" stroke="${stroke}" stroke-width="${node.status === undefined ? 1.2 : 1.6}"${dash}/>`,
    `<text x="${num(x)}" y="${num(nameY)}" font-size="${FONT_SIZES.name}"${input ? "" : ' font-weight="bold"'} fill="${textColour}" text-anchor="middle">${escapeXml(node.name)}</text>`,
  ];
  if (node.markers.length > 0) parts.push(markersSvg(node.markers, x, nameY + 16, FONT_SIZES.marker, textColour));
  parts.push("</g>");
  return parts.join("\n");
}

const MARKER_MEANINGS: readonly (readonly [string, string])[] = [
  ["↻", "retries: "],
  ["⏱", "timeout per attempt: "],
  ["↶", "has a compensation"],
];

/** The hover text of a node: name, description, markers spelt out, status. */
function tooltip(node: GraphNode): string {
  if (node.kind === "input") return "workflow input";
  const lines = [node.name];
  if (node.description !== undefined) lines.push(node.description);
  for (const marker of node.markers) {
    const meaning = MARKER_MEANINGS.find(([glyph]) => marker.startsWith(glyph));
    lines.push(meaning === undefined ? marker : meaning[1] + marker.slice(meaning[0].length));
  }
  if (node.status !== undefined) lines.push(`status: ${node.status}`);
  return lines.join("\n");
}

/** A smooth path through dagre's points: straight ends, quadratic corners. */
function pathData(points: readonly Point[]): string {
  if (points.length === 0) return "M0 0";
  const first = points[0]!;
  let d = `M${num(first.x)} ${num(first.y)}`;
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i]!;
    const next = points[i + 1]!;
    d += ` Q${num(p.x)} ${num(p.y)} ${num((p.x + next.x) / 2)} ${num((p.y + next.y) / 2)}`;
  }
  if (points.length > 1) {
    const last = points[points.length - 1]!;
    d += ` L${num(last.x)} ${num(last.y)}`;
  }
  return d;
}
