/**
 * The committed diagrams in visualizations/: well-formed, naming every step, and up to
 * date with the examples (regenerate with `npm run visualize`).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { type AnyWorkflow, isWorkflow, stepMachineMermaid, stepStates, toMermaid, toSvg } from "../src/index.js";

const root = new URL("..", import.meta.url).pathname;
const folder = join(root, "visualizations");

async function exampleWorkflows(): Promise<{ stem: string; wf: AnyWorkflow }[]> {
  const found: { stem: string; wf: AnyWorkflow }[] = [];
  for (const file of readdirSync(join(root, "examples")).filter((f) => f.endsWith(".ts"))) {
    const exports = (await import(pathToFileURL(join(root, "examples", file)).href)) as Record<string, unknown>;
    for (const value of Object.values(exports)) {
      if (isWorkflow(value)) found.push({ stem: `${file.replace(/\.ts$/, "")}.${value.name}`, wf: value });
    }
  }
  return found;
}

describe("visualizations/", async () => {
  const workflows = await exampleWorkflows();

  it("has a diagram for every example workflow", () => {
    expect(workflows.map((w) => w.stem).sort()).toEqual([
      "code-analysis.code_analysis",
      "codegen-transaction.code_generation_transaction",
      "generate-docs.generate_documentation",
    ]);
  });

  it.each(workflows.map((w) => [w.stem, w.wf] as const))(
    "%s: well-formed SVG naming every step, up to date",
    (stem, wf) => {
      const svg = readFileSync(join(folder, `${stem}.svg`), "utf8");
      expect(XMLValidator.validate(svg)).toBe(true);
      for (const step of wf.steps) expect(svg).toContain(`>${step.name}<`);
      expect(svg).toBe(toSvg(wf));
      expect(readFileSync(join(folder, `${stem}.mmd`), "utf8")).toBe(toMermaid(wf));
    },
  );

  it("has the step actor's state chart", () => {
    const chart = readFileSync(join(folder, "step-actor.mmd"), "utf8");
    expect(chart).toBe(stepMachineMermaid());
    for (const state of Object.keys(stepStates)) expect(chart).toContain(state);
  });
});
