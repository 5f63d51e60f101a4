/**
 * The trace viewer page (`rubberduck view run.jsonl --out run.html`): one
 * self-contained HTML file — inline CSS, inline SVG and one small inline script for
 * tooltips; no external resource, and a Content-Security-Policy that forbids loading
 * any. Top to bottom: the title (workflow, version, execution id, status, duration),
 * the summary, the DAG coloured by final step status (drawn by `toSvg` from a
 * stand-in definition built from the header), and the timeline.
 */

import { escapeXml } from "../visualize/escape.js";
import type { DiagramDirection } from "../visualize/options.js";
import { STATUS_STYLES, STEP_STATUSES } from "../visualize/status-style.js";
import { toSvg } from "../visualize/svg.js";
import { legendStyles } from "./bar-style.js";
import { PAGE_CSS } from "./page-style.js";
import type { ParsedTrace } from "./parse.js";
import { standInWorkflow } from "./stand-in-workflow.js";
import { traceSummary } from "./summary.js";
import { statusBadge, summaryHtml } from "./summary-html.js";
import { formatMs } from "./time-axis.js";
import { type Timeline, traceTimeline } from "./timeline.js";
import { timelineSvg } from "./timeline-svg.js";
import { TOOLTIP_SCRIPT } from "./tooltip-script.js";

/**
 * Options of `renderTraceHtml`.
 *
 * @example
 * writeFileSync("run.html", renderTraceHtml(trace, { dag: false, width: 1600 })); // a large run: the timeline only
 */
export interface TraceHtmlOptions {
  /**
   * Draw the DAG. Its layout (dagre) takes about a second for a few hundred steps,
   * and more when they have many crossing dependencies.
   * @default true
   */
  readonly dag?: boolean | undefined;
  /**
   * Direction of the DAG.
   * @default "LR"
   */
  readonly direction?: DiagramDirection | undefined;
  /**
   * Width of the timeline, in px.
   * @default 1080
   */
  readonly width?: number | undefined;
}

const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/**
 * Render a parsed trace as one self-contained HTML page (a string; write it to a file).
 *
 * @example
 * import { readFileSync, writeFileSync } from "node:fs";
 * const trace = parseTrace(readFileSync("run.jsonl", "utf8"));
 * writeFileSync("run.html", renderTraceHtml(trace));
 */
export function renderTraceHtml(trace: ParsedTrace, options: TraceHtmlOptions = {}): string {
  const { header } = trace;
  const timeline = traceTimeline(trace);
  const summary = traceSummary(trace, timeline);
  const title = `${header.workflow} v${header.version}`;
  const description =
    typeof header.description === "string" ? `<p class="description">${escapeXml(header.description)}</p>` : "";
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(`${title} — ${summary.status} — trace ${header.executionId}`)}</title>`,
    `<style>${PAGE_CSS}</style>`,
    "</head>",
    "<body>",
    "<main>",
    '<header class="run">',
    `<h1>${escapeXml(header.workflow)} <span class="version">v${escapeXml(header.version)}</span></h1>`,
    `<p class="meta">execution <code class="execution-id">${escapeXml(header.executionId)}</code> · ${statusBadge(summary.status)} · <span class="duration">${escapeXml(formatMs(summary.durationMs))}</span></p>`,
    description,
    "</header>",
    summaryHtml(summary, header.startedAt),
    options.dag === false ? "" : traceDagSection(trace, timeline, options),
    traceTimelineSection(timeline, options),
    "</main>",
    '<div id="tooltip" role="tooltip" hidden></div>',
    `<script>${TOOLTIP_SCRIPT}</script>`,
    "</body>",
    "</html>",
    "",
  ]
    .filter((line) => line !== "")
    .join("\n");
}

/**
 * The page's DAG section alone (an HTML fragment, escaped): the steps coloured by status,
 * for a page of your own (the studio shows it live). Uses the page's CSS classes (`traceCss`).
 *
 * @example
 * const trace = parseTrace(text);
 * element.innerHTML = traceDagSection(trace, traceTimeline(trace));
 */
export function traceDagSection(trace: ParsedTrace, timeline: Timeline, options: TraceHtmlOptions = {}): string {
  const status = new Map(timeline.rows.filter((r) => r.path.length === 0).map((r) => [r.step, r.status] as const));
  let svg: string;
  try {
    svg = toSvg(standInWorkflow(trace.header), {
      status,
      direction: options.direction ?? "LR",
      title: false,
      legend: false,
      idPrefix: "rd-trace-dag",
    });
  } catch (error) {
    svg = `<p class="notice">The DAG could not be drawn: ${escapeXml(error instanceof Error ? error.message : String(error))}</p>`;
  }
  const shown = new Set(status.values());
  const legend = STEP_STATUSES.filter((s) => shown.has(s)).map((s) => {
    const style = STATUS_STYLES[s];
    const dashed = style.dashed ? " dashed" : "";
    return `<li><span class="swatch${dashed}" style="background:${style.fill};border-color:${style.stroke}"></span>${s.replace("_", " ")}</li>`;
  });
  return [
    '<section class="card dag" aria-labelledby="dag-heading">',
    '<h2 id="dag-heading">Steps, by final status</h2>',
    `<ul class="legend">${legend.join("")}<li>arrows: dependencies</li></ul>`,
    `<div class="scroll">${svg}</div>`,
    "</section>",
  ].join("\n");
}

/**
 * The page's timeline section alone (an HTML fragment, escaped): every attempt, retry wait
 * and compensation as a bar.
 *
 * @example
 * element.innerHTML = traceTimelineSection(traceTimeline(parseTrace(text)), { width: 900 });
 */
export function traceTimelineSection(timeline: Timeline, options: TraceHtmlOptions = {}): string {
  const { axis, rows } = timelineSvg(timeline, { width: options.width });
  const legend = legendStyles(timeline.rows.flatMap((r) => r.bars)).map((style) => {
    const look = style.fill === "hatch" ? " hatch" : style.dashed ? " dashed" : "";
    const fill = style.fill === "hatch" ? "" : `background:${style.fill};`;
    return `<li><span class="swatch${look}" style="${fill}border-color:${style.stroke}"></span>${escapeXml(style.legend)}</li>`;
  });
  const empty = timeline.attempts === 0 ? '<p class="notice">No step started in this trace.</p>' : "";
  return [
    '<section class="card timeline" aria-labelledby="timeline-heading">',
    `<h2 id="timeline-heading">Timeline <span class="meta" style="font-weight:400">· ${timeline.attempts} attempt${timeline.attempts === 1 ? "" : "s"} · hover a bar for details</span></h2>`,
    legend.length === 0 ? "" : `<ul class="legend">${legend.join("")}</ul>`,
    empty,
    `<div class="scroll timeline-scroll">${axis}\n${rows}</div>`,
    "</section>",
  ]
    .filter((line) => line !== "")
    .join("\n");
}

/** The CSS of the trace page, for pages that embed its sections. @example `<style>${traceCss}</style>` */
export const traceCss = PAGE_CSS;
