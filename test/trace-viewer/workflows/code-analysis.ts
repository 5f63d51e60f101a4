/**
 * The run of test/fixtures/traces/succeeded-run.jsonl: a chain, a fan-out of three
 * analyses, a fan-in; everything succeeds first time. Regenerate the trace with
 *
 *   node bin/rubberduck.js run test/trace-viewer/workflows/code-analysis.ts \
 *     --trace-file test/fixtures/traces/succeeded-run.jsonl
 */
import { workflow } from "../../../src/index.js";
import { sleep } from "./sleep.js";

export const defaultInput = { file_paths: ["src/a.ts", "src/b.ts"] };

export const codeAnalysis = workflow<{ file_paths: string[] }>("code_analysis", {
  version: "1.0.0",
  description: "Comprehensive code analysis workflow",
})
  .step("list_files", {
    inputs: ["file_paths"],
    outputs: ["files"],
    run: async ({ file_paths }) => {
      await sleep(8);
      return { files: file_paths };
    },
  })
  .step("parse_files", {
    inputs: ["files"],
    outputs: ["ast_trees"],
    run: async ({ files }) => {
      await sleep(130);
      return { ast_trees: files.map((f) => ({ file: f })) };
    },
  })
  .step("semantic_analysis", {
    inputs: ["ast_trees"],
    outputs: ["semantic_results"],
    run: async () => {
      await sleep(60);
      return { semantic_results: [] as string[] };
    },
  })
  .step("security_scan", {
    inputs: ["ast_trees"],
    outputs: ["security_issues"],
    run: async () => {
      await sleep(95);
      return { security_issues: [] as string[] };
    },
  })
  .step("style_analysis", {
    inputs: ["ast_trees"],
    outputs: ["style_issues"],
    run: async () => {
      await sleep(45);
      return { style_issues: [] as string[] };
    },
  })
  .step("generate_report", {
    inputs: ["semantic_results", "security_issues", "style_issues"],
    outputs: ["analysis_report"],
    run: async () => {
      await sleep(20);
      return { analysis_report: "# Report" };
    },
  });
