/**
 * `rubberduck runs` and `rubberduck runs show`: the executions journaled in a store,
 * through the engine's public `runs` API.
 */

import type { RunDetails, RunRecord } from "../index.js";
import { eventLine } from "./progress.js";

const STATUS_MARK: Record<string, string> = {
  running: "▶",
  stopping: "■",
  compensating: "↶",
  succeeded: "✓",
  failed: "✗",
  cancelled: "⊘",
  timed_out: "⏱",
};

const time = (ms: number | undefined) =>
  ms === undefined ? "" : new Date(ms).toISOString().replace("T", " ").slice(0, 19);

const duration = (run: RunRecord) => {
  const end = run.finishedAt ?? run.updatedAt;
  const ms = end - run.startedAt;
  return ms < 1_000 ? `${ms} ms` : `${(ms / 1_000).toFixed(1)} s`;
};

/** One line per execution, newest first. */
export function runsTable(runs: readonly RunRecord[]): string {
  if (runs.length === 0) return "No executions.\n";
  const rows = runs.map((r) => [
    r.executionId,
    `${STATUS_MARK[r.status] ?? "?"} ${r.status}`,
    `${r.workflow}@${r.version}`,
    time(r.startedAt),
    duration(r),
    r.finishedAt === undefined ? (r.owner ?? "") : "",
  ]);
  const head = ["EXECUTION", "STATUS", "WORKFLOW", "STARTED (UTC)", "DURATION", "OWNER"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return `${[line(head), ...rows.map(line)].join("\n")}\n`;
}

/** An execution's summary and its journal, one event per line. */
export function runDetails({ run, events, result }: RunDetails): string {
  const lines = [
    `${run.executionId}  ${STATUS_MARK[run.status] ?? "?"} ${run.status}  ${run.workflow}@${run.version}`,
    `  started   ${time(run.startedAt)}${run.finishedAt === undefined ? "" : `, finished ${time(run.finishedAt)} (${duration(run)})`}`,
    `  lease     ${run.owner ?? "none"}${run.finishedAt === undefined && run.leaseUntil !== undefined ? ` until ${time(run.leaseUntil)}` : ""}, epoch ${run.epoch}`,
    `  hash      ${run.definitionHash.slice(0, 16)}`,
  ];
  if (run.idempotencyKey !== undefined) lines.push(`  key       ${run.idempotencyKey}`);
  if (Object.keys(run.metadata).length > 0) lines.push(`  metadata  ${JSON.stringify(run.metadata)}`);
  // From the journal itself: `runs show` needs no module (the result needs the definition).
  const own = events.filter((e) => e.path === undefined);
  const error = result?.error ?? own.findLast((e) => e.type.startsWith("workflow.") && e.error !== undefined)?.error;
  if (error !== undefined) lines.push(`  error     ${error.message}`);
  const compensated = own.filter((e) => e.type === "step.compensated").map((e) => e.step!);
  if (compensated.length > 0) lines.push(`  compensated, in order: ${compensated.join(", ")}`);
  lines.push("", `${events.length} events:`);
  const start = events[0]?.timestamp ?? run.startedAt;
  for (const e of events)
    lines.push(`  ${String(e.seq).padStart(4)}  +${String(e.timestamp - start).padStart(6)} ms  ${eventLine(e)}`);
  return `${lines.join("\n")}\n`;
}
