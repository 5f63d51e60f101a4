import { describe, expect, it } from "vitest";
import { createEngine, plan, SubWorkflowError, type WorkflowDefinitionError, workflow } from "../src/index.js";
import { provisionEnvironment } from "./fixtures/provisioning.js";
import { record } from "./helpers.js";

describe("sub-workflows", () => {
  it("run as a nested actor with their outputs mapped back and their events tagged with a path", async () => {
    const log: string[] = [];
    const run = createEngine().start(provisionEnvironment(log), { env: "dev" });
    const events = record(run);
    const result = await run.result;
    expect(result.status).toBe("succeeded");
    expect(result.output).toEqual({ network: "dev-net", db_url: "postgres://dev-vol", app_url: "https://dev-net" });
    expect(log).toEqual([
      "network dev",
      "allocate dev-vol",
      "start db on dev-vol",
      "deploy on dev-net with postgres://dev-vol",
    ]);
    const nested = events.filter((e) => e.path !== undefined);
    expect(nested.map((e) => `${e.path?.join("/")}:${e.type}:${e.step ?? ""}`)).toEqual([
      "database:workflow.started:",
      "database:step.started:allocate_volume",
      "database:step.succeeded:allocate_volume",
      "database:step.started:start_database",
      "database:step.succeeded:start_database",
      "database:workflow.succeeded:",
    ]);
    expect(new Set(events.map((e) => e.executionId))).toEqual(new Set([run.id]));
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  });

  it("a failure inside the sub-workflow compensates at both levels", async () => {
    const log: string[] = [];
    const result = await createEngine().execute(provisionEnvironment(log, "start_database"), { env: "dev" });
    expect(result.status).toBe("failed");
    expect(result.error).toBeInstanceOf(SubWorkflowError);
    expect(result.error?.step).toBe("database");
    expect(result.error?.cause).toMatchObject({ message: "Step `start_database` failed: start_database failed" });
    // The sub-workflow undid its own step; then the outer workflow undid its own.
    expect(log).toEqual(["network dev", "allocate dev-vol", "free dev-vol", "delete dev-net"]);
    expect(result.compensation.compensated).toEqual(["create_network"]);
    expect(result.compensation.nested).toEqual({
      database: { compensated: ["allocate_volume"], failed: [], kept: [] },
    });
  });

  it("a failure after the sub-workflow succeeded rolls it back as a nested saga, in reverse order", async () => {
    const log: string[] = [];
    const run = createEngine().start(provisionEnvironment(log, "deploy_app"), { env: "dev" });
    const events = record(run);
    const result = await run.result;
    expect(result.status).toBe("failed");
    expect(result.compensation.compensated).toEqual(["database", "create_network"]);
    expect(result.compensation.nested).toEqual({
      database: { compensated: ["start_database", "allocate_volume"], failed: [], kept: [] },
    });
    expect(log).toEqual([
      "network dev",
      "allocate dev-vol",
      "start db on dev-vol",
      "stop postgres://dev-vol",
      "free dev-vol",
      "delete dev-net",
    ]);
    const nestedRollback = events.filter((e) => e.path !== undefined && e.type.startsWith("step.compensat"));
    expect(nestedRollback.map((e) => `${e.type}:${e.step}`)).toEqual([
      "step.compensating:start_database",
      "step.compensated:start_database",
      "step.compensating:allocate_volume",
      "step.compensated:allocate_volume",
    ]);
  });

  it("are checked when the outer workflow is planned", () => {
    const inner = workflow("inner").step("a", { inputs: ["x"], outputs: ["y"], run: ({ x }) => ({ y: x }) });
    const outer = workflow("outer")
      .step("uses_inner", { outputs: ["y", "z"], workflow: inner })
      .step("broken_inner", { workflow: workflow("bad").step("b", { dependsOn: ["ghost" as never], run: () => {} }) });
    let error: WorkflowDefinitionError | undefined;
    try {
      plan(outer);
    } catch (e) {
      error = e as WorkflowDefinitionError;
    }
    expect(error?.issues.map((i) => i.message)).toEqual([
      "Step `uses_inner`: output `z` is not produced by sub-workflow `inner`",
      "Step `uses_inner`: sub-workflow `inner` needs `x`, which the step's `inputs` do not provide",
      "Step `broken_inner` (sub-workflow `bad`): Step `b` depends on unknown step `ghost`",
    ]);
  });
});
