import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { threadId } from "node:worker_threads";
import { afterAll, describe, expect, it } from "vitest";
import { threadExecutor } from "../../src/executors/threads.js";
import {
  createEngine,
  ErrorCode,
  ExecutorError,
  ExecutorNotFoundError,
  SerializationError,
  StepTimeoutError,
  WorkflowDefinitionError,
  workflow,
} from "../../src/index.js";
import { deaf, hostile, mapped, patient, runaway, threaded } from "./fixtures.js";

const modules = [new URL("./fixtures.ts", import.meta.url)];
const threads = threadExecutor({ modules, threads: 2, resourceLimits: { maxOldGenerationSizeMb: 64 } });
const engine = createEngine({ executors: { threads } });
afterAll(() => engine.close());

const beats = (file: string) => readFileSync(file, "utf8").split("\n").filter(Boolean).map(Number);
const beatFile = (name: string) => {
  const file = join(tmpdir(), `rubberduck-${name}-${process.pid}-${Date.now()}.txt`);
  rmSync(file, { force: true });
  return file;
};

describe("threadExecutor", () => {
  it("runs steps on worker threads, with the ctx they would have in the engine's process", async () => {
    const result = await engine.execute(threaded, { n: 7 }, { metadata: { tenant: "acme" } });
    expect(result.status).toBe("succeeded");
    expect(result.output.square).toBe(49);
    expect(result.output.thread).not.toBe(threadId);
    expect(result.output.text).toBe("threaded@1.0.0 describe #1: 49");
    // `ctx.results` holds the outputs of the steps it depends on.
    expect(result.output.seen).toEqual({
      results: { square: { square: 49, thread: result.output.thread } },
      key: `${result.executionId}:describe`,
      metadata: { tenant: "acme" },
    });
  });

  it("stops a CPU-bound step at its timeout: the worker is terminated within 100 ms, and replaced", async () => {
    const beat = beatFile("timeout");
    const run = engine.start(runaway, { beat, ms: 5_000 });
    let started = 0;
    run.events.subscribe((e) => {
      if (e.type === "step.started") started = Date.now();
    });
    const result = await run.result;
    expect(result.status).toBe("failed");
    expect(result.error).toBeInstanceOf(StepTimeoutError);
    expect(result.error?.code).toBe(ErrorCode.STEP_TIMEOUT);
    // The step wrote a heartbeat every 5 ms while it ran; give the file a moment to settle.
    await new Promise((r) => setTimeout(r, 200));
    const last = Math.max(...beats(beat));
    expect(beats(beat).length).toBeGreaterThan(5);
    expect(last - (started + 200)).toBeLessThan(100);
    // The pool is healthy: the next steps run.
    expect((await engine.execute(threaded, { n: 3 })).output.square).toBe(9);
    rmSync(beat, { force: true });
  });

  it("terminates a step that ignores its signal once the workflow's abort grace is over", async () => {
    const beat = beatFile("grace");
    const run = engine.start(deaf, { beat });
    await new Promise((r) => setTimeout(r, 300)); // the worker is busy spinning
    const cancelledAt = Date.now();
    run.cancel("enough");
    const result = await run.result;
    expect(result.status).toBe("cancelled");
    expect(result.steps.spin?.status).toBe("cancelled");
    await new Promise((r) => setTimeout(r, 200));
    const after = beats(beat).filter((t) => t > cancelledAt);
    // It kept running through the 50 ms grace, then stopped.
    expect(Math.max(...after) - cancelledAt).toBeLessThan(50 + 100);
    expect((await engine.execute(threaded, { n: 4 })).output.square).toBe(16);
    rmSync(beat, { force: true });
  });

  it("aborts ctx.signal inside the worker on a cancel", async () => {
    const run = engine.start(patient, {});
    await new Promise((r) => setTimeout(r, 100));
    run.cancel("enough");
    const result = await run.result;
    // The step settled on its signal within the grace: it succeeded, with the reason it saw.
    expect(result.steps.wait?.status).toBe("succeeded");
    expect(result.status).toBe("cancelled");
  });

  it("fails only the attempt of a worker that crashes, retryably (an uncaught error, out of memory)", async () => {
    for (const how of ["uncaught", "oom"]) {
      const result = await engine.execute(hostile, { how });
      expect(result.status, how).toBe("succeeded");
      expect(result.output.ok).toBe("attempt 2");
      expect(result.steps.crash?.attempts).toBe(2);
    }
    const events: string[] = [];
    const run = engine.start(hostile, { how: "uncaught" });
    run.events.subscribe((e) => {
      if (e.type === "step.retrying") events.push(`${e.error?.code}: ${e.error?.message}`);
    });
    await run.result;
    expect(events).toEqual([
      expect.stringMatching(/^EXECUTOR_FAILED: Step `crash` was lost by executor "threads": its worker thread ended: /),
    ]);
  });

  it("fails an attempt whose value cannot cross with a typed, non-retryable error naming its path", async () => {
    const out = await engine.execute(hostile, { how: "date" });
    expect(out.status).toBe("failed");
    expect(out.error).toBeInstanceOf(SerializationError);
    expect(out.error).toMatchObject({ path: "output.ok", found: "a Date", retryable: false, step: "crash" });
    expect(out.steps.crash?.attempts).toBe(1);
    const into = await engine.execute(mapped, { lookup: new Map([["a", 1]]) });
    expect(into.error).toBeInstanceOf(SerializationError);
    expect(into.error?.message).toBe(
      'Step `read` has a value that cannot cross to executor "threads": input.lookup is a Map (give and return plain ' +
        "JSON data: strings, finite numbers, booleans, null, arrays and plain objects)",
    );
  });

  it("rebuilds what the step threw into its class, with the worker's stack", async () => {
    const result = await engine.execute(hostile, { how: "throw" });
    expect(result.error?.code).toBe(ErrorCode.RETRIES_EXHAUSTED);
    expect(result.error?.message).toContain("it threw on attempt 2");
    const cause = (result.error?.cause as { cause?: Error } | undefined)?.cause;
    expect(cause).toBeInstanceOf(Error);
    expect(cause?.stack).toContain("fixtures.ts");
  });

  it("is closed with the engine that has it", async () => {
    const own = threadExecutor({ modules, threads: 1 });
    const e = createEngine({ executors: { threads: own } });
    expect((await e.execute(threaded, { n: 2 })).output.square).toBe(4);
    await e.close();
    const after = await createEngine({ executors: { threads: own } }).execute(threaded, { n: 2 });
    expect(after.error).toBeInstanceOf(ExecutorError);
    expect(after.error?.message).toContain("the executor is closed");
  });
});

