/**
 * Type tests for the builder's inference. Checked by `tsc` (npm run typecheck);
 * each `@ts-expect-error` must stay an error.
 */
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  type AnyWorkflow,
  createEngine,
  type InputOf,
  type OutputOf,
  type StepContext,
  type WorkflowResult,
  workflow,
} from "../src/index.js";

interface Ast {
  path: string;
  nodes: number;
}

const analysis = workflow<{ file_paths: string[]; strict: boolean }>("analysis")
  .step("parse_files", {
    inputs: ["file_paths"],
    outputs: ["ast_trees"],
    run: async ({ file_paths }) => ({ ast_trees: file_paths.map((path): Ast => ({ path, nodes: 1 })) }),
  })
  .step("semantic_analysis", {
    inputs: ["ast_trees", "strict"],
    outputs: ["semantic_results"],
    run: ({ ast_trees, strict }) => ({ semantic_results: ast_trees.map((t) => (strict ? t.nodes : 0)) }),
  })
  .step("generate_report", {
    inputs: { semantic: ["semantic_analysis", "semantic_results"], files: "file_paths" },
    outputs: ["analysis_report"],
    run: ({ semantic, files }) => ({ analysis_report: `${files.length}: ${semantic.join(",")}` }),
  });

describe("the builder's types", () => {
  it("types a step's run input from the workflow input and earlier outputs", () => {
    analysis.step("check", {
      inputs: ["ast_trees", "file_paths"],
      run: (input, ctx) => {
        expectTypeOf(input).toEqualTypeOf<{ ast_trees: Ast[]; file_paths: string[] }>();
        expectTypeOf(ctx).toMatchTypeOf<StepContext>();
        expectTypeOf(ctx.workflowInput.strict).toEqualTypeOf<boolean>();
        expectTypeOf(ctx.results.get("semantic_analysis")).toEqualTypeOf<
          Readonly<{ semantic_results: number[] }> | undefined
        >();
      },
    });
  });

  it("types explicit mappings, by name or by [step, output]", () => {
    analysis.step("mapped", {
      inputs: { trees: ["parse_files", "ast_trees"], paths: "file_paths" },
      run: (input) => {
        expectTypeOf(input).toEqualTypeOf<{ trees: Ast[]; paths: string[] }>();
      },
    });
  });

  it("accumulates the workflow's input and outputs", () => {
    expectTypeOf<InputOf<typeof analysis>>().toEqualTypeOf<{ file_paths: string[]; strict: boolean }>();
    expectTypeOf<OutputOf<typeof analysis>>().toMatchTypeOf<{
      ast_trees: Ast[];
      semantic_results: number[];
      analysis_report: string;
    }>();
  });

  it("types execute's input and result", () => {
    // Only type-checked: never called.
    const _check = async () => {
      const engine = createEngine();
      const result = await engine.execute(analysis, { file_paths: [], strict: true });
      if (result.status === "succeeded") {
        expectTypeOf(result.output.analysis_report).toEqualTypeOf<string>();
      } else {
        expectTypeOf(result.output.analysis_report).toEqualTypeOf<string | undefined>();
      }
      expectTypeOf(result.steps.parse_files.attempts).toEqualTypeOf<number>();
      // @ts-expect-error: not a step of this workflow
      void result.steps.nope;
      // @ts-expect-error: input is missing `strict`
      void engine.execute(analysis, { file_paths: [] });
      const byName = await engine.execute("analysis", {});
      expectTypeOf(byName).toEqualTypeOf<WorkflowResult>();
    };
    expectTypeOf(_check).toBeFunction();
  });

  it("rejects, at compile time, what the types can know is wrong", () => {
    // @ts-expect-error: duplicate step name
    analysis.step("parse_files", { run: () => {} });
    // @ts-expect-error: nobody produces `nope`
    analysis.step("a", { inputs: ["nope"], run: () => {} });
    // @ts-expect-error: `parse_files` has no output `nope`
    analysis.step("b", { inputs: { x: ["parse_files", "nope"] }, run: () => {} });
    // @ts-expect-error: unknown step in an explicit mapping
    analysis.step("c", { inputs: { x: ["ghost", "ast_trees"] }, run: () => {} });
    // @ts-expect-error: `run` does not return the declared output `b`
    analysis.step("d", { outputs: ["a", "b"], run: () => ({ a: 1 }) });
    // @ts-expect-error: dependsOn names an unknown step
    analysis.step("e", { dependsOn: ["ghost"], run: () => {} });
    // @ts-expect-error: both run and module
    analysis.step("f", { run: () => {}, module: { execute: () => {} } });
    // @ts-expect-error: wrong type for a typed input
    analysis.step("g", { inputs: ["strict"], run: ({ strict }) => strict.toUpperCase() });
    // @ts-expect-error: a module whose input does not match the step's inputs
    analysis.step("h", { inputs: ["strict"], module: { execute: (input: { strict: string }) => input } });
  });

  it("accepts modules whose execute takes the step's inputs", () => {
    const Report = {
      execute: (input: { ast_trees: Ast[] }) => ({ count: input.ast_trees.length }),
      validateInput: (input: { ast_trees: Ast[] }) => input.ast_trees.length > 0,
    };
    const wf = analysis.step("count", { inputs: ["ast_trees"], outputs: ["count"], module: Report });
    expectTypeOf<OutputOf<typeof wf>["count"]>().toEqualTypeOf<number>();
  });

  it("lets an erased workflow grow dynamically", () => {
    let wf: AnyWorkflow = workflow("dynamic");
    wf = wf.step("a", { outputs: ["x"], run: () => ({ x: 1 }) });
    wf = wf.step("a2", { inputs: ["anything"], run: ({ anything }) => anything });
    expectTypeOf(wf).toEqualTypeOf<AnyWorkflow>();
  });

  it("without an input type, workflow inputs are accepted as unknown", () => {
    workflow("loose").step("s", {
      inputs: ["whatever"],
      run: ({ whatever }) => {
        expectTypeOf(whatever).toEqualTypeOf<unknown>();
      },
    });
  });
});

