/**
 * Sub-workflows of a durable execution: their events are journaled in the outer
 * execution (with their path); on resume, a sub run that was in flight resumes from
 * them (its journaled steps do not run again), and a finished one is rebuilt from them
 * when a rollback must undo it.
 */
import { describe, expect, it } from "vitest";
import { createEngine, LeaseLostError, memoryStore, NonRetryableError, workflow } from "../../src/index.js";
import { deferred } from "../helpers.js";

const until = async (check: () => boolean) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
};

type Gate = { open: boolean; wait: Promise<void> };
const OPEN: Gate = { open: true, wait: Promise.resolve() };

function provisioning(log: string[], gate: Gate, failDeploy = false, deployGate: Gate = gate) {
  const database = workflow("database")
    .step("allocate", {
      inputs: ["env"],
      outputs: ["volume"],
      run: ({ env }) => {
        log.push("allocate");
        return { volume: `${String(env)}-vol` };
      },
      compensate: () => {
        log.push("free");
      },
    })
    .step("start", {
      inputs: ["volume"],
      outputs: ["db_url"],
      run: async ({ volume }, ctx) => {
        log.push(`start#${ctx.attempt}`);
        if (!gate.open) await gate.wait;
        return { db_url: `postgres://${volume}` };
      },
      compensate: () => {
        log.push("stop");
      },
    });
  return workflow("provision")
    .step("database", { inputs: ["env"], outputs: ["db_url"], workflow: database })
    .step("deploy", {
      inputs: ["db_url"],
      outputs: ["app"],
      run: async ({ db_url }) => {
        log.push("deploy");
        if (!deployGate.open) await deployGate.wait;
        if (failDeploy) throw new NonRetryableError("deploy fails");
        return { app: `app on ${db_url}` };
      },
    });
}

describe("durable sub-workflows", () => {
  it("a sub run in flight resumes where its journal ends", async () => {
    const store = memoryStore();
    const log: string[] = [];
    const gate = deferred();
    const first = createEngine({
      workflows: [provisioning(log, { open: false, wait: gate.promise })],
      store,
      owner: "one",
    });
    const run = first.start("provision", { env: "dev" });
    const lost = run.result.catch((e: unknown) => e);
    await until(() => log.includes("start#1"));
    await first.close();
    expect(await lost).toBeInstanceOf(LeaseLostError);

    const second = createEngine({
      workflows: [provisioning(log, { open: true, wait: gate.promise })],
      store,
      owner: "two",
    });
    const [resumed] = await second.recover();
    const result = await resumed!.result;
    expect(result.status).toBe("succeeded");
    expect(result.output).toEqual({ db_url: "postgres://dev-vol", app: "app on postgres://dev-vol" });
    expect(log).toEqual(["allocate", "start#1", "start#2", "deploy"]);
    const journal = await store.events(run.id);
    expect(journal.map((e) => e.seq)).toEqual(journal.map((_e, i) => i + 1));
    gate.resolve();
  });

  it("a finished sub run is rebuilt from the journal to be rolled back", async () => {
    const store = memoryStore();
    const log: string[] = [];
    const gate = deferred();
    // The sub run finishes; the outer run stops while `deploy` is in flight.
    const first = createEngine({
      workflows: [provisioning(log, OPEN, true, { open: false, wait: gate.promise })],
      store,
      owner: "one",
    });
    const run = first.start("provision", { env: "dev" });
    run.result.catch(() => {});
    await until(() => log.includes("deploy"));
    await first.close();

    const second = createEngine({ workflows: [provisioning(log, OPEN, true)], store, owner: "two" });
    const [resumed] = await second.recover();
    const result = await resumed!.result;
    expect(result.status).toBe("failed");
    expect(result.compensation.compensated).toEqual(["database"]);
    expect(result.compensation.nested).toEqual({
      database: { compensated: ["start", "allocate"], failed: [], kept: [] },
    });
    expect(log).toEqual(["allocate", "start#1", "deploy", "deploy", "stop", "free"]);
    gate.resolve();
  });
});
