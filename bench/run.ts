/**
 * Benchmark: the engine against a plain Promise graph and p-graph, on no-op steps,
 * so the numbers measure orchestration only.
 *
 *   npx tsx bench/run.ts [--runs 5] [--timeout 30] [--parallel-limit 10|inf] [--only id,id]
 *
 * Every series (one runner on one workload) is one warm-up run, discarded, then
 * `--runs` timed runs in a worker thread of this process; the median is reported.
 * A timed run builds the runner's structures (for the engine, a fresh workflow
 * definition, so the per-definition plan/machine caches never help) and runs them.
 * A series still running after `--timeout` seconds is stopped and reported as a
 * lower bound. Prints a table and writes bench/results/latest.json; exits non-zero
 * if anything failed, timed out, or planning took a second or more.
 */

import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { type DagSpec, stepCount } from "./dags.js";
import { measureSeries, type SeriesResult } from "./measure.js";
import {
  type Estimate,
  perStepUs,
  RUNNERS,
  ratio,
  resultsTable,
  scaling,
  scalingTable,
  timeOf,
  type Workload,
  type WorkloadResult,
} from "./report.js";
import type { RunnerName } from "./runners.js";

interface Settings {
  readonly runs: number;
  readonly timeoutSeconds: number;
  readonly parallelLimit: number;
  readonly only: readonly string[] | undefined;
}

