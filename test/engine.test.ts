import { describe, expect, it } from "vitest";
import {
  createEngine,
  WorkflowInputError,
  WorkflowNotFoundError,
  WorkflowVersionConflictError,
  workflow,
} from "../src/index.js";
import { record, trace } from "./helpers.js";

const versioned = (version: string, value: string) =>
  workflow("greeter", { version, description: `v${version}` }).step("greet", {
    outputs: ["greeting"],
    run: () => ({ greeting: value }),
  });

describe("the registry", () => {
  it("keeps every version, gives the latest by semver, or an exact one", async () => {
    const engine = createEngine({ workflows: [versioned("1.9.0", "nine"), versioned("1.10.0", "ten")] });
    engine.register(versioned("1.2.3", "old"));
    expect(engine.registry.get("greeter").version).toBe("1.10.0");
    expect(engine.registry.get("greeter", "1.9.0").version).toBe("1.9.0");
    expect(engine.registry.list().map((r) => [r.name, r.version, r.steps])).toEqual([
      ["greeter", "1.10.0", 1],
      ["greeter", "1.9.0", 1],
      ["greeter", "1.2.3", 1],
    ]);
    const latest = await engine.execute("greeter", {});
    expect([latest.version, latest.output.greeting]).toEqual(["1.10.0", "ten"]);
    const exact = await engine.execute("greeter", {}, { version: "1.2.3" });
    expect([exact.version, exact.output.greeting]).toEqual(["1.2.3", "old"]);
  });

  it("accepts the same definition twice and refuses a different one under the same version", () => {
    const engine = createEngine({ workflows: [versioned("1.0.0", "a")] });
    // Same structure and source text (e.g. a module evaluated twice): accepted.
    expect(() => engine.register(versioned("1.0.0", "a"))).not.toThrow();
    const edited = workflow("greeter", { version: "1.0.0" }).step("greet", {
      outputs: ["greeting"],
      run: () => ({ greeting: "hello" }),
    });
    expect(() => engine.register(edited)).toThrow(WorkflowVersionConflictError);
    const extraStep = versioned("1.0.0", "a").step("more", { run: () => {} });
    expect(() => engine.register(extraStep)).toThrow(
      "Workflow `greeter` version `1.0.0` is already registered with a different definition; bump its version",
    );
    expect(engine.registry.list()).toHaveLength(1);
  });

  it("rejects an unknown workflow name or version with a typed error", async () => {
    const engine = createEngine();
    await expect(engine.execute("nope", {})).rejects.toBeInstanceOf(WorkflowNotFoundError);
    engine.register(versioned("1.0.0", "a"));
    expect(() => engine.start("greeter", {}, { version: "2.0.0" })).toThrow(
      "No workflow `greeter` version `2.0.0` is registered",
    );
  });
});

