/**
 * Run the code analysis example: `npx tsx examples/code-analysis.ts [dir]`
 * (default: this repository's `src/`). Progress goes to stderr, one line per
 * event; the Markdown report goes to stdout.
 */
import { createEngine } from "../src/index.js";
import { codeAnalysis } from "./code-analysis/workflow.js";

const root = process.argv[2] ?? "src";
const engine = createEngine({ workflows: [codeAnalysis] });
const run = engine.start(codeAnalysis, { root });
const t0 = Date.now();
run.events.subscribe((e) => {
  const detail = [
    e.attempt === undefined ? "" : `attempt ${e.attempt}`,
    e.durationMs === undefined ? "" : `${e.durationMs} ms`,
    e.error === undefined ? "" : e.error.message,
  ]
    .filter(Boolean)
    .join(", ");
  process.stderr.write(
    `[+${String(Date.now() - t0).padStart(4)} ms] ${e.type.padEnd(19)} ${e.step ?? ""}${detail ? ` (${detail})` : ""}\n`,
  );
});

const result = await run.result;
if (result.status === "succeeded") {
  process.stdout.write(`${result.output.analysis_report}\n`);
} else {
  process.stderr.write(`\n${result.status}: ${result.error.message}\n`);
  process.exitCode = 1;
}
