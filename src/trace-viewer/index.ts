/**
 * @rubberduck/workflows/trace-viewer — read a trace file written by `rubberduck run
 * --trace-file` (or by you, from `result.trace` with `debug: true`) and render it as one
 * self-contained HTML page: the DAG by final state and a timeline of every attempt,
 * retry wait and compensation. What `rubberduck view` does.
 *
 * @example
 * import { parseTrace, renderTraceHtml } from "@rubberduck/workflows/trace-viewer";
 * writeFileSync("run.html", renderTraceHtml(parseTrace(readFileSync("run.jsonl", "utf8"))));
 */

export type { TraceFooter, TraceHeader, TraceLine } from "../telemetry/trace.js";
export type { TraceHtmlOptions } from "./html.js";
export { renderTraceHtml, traceCss, traceDagSection, traceTimelineSection } from "./html.js";
export type { ParsedTrace } from "./parse.js";
export { parseTrace } from "./parse.js";
export type { TraceFailure, TraceSummary } from "./summary.js";
export { traceSummary } from "./summary.js";
export type { BarKind, BarOutcome, Timeline, TimelineBar, TimelineRow } from "./timeline.js";
export { traceTimeline } from "./timeline.js";
export type { TraceIssue } from "./trace-parse-error.js";
export { TraceParseError } from "./trace-parse-error.js";
