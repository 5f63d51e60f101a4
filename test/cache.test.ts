import { describe, expect, it, vi } from "vitest";
import { type CacheStore, createEngine, memoryCache, workflow } from "../src/index.js";
import { record, trace, useFakeClock } from "./helpers.js";

function expensive(counter: { runs: number }) {
  return workflow<{ config: Record<string, unknown> }>("analysis", { version: "2.1.0" }).step("analyse", {
    inputs: ["config"],
    outputs: ["report"],
    cache: true,
    run: ({ config }) => {
      counter.runs++;
      return { report: `analysed ${Object.keys(config).sort().join(",")}` };
    },
  });
}

describe("step caching", () => {
  it("skips the second run of a step with equal inputs, whatever their key order, and marks it cached", async () => {
    const counter = { runs: 0 };
    const wf = expensive(counter);
    const engine = createEngine();
    const first = await engine.execute(wf, { config: { a: 1, b: { x: [1, 2], y: "z" } } });
    const run = engine.start(wf, { config: { b: { y: "z", x: [1, 2] }, a: 1 } });
    const events = record(run);
    const second = await run.result;
    expect(counter.runs).toBe(1);
    expect(first.steps.analyse.cached).toBe(false);
    expect(second.steps.analyse.cached).toBe(true);
    expect(second.output).toEqual(first.output);
    expect(trace(events, ["step.cached", "step.succeeded"])).toEqual(["step.cached:analyse", "step.succeeded:analyse"]);

    await engine.execute(wf, { config: { a: 2, b: { x: [1, 2], y: "z" } } });
    expect(counter.runs).toBe(2);
  });

  describe("with a fake clock", () => {
    useFakeClock();

    it("expires entries after their ttl", async () => {
      const counter = { runs: 0 };
      const wf = expensive(counter).with({ cacheResults: { ttl: 60_000 } });
      // The step's `cache: true` takes its ttl from the workflow's cacheResults.
      const engine = createEngine();
      await engine.execute(wf, { config: { a: 1 } });
      vi.setSystemTime(59_000);
      await engine.execute(wf, { config: { a: 1 } });
      expect(counter.runs).toBe(1);
      vi.setSystemTime(61_000);
      await engine.execute(wf, { config: { a: 1 } });
      expect(counter.runs).toBe(2);
    });
  });

  it("uses a custom asynchronous store", async () => {
    const calls: string[] = [];
    const entries = new Map<string, unknown>();
    const store: CacheStore = {
      get: async (key) => {
        calls.push("get");
        return entries.get(key);
      },
      set: async (key, value, ttl) => {
        calls.push(`set ttl=${ttl}`);
        entries.set(key, value);
      },
      delete: async (key) => entries.delete(key),
    };
    const counter = { runs: 0 };
    const engine = createEngine({ cache: store });
    await engine.execute(expensive(counter), { config: { a: 1 } });
    await engine.execute(expensive(counter), { config: { a: 1 } });
    expect(counter.runs).toBe(1);
    expect(calls).toEqual(["get", "set ttl=undefined", "get"]);
    expect([...entries.keys()][0]).toMatch(/^rubberduck:analysis@2\.1\.0:analyse:[\w-]{43}$/);
  });

  it("runs a step whose input cannot be hashed uncached, with an event", async () => {
    const counter = { runs: 0 };
    const wf = workflow<{ callback: () => void }>("unhashable").step("call", {
      inputs: ["callback"],
      cache: true,
      run: () => {
        counter.runs++;
      },
    });
    const engine = createEngine();
    const run = engine.start(wf, { callback: () => {} });
    const events = record(run);
    await run.result;
    await engine.execute(wf, { callback: () => {} });
    expect(counter.runs).toBe(2);
    const bypass = events.find((e) => e.type === "step.cache_bypassed");
    expect(bypass?.reason).toBe("the input cannot be hashed: it contains a function");
  });

  it("keys every step by the workflow's cacheResults key, and lets a step opt out", async () => {
    const runs: string[] = [];
    const wf = workflow<{ files: Record<string, string> }>("keyed", {
      cacheResults: { key: (input: { files: Record<string, string> }) => Object.keys(input.files).join("|") },
    })
      .step("parse", {
        inputs: ["files"],
        outputs: ["ast"],
        run: ({ files }) => {
          runs.push("parse");
          return { ast: Object.keys(files) };
        },
      })
      .step("notify", {
        inputs: ["ast"],
        cache: false,
        run: () => {
          runs.push("notify");
        },
      });
    const engine = createEngine();
    await engine.execute(wf, { files: { "a.ts": "1" } });
    const second = await engine.execute(wf, { files: { "a.ts": "changed content, same key" } });
    expect(runs).toEqual(["parse", "notify", "notify"]);
    expect(second.steps.parse.cached).toBe(true);
    expect(second.steps.notify.cached).toBe(false);
  });

  it("never compensates a cache hit, and forgets the entry of a step it compensated", async () => {
    const log: string[] = [];
    const wf = workflow<{ n: number; fail: boolean }>("cached_saga")
      .step("reserve", {
        inputs: ["n"],
        outputs: ["id"],
        cache: true,
        run: ({ n }) => {
          log.push("reserve");
          return { id: `r${n}` };
        },
        compensate: ({ output }) => log.push(`release ${output?.id}`),
      })
      .step("use", {
        inputs: ["id", "fail"],
        run: ({ fail }) => {
          if (fail) throw new Error("boom");
        },
      });
    const engine = createEngine();
    await engine.execute(wf, { n: 1, fail: false }); // reserve runs and is cached
    const hit = await engine.execute(wf, { n: 1, fail: true }); // reserve from cache, use fails
    expect(hit.steps.reserve).toMatchObject({ cached: true, status: "succeeded" });
    expect(hit.compensation.compensated).toEqual([]);
    expect(log).toEqual(["reserve"]);

    await engine.execute(wf, { n: 2, fail: true }); // reserve runs, use fails: reserve compensated
    expect(log).toEqual(["reserve", "reserve", "release r2"]);
    const again = await engine.execute(wf, { n: 2, fail: false }); // its entry was dropped: runs again
    expect(again.steps.reserve.cached).toBe(false);
    expect(log).toEqual(["reserve", "reserve", "release r2", "reserve"]);
  });

  it("memoryCache is bounded by entries", async () => {
    const store = memoryCache({ max: 2 });
    await store.set("a", 1, undefined);
    await store.set("b", 2, undefined);
    await store.set("c", 3, undefined);
    expect([await store.get("a"), await store.get("b"), await store.get("c")]).toEqual([undefined, 2, 3]);
  });
});

describe("cache entries that do not fit", () => {
  it("treat a cached value without the declared outputs as a miss", async () => {
    const store: CacheStore = { get: () => 42, set: () => {}, delete: () => {} };
    let runs = 0;
    const wf = workflow("stale").step("s", {
      outputs: ["v"],
      cache: true,
      run: () => {
        runs++;
        return { v: 1 };
      },
    });
    const run = createEngine({ cache: store }).start(wf, {});
    const events = record(run);
    const result = await run.result;
    expect(runs).toBe(1);
    expect(result.output).toEqual({ v: 1 });
    expect(result.steps.s.cached).toBe(false);
    expect(events.find((e) => e.type === "step.cache_bypassed")?.reason).toBe(
      "the cached value lacks a declared output; running the step",
    );
  });
});
