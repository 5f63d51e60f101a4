import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseTrace } from "../../src/trace-viewer/parse.js";
import { traceSummary } from "../../src/trace-viewer/summary.js";
import { type TimelineBar, traceTimeline } from "../../src/trace-viewer/timeline.js";
import { eventMs, TraceBuilder } from "./trace-builder.js";

const fixture = (name: string) =>
  parseTrace(readFileSync(new URL(`../fixtures/traces/${name}.jsonl`, import.meta.url), "utf8"));

/** The bars of a row, reduced to what a test compares. */
const shape = (bars: readonly TimelineBar[]) =>
  bars.map((b) => [b.kind, b.attempt, b.startMs, b.endMs, b.outcome] as const);

describe("traceTimeline on the compensated fixture", () => {
  const trace = fixture("compensated-run");
  const timeline = traceTimeline(trace);
  const row = (step: string) => timeline.rows.find((r) => r.step === step)!;
  const at = (type: Parameters<typeof eventMs>[1], step: string, attempt?: number) =>
    eventMs(trace, type, step, attempt);

  it("has one row per step, in header order, with the footer's final statuses", () => {
    expect(timeline.rows.map((r) => [r.step, r.status, r.attempts])).toEqual([
      ["reserve_build_slot", "compensated", 1],
      ["generate_client", "compensated", 2],
      ["type_check", "failed", 1],
      ["publish", "pending", 0],
    ]);
    expect(timeline.complete).toBe(true);
    expect(timeline.durationMs).toBe(trace.footer!.finishedAt - trace.header.startedAt);
  });

  it("draws an attempt, a retry wait, the retried attempt, then the compensation of the retried step", () => {
    expect(shape(row("generate_client").bars)).toEqual([
      ["attempt", 1, at("step.started", "generate_client", 1), at("step.retrying", "generate_client", 1), "retried"],
      ["retry-wait", 2, at("step.retrying", "generate_client", 1), at("step.started", "generate_client", 2), "waited"],
      ["attempt", 2, at("step.started", "generate_client", 2), at("step.succeeded", "generate_client", 2), "succeeded"],
      [
        "compensation",
        1,
        at("step.compensating", "generate_client"),
        at("step.compensated", "generate_client"),
        "compensated",
      ],
    ]);
    const [failed, wait] = row("generate_client").bars;
    expect(failed!.error).toContain("HTTP 429");
    expect(failed!.errorCode).toBe("STEP_FAILED");
    expect(wait!.delayMs).toBe(300);
    expect(wait!.durationMs).toBeGreaterThanOrEqual(300);
    expect(wait!.error).toBe(failed!.error);
  });

  it("ends the failed step's attempt with its error, and compensates b then a", () => {
    expect(shape(row("type_check").bars)).toEqual([
      ["attempt", 1, at("step.started", "type_check"), at("step.failed", "type_check"), "failed"],
    ]);
    expect(row("type_check").bars[0]!.error).toMatch(
      /^src\/gen\/client\.ts\(42,7\): error TS2322: Type 'Promise<string>'/,
    );
    expect(shape(row("reserve_build_slot").bars)).toEqual([
      ["attempt", 1, at("step.started", "reserve_build_slot"), at("step.succeeded", "reserve_build_slot"), "succeeded"],
      [
        "compensation",
        1,
        at("step.compensating", "reserve_build_slot"),
        at("step.compensated", "reserve_build_slot"),
        "compensated",
      ],
    ]);
    expect(at("step.compensated", "generate_client")).toBeLessThanOrEqual(
      at("step.compensating", "reserve_build_slot"),
    );
    expect(row("publish").bars).toEqual([]);
  });

  it("counts one attempt bar per step.started event", () => {
    const started = trace.entries.filter((e) => e.kind === "event" && e.event.type === "step.started").length;
    expect(timeline.attempts).toBe(started);
    expect(timeline.rows.flatMap((r) => r.bars).filter((b) => b.kind === "attempt")).toHaveLength(started);
  });

  it("summarises: failures, rollback order, retries", () => {
    const summary = traceSummary(trace, timeline);
    expect(summary).toMatchObject({ status: "failed", steps: 4, attempts: 4, retries: 1 });
    expect(summary.compensated).toEqual(["generate_client", "reserve_build_slot"]);
    expect(summary.failures.map((f) => [f.step, f.attempt, f.code])).toEqual([["type_check", 1, "NON_RETRYABLE"]]);
    expect(summary.error?.code).toBe("NON_RETRYABLE");
  });
});

