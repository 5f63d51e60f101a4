/**
 * Regenerates this folder (`npm run visualize`): for every workflow an example exports,
 * its step DAG as Mermaid and SVG, and the step actor's state chart as Mermaid.
 * Uses only the public API.
 */
import { readdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { isWorkflow, stepMachineMermaid, toMermaid, toSvg } from "../src/index.js";

const here = new URL(".", import.meta.url).pathname;
const examples = join(here, "..", "examples");
const written: string[] = [];

for (const file of readdirSync(examples)
  .filter((f) => f.endsWith(".ts"))
  .sort()) {
  const exports = (await import(pathToFileURL(join(examples, file)).href)) as Record<string, unknown>;
  for (const value of Object.values(exports)) {
    if (!isWorkflow(value)) continue;
    const stem = `${basename(file, ".ts")}.${value.name}`;
    writeFileSync(join(here, `${stem}.mmd`), toMermaid(value));
    writeFileSync(join(here, `${stem}.svg`), toSvg(value));
    written.push(`${stem}.mmd`, `${stem}.svg`);
  }
}
writeFileSync(join(here, "step-actor.mmd"), stepMachineMermaid());
written.push("step-actor.mmd");
console.log(`visualizations/: ${written.join(", ")}`);
