/** The workflows of the durable benchmark, shared by its engine processes. */
import { workflow } from "../src/index.js";

const output = { files: Array.from({ length: 5 }, (_, i) => `src/file-${i}.ts`), findings: 12 };

/** Three steps, each depending on the one before, with outputs of a few hundred bytes. */
export const three = workflow("three")
  .step("parse", { inputs: ["n"], outputs: ["parsed"], run: ({ n }) => ({ parsed: { n, ...output } }) })
  .step("analyse", { inputs: ["parsed"], outputs: ["findings"], run: ({ parsed }) => ({ findings: parsed.findings }) })
  .step("report", { inputs: ["findings"], outputs: ["report"], run: ({ findings }) => ({ report: `${findings}` }) });
