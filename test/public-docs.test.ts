/**
 * Every public name — each export of each entry point in package.json — has JSDoc
 * with a description and an `@example` (but types re-exported from other packages).
 * Checked with the TypeScript compiler API.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = new URL("..", import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  exports: Record<string, { types?: string } | string>;
};

/** Entry points' sources: ./dist/src/x.d.ts → src/x.ts. */
const entries = Object.values(pkg.exports)
  .flatMap((e) => (typeof e === "object" && e.types !== undefined ? [e.types] : []))
  .map((types) => join(root, types.replace(/^\.\/dist\//, "").replace(/\.d\.ts$/, ".ts")));

const program = ts.createProgram(entries, {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
});
const checker = program.getTypeChecker();

function undocumented(entry: string): string[] {
  const file = program.getSourceFile(entry);
  if (file === undefined) throw new Error(`no source file ${entry}`);
  const module = checker.getSymbolAtLocation(file);
  if (module === undefined) return [];
  const missing: string[] = [];
  for (const exported of checker.getExportsOfModule(module)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declarations = symbol.getDeclarations() ?? [];
    // A third-party type re-exported for convenience (StandardSchemaV1) is documented by its project.
    if (declarations.length > 0 && declarations.every((d) => d.getSourceFile().fileName.includes("/node_modules/"))) {
      continue;
    }
    const documented = declarations.some((declaration) => {
      const docs = ts.getJSDocCommentsAndTags(declaration).filter(ts.isJSDoc);
      const described = docs.some((doc) => (ts.getTextOfJSDocComment(doc.comment) ?? "").trim().length > 0);
      const example = ts.getJSDocTags(declaration).some((tag) => tag.tagName.text === "example");
      return described && example;
    });
    if (!documented) missing.push(exported.getName());
  }
  return missing.sort();
}

describe("the public API's documentation", () => {
  for (const entry of entries) {
    it(`${entry.slice(root.length)}: every export has JSDoc with an @example`, () => {
      expect(undocumented(entry)).toEqual([]);
    });
  }
});