describe("traceTimeline", () => {
  it("groups sub-workflow events under their parent step, as nested rows", () => {
    const timeline = traceTimeline(fixture("edge-cases"));
    expect(timeline.rows.map((r) => r.label)).toEqual([
      'create "network" <vpc>',
      "database",
      "database › allocate_volume",
      "database › start_database",
      "warm <cache> & 'cdn'",
      "deploy_app",
    ]);
    const nested = timeline.rows[2]!;
    expect(nested.path).toEqual(["database"]);
    expect(nested.bars.map((b) => [b.kind, b.outcome])).toEqual([
      ["attempt", "succeeded"],
      ["compensation", "compensated"],
    ]);
    // The sub-workflow's rollback runs inside the parent step's compensation.
    const parent = timeline.rows[1]!.bars.find((b) => b.kind === "compensation")!;
    expect(nested.bars[1]!.startMs).toBeGreaterThanOrEqual(parent.startMs);
    expect(nested.bars[1]!.endMs).toBeLessThanOrEqual(parent.endMs);
  });

  it("splits a retried compensation into attempts, each lasting until the next", () => {
    const trace = parseTrace(
      new TraceBuilder(["a", ["b", ["a"]]])
        .event(0, "step.started", { step: "a", attempt: 1 })
        .event(10, "step.succeeded", { step: "a", attempt: 1 })
        .event(10, "step.started", { step: "b", attempt: 1 })
        .event(30, "step.failed", { step: "b", attempt: 1, error: "boom <b>" })
        .event(31, "step.compensating", { step: "a", attempt: 1 })
        .event(45, "step.compensating", { step: "a", attempt: 2 })
        .event(50, "step.compensation_failed", { step: "a", attempt: 2, error: "undo failed" })
        .result(51, {
          status: "failed",
          steps: { a: { status: "compensation_failed", attempts: 1 }, b: { status: "failed", attempts: 1 } },
          compensation: { compensated: [], failed: ["a"] },
          error: "boom <b>",
        })
        .text(),
    );
    const timeline = traceTimeline(trace);
    expect(shape(timeline.rows[0]!.bars)).toEqual([
      ["attempt", 1, 0, 10, "succeeded"],
      ["compensation", 1, 31, 45, "retried"],
      ["compensation", 2, 45, 50, "failed"],
    ]);
    expect(timeline.rows[0]!.bars[2]!.error).toBe("undo failed");
    const summary = traceSummary(trace);
    expect(summary.compensationFailures.map((f) => [f.step, f.attempt, f.message])).toEqual([["a", 2, "undo failed"]]);
    expect(summary.failures.map((f) => f.message)).toEqual(["boom <b>"]);
  });

  it("marks cache hits, and a retry wait cut short by a cancellation", () => {
    const timeline = traceTimeline(
      parseTrace(
        new TraceBuilder(["hit", "flaky"])
          .event(0, "step.started", { step: "hit", attempt: 1 })
          .event(1, "step.cached", { step: "hit", attempt: 1 })
          .event(1, "step.succeeded", { step: "hit", attempt: 1 })
          .event(0, "step.started", { step: "flaky", attempt: 1 })
          .event(5, "step.retrying", { step: "flaky", attempt: 1, delayMs: 1000, error: "503" })
          .event(20, "step.cancelled", { step: "flaky", attempt: 1, error: "cancelled" })
          .text(),
      ),
    );
    expect(shape(timeline.rows[0]!.bars)).toEqual([["attempt", 1, 0, 1, "cached"]]);
    expect(shape(timeline.rows[1]!.bars)).toEqual([
      ["attempt", 1, 0, 5, "retried"],
      ["retry-wait", 2, 5, 20, "cancelled"],
    ]);
    expect(timeline.rows[1]!.status).toBe("cancelled");
  });

  it("ends bars still open at the trace's last entry when the result line is missing", () => {
    const trace = fixture("cut-short");
    const timeline = traceTimeline(trace);
    expect(timeline.complete).toBe(false);
    const last = Math.max(...trace.entries.map((e) => e.at)) - trace.header.startedAt;
    expect(timeline.durationMs).toBe(last);
    const orders = timeline.rows.find((r) => r.step === "unpack_orders")!;
    expect(orders.status).toBe("running");
    expect(orders.bars.map((b) => [b.kind, b.endMs, b.outcome])).toEqual([["attempt", last, "unfinished"]]);
    expect(timeline.rows.find((r) => r.step === "load")!.status).toBe("pending");
    expect(traceSummary(trace).status).toBe("incomplete");
  });

  it("numbers attempts by count when an event has no attempt", () => {
    const timeline = traceTimeline(
      parseTrace(
        new TraceBuilder(["a"])
          .event(0, "step.started", { step: "a" })
          .event(2, "step.retrying", { step: "a", delayMs: 1 })
          .event(3, "step.started", { step: "a" })
          .event(4, "step.succeeded", { step: "a" })
          .text(),
      ),
    );
    expect(shape(timeline.rows[0]!.bars)).toEqual([
      ["attempt", 1, 0, 2, "retried"],
      ["retry-wait", 2, 2, 3, "waited"],
      ["attempt", 2, 3, 4, "succeeded"],
    ]);
  });

  it("has a row for every header step, even with no events at all", () => {
    const timeline = traceTimeline(parseTrace(new TraceBuilder(["only"]).text()));
    expect(timeline.rows.map((r) => [r.step, r.status, r.bars.length])).toEqual([["only", "pending", 0]]);
    expect(timeline.durationMs).toBe(0);
    expect(timeline.attempts).toBe(0);
  });
});
