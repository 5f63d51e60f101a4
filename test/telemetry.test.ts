/**
 * OpenTelemetry spans and metrics, result metrics, and the debug trace, for a workflow
 * with a retry, a failure and compensation.
 */
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnyActorRef, InspectionEvent } from "xstate";
import { createEngine, workflow } from "../src/index.js";
import { openTelemetry } from "../src/telemetry/opentelemetry.js";
import { settle, useFakeClock } from "./helpers.js";

const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const resolveAfter = <T>(ms: number, value: T) => sleep(ms).then(() => value);

/** a → b (fails once, retried) → c (fails): b then a are compensated. */
function saga(tracer: ReturnType<BasicTracerProvider["getTracer"]>) {
  return workflow("saga")
    .step("a", {
      outputs: ["x"],
      run: async () => {
        // A span the step's own code creates: it must nest under a's attempt span.
        const inner = tracer.startSpan("query database");
        await sleep(5);
        inner.end();
        return { x: 1 };
      },
      compensate: () => {},
    })
    .step("b", {
      inputs: ["x"],
      outputs: ["y"],
      retry: { maxAttempts: 2, baseDelay: 1, jitter: false },
      run: async (_i, ctx) => {
        await sleep(2);
        if (ctx.attempt === 1) throw new Error("flaky");
        return { y: 2 };
      },
      compensate: () => {},
    })
    .step("c", {
      inputs: ["y"],
      run: async () => {
        await sleep(1);
        throw new Error("broken");
      },
    });
}

describe("OpenTelemetry", () => {
  it("records a span per execution, per step attempt and per compensation, nested, and the metrics", async () => {
    const spans = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    const tracer = provider.getTracer("test");
    const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 60_000 });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const engine = createEngine({ telemetry: openTelemetry({ tracer, meter: meterProvider.getMeter("test") }) });

    const result = await engine.execute(saga(tracer), {});
    expect(result.status).toBe("failed");
    expect(result.compensation.compensated).toEqual(["b", "a"]);

    const finished = spans.getFinishedSpans();
    const byName = (name: string) => finished.filter((s) => s.name === name);
    const parentOf = (s: ReadableSpan) => finished.find((p) => p.spanContext().spanId === s.parentSpanContext?.spanId);
    const [root] = byName("workflow saga");
    expect(root).toBeDefined();
    expect(root!.status.code).toBe(2); // ERROR
    expect(root!.attributes["rubberduck.status"]).toBe("failed");
    for (const name of ["step a", "step b", "step c", "compensate b", "compensate a"]) {
      for (const span of byName(name)) expect(parentOf(span)).toBe(root);
    }
    expect(byName("step b").map((s) => [s.attributes["rubberduck.attempt"], s.status.code])).toEqual([
      [1, 2],
      [2, 1],
    ]);
    expect(byName("step c")[0]!.events.map((e) => e.name)).toEqual(["exception"]);
    expect(byName("compensate b")).toHaveLength(1);
    expect(parentOf(byName("query database")[0]!)).toBe(byName("step a")[0]);
    // Compensations run after the failure, newest first.
    const startOf = (name: string) => byName(name)[0]!.startTime[0] * 1e3 + byName(name)[0]!.startTime[1] / 1e6;
    expect(startOf("compensate b")).toBeLessThanOrEqual(startOf("compensate a"));

    await reader.forceFlush();
    const points = new Map<string, number>();
    for (const batch of metrics.getMetrics()) {
      for (const scope of batch.scopeMetrics) {
        for (const metric of scope.metrics) {
          const total = metric.dataPoints.reduce(
            (sum, p) => sum + (typeof p.value === "number" ? p.value : (p.value as { count: number }).count),
            0,
          );
          points.set(metric.descriptor.name, total);
        }
      }
    }
    expect(Object.fromEntries(points)).toEqual({
      "rubberduck.step.duration": 3,
      "rubberduck.step.retries": 1,
      "rubberduck.step.failures": 1,
      "rubberduck.step.compensations": 2,
      "rubberduck.workflow.duration": 1,
    });
    await meterProvider.shutdown();
  });
});

