/**
 * Reading a trace file (`rubberduck run --trace-file run.jsonl`): JSON lines, a `run`
 * header first, then `event` / `state` entries, then a `result` footer — absent when
 * the run was cut short (killed, crashed, still running). Every line is checked and
 * every problem reported at once, with its line number.
 */

import type { TraceEntry, TraceFooter, TraceHeader } from "../telemetry/trace.js";
import { checkEntry, checkFooter, checkHeader, isJsonObject } from "./trace-line-checks.js";
import { type TraceIssue, TraceParseError } from "./trace-parse-error.js";

/**
 * A trace file, read and checked.
 *
 * @example
 * const { header, entries, footer } = parseTrace(readFileSync("run.jsonl", "utf8"));
 * console.log(header.workflow, entries.length, footer?.status ?? "cut short");
 */
export interface ParsedTrace {
  /** What ran, and the shape of its DAG. */
  readonly header: TraceHeader;
  /** Every event and actor state transition, in file order. */
  readonly entries: readonly TraceEntry[];
  /** How the run ended; `undefined` when the file stops before its `result` line. */
  readonly footer: TraceFooter | undefined;
}

/**
 * Parse and check the text of a trace file. Blank lines are ignored; unknown extra
 * fields are kept.
 *
 * @throws {TraceParseError} listing every malformed line (`issues[].line` is 1-based)
 *
 * @example
 * import { readFileSync } from "node:fs";
 * const trace = parseTrace(readFileSync("run.jsonl", "utf8"));
 * trace.header.workflow; // "code_analysis"
 * trace.footer?.status; // "succeeded", or undefined if the run was cut short
 */
export function parseTrace(text: string): ParsedTrace {
  const issues: TraceIssue[] = [];
  const lines = text.split(/\r?\n/);
  const firstLine = lines.findIndex((l) => l.trim() !== "") + 1;
  const lastLine = lines.findLastIndex((l) => l.trim() !== "") + 1;
  let header: TraceHeader | undefined;
  let footer: { line: number; value: TraceFooter } | undefined;
  const entries: TraceEntry[] = [];

  for (let n = 1; n <= lastLine; n++) {
    const raw = lines[n - 1]!;
    if (raw.trim() === "") continue;
    const report = (message: string) => issues.push({ line: n, message });
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      const hint = n === lastLine ? " (the file may have been cut off in the middle of this line)" : "";
      report(`not valid JSON: ${(error as Error).message}${hint}`);
      continue;
    }
    if (!isJsonObject(value)) {
      report(`expected a JSON object, got ${Array.isArray(value) ? "an array" : JSON.stringify(value)}`);
      continue;
    }
    if (footer !== undefined) report(`nothing may follow the \`result\` line (line ${footer.line})`);
    const kind = value.kind;
    if (header === undefined && n === firstLine && kind !== "run") {
      report(`expected the \`run\` header as the first line, got kind ${JSON.stringify(kind)}`);
    }
    switch (kind) {
      case "run":
        if (header !== undefined || n !== firstLine) report("the `run` header must be the first line, and only it");
        else {
          const problems = checkHeader(value);
          for (const m of problems) report(m);
          if (problems.length === 0) header = value as unknown as TraceHeader;
        }
        break;
      case "event":
      case "state": {
        const problems = checkEntry(value);
        for (const m of problems) report(m);
        if (problems.length === 0) entries.push(value as unknown as TraceEntry);
        break;
      }
      case "result": {
        const problems = checkFooter(value);
        for (const m of problems) report(m);
        if (footer === undefined) footer = { line: n, value: value as unknown as TraceFooter };
        break;
      }
      default:
        report(`unknown line kind ${JSON.stringify(kind)} (expected "run", "event", "state" or "result")`);
    }
  }

  if (lastLine === 0) issues.push({ line: 1, message: "the trace is empty (expected a `run` header line)" });
  if (issues.length > 0) throw new TraceParseError(issues);
  return { header: header!, entries, footer: footer?.value };
}
