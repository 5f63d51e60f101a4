/**
 * Errors survive being written down: every error class round-trips through JSON into
 * the same class, message and fields; and `instanceof` recognises errors made by
 * another copy of the library.
 */
import { describe, expect, it } from "vitest";
import {
  CompensationError,
  deserializeError,
  isWorkflowError,
  NonRetryableError,
  RetriesExhaustedError,
  SnapshotRestoreError,
  StepAbortedError,
  StepError,
  StepOutputError,
  StepTimeoutError,
  SubWorkflowError,
  serializeError,
  ValidationError,
  WorkflowCancelledError,
  WorkflowDefinitionError,
  WorkflowError,
  WorkflowInputError,
  WorkflowNotFoundError,
  WorkflowTimeoutError,
  WorkflowVersionConflictError,
} from "../src/index.js";

const roundTrip = (error: unknown) => deserializeError(JSON.parse(JSON.stringify(serializeError(error))));

const samples: [string, WorkflowError][] = [
  ["definition", new WorkflowDefinitionError("wf", [{ code: "CYCLE", message: "a waits for a", steps: ["a", "a"] }])],
  ["input", new WorkflowInputError("Workflow `wf` input is missing `x`", ["x"])],
  ["validation", new ValidationError("bad", [{ message: "too short", path: ["files", 0] }], { step: "s" })],
  ["step", new StepError("s", new TypeError("nope"))],
  ["timeout", new StepTimeoutError("s", 100, 250)],
  ["output", new StepOutputError("s", ["a", "b"])],
  ["aborted", new StepAbortedError("s", "the workflow was cancelled")],
  ["non-retryable", new NonRetryableError("No such repository", { cause: "404" })],
  ["exhausted", new RetriesExhaustedError("s", [new StepError("s", "one"), new StepTimeoutError("s", 10)])],
  ["compensation", new CompensationError("s", new StepError("s", "cannot undo"))],
  ["workflow timeout", new WorkflowTimeoutError("wf", 60_000)],
  ["cancelled", new WorkflowCancelledError("wf", "user pressed stop")],
  [
    "sub-workflow",
    new SubWorkflowError("db", "create_database", "failed", new StepError("x", "boom"), { status: "failed" }),
  ],
  ["not found", new WorkflowNotFoundError("wf", "2.0.0")],
  ["version conflict", new WorkflowVersionConflictError("wf", "1.0.0")],
  ["snapshot", new SnapshotRestoreError("Workflow actor `wf`")],
];

describe("serializeError / deserializeError", () => {
  it.each(samples)("%s: the same class, message, fields and cause chain", (_name, original) => {
    const rebuilt = roundTrip(original) as WorkflowError;
    expect(rebuilt).toBeInstanceOf(original.constructor as typeof WorkflowError);
    expect(rebuilt).toBeInstanceOf(WorkflowError);
    expect(isWorkflowError(rebuilt)).toBe(true);
    expect([rebuilt.name, rebuilt.code, rebuilt.message, rebuilt.step, rebuilt.retryable, rebuilt.detail]).toEqual([
      original.name,
      original.code,
      original.message,
      original.step,
      original.retryable,
      original.detail,
    ]);
    expect(serializeError(rebuilt)).toEqual(serializeError(original));
  });

  it("rebuilds class fields, errors inside them included", () => {
    const exhausted = roundTrip(samples[8]![1]) as RetriesExhaustedError;
    expect(exhausted.attempts[1]).toBeInstanceOf(StepTimeoutError);
    expect((exhausted.attempts[1] as StepTimeoutError).timeoutMs).toBe(10);
    expect((roundTrip(samples[4]![1]) as StepTimeoutError).blockedMs).toBe(250);
    expect((roundTrip(samples[2]![1]) as ValidationError).issues).toEqual([
      { message: "too short", path: ["files", 0] },
    ]);
    expect((roundTrip(samples[1]![1]) as WorkflowInputError).missing).toEqual(["x"]);
    const compensation = roundTrip(samples[9]![1]) as CompensationError;
    expect(compensation.cause).toBeInstanceOf(StepError);
  });

  it("keeps other errors as plain Errors and thrown values as their description", () => {
    const plain = roundTrip(new RangeError("out of range")) as Error;
    expect(plain).toBeInstanceOf(Error);
    expect(plain).not.toBeInstanceOf(WorkflowError);
    expect([plain.name, plain.message]).toEqual(["RangeError", "out of range"]);
    const step = roundTrip(new StepError("s", { status: 500 })) as StepError;
    expect(step.cause).toBe('{"status":500}');
  });
});

describe("instanceof across two copies of the library", () => {
  it("recognises another copy's errors by brand and code", async () => {
    // A second instance of the module (vite keys modules by their full id, query included).
    const another = "../src/errors.js?another-copy";
    const other = (await import(/* @vite-ignore */ another)) as typeof import("../src/errors.js");
    expect(other.StepTimeoutError).not.toBe(StepTimeoutError);
    const foreign = new other.StepTimeoutError("s", 100);
    expect(foreign).toBeInstanceOf(StepTimeoutError);
    expect(foreign).toBeInstanceOf(WorkflowError);
    expect(foreign).not.toBeInstanceOf(StepError);
    expect(isWorkflowError(foreign)).toBe(true);
    expect(new StepError("s", "x")).toBeInstanceOf(other.WorkflowError);
    expect(new Error("plain")).not.toBeInstanceOf(WorkflowError);
  });
});