describe("result.metrics", () => {
  useFakeClock();

  it("reports durations, attempts, queue waits, the critical path as run and the parallelism", async () => {
    const wf = workflow("shape", { parallelLimit: 2 })
      .step("root", { outputs: ["r"], run: () => resolveAfter(5, { r: 1 }) })
      .step("slow", { inputs: ["r"], outputs: ["s"], run: () => resolveAfter(30, { s: 1 }) })
      .step("fast", { inputs: ["r"], outputs: ["f"], run: () => resolveAfter(5, { f: 1 }) })
      .step("third", { inputs: ["r"], outputs: ["t"], run: () => resolveAfter(5, { t: 1 }) })
      .step("sink", { inputs: ["s", "f", "t"], run: async () => void (await sleep(1)) });
    const { metrics } = await settle(createEngine().execute(wf, {}), 1);
    // root 0–5; slow 5–35 and fast 5–10 (limit 2); third waits for fast's slot: 10–15; sink 35–36.
    expect(metrics.totalMs).toBe(36);
    expect(metrics.criticalPath).toEqual({ steps: ["root", "slow", "sink"], durationMs: 36 });
    expect(metrics.steps.third!.queueWaitMs).toBe(5);
    expect(metrics.steps.slow!.queueWaitMs).toBe(0);
    expect(metrics.steps.slow!.attempts).toEqual([{ attempt: 1, startedAt: 5, endedAt: 35, durationMs: 30 }]);
    expect(metrics.parallelism.max).toBe(2);
    // In flight: 1 for 5 ms, 2 for 10 ms, 1 for 20 ms, 1 for 1 ms: 46 / 36.
    expect(metrics.parallelism.mean).toBeCloseTo(46 / 36);
  });

  it("lists every attempt of a retried step", async () => {
    const { metrics } = await settle(
      createEngine().execute(
        workflow("retried").step("b", {
          retry: { maxAttempts: 3, baseDelay: 5, jitter: false },
          run: (_i, ctx) => {
            if (ctx.attempt < 3) throw new Error("again");
          },
        }),
        {},
      ),
      1,
    );
    const attempts = metrics.steps.b!.attempts;
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(attempts[1]!.startedAt - attempts[0]!.endedAt).toBeGreaterThanOrEqual(5); // the backoff
  });
});

describe("the debug trace", () => {
  it("orders every event and step actor state, and replays the state sequence the inspector saw", async () => {
    const seen = new Map<string, string[]>();
    const inspect = (e: InspectionEvent) => {
      if (e.type !== "@xstate.snapshot") return;
      const value = (e.snapshot as { value?: unknown }).value;
      if (typeof value !== "string") return;
      const id = (e.actorRef as AnyActorRef).id;
      const states = seen.get(id) ?? [];
      if (states.at(-1) !== value) states.push(value);
      seen.set(id, states);
    };
    const tracer = trace.getTracer("unused");
    const result = await createEngine({ inspect }).execute(saga(tracer), {}, { debug: true });
    const trail = result.trace!;
    const fromTrace = new Map<string, string[]>();
    for (const entry of trail) {
      if (entry.kind !== "state") continue;
      fromTrace.set(entry.actor, [...(fromTrace.get(entry.actor) ?? []), entry.state]);
    }
    for (const actor of ["step:a", "step:b", "step:c", "compensate:b", "compensate:a"]) {
      expect(fromTrace.get(actor)).toEqual(seen.get(actor));
    }
    expect(fromTrace.get("step:b")).toEqual(["idle", "running", "retrying", "running", "succeeded"]);
    const events = trail.filter((e) => e.kind === "event").map((e) => (e.kind === "event" ? e.event.seq : 0));
    expect(events).toEqual(events.map((_, i) => i + 1));
    const times = trail.map((e) => e.at);
    expect([...times].sort((x, y) => x - y)).toEqual(times);
    expect(JSON.parse(JSON.stringify(trail))).toEqual(trail); // plain JSON
  });
});
