/**
 * The error `parseTrace` throws: every problem of a trace file at once, each with the
 * (1-based) line it is on, so a broken file is fixed in one pass.
 */

/**
 * One problem of a trace file.
 *
 * @example
 * const lines = error.issues.map((issue) => `run.jsonl:${issue.line}: ${issue.message}`);
 */
export interface TraceIssue {
  /** 1-based line number in the file (blank lines count). */
  readonly line: number;
  readonly message: string;
}

/** How many issues the error's message lists; `issues` always has them all. */
const LISTED = 20;

/**
 * A trace file is not valid JSON lines of the trace format. `code` is stable;
 * `issues` lists every problem found, in line order.
 *
 * @example
 * try {
 *   parseTrace(text);
 * } catch (error) {
 *   if (error instanceof TraceParseError) for (const i of error.issues) console.error(`line ${i.line}: ${i.message}`);
 * }
 */
export class TraceParseError extends Error {
  override readonly name = "TraceParseError";
  readonly code = "TRACE_INVALID";
  readonly issues: readonly TraceIssue[];

  constructor(issues: readonly TraceIssue[]) {
    const listed = issues.slice(0, LISTED).map((i) => `  line ${i.line}: ${i.message}`);
    if (issues.length > LISTED) listed.push(`  … and ${issues.length - LISTED} more`);
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    super(`Invalid trace file (${count}):\n${listed.join("\n")}`);
    this.issues = issues;
  }
}
