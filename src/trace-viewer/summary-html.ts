/**
 * The summary card of the trace page: the numbers (status, duration, steps,
 * attempts, retries), why the run stopped, what failed, and what was rolled back in
 * which order. Every piece of trace text is escaped.
 */

import { escapeXml } from "../visualize/escape.js";
import { STATUS_STYLES } from "../visualize/status-style.js";
import type { TraceFailure, TraceSummary } from "./summary.js";
import { formatMs } from "./time-axis.js";

/**
 * A status badge: a workflow status (`succeeded`, `failed`, `cancelled`, `timed_out`),
 * `incomplete`, or a step status, in the colours the DAG uses.
 *
 * @example
 * statusBadge("failed"); // '<span class="badge status" data-status="failed" style="…">failed</span>'
 */
export function statusBadge(status: string): string {
  const key =
    status === "timed_out" ? "failed" : status === "incomplete" ? "running" : (status as keyof typeof STATUS_STYLES);
  const style = STATUS_STYLES[key] ?? STATUS_STYLES.pending;
  const label = status === "incomplete" ? "incomplete (no result line)" : status.replace("_", " ");
  return `<span class="badge status" data-status="${escapeXml(status)}" style="background:${style.fill};border-color:${style.stroke};color:${style.text}">${escapeXml(label)}</span>`;
}

/**
 * The summary card's HTML.
 *
 * @example
 * const card = summaryHtml(traceSummary(trace), trace.header.startedAt);
 */
export function summaryHtml(summary: TraceSummary, startedAt: number): string {
  const stat = (term: string, value: string) => `<div><dt>${term}</dt><dd>${value}</dd></div>`;
  const out = [
    '<section class="card summary" aria-labelledby="summary-heading">',
    '<h2 id="summary-heading">Summary</h2>',
    '<dl class="stats">',
    stat("Status", statusBadge(summary.status)),
    stat("Duration", escapeXml(formatMs(summary.durationMs))),
    stat("Steps", String(summary.steps)),
    stat("Attempts", String(summary.attempts)),
    stat("Retries", String(summary.retries)),
    stat("Compensated", String(summary.compensated.length)),
    stat("Started", `<time datetime="${isoTime(startedAt) ?? ""}">${escapeXml(startedLabel(startedAt))}</time>`),
    "</dl>",
  ];
  if (summary.status === "incomplete") {
    out.push(
      '<p class="notice" style="margin-top:12px">The trace has no <code>result</code> line: the run was cut short (or is still running). Bars open at its end are drawn up to its last entry.</p>',
    );
  }
  const columns: string[] = [];
  if (summary.error !== undefined) {
    const code = summary.error.code === undefined ? "" : `<code>${escapeXml(summary.error.code)}</code> `;
    columns.push(
      `<div class="stopped"><h3>Why it stopped</h3><p class="error-text" style="margin:0">${code}${escapeXml(summary.error.message)}</p></div>`,
    );
  }
  if (summary.failures.length > 0) columns.push(failureList("Failures", "failures", summary.failures));
  if (summary.compensated.length > 0) {
    const items = summary.compensated.map((step) => `<li>${escapeXml(step)}</li>`).join("");
    columns.push(`<div class="compensated"><h3>Rolled back, in this order</h3><ol>${items}</ol></div>`);
  }
  if (summary.compensationFailures.length > 0) {
    columns.push(failureList("Compensations that failed", "compensation-failures", summary.compensationFailures));
  }
  if (summary.cancelled.length > 0) {
    const items = summary.cancelled.map((step) => `<li>${escapeXml(step)}</li>`).join("");
    columns.push(`<div class="cancelled"><h3>Cancelled in flight</h3><ul>${items}</ul></div>`);
  }
  out.push(`<div class="columns">${columns.join("")}</div>`, "</section>");
  return out.join("\n");
}

function failureList(title: string, cls: string, failures: readonly TraceFailure[]): string {
  const items = failures.map((f) => {
    const code = f.code === undefined ? "" : ` <code>${escapeXml(f.code)}</code>`;
    const message = f.message === undefined ? "" : ` <span class="error-text">${escapeXml(f.message)}</span>`;
    return `<li><strong>${escapeXml(f.step)}</strong> (attempt ${f.attempt}, at ${escapeXml(formatMs(f.atMs))}):${code}${message}</li>`;
  });
  return `<div class="${cls}"><h3>${title}</h3><ol>${items.join("")}</ol></div>`;
}

/** `2026-11-26 07:29:03.120 UTC`: the same on every machine. */
function startedLabel(startedAt: number): string {
  const iso = isoTime(startedAt);
  return iso === undefined ? String(startedAt) : `${iso.replace("T", " ").replace("Z", "")} UTC`;
}

/** The ISO form of a timestamp, or `undefined` when it is outside the dates JavaScript can represent. */
function isoTime(ms: number): string | undefined {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