describe("executions", () => {
  it("fail before any step runs when the workflow input lacks a value a step needs", async () => {
    let ran = false;
    const wf = workflow<{ repo: string; branch: string }>("needs_input").step("clone", {
      inputs: ["repo", "branch"],
      run: () => {
        ran = true;
      },
    });
    const engine = createEngine();
    const run = engine.start(wf, { repo: "x" } as never);
    const events = record(run);
    const result = await run.result;
    expect(ran).toBe(false);
    expect(result.status).toBe("failed");
    expect(result.error).toBeInstanceOf(WorkflowInputError);
    expect((result.error as WorkflowInputError).missing).toEqual(["branch"]);
    expect(result.error?.message).toBe("Workflow `needs_input` input is missing `branch`");
    expect(trace(events)).toEqual(["workflow.started", "workflow.failed"]);
    expect(result.steps.clone).toMatchObject({ status: "pending", attempts: 0 });

    const notAnObject = await engine.execute(wf, "x" as never);
    expect(notAnObject.error?.code).toBe("INPUT_INVALID");
  });

  it("emit every transition with the execution id, a sequence number and a timestamp", async () => {
    const wf = workflow("events")
      .step("a", { outputs: ["x"], run: () => ({ x: 1 }) })
      .step("b", { inputs: ["x"], run: () => {} });
    const engine = createEngine();
    const all: string[] = [];
    engine.events.subscribe((e) => all.push(`${e.executionId}:${e.type}`));
    const run = engine.start(wf, {});
    const events = record(run);
    let completed = false;
    run.events.subscribe({ complete: () => (completed = true) });
    await run.result;
    expect(trace(events)).toEqual([
      "workflow.started",
      "step.started:a",
      "step.succeeded:a",
      "step.started:b",
      "step.succeeded:b",
      "workflow.succeeded",
    ]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(events.map((e) => e.executionId))).toEqual(new Set([run.id]));
    expect(events.every((e) => e.workflow === "events" && e.version === "1.0.0" && e.timestamp > 0)).toBe(true);
    expect(events[1]).toMatchObject({ step: "a", attempt: 1 });
    expect(all).toEqual(events.map((e) => `${run.id}:${e.type}`));
    expect(completed).toBe(true);
  });

  it("hand steps only their declared inputs, frozen, and keep stored results frozen", async () => {
    const seen: unknown[] = [];
    const wf = workflow<{ config: { depth: number }; secret: string }>("isolation")
      .step("produce", { outputs: ["list"], run: () => ({ list: [1, 2, 3], ignored: "dropped" }) })
      .step("mutate", {
        inputs: ["list", "config"],
        outputs: ["done"],
        run: (input, ctx) => {
          seen.push(Object.keys(input), Object.isFrozen(ctx.workflowInput));
          (input.list as number[]).push(4);
          return { done: true };
        },
      })
      .step("read", {
        inputs: ["list"],
        run: ({ list }, ctx) => {
          seen.push([...list], ctx.results.get("produce"));
        },
      });
    const result = await createEngine({}).execute(wf.with({ onError: "continue" }), {
      config: { depth: 1 },
      secret: "s",
    });
    expect(seen[0]).toEqual(["list", "config"]);
    expect(seen[1]).toBe(true);
    expect(result.steps.mutate.status).toBe("failed");
    expect(result.steps.mutate.error?.cause).toBeInstanceOf(TypeError);
    expect(seen[2]).toEqual([1, 2, 3]);
    expect(seen[3]).toEqual({ list: [1, 2, 3] });
    expect(Object.isFrozen(result.output.list)).toBe(true);
  });

  it("fail a step whose return value lacks a declared output, without retrying", async () => {
    let calls = 0;
    const wf = workflow("outputs").step("s", {
      outputs: ["a", "b"],
      retry: 3,
      run: () => {
        calls++;
        return { a: 1 } as { a: number; b: number };
      },
    });
    const result = await createEngine().execute(wf, {});
    expect(calls).toBe(1);
    expect(result.error?.code).toBe("STEP_OUTPUT_INVALID");
    expect(result.error?.message).toBe("Step `s` did not return its declared output `b`");
  });

  it("run module steps: validateInput rejects before execute, and is never retried", async () => {
    const calls: string[] = [];
    const Parser = {
      validateInput: (input: { files: string[] }) => input.files.length > 0 || "files is empty",
      execute: (input: { files: string[] }) => {
        calls.push("execute");
        return { count: input.files.length };
      },
      compensate: () => calls.push("compensate"),
    };
    const wf = workflow<{ files: string[] }>("modules").step("parse", {
      inputs: ["files"],
      outputs: ["count"],
      retry: 2,
      module: Parser,
    });
    const ok = await createEngine().execute(wf, { files: ["a"] });
    expect(ok.output.count).toBe(1);
    const bad = await createEngine().execute(wf, { files: [] });
    expect(bad.error?.code).toBe("VALIDATION_FAILED");
    expect(bad.error?.message).toBe("Step `parse`: input rejected: files is empty");
    expect(bad.steps.parse.attempts).toBe(1);
    expect(calls).toEqual(["execute"]);
  });

  it("run many executions concurrently without interference", async () => {
    const wf = workflow<{ n: number }>("square")
      .step("square", { inputs: ["n"], outputs: ["sq"], run: async ({ n }) => ({ sq: n * n }) })
      .step("fail_odd", {
        inputs: ["sq"],
        outputs: ["even"],
        run: ({ sq }) => {
          if (sq % 2 === 1) throw new Error("odd");
          return { even: sq };
        },
      });
    const engine = createEngine({ workflows: [wf] });
    const results = await Promise.all(Array.from({ length: 50 }, (_, n) => engine.execute(wf, { n })));
    results.forEach((r, n) => {
      expect(r.status).toBe(n % 2 === 0 ? "succeeded" : "failed");
      if (r.status === "succeeded") expect(r.output.even).toBe(n * n);
    });
    expect(new Set(results.map((r) => r.executionId)).size).toBe(50);
  });

  it("report the status of live and finished executions", async () => {
    const engine = createEngine({ historyLimit: 2 });
    const wf = workflow("st").step("a", { run: () => {} });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const run = engine.start(wf, {});
      ids.push(run.id);
      await run.result;
    }
    expect(engine.getStatus(ids[0]!)).toBeUndefined();
    expect(engine.getStatus(ids[2]!)).toMatchObject({ status: "succeeded", steps: { a: "succeeded" } });
  });

  it("get ids that never start with `-` (they are typed as command arguments)", () => {
    const engine = createEngine({ workflows: [versioned("1.0.0", "a")] });
    // One nanoid in 64 starts with `-`; 2,000 ids would hold ~31 of them.
    const ids = Array.from({ length: 2000 }, () => engine.start("greeter", {}).id);
    expect(ids.filter((id) => id.startsWith("-"))).toEqual([]);
    expect(new Set(ids).size).toBe(2000);
  });

  it("run a workflow with no steps", async () => {
    const result = await createEngine().execute(workflow("empty"), {});
    expect(result.status).toBe("succeeded");
    expect(result.steps).toEqual({});
  });
});

describe("hostile step results", () => {
  it("a result whose getter throws fails the step with a typed error", async () => {
    const wf = workflow("getter").step("s", {
      outputs: ["v"],
      run: () =>
        ({
          get v(): number {
            throw new RangeError("no v for you");
          },
        }) as { v: number },
    });
    const result = await createEngine().execute(wf, {});
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("STEP_FAILED");
    expect(result.error?.cause).toBeInstanceOf(RangeError);
  });
});

describe("a telemetry backend that throws", () => {
  it("does not break the execution", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      const engine = createEngine({
        telemetry: {
          onEvent: () => {
            throw new Error("exporter down");
          },
        },
      });
      const result = await engine.execute(workflow("observed").step("a", { run: () => {} }), {});
      expect(result.status).toBe("succeeded");
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.some((w) => w.includes("exporter down"))).toBe(true);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
