/**
 * The analysis engines of the code-analysis example: plain functions over
 * TypeScript syntax trees (from the TypeScript compiler API).
 */
import { readFile } from "node:fs/promises";
import ts from "typescript";

export interface ParsedFile {
  path: string;
  lines: string[];
  source: ts.SourceFile;
}

export interface Finding {
  file: string;
  line: number;
  rule: string;
  message: string;
}

/** A file's text: what crosses to a worker thread (a syntax tree cannot: it is a graph of class instances). */
export interface SourceText {
  path: string;
  text: string;
}

export async function readSource(path: string, signal: AbortSignal): Promise<SourceText> {
  return { path, text: await readFile(path, { encoding: "utf8", signal }) };
}

export function parseFile({ path, text }: SourceText): ParsedFile {
  const kind = path.endsWith(".tsx") ? ts.ScriptKind.TSX : path.endsWith(".js") ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, kind);
  return { path, lines: text.split("\n"), source };
}

/** The trees parsed in this thread, by path: analyses that run here one after the other parse once. */
const parsedHere = new Map<string, { text: string; parsed: ParsedFile }>();

/** Parse each source, or reuse this thread's tree of the same text. */
export function parseSources(sources: readonly SourceText[]): ParsedFile[] {
  if (parsedHere.size > 10_000) parsedHere.clear();
  return sources.map((source) => {
    const hit = parsedHere.get(source.path);
    if (hit?.text === source.text) return hit.parsed;
    const parsed = parseFile(source);
    parsedHere.set(source.path, { text: source.text, parsed });
    return parsed;
  });
}

function lineOf(file: ParsedFile, node: ts.Node): number {
  return file.source.getLineAndCharacterOfPosition(node.getStart(file.source)).line + 1;
}

function walk(node: ts.Node, visit: (node: ts.Node) => void): void {
  visit(node);
  ts.forEachChild(node, (child) => walk(child, visit));
}

/** Semantic findings: explicit `any`, and exports no other analysed file imports. */
export function semanticFindings(files: readonly ParsedFile[]): Finding[] {
  const findings: Finding[] = [];
  const imported = new Set<string>();
  const exported: { file: ParsedFile; name: string; node: ts.Node }[] = [];
  for (const file of files) {
    walk(file.source, (node) => {
      if (node.kind === ts.SyntaxKind.AnyKeyword) {
        findings.push({
          file: file.path,
          line: lineOf(file, node),
          rule: "no-explicit-any",
          message: "explicit `any`",
        });
      }
      if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
        const clause = ts.isImportDeclaration(node) ? node.importClause?.namedBindings : node.exportClause;
        if (clause && (ts.isNamedImports(clause) || ts.isNamedExports(clause))) {
          for (const el of clause.elements) imported.add((el.propertyName ?? el.name).text);
        }
      }
      const isExported =
        ts.canHaveModifiers(node) && ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
      if (isExported && (ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node)) && node.name) {
        exported.push({ file, name: node.name.text, node });
      }
      if (isExported && ts.isVariableStatement(node)) {
        for (const decl of node.declarationList.declarations) {
          if (ts.isIdentifier(decl.name)) exported.push({ file, name: decl.name.text, node: decl });
        }
      }
    });
  }
  for (const { file, name, node } of exported) {
    if (!imported.has(name)) {
      findings.push({
        file: file.path,
        line: lineOf(file, node),
        rule: "unused-export",
        message: `\`${name}\` is exported but no analysed file imports it`,
      });
    }
  }
  return findings;
}

const SECRET = /(api[_-]?key|secret|password|token)\s*[:=]\s*["'][A-Za-z0-9_\-/+=]{12,}["']/i;

/** Security findings: eval, new Function, shell commands built from interpolated strings, hard-coded secrets. */
export function securityFindings(files: readonly ParsedFile[]): Finding[] {
  const findings: Finding[] = [];
  for (const file of files) {
    walk(file.source, (node) => {
      if (ts.isCallExpression(node)) {
        const callee = node.expression.getText(file.source);
        if (callee === "eval") {
          findings.push({ file: file.path, line: lineOf(file, node), rule: "no-eval", message: "call to `eval`" });
        }
        const shell = /(^|\.)(exec|execSync|spawn|spawnSync)$/.test(callee);
        if (shell && node.arguments[0] && ts.isTemplateExpression(node.arguments[0])) {
          findings.push({
            file: file.path,
            line: lineOf(file, node),
            rule: "shell-injection",
            message: `\`${callee}\` with an interpolated command string`,
          });
        }
      }
      if (ts.isNewExpression(node) && node.expression.getText(file.source) === "Function") {
        findings.push({
          file: file.path,
          line: lineOf(file, node),
          rule: "no-new-function",
          message: "`new Function`",
        });
      }
    });
    file.lines.forEach((text, i) => {
      if (SECRET.test(text)) {
        findings.push({
          file: file.path,
          line: i + 1,
          rule: "hard-coded-secret",
          message: "looks like a hard-coded secret",
        });
      }
    });
  }
  return findings;
}

/** Style findings: long lines, TODO/FIXME markers, very long files. */
export function styleFindings(files: readonly ParsedFile[], maxLine = 120): Finding[] {
  const findings: Finding[] = [];
  for (const file of files) {
    file.lines.forEach((text, i) => {
      if (text.length > maxLine) {
        findings.push({ file: file.path, line: i + 1, rule: "max-line", message: `${text.length} characters` });
      }
      if (/\b(TODO|FIXME)\b/.test(text)) {
        findings.push({ file: file.path, line: i + 1, rule: "todo", message: text.trim() });
      }
    });
    if (file.lines.length > 400) {
      findings.push({ file: file.path, line: 1, rule: "max-file", message: `${file.lines.length} lines` });
    }
  }
  return findings;
}
