import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createEngine, StepOutputError, ValidationError, workflow } from "../src/index.js";
import { record, trace } from "./helpers.js";

const zodInput = z.object({
  repo: z.string().url(),
  files: z.array(z.string()).min(1),
  depth: z.number().int().default(2),
});

const valibotInput = v.object({
  repo: v.pipe(v.string(), v.url()),
  files: v.pipe(v.array(v.string()), v.minLength(1)),
});

describe("workflow input schemas", () => {
  it.each([
    ["zod", zodInput],
    ["valibot", valibotInput],
  ])("%s: reject bad input with every issue and its path, before any step runs", async (_name, schema) => {
    let ran = false;
    const wf = workflow("checked", { input: schema }).step("clone", {
      inputs: ["repo", "files"],
      run: () => {
        ran = true;
      },
    });
    const run = createEngine().start(wf, { repo: "not a url", files: [] } as never);
    const events = record(run);
    const result = await run.result;
    expect(ran).toBe(false);
    expect(result.status).toBe("failed");
    const error = result.error as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.issues.map((i) => i.path)).toEqual([["repo"], ["files"]]);
    expect(error.message).toMatch(/^Workflow `checked` input is invalid: repo: .+; files: .+$/);
    expect(trace(events)).toEqual(["workflow.started", "workflow.failed"]);
  });

  it("hand the steps the schema's output (defaults applied)", async () => {
    const wf = workflow("defaults", { input: zodInput }).step("read", {
      inputs: ["depth", "files"],
      outputs: ["summary"],
      run: ({ depth, files }) => ({ summary: `${files.length} files at depth ${depth}` }),
    });
    const result = await createEngine().execute(wf, { repo: "https://example.com/r", files: ["a.ts"] });
    expect(result.output.summary).toBe("1 files at depth 2");
  });

  it("wait for an asynchronous schema before starting", async () => {
    const asyncInput = z.object({ n: z.number() }).refine(async (value) => value.n > 0, "n must be positive");
    const wf = workflow("async_schema", { input: asyncInput }).step("double", {
      inputs: ["n"],
      outputs: ["twice"],
      run: ({ n }) => ({ twice: n * 2 }),
    });
    const engine = createEngine();
    expect((await engine.execute(wf, { n: 2 })).output).toEqual({ twice: 4 });
    const bad = await engine.execute(wf, { n: -1 });
    expect(bad.error?.code).toBe("VALIDATION_FAILED");
    expect(bad.steps.double.status).toBe("pending");
  });
});

describe("step schemas", () => {
  it("an input schema failure is never retried and happens before the step's side effects", async () => {
    const effects: string[] = [];
    const wf = workflow<{ amount: unknown }>("pay").step("charge", {
      inputs: ["amount"],
      input: z.object({ amount: z.number().positive() }),
      retry: 3,
      run: ({ amount }) => {
        effects.push(`charged ${amount}`);
      },
    });
    const result = await createEngine().execute(wf, { amount: -5 });
    expect(effects).toEqual([]);
    expect(result.steps.charge).toMatchObject({ status: "failed", attempts: 1 });
    expect(result.error?.code).toBe("VALIDATION_FAILED");
    expect((result.error as ValidationError).issues[0]?.path).toEqual(["amount"]);
  });

  it("an output schema failure is not retried; a valid output is stored as parsed", async () => {
    let calls = 0;
    const wf = workflow("out")
      .step("fetch", {
        outputs: ["status"],
        output: z.object({ status: z.enum(["open", "closed"]) }),
        retry: 2,
        run: () => {
          calls++;
          return { status: "unknown" };
        },
      })
      .step("trim", {
        outputs: ["name"],
        output: v.object({ name: v.pipe(v.string(), v.trim()) }),
        run: () => ({ name: "  padded  " }),
      });
    const result = await createEngine().execute(wf.with({ onError: "continue" }), {});
    expect(calls).toBe(1);
    expect(result.steps.fetch.error?.code).toBe("VALIDATION_FAILED");
    expect(result.steps.trim.status).toBe("succeeded");
    expect(result.output.name).toBe("padded");
  });

  it("a declared output missing from the return value fails with StepOutputError", async () => {
    const wf = workflow("missing").step("s", {
      outputs: ["a", "b"],
      run: () => ({ a: 1 }) as { a: number; b: number },
    });
    const result = await createEngine().execute(wf, {});
    expect(result.error).toBeInstanceOf(StepOutputError);
  });
});
