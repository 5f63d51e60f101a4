/**
 * Progress of a run on the terminal. On a TTY: one line per step (state, attempt,
 * duration), redrawn in place, retries and compensations visible as they happen. Not
 * on a TTY: one plain line per event.
 */

import type { StepStatus, WorkflowEvent, WorkflowPlan } from "../index.js";

export interface Progress {
  event(event: WorkflowEvent): void;
  /** Draw the last frame and stop redrawing. */
  stop(): void;
}

const SYMBOL: Record<StepStatus, string> = {
  pending: "·",
  running: "▶",
  retrying: "↻",
  succeeded: "✓",
  failed: "✗",
  degraded: "◐",
  skipped: "–",
  cancelled: "⊘",
  compensating: "↶",
  compensated: "↶",
  kept: "⊙",
  compensation_failed: "!",
};

const COLOR: Partial<Record<StepStatus, string>> = {
  running: "36",
  retrying: "33",
  succeeded: "32",
  failed: "31",
  degraded: "33",
  kept: "35",
  compensating: "35",
  compensated: "35",
  compensation_failed: "31",
  cancelled: "33",
  skipped: "2",
  pending: "2",
};

interface Row {
  status: StepStatus;
  attempt: number;
  startedAt: number | undefined;
  endedAt: number | undefined;
  note: string;
}

/** One event on one line: its type, where, and what it says (attempt, delay, duration, why). */
export function eventLine(e: WorkflowEvent): string {
  const where = e.path === undefined ? "" : `${e.path.join("/")}/`;
  const details = [
    e.attempt === undefined ? "" : `attempt ${e.attempt}`,
    e.delayMs === undefined ? "" : `retry in ${e.delayMs} ms`,
    e.durationMs === undefined ? "" : `${Math.round(e.durationMs)} ms`,
    e.reason ?? "",
    // The step is on the line already: its error says what went wrong, once.
    e.error === undefined ? "" : e.error.step === e.step ? e.error.detail : e.error.message,
  ].filter(Boolean);
  return `${e.type.padEnd(24)} ${where}${e.step ?? ""}${details.length > 0 ? ` (${details.join(", ")})` : ""}`.trimEnd();
}

/** Plain lines, one per event (for logs and pipes). */
export function lineProgress(write: (line: string) => void, now: () => number = Date.now): Progress {
  // Times are the events' own, from the first one seen (a resumed run's history included).
  let start: number | undefined;
  return {
    event(e) {
      start ??= Math.min(e.timestamp, now());
      const ms = String(e.timestamp - start).padStart(5);
      write(`[+${ms} ms] ${eventLine(e)}`);
    },
    stop() {},
  };
}

/** A live table of steps, redrawn in place (for a terminal). */
export function liveProgress(plan: WorkflowPlan, stream: NodeJS.WriteStream, now: () => number = Date.now): Progress {
  const rows = new Map<string, Row>();
  for (const step of plan.steps) {
    rows.set(step.name, { status: "pending", attempt: 0, startedAt: undefined, endedAt: undefined, note: "" });
  }
  const start = now();
  let header = `${plan.workflow}@${plan.version}`;
  let drawn = 0;
  const width = Math.max(...plan.steps.map((s) => s.name.length), 4);

  const render = () => {
    const lines = [`${header}  ${((now() - start) / 1000).toFixed(1)} s`];
    const all = [...rows.entries()];
    const room = Math.max((stream.rows || 40) - 3, 5);
    // Large workflows: show the steps that are doing something, and count the rest.
    const shown = all.length <= room ? all : all.filter(([, r]) => r.status !== "pending" && r.status !== "succeeded");
    for (const [name, row] of shown.slice(-room)) lines.push(formatRow(name, row, width, now));
    if (shown.length !== all.length) {
      const counts = new Map<StepStatus, number>();
      for (const [, r] of all) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
      lines.push(`  ${[...counts].map(([s, n]) => `${n} ${s}`).join(", ")}`);
    }
    let out = drawn > 0 ? `\x1b[${drawn}F` : "";
    for (const line of lines) out += `\x1b[2K${line}\n`;
    stream.write(out);
    drawn = lines.length;
  };
  const timer = setInterval(render, 100);
  timer.unref();

  return {
    event(e) {
      if (e.path !== undefined) {
        const row = rows.get(e.path[0]!);
        if (row !== undefined && e.step !== undefined) row.note = `${e.step}: ${e.type.replace("step.", "")}`;
        return;
      }
      if (e.type.startsWith("workflow.") && e.type !== "workflow.started")
        header = `${plan.workflow}@${plan.version} ${e.type.slice(9)}`;
      const row = e.step === undefined ? undefined : rows.get(e.step);
      if (row === undefined) return;
      const t = now();
      switch (e.type) {
        case "step.started":
          row.status = "running";
          row.attempt = e.attempt ?? 1;
          // The time shown is the current attempt's own, not the step's since its first one.
          row.startedAt = t;
          row.endedAt = undefined;
          row.note = "";
          break;
        case "step.retrying":
          row.status = "retrying";
          row.endedAt = t;
          row.note = `retry in ${e.delayMs} ms: ${e.error?.message ?? ""}`;
          break;
        case "step.cached":
          row.note = "from cache";
          break;
        case "step.succeeded":
          row.status = "succeeded";
          row.endedAt = t;
          break;
        case "step.failed":
          row.status = "failed";
          row.endedAt = t;
          row.note = e.error?.message ?? "";
          break;
        case "step.degraded":
          row.status = "degraded";
          row.endedAt = t;
          row.note = `degraded: ${e.error?.message ?? ""}`;
          break;
        case "step.skipped":
          row.status = "skipped";
          break;
        case "step.cancelled":
          row.status = "cancelled";
          row.endedAt = t;
          break;
        case "step.compensating":
          row.status = "compensating";
          row.note = `compensating (attempt ${e.attempt ?? 1})`;
          break;
        case "step.compensated":
          row.status = "compensated";
          row.note = "compensated";
          break;
        case "step.kept":
          row.status = "kept";
          row.note = `kept: ${e.reason ?? ""}`;
          break;
        case "step.compensation_failed":
          row.status = "compensation_failed";
          row.note = `compensation failed: ${e.error?.message ?? ""}`;
          break;
      }
      render();
    },
    stop() {
      clearInterval(timer);
      render();
    },
  };
}

function formatRow(name: string, row: Row, width: number, now: () => number): string {
  const color = COLOR[row.status] ?? "0";
  const took =
    row.startedAt === undefined ? "" : `${(((row.endedAt ?? now()) - row.startedAt) / 1000).toFixed(1)} s`.padStart(7);
  const attempt = row.attempt > 1 ? ` attempt ${row.attempt}` : "";
  const state = `\x1b[${color}m${SYMBOL[row.status]} ${row.status.padEnd(19)}\x1b[0m`;
  return `  ${state} ${name.padEnd(width)} ${took}${attempt}${row.note ? `  ${row.note}` : ""}`;
}
