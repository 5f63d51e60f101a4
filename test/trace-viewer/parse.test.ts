import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseTrace } from "../../src/trace-viewer/parse.js";
import { TraceParseError } from "../../src/trace-viewer/trace-parse-error.js";
import { TraceBuilder } from "./trace-builder.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/traces/${name}.jsonl`, import.meta.url), "utf8");

/** The issues parseTrace throws for `text` (fails the test if it does not throw). */
function issuesOf(text: string): { line: number; message: string }[] {
  try {
    parseTrace(text);
  } catch (error) {
    expect(error).toBeInstanceOf(TraceParseError);
    expect((error as TraceParseError).code).toBe("TRACE_INVALID");
    return [...(error as TraceParseError).issues];
  }
  throw new Error("expected parseTrace to throw");
}

const header = JSON.stringify({
  kind: "run",
  executionId: "e1",
  workflow: "wf",
  version: "1.0.0",
  startedAt: 1000,
  steps: [{ name: "a", dependencies: [], depth: 0, outputs: ["x"] }],
});
const started = JSON.stringify({
  kind: "event",
  at: 1001,
  event: {
    type: "step.started",
    executionId: "e1",
    workflow: "wf",
    version: "1.0.0",
    seq: 1,
    timestamp: 1001,
    step: "a",
    attempt: 1,
  },
});
const footer = JSON.stringify({
  kind: "result",
  status: "succeeded",
  finishedAt: 1010,
  steps: { a: { status: "succeeded", attempts: 1 } },
  compensation: { compensated: [], failed: [] },
});

describe("parseTrace", () => {
  it("reads a fixture written by the engine: header, entries in order, footer", () => {
    const trace = parseTrace(fixture("compensated-run"));
    expect(trace.header.workflow).toBe("publish_release");
    expect(trace.header.steps.map((s) => s.name)).toEqual([
      "reserve_build_slot",
      "generate_client",
      "type_check",
      "publish",
    ]);
    expect(trace.entries.length).toBe(fixture("compensated-run").trim().split("\n").length - 2);
    expect(trace.entries.some((e) => e.kind === "state")).toBe(true);
    expect(trace.footer?.status).toBe("failed");
    expect(trace.footer?.compensation.compensated).toEqual(["generate_client", "reserve_build_slot"]);
  });

  it("accepts a trace without a footer (a run cut short)", () => {
    const trace = parseTrace(fixture("cut-short"));
    expect(trace.footer).toBeUndefined();
    expect(trace.entries.length).toBeGreaterThan(0);
  });

  it("ignores blank lines and Windows line ends, and keeps unknown fields", () => {
    const extra = JSON.stringify({ ...JSON.parse(footer), writer: "v2" });
    const trace = parseTrace(`\n${header}\r\n\r\n${started}\r\n${extra}\r\n\n`);
    expect(trace.entries).toHaveLength(1);
    expect((trace.footer as unknown as { writer: string }).writer).toBe("v2");
  });

  it("reports malformed JSON with its line number, and every bad line at once", () => {
    const text = [header, started, "{not json", started, '{"kind":"event","at":1}', footer].join("\n");
    const issues = issuesOf(text);
    expect(issues.map((i) => i.line)).toEqual([3, 5]);
    expect(issues[0]!.message).toMatch(/^not valid JSON: /);
    expect(issues[1]!.message).toBe("Expected `event` to be an event object, got `undefined` (undefined)");
  });

  it("says a broken last line may be a file cut off mid-write", () => {
    const issues = issuesOf(`${header}\n${started}\n${started.slice(0, 40)}`);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.line).toBe(3);
    expect(issues[0]!.message).toContain("cut off in the middle of this line");
  });

  it("names the bad field of an event, by its path", () => {
    const bad = started.replace('"step.started"', '"step.exploded"').replace('"attempt":1', '"attempt":0');
    const issues = issuesOf(`${header}\n${bad}`);
    expect(issues).toEqual([
      {
        line: 2,
        message:
          'Expected `event.type` to be a workflow event type such as `step.started`, got `"step.exploded"` (string)',
      },
      { line: 2, message: "Expected `event.attempt` to be a positive integer, got `0` (number)" },
    ]);
  });

  it("requires the step name on step events", () => {
    const issues = issuesOf(`${header}\n${started.replace('"step":"a",', "")}`);
    expect(issues).toEqual([
      { line: 2, message: "Expected `event.step` to be a step name, got `undefined` (undefined)" },
    ]);
  });

  it("requires the header first, and only once", () => {
    expect(issuesOf(`${started}\n${header}`)).toEqual([
      { line: 1, message: 'expected the `run` header as the first line, got kind "event"' },
      { line: 2, message: "the `run` header must be the first line, and only it" },
    ]);
  });

  it("checks the header's DAG: unique names, known dependencies", () => {
    const h = JSON.parse(header);
    h.steps.push(
      { name: "a", dependencies: ["ghost"], depth: 1, outputs: [] },
      { name: "", dependencies: [], depth: -1 },
    );
    const issues = issuesOf(JSON.stringify(h));
    expect(issues.every((i) => i.line === 1)).toBe(true);
    expect(issues.map((i) => i.message)).toEqual([
      "Step `a` is listed twice in `steps`",
      'Expected `steps[2].name` to be a non-empty string, got `""` (string)',
      "Expected `steps[2].depth` to be a non-negative integer, got `-1` (number)",
      "Expected `steps[2].outputs` to be an array of output names, got `undefined` (undefined)",
      "Step `a` depends on `ghost`, which is not in `steps`",
    ]);
  });

  it("allows nothing after the footer, and checks the footer's fields", () => {
    const badFooter = footer.replace('"succeeded","finishedAt"', '"done","finishedAt"');
    const issues = issuesOf(`${header}\n${badFooter}\n${started}`);
    expect(issues).toEqual([
      { line: 2, message: 'Expected `status` to be a workflow status, got `"done"` (string)' },
      { line: 3, message: "nothing may follow the `result` line (line 2)" },
    ]);
  });

  it("rejects unknown line kinds, non-objects and an empty file", () => {
    expect(issuesOf(`${header}\n{"kind":"span"}\n[1,2]`)).toEqual([
      { line: 2, message: 'unknown line kind "span" (expected "run", "event", "state" or "result")' },
      { line: 3, message: "expected a JSON object, got an array" },
    ]);
    expect(issuesOf("\n  \n")).toEqual([{ line: 1, message: "the trace is empty (expected a `run` header line)" }]);
  });

  it("puts every issue in the message, with line numbers, up to 20", () => {
    const many = [header, ...Array.from({ length: 25 }, () => "nope")].join("\n");
    const error = (() => {
      try {
        parseTrace(many);
      } catch (e) {
        return e as TraceParseError;
      }
    })()!;
    expect(error.issues).toHaveLength(25);
    expect(error.message).toMatch(/^Invalid trace file \(25 problems\):\n {2}line 2: not valid JSON/);
    expect(error.message).toContain("line 21: not valid JSON");
    expect(error.message).not.toContain("line 22:");
    expect(error.message).toMatch(/… and 5 more$/);
  });

  it("parses what the test builder writes (state entries with absent optional fields included)", () => {
    const text = new TraceBuilder(["a"]).event(0, "workflow.started").state(1, "x:0", "running").text();
    expect(parseTrace(text).entries).toHaveLength(2);
  });
});
