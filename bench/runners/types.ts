/**
 * What the compared runners have in common. A runner turns a Dag into its own
 * structures once (`compile`), then runs one execution per call of the result, so a
 * workload can time compile + execute together (a fresh compile per run) or reuse
 * one compiled DAG for many executions. Step bodies are supplied by the caller, so
 * every runner runs exactly the same work.
 */

import type { Dag, DagNode } from "../dags.js";

export type RunnerName = "engine" | "plain" | "p-graph";

export const RUNNERS: readonly RunnerName[] = ["engine", "plain", "p-graph"];

/** The small object every step returns: `{ [node.output]: node.index }`. */
export type StepOutput = Readonly<Record<string, number>>;

/** One step's body. */
export type StepFn = () => StepOutput | Promise<StepOutput>;

/** Makes the body of each step of a DAG. */
export type StepFactory = (node: DagNode) => StepFn;

/** Runs one execution of a compiled DAG; rejects unless every step succeeded. */
export type Execution = () => Promise<void>;

/**
 * How many steps may be in flight at once: a number (`Infinity` = unbounded), or
 * `undefined` for the runner's own default (engine 10; p-graph and plain unbounded).
 * The plain Promise graph is always unbounded.
 */
export type ParallelLimit = number | undefined;

export interface Runner {
  readonly name: RunnerName;
  /** Build the runner's structures for `dag`, with `steps` as the step bodies. */
  compile(dag: Dag, steps: StepFactory, parallelLimit: ParallelLimit): Execution;
  /**
   * Build the runner's definition of `dag` (what its planner takes), and return a
   * function that plans it, returning how many steps it ordered. Nothing runs.
   */
  definePlan(dag: Dag): () => number;
}

/** Returns the node's output: the no-op body, which the step factories wrap. */
export const outputOf = (node: DagNode): StepOutput => ({ [node.output]: node.index });