describe("types from schemas and sub-workflows", () => {
  it("types a step's run input from the workflow input schema's output", () => {
    const schema = z.object({ files: z.array(z.string()), depth: z.number().default(1) });
    const wf = workflow("schema_typed", { input: schema }).step("s", {
      inputs: ["files", "depth"],
      outputs: ["n"],
      run: (input) => {
        expectTypeOf(input).toEqualTypeOf<{ files: string[]; depth: number }>();
        return { n: input.files.length * input.depth };
      },
    });
    // Callers pass the schema's input type: `depth` may be left out.
    expectTypeOf<InputOf<typeof wf>>().toEqualTypeOf<{ files: string[]; depth?: number | undefined }>();
    // @ts-expect-error: nobody produces `nope` and the schema has no `nope`
    wf.step("t", { inputs: ["nope"], run: () => {} });
  });

  it("types run from a step input schema, and outputs from a step output schema", () => {
    const wf = workflow<{ raw: string }>("step_schemas")
      .step("parse", {
        inputs: ["raw"],
        input: z.object({ raw: z.string().transform((s) => s.length) }),
        outputs: ["size"],
        output: z.object({ size: z.number().transform((n) => String(n)) }),
        run: (input) => {
          expectTypeOf(input).toEqualTypeOf<{ raw: number }>();
          return { size: input.raw };
        },
      })
      .step("use", {
        inputs: ["size"],
        run: ({ size }) => {
          expectTypeOf(size).toEqualTypeOf<string>();
        },
      });
    expectTypeOf<OutputOf<typeof wf>>().toMatchTypeOf<{ size: string }>();
  });

  it("types a sub-workflow step's outputs from the sub-workflow", () => {
    const inner = workflow<{ env: string }>("inner").step("a", {
      inputs: ["env"],
      outputs: ["url"],
      run: ({ env }) => ({ url: new URL(`https://${env}`) }),
    });
    const outer = workflow<{ env: string }>("outer")
      .step("sub", { inputs: ["env"], outputs: ["url"], workflow: inner })
      .step("use", {
        inputs: ["url"],
        run: ({ url }) => {
          expectTypeOf(url).toEqualTypeOf<URL>();
        },
      });
    expectTypeOf<OutputOf<typeof outer>>().toMatchTypeOf<{ url: URL }>();
  });
});
