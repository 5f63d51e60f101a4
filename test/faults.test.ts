/**
 * Faults found by attacking the runtime: each test reproduces one defect through the
 * public API (it failed before its fix) and holds the promised behaviour.
 */
import { describe, expect, it, vi } from "vitest";
import { createActor, toPromise } from "xstate";
import {
  createEngine,
  memoryCache,
  plan,
  SnapshotRestoreError,
  type StandardSchemaV1,
  StepTimeoutError,
  toMachine,
  type WorkflowDefinitionError,
  type WorkflowEvent,
  WorkflowInputError,
  workflow,
} from "../src/index.js";
import { record, settle, useFakeClock } from "./helpers.js";

useFakeClock();

/** A Standard Schema whose verdict takes `ms` of (fake) time; accepts any object. */
function slowSchema(ms: number, accept = true): StandardSchemaV1<{ n?: number }> {
  return {
    "~standard": {
      version: 1,
      vendor: "test",
      validate: (value) =>
        new Promise((resolve) =>
          setTimeout(
            () => resolve(accept ? { value: value as { n?: number } } : { issues: [{ message: "rejected" }] }),
            ms,
          ),
        ),
    },
  };
}

/** Hold the thread for `ms` of real time (synchronous, CPU-bound code). */
const block = (ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {}
};

const terminal = (events: readonly WorkflowEvent[]) =>
  events.filter(
    (e) =>
      e.path === undefined &&
      e.type.startsWith("workflow.") &&
      e.type !== "workflow.started" &&
      e.type !== "workflow.interrupted",
  );

