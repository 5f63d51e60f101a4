/**
 * The guide's comprehensive code analysis on real sources (default: this repository's
 * `src/`): list, parse with the TypeScript compiler API, semantic + security + style
 * analysis in parallel, an optional LLM review, and a Markdown report.
 *
 *   npx rubberduck run examples/code-analysis.ts
 *   npx rubberduck run examples/code-analysis.ts --input '{"root": "path/to/src"}'
 */
export { codeAnalysis } from "./code-analysis/workflow.js";

export const defaultInput = { root: "src" };
