/**
 * The timeline as two inline SVGs sharing one x scale: the time axis (kept in view by
 * the page's CSS while the rows scroll) and the rows. Each row is a step: its label,
 * a dot of its final status, and its bars. Each bar is a
 * `<g class="bar" data-kind data-step data-attempt data-start-ms data-end-ms
 * data-duration-ms data-outcome [data-error] [data-path]>` holding a `<title>` with
 * its details, which the page's script turns into a hover tooltip.
 */

import { escapeXml } from "../visualize/escape.js";
import { STATUS_STYLES } from "../visualize/status-style.js";
import { num } from "../visualize/svg-number.js";
import { textWidth } from "../visualize/text-metrics.js";
import { barStyle, HATCH_ID, outcomeText } from "./bar-style.js";
import { axisTicks, formatMs } from "./time-axis.js";
import type { Timeline, TimelineBar, TimelineRow } from "./timeline.js";

/** Options of `timelineSvg`. */
export interface TimelineSvgOptions {
  /**
   * Width of both SVGs, in px (the label column takes what the names need, up to a cap).
   * @default 1080
   */
  readonly width?: number | undefined;
}

/** The two SVGs of the timeline. */
export interface TimelineSvg {
  readonly axis: string;
  readonly rows: string;
}

const ROW = 26;
const BAR = 16;
const WAIT = 10;
const AXIS = 30;
const FONT = 12;
const SMALL = 11;
const INDENT = 14;
const PAD = 12;
const LABEL_MIN = 110;
const LABEL_MAX = 300;
const MIN_BAR = 2;

/**
 * Draw a timeline: the axis SVG and the rows SVG, aligned.
 *
 * @example
 * const { axis, rows } = timelineSvg(traceTimeline(trace), { width: 1000 });
 */
export function timelineSvg(timeline: Timeline, options: TimelineSvgOptions = {}): TimelineSvg {
  const width = Math.max(options.width ?? 1080, 400);
  const longest = Math.max(0, ...timeline.rows.map((r) => labelWidth(r)));
  // The dot and its gap (12), the padding each side, and 2px against rounding.
  const labelColumn = Math.min(Math.max(longest + 2 * PAD + 14, LABEL_MIN), LABEL_MAX);
  // A little room after the run's end, and only the ticks that fall inside.
  const span = Math.max(timeline.durationMs * 1.04, 1);
  const ticks = axisTicks(timeline.durationMs).filter((t) => t <= span);
  const plot = width - labelColumn - PAD;
  const x = (ms: number) => labelColumn + (plot * ms) / span;
  const height = Math.max(timeline.rows.length, 1) * ROW;

  const axis = [
    `<svg class="timeline-axis" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${AXIS}" viewBox="0 0 ${width} ${AXIS}" role="presentation">`,
    `<text x="${PAD}" y="${AXIS - 10}" font-size="${SMALL}" fill="#64748b">step</text>`,
    ...ticks.map((t) => tickSvg(x(t), formatMs(t), width)),
    `<line x1="${labelColumn}" x2="${num(x(span))}" y1="${AXIS - 0.5}" y2="${AXIS - 0.5}" stroke="#94a3b8"/>`,
    "</svg>",
  ];

  const end = x(timeline.durationMs);
  const rows = [
    `<svg class="timeline-rows" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Timeline of attempts, retry waits and compensations">`,
    `<defs><pattern id="${HATCH_ID}" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fffbeb"/><line x1="0" y1="0" x2="0" y2="6" stroke="#f59e0b" stroke-width="2.5"/></pattern></defs>`,
    ...timeline.rows.map((_row, i) =>
      i % 2 === 1 ? `<rect class="band" x="0" y="${i * ROW}" width="${width}" height="${ROW}" fill="#f8fafc"/>` : "",
    ),
    `<g class="grid" stroke="#e2e8f0">${ticks.map((t) => `<line x1="${num(x(t))}" x2="${num(x(t))}" y1="0" y2="${height}"/>`).join("")}</g>`,
    `<line class="run-end" x1="${num(end)}" x2="${num(end)}" y1="0" y2="${height}" stroke="#0f172a" stroke-width="1" stroke-dasharray="4 3"><title>${escapeXml(`${timeline.complete ? "run ended" : "trace ends"} at ${formatMs(timeline.durationMs)}`)}</title></line>`,
    ...timeline.rows.map((row, i) => rowSvg(row, i * ROW, labelColumn, x)),
    "</svg>",
  ];
  return { axis: axis.join("\n"), rows: rows.filter((l) => l !== "").join("\n") };
}

/** A tick mark and its label, centred on it unless that would cross an edge of the SVG. */
function tickSvg(at: number, label: string, width: number): string {
  const half = textWidth(label, SMALL) / 2;
  const anchor = at - half < 0 ? "start" : at + half > width - 4 ? "end" : "middle";
  return (
    `<g class="tick"><line x1="${num(at)}" x2="${num(at)}" y1="${AXIS - 6}" y2="${AXIS}" stroke="#94a3b8"/>` +
    `<text x="${num(at)}" y="${AXIS - 10}" font-size="${SMALL}" fill="#475569" text-anchor="${anchor}">${escapeXml(label)}</text></g>`
  );
}

function labelWidth(row: TimelineRow): number {
  return row.path.length * INDENT + textWidth(shortLabel(row), FONT, row.path.length === 0);
}

