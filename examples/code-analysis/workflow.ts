/**
 * The guide's comprehensive code analysis, on real TypeScript/JavaScript sources:
 * list files, parse them with the TypeScript compiler API, run the semantic,
 * security and style engines in parallel, and write a Markdown report.
 */
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { workflow } from "../../src/index.js";
import {
  type Finding,
  parseSources,
  readSource,
  securityFindings,
  semanticFindings,
  styleFindings,
} from "./analyzers.js";
import { type LlmInsights, providerFromEnv } from "./llm.js";

const SOURCE = /\.(ts|tsx|js|mjs)$/;

export const codeAnalysis = workflow<{ root: string }>("code_analysis", {
  description: "Comprehensive code analysis workflow",
  version: "1.0.0",
  tags: ["analysis"],
  onError: "compensate_all",
  parallelLimit: 4,
})
  .step("list_files", {
    inputs: ["root"],
    outputs: ["file_paths"],
    run: async ({ root }) => {
      const entries = await readdir(root, { recursive: true });
      const file_paths = entries
        .filter((entry) => SOURCE.test(entry) && !entry.endsWith(".d.ts") && !entry.includes("node_modules"))
        .map((entry) => join(root, entry))
        .sort();
      return { file_paths };
    },
  })
  .step("read_files", {
    inputs: ["file_paths"],
    outputs: ["sources"],
    timeout: 30_000,
    run: async ({ file_paths }, ctx) => ({
      sources: await Promise.all(file_paths.map((path) => readSource(path, ctx.signal))),
    }),
  })
  // The analyses are CPU-bound: they parse and walk syntax trees on worker threads, in
  // parallel on as many cores as there are (each thread parses once, for every analysis it runs).
  .step("semantic_analysis", {
    executor: "threads",
    inputs: ["sources"],
    outputs: ["semantic_issues"],
    timeout: 60_000,
    run: ({ sources }) => ({ semantic_issues: semanticFindings(parseSources(sources)) }),
  })
  .step("security_scan", {
    executor: "threads",
    inputs: ["sources"],
    outputs: ["security_issues"],
    timeout: 60_000,
    run: ({ sources }) => ({ security_issues: securityFindings(parseSources(sources)) }),
  })
  .step("style_analysis", {
    executor: "threads",
    inputs: ["sources"],
    outputs: ["style_issues"],
    timeout: 60_000,
    run: ({ sources }) => ({ style_issues: styleFindings(parseSources(sources)) }),
  })
  .step("llm_review", {
    inputs: ["semantic_issues", "security_issues"],
    outputs: ["llm_insights"],
    timeout: 30_000,
    retry: { maxAttempts: 2, baseDelay: 1_000 },
    run: async ({ semantic_issues, security_issues }, ctx): Promise<{ llm_insights: LlmInsights }> => {
      const provider = providerFromEnv();
      if (provider === undefined) {
        return {
          llm_insights: {
            provider: undefined,
            skipped: "no LLM provider configured (set RUBBERDUCK_LLM_URL)",
            review: undefined,
          },
        };
      }
      const findings = [...security_issues, ...semantic_issues].slice(0, 50);
      const prompt = `Review these static-analysis findings and name the three most important fixes:\n${findings
        .map((f) => `${f.file}:${f.line} ${f.rule} ${f.message}`)
        .join("\n")}`;
      return {
        llm_insights: {
          provider: provider.name,
          skipped: undefined,
          review: await provider.review(prompt, ctx.signal),
        },
      };
    },
  })
  .step("generate_report", {
    inputs: ["root", "file_paths", "semantic_issues", "security_issues", "style_issues", "llm_insights"],
    outputs: ["analysis_report"],
    run: ({ root, file_paths, semantic_issues, security_issues, style_issues, llm_insights }) => ({
      analysis_report: report(
        root,
        file_paths.length,
        { Semantic: semantic_issues, Security: security_issues, Style: style_issues },
        llm_insights,
      ),
    }),
  });

function report(
  root: string,
  fileCount: number,
  sections: Record<string, readonly Finding[]>,
  llm: LlmInsights,
): string {
  const total = Object.values(sections).reduce((n, s) => n + s.length, 0);
  const lines = [`# Code analysis of \`${root}\``, "", `${fileCount} files, ${total} findings.`, ""];
  for (const [title, findings] of Object.entries(sections)) {
    lines.push(`## ${title} (${findings.length})`, "");
    const byRule = new Map<string, number>();
    for (const f of findings) byRule.set(f.rule, (byRule.get(f.rule) ?? 0) + 1);
    for (const [rule, count] of [...byRule].sort((a, b) => b[1] - a[1])) lines.push(`- \`${rule}\`: ${count}`);
    if (findings.length > 0) lines.push("");
    for (const f of findings.slice(0, 15))
      lines.push(`  - ${relative(root, f.file)}:${f.line} ${f.rule}: ${f.message}`);
    if (findings.length > 15) lines.push(`  - … and ${findings.length - 15} more`);
    lines.push("");
  }
  lines.push("## LLM review", "", llm.review ?? `Skipped: ${llm.skipped}.`, "");
  return lines.join("\n");
}
