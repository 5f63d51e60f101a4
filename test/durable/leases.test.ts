/**
 * Leases: renewed while an execution runs (another engine cannot claim it), and fenced:
 * an engine whose lease was taken stops its copy at once, writes nothing more, and its
 * `run.result` says why.
 */
import { describe, expect, it } from "vitest";
import { createEngine, LeaseLostError, memoryStore, workflow } from "../../src/index.js";
import { deferred } from "../helpers.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("leases", () => {
  it("are renewed while the execution runs: no other engine may claim it", async () => {
    const store = memoryStore();
    const gate = deferred();
    const wf = workflow("slow").step("wait", { run: () => gate.promise });
    const owner = createEngine({ workflows: [wf], store, owner: "one", leaseMs: 60 });
    const run = owner.start("slow", {});
    await sleep(200); // over three lease periods
    const other = createEngine({ workflows: [wf], store, owner: "two", leaseMs: 60 });
    expect(await other.recover()).toEqual([]);
    expect((await store.get(run.id))?.leaseUntil).toBeGreaterThan(Date.now());
    gate.resolve();
    expect((await run.result).status).toBe("succeeded");
  });

  it("an engine whose lease was taken stops its copy, writes nothing more, and says so", async () => {
    const store = memoryStore();
    const ran: string[] = [];
    const gate = deferred();
    const wf = workflow("two")
      .step("a", {
        outputs: ["x"],
        run: async () => {
          ran.push("a");
          await gate.promise;
          return { x: 1 };
        },
      })
      .step("b", {
        inputs: ["x"],
        run: () => {
          ran.push("b");
        },
      });
    const first = createEngine({ workflows: [wf], store, owner: "one", leaseMs: 60_000 });
    const run = first.start("two", {});
    const seen: string[] = [];
    run.events.subscribe((e) => seen.push(e.type));
    const outcome = run.result.catch((error: unknown) => error);
    await sleep(20);
    // Another engine takes the execution over (its owner is, it believes, gone).
    const [taken] = await store.claim({
      owner: "two",
      now: Date.now(),
      until: Date.now() + 60_000,
      limit: 1,
      gone: ["one"],
    });
    expect(taken?.epoch).toBe(2);
    const before = (await store.events(run.id)).length;
    gate.resolve();
    const error = await outcome;
    expect(error).toBeInstanceOf(LeaseLostError);
    expect((error as LeaseLostError).message).toContain("superseded");
    // Its copy stopped at the first refused write: `b` never ran, nothing was appended.
    await sleep(20);
    expect(ran).toEqual(["a"]);
    expect((await store.events(run.id)).length).toBe(before);
    expect(first.getStatus(run.id)?.status).not.toBe("succeeded");
    // And it said so, in its last event.
    expect(seen.at(-1)).toBe("workflow.lease_lost");
    expect(seen.filter((t) => t.startsWith("workflow.") && t !== "workflow.started")).toEqual(["workflow.lease_lost"]);
  });
});