function parseSettings(argv: readonly string[]): Settings {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      runs: { type: "string", default: "5" },
      timeout: { type: "string", default: "30" },
      "parallel-limit": { type: "string", default: "10" },
      only: { type: "string" },
    },
    strict: true,
  });
  const positiveInt = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} expects an integer >= 1, got ${text}`);
    return n;
  };
  const limit = values["parallel-limit"];
  return {
    runs: positiveInt("runs", values.runs),
    timeoutSeconds: positiveInt("timeout", values.timeout),
    parallelLimit: /^(inf|infinity|unbounded)$/i.test(limit)
      ? Number.POSITIVE_INFINITY
      : positiveInt("parallel-limit", limit),
    only: values.only?.split(",").map((id) => id.trim()),
  };
}

const workload = (id: string, label: string, mode: Workload["mode"], dag: DagSpec): Workload => ({
  id,
  label,
  mode,
  dag,
  steps: stepCount(dag),
});

const WORKLOADS: readonly Workload[] = [
  workload("chain-1000", "chain of 1,000", "execute", { shape: "chain", size: 1_000 }),
  workload("fan-out-1000", "fan-out 1 → 1,000 → 1", "execute", { shape: "fan-out", size: 1_000 }),
  workload("fan-out-10000", "fan-out 1 → 10,000 → 1", "execute", { shape: "fan-out", size: 10_000 }),
  workload("plan-chain-100000", "plan: chain of 100,000", "plan", { shape: "chain", size: 100_000 }),
];

const PLANNING_LIMIT_MS = 1_000;

function describe(result: SeriesResult): string {
  switch (result.status) {
    case "ok":
      return `${result.medianMs.toFixed(2)} ms (runs: ${result.samplesMs.map((ms) => ms.toFixed(1)).join(", ")})`;
    case "timeout":
      return `TIMEOUT after ${result.budgetMs / 1000} s (${result.finishedMs.length} runs finished)`;
    case "failed":
      return `FAILED: ${result.message.split("\n")[0]}`;
  }
}

async function runAll(settings: Settings): Promise<WorkloadResult[]> {
  const selected = WORKLOADS.filter((w) => settings.only === undefined || settings.only.includes(w.id));
  if (selected.length === 0) throw new Error(`--only matched no workload (ids: ${WORKLOADS.map((w) => w.id)})`);
  const results: WorkloadResult[] = [];
  for (const w of selected) {
    const series = {} as Record<RunnerName, SeriesResult>;
    for (const runner of RUNNERS) {
      process.stderr.write(`  ${w.id} / ${runner} … `);
      const result = await measureSeries(
        {
          dag: w.dag,
          runner: { runner, mode: w.mode, parallelLimit: settings.parallelLimit },
          runs: settings.runs,
        },
        settings.timeoutSeconds * 1000,
      );
      process.stderr.write(`${describe(result)}\n`);
      series[runner] = result;
    }
    results.push({ workload: w, series });
  }
  return results;
}

function problemsOf(results: readonly WorkloadResult[]): string[] {
  const problems: string[] = [];
  for (const { workload: w, series } of results) {
    for (const runner of RUNNERS) {
      const result = series[runner];
      if (result.status !== "ok") problems.push(`${w.id} / ${runner}: ${describe(result)}`);
    }
    const planning = timeOf(series.engine);
    if (w.mode === "plan" && planning !== undefined && planning.value >= PLANNING_LIMIT_MS) {
      problems.push(`${w.id} / engine: planning took ${planning.value.toFixed(0)} ms (limit ${PLANNING_LIMIT_MS} ms)`);
    }
  }
  return problems;
}

const json = (estimate: Estimate | undefined) => estimate ?? null;

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  const limit = Number.isFinite(settings.parallelLimit) ? String(settings.parallelLimit) : "∞";
  const baselines = Number.isFinite(settings.parallelLimit)
    ? `p-graph concurrency ${limit}; plain Promise graph unbounded`
    : "plain Promise graph and p-graph unbounded";
  const environment = {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
  };

  console.log(
    `Measuring: median of ${settings.runs} runs after 1 warm-up, per-series timeout ${settings.timeoutSeconds} s ` +
      `(Node ${environment.node}, ${environment.platform}, ${environment.cpus} CPUs)`,
  );
  const results = await runAll(settings);

  console.log("");
  console.log(`Compile + execute, no-op steps. Engine parallelLimit ${limit}; ${baselines}.`);
  console.log("Planning row: engine = build definition + plan(wf); plain = name index + Kahn topological sort;");
  console.log("p-graph = new PGraph(nodes, edges) (dependency sets, cycle check, priorities).");
  console.log("");
  console.log(resultsTable(results));

  const small = results.find((r) => r.workload.id === "fan-out-1000");
  const large = results.find((r) => r.workload.id === "fan-out-10000");
  const scalingRows = small && large ? scaling(small, large) : [];
  if (scalingRows.length > 0) {
    console.log("");
    console.log("Scaling, fan-out 1,000 → 10,000 (µs per step; 1.0× = linear, 10× = quadratic):");
    console.log(scalingTable(scalingRows, "1,000", "10,000"));
  }

  const problems = problemsOf(results);
  const report = {
    generatedAt: new Date().toISOString(),
    environment,
    settings: {
      runs: settings.runs,
      warmupRuns: 1,
      timeoutSeconds: settings.timeoutSeconds,
      engineParallelLimit: Number.isFinite(settings.parallelLimit) ? settings.parallelLimit : "unbounded",
      baselines,
      timed: "compile + execute (fresh definition per run); planning row: build + plan",
    },
    workloads: results.map(({ workload: w, series }) => {
      const engine = timeOf(series.engine);
      return {
        id: w.id,
        label: w.label,
        mode: w.mode,
        steps: w.steps,
        engine: series.engine,
        plain: series.plain,
        pGraph: series["p-graph"],
        engineMs: json(engine),
        engineUsPerStep: json(perStepUs(series.engine, w.steps)),
        ratioEngineToPlain: json(ratio(engine, timeOf(series.plain))),
        ratioEngineToPGraph: json(ratio(engine, timeOf(series["p-graph"]))),
      };
    }),
    scaling: scalingRows.map((s) => ({
      runner: s.runner,
      usPerStep1000: json(s.small),
      usPerStep10000: json(s.large),
      ratio: json(s.ratio),
    })),
    problems,
  };
  const dir = new URL("./results/", import.meta.url);
  await mkdir(dir, { recursive: true });
  const file = new URL("latest.json", dir);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log("");
  console.log(`Wrote ${file.pathname}`);

  if (problems.length > 0) {
    console.error("");
    console.error(`PROBLEMS (${problems.length}):`);
    for (const problem of problems) console.error(`  - ${problem}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