describe("the executor seam", () => {
  const remote = workflow("remote").step("a", { executor: "gpu", outputs: ["x"], run: () => ({ x: 1 }) });

  it("refuses to start a workflow whose step names an executor the engine lacks", () => {
    expect(() => createEngine().start(remote, {})).toThrow(ExecutorNotFoundError);
    expect(() => createEngine({ executors: { threads } }).start(remote, {})).toThrow(
      'Step `a` runs on executor "gpu", which this engine does not have (it has "threads")',
    );
    // Inside a sub-workflow too.
    const outer = workflow("outer").step("sub", { workflow: remote, outputs: ["x"] });
    expect(() => createEngine().start(outer, {})).toThrow(ExecutorNotFoundError);
  });

  it("lists a bad executor option among the definition's problems", () => {
    const bad = workflow("bad")
      .step("a", { executor: "" as string, outputs: ["x"], run: () => ({ x: 1 }) })
      .step("b", { workflow: remote, outputs: [], executor: "threads" as never });
    let thrown: unknown;
    try {
      createEngine().start(bad, {});
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(WorkflowDefinitionError);
    expect((thrown as WorkflowDefinitionError).issues.map((i) => i.message)).toEqual([
      'Step `a`: Expected `executor` to be the name of one of the engine\'s executors, got `""` (string)',
      "Step `b`: a sub-workflow step runs on the engine: give `executor` to its own steps",
    ]);
  });

  it("runs a custom executor with the request of one attempt", async () => {
    const seen: unknown[] = [];
    const e = createEngine({
      executors: {
        gpu: {
          run: (request) => {
            seen.push([request.workflow, request.step, request.attempt, request.outputs, request.deadline]);
            return Promise.resolve(request.definition.run!(request.input, request.ctx));
          },
        },
      },
    });
    expect((await e.execute(remote, {})).output.x).toBe(1);
    expect(seen).toEqual([["remote", "a", 1, ["x"], undefined]]);
  });
});