describe("an asynchronous input schema", () => {
  const wf = (timeout?: number) =>
    workflow("async_input", { input: slowSchema(30), ...(timeout === undefined ? {} : { timeout }) }).step("s", {
      run: () => {},
    });

  it("cancelled while its verdict is pending: the run ends cancelled, no step ran", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const run = createEngine().start(wf(), {});
    const events = record(run);
    await vi.advanceTimersByTimeAsync(10);
    run.cancel("stop");
    const result = await settle(run.result, 5);
    expect(result.status).toBe("cancelled");
    expect(result.steps.s.status).toBe("pending");
    expect(terminal(events).map((e) => e.type)).toEqual(["workflow.cancelled"]);
    await vi.advanceTimersByTimeAsync(100);
    expect(events.at(-1)?.type).toBe("workflow.cancelled");
    // The verdict that came later was not sent to the finished actor.
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it("past the workflow timeout while its verdict is pending: the run ends timed_out", async () => {
    const run = createEngine().start(wf(10), {});
    const result = await settle(run.result, 5);
    expect(result.status).toBe("timed_out");
    expect(result.steps.s.status).toBe("pending");
  });
});

describe("the cache", () => {
  it("keeps no late value of an attempt that timed out", async () => {
    let calls = 0;
    const wf = workflow("late_cache", { cacheResults: true }).step("s", {
      timeout: 100,
      outputs: ["v"],
      // Ignores its signal: resolves long after its timeout.
      run: () => {
        calls++;
        return new Promise<{ v: string }>((resolve) => setTimeout(() => resolve({ v: `late ${calls}` }), 500));
      },
    });
    const cache = memoryCache();
    const engine = createEngine({ cache });
    const first = await settle(engine.execute(wf, {}), 10);
    expect(first.status).toBe("failed");
    await vi.advanceTimersByTimeAsync(1_000);
    const second = await settle(engine.execute(wf, {}), 10);
    expect(second.steps.s.cached).toBe(false);
    expect(second.status).toBe("failed");
    expect(calls).toBe(2);
  });

  it("keeps the value of the accepted attempt, not a late one of an earlier attempt", async () => {
    const wf = workflow("late_retry", { cacheResults: true }).step("s", {
      timeout: 100,
      retry: { maxAttempts: 2, baseDelay: 0, jitter: false },
      outputs: ["v"],
      run: (_i, ctx) =>
        new Promise<{ v: string }>((resolve) =>
          setTimeout(() => resolve({ v: `attempt ${ctx.attempt}` }), ctx.attempt === 1 ? 500 : 20),
        ),
    });
    const engine = createEngine();
    const first = await settle(engine.execute(wf, {}), 10);
    expect(first.output.v).toBe("attempt 2");
    await vi.advanceTimersByTimeAsync(1_000); // attempt 1 resolves late
    const second = await settle(engine.execute(wf, {}), 10);
    expect(second.steps.s.cached).toBe(true);
    expect(second.output.v).toBe("attempt 2");
  });

  it("keeps no value of an attempt cancelled after the abort grace", async () => {
    let calls = 0;
    const wf = workflow("late_cancel", { cacheResults: true, abortGrace: 10 }).step("s", {
      outputs: ["v"],
      run: () => {
        calls++;
        return new Promise<{ v: number }>((resolve) => setTimeout(() => resolve({ v: calls }), 500));
      },
    });
    const engine = createEngine();
    const run = engine.start(wf, {});
    await vi.advanceTimersByTimeAsync(50);
    run.cancel();
    expect((await settle(run.result, 10)).status).toBe("cancelled");
    await vi.advanceTimersByTimeAsync(1_000);
    const again = await settle(engine.execute(wf, {}), 10);
    expect(again.steps.s.cached).toBe(false);
    expect(calls).toBe(2);
  });
});

describe("a sub-workflow step that outlives the abort grace", () => {
  const build = (log: string[]) => {
    const inner = workflow("inner")
      .step("reserve", {
        outputs: ["id"],
        run: () => {
          log.push("reserve");
          return { id: 7 };
        },
        compensate: () =>
          new Promise<void>((resolve) =>
            setTimeout(() => {
              log.push("release");
              resolve();
            }, 200),
          ),
      })
      .step("work", {
        inputs: ["id"],
        outputs: ["done"],
        // Honours its signal, but only after a while.
        run: (_i, ctx) =>
          new Promise<{ done: boolean }>((_resolve, reject) => {
            ctx.signal.addEventListener("abort", () => setTimeout(() => reject(ctx.signal.reason), 50));
          }),
      });
    return workflow("outer", { timeout: 100, abortGrace: 20 }).step("sub", { outputs: ["done"], workflow: inner });
  };

  it("rolls its sub run back before the outer run ends, and nothing is emitted after the end", async () => {
    const log: string[] = [];
    const engine = createEngine();
    const all: WorkflowEvent[] = [];
    engine.events.subscribe((e) => all.push(e));
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const run = engine.start(build(log), {});
    const result = await settle(run.result, 5);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(result.status).toBe("timed_out");
    expect(log).toEqual(["reserve", "release"]);
    const end = all.findIndex((e) => e.type === "workflow.timed_out" && e.path === undefined);
    expect(end).toBe(all.length - 1);
    expect(result.compensation.nested?.sub?.compensated).toEqual(["reserve"]);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });
});

describe("a second interruption while a sub-workflow step stops", () => {
  it("hurries the sub run too: its steps stop waiting for their grace, its rollback still runs", async () => {
    const log: string[] = [];
    const inner = workflow("patient", { abortGrace: 5_000 })
      .step("reserve", {
        outputs: ["id"],
        run: () => ({ id: 1 }),
        compensate: () => {
          log.push("release");
        },
      })
      .step("work", {
        inputs: ["id"],
        outputs: ["done"],
        // Ignores its signal for 10 s.
        run: () => new Promise<{ done: boolean }>((resolve) => setTimeout(() => resolve({ done: true }), 10_000)),
      });
    const outer = workflow("impatient", { timeout: 100, abortGrace: 20 }).step("sub", {
      outputs: ["done"],
      workflow: inner,
    });
    const run = createEngine().start(outer, {});
    await vi.advanceTimersByTimeAsync(200); // timed out, waiting for the sub run to stop
    expect(run.status().status).toBe("stopping");
    run.cancel("really stop");
    const result = await settle(run.result, 5);
    expect(Date.now()).toBeLessThan(1_000);
    expect(result.status).toBe("timed_out");
    expect(log).toEqual(["release"]);
    expect(result.compensation.nested?.sub?.compensated).toEqual(["reserve"]);
  });
});

describe("broken adapters only warn", () => {
  it("a telemetry `instrument` that throws still runs the step, once", async () => {
    const warnings = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    let runs = 0;
    const engine = createEngine({
      telemetry: {
        onEvent: () => {},
        instrument: () => {
          throw new Error("tracer down");
        },
      },
    });
    const wf = workflow("instrumented").step("s", { outputs: ["v"], run: () => ({ v: ++runs }) });
    const result = await engine.execute(wf, {});
    expect(result.status).toBe("succeeded");
    expect(runs).toBe(1);
    expect(warnings).toHaveBeenCalled();
    warnings.mockRestore();
  });

  it("an `instrument` that throws after running the step keeps the step's result", async () => {
    const warnings = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    let runs = 0;
    const engine = createEngine({
      telemetry: {
        onEvent: () => {},
        instrument: (_info, run) => {
          run();
          throw new Error("span export failed");
        },
      },
    });
    const wf = workflow("instrumented_after").step("s", { outputs: ["v"], run: () => ({ v: ++runs }) });
    const result = await engine.execute(wf, {});
    expect(result.status).toBe("succeeded");
    expect(result.output.v).toBe(1);
    expect(runs).toBe(1);
    warnings.mockRestore();
  });

  it("under any instrument, a step's own throw is its outcome; an async instrument runs it once", async () => {
    const warnings = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    let runs = 0;
    const wf = workflow("outcomes_under_instrument")
      .step("ok", {
        outputs: ["v"],
        run: () => ({ v: ++runs }),
        compensate: () => {
          throw new Error("cannot undo");
        },
      })
      .step("boom", {
        inputs: ["v"],
        run: () => {
          throw new Error("boom");
        },
      });
    const passing = { onEvent: () => {}, instrument: <T>(_info: unknown, run: () => T) => run() };
    const later = {
      onEvent: () => {},
      instrument: async <T>(_info: unknown, run: () => T) => {
        await Promise.resolve();
        return run();
      },
    };
    for (const telemetry of [passing, later]) {
      runs = 0;
      const result = await createEngine({ telemetry: telemetry as never }).execute(wf, {});
      expect(result.status).toBe("failed");
      expect(result.error?.message).toBe("Step `boom` failed: boom");
      expect(result.compensation.failed.map((f) => f.step)).toEqual(["ok"]);
      expect(runs).toBe(1);
    }
    expect(warnings).not.toHaveBeenCalled();
    warnings.mockRestore();
  });

  it("an `inspect` observer that throws does not make execute reject", async () => {
    const warnings = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    const wf = workflow("inspected").step("s", { outputs: ["v"], run: () => ({ v: 1 }) });
    const engine = createEngine({
      inspect: () => {
        throw new Error("inspector down");
      },
    });
    const result = await engine.execute(wf, {});
    expect(result.status).toBe("succeeded");
    const once = await engine.execute(wf, {}, { inspect: { next: () => Promise.reject(new Error("x")) as never } });
    expect(once.status).toBe("succeeded");
    expect(warnings).toHaveBeenCalled();
    warnings.mockRestore();
  });

  it("an events subscriber that throws does not reach the process", async () => {
    const warnings = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    const engine = createEngine();
    engine.events.subscribe(() => {
      throw new Error("subscriber bug");
    });
    const wf = workflow("subscribed").step("s", { outputs: ["v"], run: () => ({ v: 1 }) });
    const run = engine.start(wf, {});
    run.events.subscribe({
      next: () => {
        throw new Error("another bug");
      },
    });
    const result = await run.result;
    expect(result.status).toBe("succeeded");
    // rxjs reports a subscriber's error on a timer; none may be pending.
    expect(vi.getTimerCount()).toBe(0);
    expect(warnings).toHaveBeenCalled();
    warnings.mockRestore();
  });
});

describe("names that live on Object.prototype", () => {
  it("a workflow input `constructor` missing from `{}` is a WorkflowInputError", async () => {
    let seen: unknown = "not run";
    const wf = workflow("proto_input").step("s", {
      inputs: ["constructor"],
      run: (input) => {
        seen = input.constructor;
      },
    });
    const result = await createEngine().execute(wf, {} as never);
    expect(result.status).toBe("failed");
    expect(result.error).toBeInstanceOf(WorkflowInputError);
    expect(seen).toBe("not run");
  });

  it("a declared output `toString` missing from `{}` fails the step", async () => {
    const wf = workflow("proto_output").step("s", { outputs: ["toString"], run: () => ({}) as never });
    const result = await createEngine().execute(wf, {});
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("STEP_OUTPUT_INVALID");
  });
});

describe("an input object with a throwing getter", () => {
  const wf = workflow("getter").step("s", { inputs: ["x"], run: () => {} });
  const input = () =>
    Object.defineProperty({}, "x", {
      enumerable: true,
      get() {
        throw new Error("boom");
      },
    }) as { x: unknown };

  it("resolves execute with a failed result before any step ran", async () => {
    const result = await createEngine().execute(wf, input());
    expect(result.status).toBe("failed");
    expect(result.error).toBeInstanceOf(WorkflowInputError);
    expect(result.error?.message).toContain("boom");
    expect(result.steps.s.status).toBe("pending");
  });

  it("gives start a handle whose result is that failure", async () => {
    const run = createEngine().start(wf, input());
    expect(run.workflow).toBe("getter");
    const result = await run.result;
    expect(result.status).toBe("failed");
    expect(result.error).toBeInstanceOf(WorkflowInputError);
  });
});

describe("the critical path as run", () => {
  it("keeps every step of a chain that finishes in one millisecond", async () => {
    const wf = workflow("chain")
      .step("a", { outputs: ["x"], run: () => ({ x: 1 }) })
      .step("b", { inputs: ["x"], outputs: ["y"], run: ({ x }) => ({ y: x }) })
      .step("c", { inputs: ["y"], run: () => {} });
    const result = await createEngine().execute(wf, {});
    expect(result.metrics.criticalPath.steps).toEqual(["a", "b", "c"]);
  });
});

describe("a synchronous step over its timeout", () => {
  it("fails with a StepTimeoutError that says its code blocked the thread", async () => {
    vi.useRealTimers();
    const wf = workflow("cpu_bound").step("spin", {
      timeout: 20,
      outputs: ["n"],
      run: () => {
        const end = Date.now() + 60;
        let n = 0;
        while (Date.now() < end) n++;
        return { n };
      },
    });
    const result = await createEngine().execute(wf, {});
    expect(result.status).toBe("failed");
    expect(result.error).toBeInstanceOf(StepTimeoutError);
    expect(result.error?.message).toMatch(/ran synchronously for \d+ ms/);
  });
});

describe("definition issue messages", () => {
  it("show NaN and Infinity as themselves", () => {
    const issues = (options: Record<string, unknown>) => {
      try {
        plan(workflow("bad_numbers", options as never).step("s", { run: () => {} }));
      } catch (error) {
        return (error as WorkflowDefinitionError).issues.map((i) => i.message);
      }
      return [];
    };
    expect(issues({ timeout: Number.NaN })).toEqual([
      "Expected `timeout` to be a positive number of milliseconds, got `NaN` (number)",
    ]);
    expect(issues({ maxRetries: Number.POSITIVE_INFINITY })).toEqual([
      expect.stringContaining("got `Infinity` (number)"),
    ]);
    expect(issues({ abortGrace: Number.NEGATIVE_INFINITY })).toEqual([
      expect.stringContaining("got `-Infinity` (number)"),
    ]);
  });
});

describe("a persisted snapshot of a workflow actor", () => {
  it("fails at once with a SnapshotRestoreError instead of hanging in `running`", async () => {
    vi.useRealTimers();
    const wf = workflow("persisted").step("wait", {
      run: (_i, ctx) => new Promise((resolve) => ctx.signal.addEventListener("abort", resolve)),
    });
    const machine = toMachine(wf);
    const original = createActor(machine, { input: {} });
    original.start();
    const persisted = original.getPersistedSnapshot();
    original.stop();
    const restored = createActor(machine, { snapshot: persisted, input: {} });
    // Observe before starting: an actor that errors with no observer is an uncaught exception.
    const outcome = toPromise(restored).then(
      () => "resolved",
      (error: unknown) => error,
    );
    restored.start();
    const error = await outcome;
    expect(error).toBeInstanceOf(SnapshotRestoreError);
    expect((error as SnapshotRestoreError).code).toBe("SNAPSHOT_NOT_RESTORABLE");
    expect((error as Error).message).toContain("createActor(machine, { input })");
  });
});

describe("found in review", () => {
  it("a sub-workflow step stuck before its run starts still times out", async () => {
    // A cache store that never answers (a client queueing while offline).
    const stuck = { get: () => new Promise(() => {}), set: () => {}, delete: () => {} };
    const inner = workflow("inner").step("s", { outputs: ["u"], run: () => ({ u: 1 }) });
    const outer = workflow("outer", { cacheResults: true, abortGrace: 50 }).step("n", {
      workflow: inner,
      outputs: ["u"],
      timeout: 100,
    });
    const result = await settle(createEngine({ cache: stuck }).execute(outer, {}), 10);
    expect(result.steps.n.error?.code).toBe("STEP_TIMEOUT");
  });

  it("only a step whose own code held the thread past its timeout is timed out by it", async () => {
    vi.useRealTimers();
    let undos = 0;
    const wf = workflow("bystander", { onError: "continue" })
      .step("quick", {
        timeout: 50,
        outputs: ["x"],
        run: async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return { x: 1 };
        },
        compensate: () => {
          undos++;
          block(80); // a compensation past its timeout is not re-run for it
        },
      })
      .step("hog", {
        run: async () => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          block(120);
        },
      })
      .step("fail", {
        inputs: ["x"],
        dependsOn: ["hog"],
        onError: () => "compensate",
        run: () => {
          throw new Error("fail");
        },
      });
    const result = await createEngine().execute(wf, {});
    expect(result.steps.quick.status).toBe("compensated");
    expect(result.steps.hog.status).toBe("succeeded");
    expect(undos).toBe(1);
  });

  it("a sub run that succeeds after its step's timeout counts, and is rolled back with the rest", async () => {
    vi.useRealTimers();
    let undos = 0;
    const inner = workflow("slow_inner").step("s", {
      outputs: ["y"],
      run: () => {
        block(80);
        return { y: 1 };
      },
      compensate: () => {
        undos++;
      },
    });
    const outer = workflow("outer_late")
      .step("n", { workflow: inner, outputs: ["y"], timeout: 50 })
      .step("after", {
        inputs: ["y"],
        run: () => {
          throw new Error("after failed");
        },
      });
    const result = await createEngine().execute(outer, {});
    expect(result.steps.n.status).toBe("compensated");
    expect(undos).toBe(1);
  });
});
