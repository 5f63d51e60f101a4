/**
 * Worker side: how each kind of task takes one sample, checking every time that
 * every step of every execution ran (the engine runner also rejects any result that
 * is not "succeeded").
 */

import { buildDag, type Dag } from "./dags.js";
import type { Execution, Runner } from "./runners/types.js";
import { countingSteps, Gate, type StepCounter } from "./steps.js";
import type { SeriesTask } from "./task.js";

/** Takes one sample (ms or bytes, see `unitOf`). */
export type Sampler = () => Promise<number>;

/** Full garbage collection (the worker enables `--expose-gc`). */
export type Collect = () => void;

function expectRan(runner: Runner, dag: Dag, counter: StepCounter, executions: number): void {
  const expected = dag.nodes.length * executions;
  if (counter.ran !== expected) {
    throw new Error(`${runner.name} ran ${counter.ran} steps, expected ${expected} (${executions} × ${dag.id})`);
  }
}

/** Run `total` executions, `inFlight` at a time: each one that finishes starts the next. */
async function pool(total: number, inFlight: number, execute: Execution): Promise<void> {
  let started = 0;
  const lane = async (): Promise<void> => {
    while (started < total) {
      started++;
      await execute();
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, lane));
}

export function samplerFor(task: SeriesTask, runner: Runner, collect: Collect): Sampler {
  const dag = buildDag(task.dag);
  switch (task.kind) {
    case "execute":
      return async () => {
        const counter: StepCounter = { ran: 0 };
        const start = performance.now();
        await runner.compile(dag, countingSteps(task.work, counter), task.parallelLimit)();
        const ms = performance.now() - start;
        expectRan(runner, dag, counter, 1);
        return ms;
      };

    case "plan":
      return async () => {
        const start = performance.now();
        const planIt = runner.definePlan(dag);
        const planStart = task.timed === "plan" ? performance.now() : start;
        const ordered = planIt();
        const ms = performance.now() - planStart;
        if (ordered !== dag.nodes.length) throw new Error(`${runner.name} planned ${ordered} of ${dag.nodes.length}`);
        return ms;
      };

    case "throughput": {
      const counter: StepCounter = { ran: 0 };
      const execute = runner.compile(dag, countingSteps({ kind: "noop" }, counter), task.parallelLimit);
      return async () => {
        counter.ran = 0;
        const start = performance.now();
        await pool(task.executions, task.inFlight, execute);
        const ms = performance.now() - start;
        expectRan(runner, dag, counter, task.executions);
        return ms;
      };
    }

    case "heap": {
      const counter: StepCounter = { ran: 0 };
      const gate = new Gate();
      const execute = runner.compile(dag, gate.steps(counter), task.parallelLimit);
      const heapUsed = (): number => {
        collect();
        collect();
        return process.memoryUsage().heapUsed;
      };
      return async () => {
        counter.ran = 0;
        gate.close();
        const before = heapUsed();
        const finished: Promise<void>[] = [];
        for (let i = 0; i < task.executions; i++) finished.push(execute());
        // Each execution's first step waits at the gate: then all are in flight.
        const settled = Promise.all(finished).then(() => {
          throw new Error(`${runner.name}: executions finished before the gate opened`);
        });
        await Promise.race([gate.arrivals(task.executions), settled]);
        const during = heapUsed();
        gate.open();
        await Promise.all(finished);
        expectRan(runner, dag, counter, task.executions);
        return (during - before) / task.executions;
      };
    }
  }
}
