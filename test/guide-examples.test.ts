import { describe, expect, it } from "vitest";
import { createEngine, plan } from "../src/index.js";
import { type AnalysisProbe, codeAnalysis } from "./fixtures/code-analysis.js";
import { codegenTransaction, newWorld } from "./fixtures/codegen-transaction.js";
import { buildCustomWorkflow } from "./fixtures/dynamic.js";
import { generateDocs } from "./fixtures/generate-docs.js";
import { expectFinishedBeforeStart, record, trace } from "./helpers.js";

describe("the guide's examples", () => {
  it("code_analysis infers its dependencies and overlaps semantic analysis with the security scan", async () => {
    const probe: AnalysisProbe = { inFlight: 0, maxInFlight: 0, overlapped: false };
    const wf = codeAnalysis(probe);
    const p = plan(wf);
    expect(p.steps.map((s) => [s.name, s.dependencies])).toEqual([
      ["parse_files", []],
      ["semantic_analysis", ["parse_files"]],
      ["security_scan", ["parse_files"]],
      ["generate_report", ["semantic_analysis", "security_scan"]],
    ]);
    expect(p.groups).toEqual([["parse_files"], ["semantic_analysis", "security_scan"], ["generate_report"]]);

    const engine = createEngine({ workflows: [wf] });
    const run = engine.start("code_analysis", { file_paths: ["src/a.ts", "src/eval.ts"] });
    const events = record(run);
    const result = await run.result;

    expect(result.status).toBe("succeeded");
    expect(result.output.analysis_report).toBe("2 files analysed, 1 security issues");
    expect(probe.overlapped).toBe(true);
    expect(probe.maxInFlight).toBe(2);
    expectFinishedBeforeStart(events, "parse_files", "semantic_analysis");
    expectFinishedBeforeStart(events, "parse_files", "security_scan");
    expectFinishedBeforeStart(events, "semantic_analysis", "generate_report");
    expectFinishedBeforeStart(events, "security_scan", "generate_report");
    // Both analyses started before either finished.
    const t = trace(events, ["step.started", "step.succeeded"]);
    expect(t.indexOf("step.started:security_scan")).toBeLessThan(t.indexOf("step.succeeded:semantic_analysis"));
  });

  it("the transaction compensates generate_code then reserve_resources when validation fails, and nothing else", async () => {
    const world = newWorld();
    const engine = createEngine();
    const result = await engine.execute(codegenTransaction(world, "validate_code"), {
      requirements: { module: "users" },
    });

    expect(result.status).toBe("failed");
    expect(result.error?.step).toBe("validate_code");
    expect(result.error?.code).toBe("STEP_FAILED");
    expect(result.compensation.compensated).toEqual(["generate_code", "reserve_resources"]);
    expect(result.compensation.failed).toEqual([]);
    expect(world.log).toEqual(["reserve", "generate", "cleanup", "release"]);
    expect(world.files.size).toBe(0);
    expect(world.reservations.size).toBe(0);
    expect(result.steps.commit_code.status).toBe("pending");
    expect(result.steps.validate_code.status).toBe("failed");
    expect(result.steps.generate_code.status).toBe("compensated");
  });

  it("the transaction commits when everything succeeds", async () => {
    const world = newWorld();
    const result = await createEngine().execute(codegenTransaction(world), { requirements: { module: "users" } });
    expect(result.status).toBe("succeeded");
    expect(result.output).toEqual({
      reservation_id: "res-users",
      generated_code: { path: "users.ts" },
      validation_result: { ok: true },
      commit_id: "commit-1",
    });
    expect(world.commits).toEqual(["commit-1 users.ts"]);
    expect(result.compensation.compensated).toEqual([]);
  });

  it("the simple sequential workflow generates documentation", async () => {
    const result = await createEngine().execute(generateDocs, {
      source_files: { "a.ts": "export const a = 1;\nexport function b() {}" },
    });
    expect(result.status).toBe("succeeded");
    expect(result.output.documentation).toBe("## a.ts\n- `a`\n- `b`");
  });

  it.each([
    [
      { semantic_analysis: true, security_scan: true, llm_enhancement: true },
      ["parse", "semantic", "security", "llm_enhance", "report"],
    ],
    [
      { semantic_analysis: false, security_scan: true, llm_enhancement: true },
      ["parse", "security", "llm_enhance", "report"],
    ],
    [{ semantic_analysis: false, security_scan: false, llm_enhancement: false }, ["parse", "report"]],
  ])("the dynamic builder builds and runs %j", async (requirements, steps) => {
    const wf = buildCustomWorkflow(requirements);
    const p = plan(wf);
    expect(p.order).toEqual(steps);
    const report = p.steps.find((s) => s.name === "report")!;
    expect(report.dependencies).toEqual(steps.slice(0, -1));
    const result = await createEngine().execute(wf, { files: ["a.ts", "b.ts"] });
    expect(result.status).toBe("succeeded");
    expect(Object.values(result.steps).every((s) => s.status === "succeeded")).toBe(true);
    if (requirements.llm_enhancement) {
      const upstream = steps.filter((s) => s !== "llm_enhance" && s !== "report");
      expect([...(result.output.enhanced_results as string[])].sort()).toEqual(upstream.sort());
    }
  });
});
