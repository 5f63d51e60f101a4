/**
 * Benchmark: the engine against a plain Promise graph and p-graph, on workloads
 * W1–W8 (see workloads.ts), so the numbers measure orchestration only.
 *
 *   npx tsx bench/run.ts [--quick] [--runs 5] [--timeout 30] [--parallel-limit inf|N] [--only W1,W5]
 *
 * Every series (one runner on one row of a workload) runs in its own worker thread
 * of this process: one warm-up sample, discarded, then `--runs` timed samples, of
 * which the median is reported. A series still running after `--timeout` seconds is
 * stopped and reported as a bound. Prints a table and writes
 * bench/results/latest.json. Targets are reported, not asserted: the exit code is
 * non-zero only when a series failed (an error, an engine result not "succeeded",
 * or a runner that did not run every step).
 */

import { mkdir, writeFile } from "node:fs/promises";
import { failuresOf, measureWorkloads, timeoutsOf } from "./outcome.js";
import { resultsTable, scalingTable } from "./report.js";
import { environment, resultsJson } from "./results.js";
import { parseSettings } from "./settings.js";
import { workloads } from "./workloads.js";

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  const selected = workloads(settings);
  const env = environment();
  const limit = Number.isFinite(settings.parallelLimit) ? String(settings.parallelLimit) : "unbounded";

  console.log(
    `Measuring ${selected.map((w) => w.id).join(", ")}: median of ${settings.runs} runs after 1 warm-up, ` +
      `per-series timeout ${settings.timeoutSeconds} s (Node ${env.node}, ${env.platform}, ${env.cpus} CPUs)`,
  );
  const outcomes = await measureWorkloads(selected, settings, (line) => process.stderr.write(`${line}\n`));

  console.log("");
  console.log(
    `No-op steps returning a small object. W1–W3, W6: engine parallelLimit and p-graph concurrency ${limit}; ` +
      "W4, W5, W8: runners' defaults (engine 10, p-graph unbounded). The plain Promise graph is always unbounded.",
  );
  for (const { workload } of outcomes) console.log(`  ${workload.id} ${workload.title}: ${workload.method}.`);
  console.log(
    "Ratios are engine ÷ other in the row's unit; '>' / '<' mark bounds from series stopped at their timeout.",
  );
  console.log("");
  console.log(resultsTable(outcomes));

  const scaling = outcomes.find((o) => o.workload.id === "W6");
  if (scaling !== undefined) {
    console.log("");
    console.log("W6 scaling (µs per step; a total time ratio of 10× is linear, 100× quadratic):");
    console.log(scalingTable(scaling));
  }

  const failures = failuresOf(outcomes);
  const timeouts = timeoutsOf(outcomes);
  if (timeouts.length > 0) {
    console.log("");
    console.log(`Timed out (reported as bounds, not failures):`);
    for (const line of timeouts) console.log(`  - ${line}`);
  }

  const dir = new URL("./results/", import.meta.url);
  await mkdir(dir, { recursive: true });
  const file = new URL("latest.json", dir);
  await writeFile(file, `${JSON.stringify(resultsJson(outcomes, settings, failures, timeouts), null, 2)}\n`);
  console.log("");
  console.log(`Wrote ${file.pathname}`);

  if (failures.length > 0) {
    console.error("");
    console.error(`FAILED (${failures.length}):`);
    for (const failure of failures) console.error(`  - ${failure.split("\n")[0]}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
