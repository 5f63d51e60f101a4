/**
 * The guide's simple sequential workflow on real source: analyse the exported API of
 * TypeScript files with the compiler API (names, kinds, first JSDoc sentence), then
 * generate Markdown documentation.
 *
 *   npx rubberduck run examples/generate-docs.ts
 *   npx rubberduck run examples/generate-docs.ts --input '{"root": "src/engine"}'
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import ts from "typescript";
import { workflow } from "../src/index.js";

export interface ApiEntry {
  readonly name: string;
  readonly kind: string;
  readonly summary: string;
}

export interface FileAnalysis {
  readonly file: string;
  readonly entries: readonly ApiEntry[];
}

export const generateDocumentation = workflow<{ root: string }>("generate_documentation", {
  description: "Document the exported API of a source tree",
})
  .step("analyze_code", {
    inputs: ["root"],
    outputs: ["analysis"],
    run: async ({ root }, ctx) => {
      const files = (await readdir(root, { recursive: true }))
        .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
        .sort();
      const analysis: FileAnalysis[] = [];
      for (const file of files) {
        const text = await readFile(join(root, file), { encoding: "utf8", signal: ctx.signal });
        const entries = exportedApi(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true));
        if (entries.length > 0) analysis.push({ file: relative(".", join(root, file)), entries });
      }
      return { analysis };
    },
  })
  .step("generate_docs", {
    dependsOn: ["analyze_code"],
    inputs: ["analysis"],
    outputs: ["documentation"],
    run: ({ analysis }) => ({
      documentation: [
        "# API",
        "",
        ...analysis.flatMap(({ file, entries }) => [
          `## \`${file}\``,
          "",
          ...entries.map((e) => `- **${e.name}** (${e.kind})${e.summary ? ` — ${e.summary}` : ""}`),
          "",
        ]),
      ].join("\n"),
    }),
  });

export const defaultInput = { root: "src/engine" };

/** Exported declarations of a file with the first sentence of their JSDoc. */
function exportedApi(source: ts.SourceFile): ApiEntry[] {
  const entries: ApiEntry[] = [];
  for (const statement of source.statements) {
    const exported =
      ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (!exported) continue;
    const summary = (ts.getJSDocCommentsAndTags(statement)[0] as ts.JSDoc | undefined)?.comment;
    const text = typeof summary === "string" ? (summary.split(/(?<=\.)\s/)[0] ?? "") : "";
    const add = (name: string, kind: string) => entries.push({ name, kind, summary: text.replace(/\s+/g, " ").trim() });
    if (ts.isFunctionDeclaration(statement) && statement.name) add(statement.name.text, "function");
    else if (ts.isClassDeclaration(statement) && statement.name) add(statement.name.text, "class");
    else if (ts.isInterfaceDeclaration(statement)) add(statement.name.text, "interface");
    else if (ts.isTypeAliasDeclaration(statement)) add(statement.name.text, "type");
    else if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) if (ts.isIdentifier(d.name)) add(d.name.text, "const");
    }
  }
  return entries;
}