/** Nested rows show only their own name, indented under their parent. */
function shortLabel(row: TimelineRow): string {
  return row.path.length === 0 ? row.step : `› ${row.step}`;
}

function rowSvg(row: TimelineRow, top: number, labelColumn: number, x: (ms: number) => number): string {
  const style = STATUS_STYLES[row.status];
  const indent = PAD + row.path.length * INDENT;
  const mid = top + ROW / 2;
  const room = labelColumn - indent - 12 - PAD;
  const bold = row.path.length === 0;
  const rowTitle = `${row.label}\nstatus: ${row.status}\nattempts: ${row.attempts}`;
  const out = [
    `<g class="row" data-row="${escapeXml(row.label)}" data-status="${row.status}">`,
    `<g class="row-label"><title>${escapeXml(rowTitle)}</title>`,
    `<circle cx="${indent + 4}" cy="${mid}" r="4" fill="${style.fill}" stroke="${style.stroke}" stroke-width="1.6"/>`,
    `<text x="${indent + 13}" y="${num(mid + FONT * 0.35)}" font-size="${FONT}"${bold ? ' font-weight="600"' : ""} fill="#0f172a">${escapeXml(ellipsize(shortLabel(row), room, bold))}</text>`,
    "</g>",
  ];
  for (const bar of row.bars) out.push(barSvg(row, bar, mid, x));
  out.push("</g>");
  return out.join("\n");
}

function barSvg(row: TimelineRow, bar: TimelineBar, mid: number, x: (ms: number) => number): string {
  const style = barStyle(bar);
  const h = bar.kind === "retry-wait" ? WAIT : BAR;
  const left = x(bar.startMs);
  const w = Math.max(x(bar.endMs) - left, MIN_BAR);
  const attrs = [
    'class="bar"',
    `data-kind="${bar.kind}"`,
    `data-step="${escapeXml(bar.step)}"`,
    bar.path.length > 0 ? `data-path="${escapeXml(bar.path.join(" › "))}"` : "",
    `data-attempt="${bar.attempt}"`,
    `data-start-ms="${num(bar.startMs)}"`,
    `data-end-ms="${num(bar.endMs)}"`,
    `data-duration-ms="${num(bar.durationMs)}"`,
    `data-outcome="${bar.outcome}"`,
    bar.error === undefined ? "" : `data-error="${escapeXml(bar.error)}"`,
    'tabindex="0"',
  ].filter((a) => a !== "");
  const fill = style.fill === "hatch" ? `url(#${HATCH_ID})` : style.fill;
  const dash = style.dashed ? ' stroke-dasharray="3 2"' : "";
  const parts = [
    `<g ${attrs.join(" ")}>`,
    `<title>${escapeXml(tooltip(row, bar))}</title>`,
    `<rect x="${num(left)}" y="${num(mid - h / 2)}" width="${num(w)}" height="${h}" rx="3" fill="${fill}" stroke="${style.stroke}" stroke-width="1.2"${dash}/>`,
  ];
  const text = barText(bar, w);
  if (text !== undefined) {
    parts.push(
      `<text x="${num(left + w / 2)}" y="${num(mid + SMALL * 0.35)}" font-size="${SMALL}" fill="${style.text}" text-anchor="middle" pointer-events="none">${escapeXml(text)}</text>`,
    );
  }
  parts.push("</g>");
  return parts.join("");
}

/** What fits on the bar: `#2 210 ms`, else `#2`, else nothing (waits show their length only). */
function barText(bar: TimelineBar, width: number): string | undefined {
  if (bar.kind === "retry-wait") return undefined;
  const prefix = bar.kind === "compensation" ? "↶" : "#";
  for (const text of [`${prefix}${bar.attempt} ${formatMs(bar.durationMs)}`, `${prefix}${bar.attempt}`]) {
    if (textWidth(text, SMALL) + 8 <= width) return text;
  }
  return undefined;
}

/** The hover details of a bar, one fact a line. */
function tooltip(row: TimelineRow, bar: TimelineBar): string {
  const what =
    bar.kind === "attempt"
      ? `attempt ${bar.attempt}`
      : bar.kind === "retry-wait"
        ? `retry wait before attempt ${bar.attempt}`
        : `compensation attempt ${bar.attempt}`;
  const backoff = bar.delayMs === undefined ? "" : `; backoff planned ${formatMs(bar.delayMs)}`;
  const lines = [
    `${row.label} — ${what}`,
    `${formatMs(bar.startMs)} → ${formatMs(bar.endMs)} (${formatMs(bar.durationMs)}${backoff})`,
    outcomeText(bar),
  ];
  if (bar.error !== undefined) {
    const code = bar.errorCode === undefined ? "" : `${bar.errorCode}: `;
    lines.push(`${bar.kind === "retry-wait" ? "after " : ""}${code}${bar.error}`);
  }
  return lines.join("\n");
}

/** `text`, cut with an ellipsis to fit `room` px. */
function ellipsize(text: string, room: number, bold: boolean): string {
  if (textWidth(text, FONT, bold) <= room) return text;
  // No character is narrower than 0.3 em: nothing past that many can show.
  const chars = [...text].slice(0, Math.ceil(room / (FONT * 0.3)));
  while (chars.length > 1 && textWidth(`${chars.join("")}…`, FONT, bold) > room) chars.pop();
  return `${chars.join("")}…`;
}
