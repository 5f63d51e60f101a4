/**
 * Options shared by every workflow diagram (Mermaid, DOT, SVG).
 */

import type { StepStatus } from "../result.js";

/**
 * Each step's status, by step name: a `Map`, a plain record of statuses, or a run's
 * `result.steps` as is (records with a `status`). Steps left out are drawn plain;
 * names that are not steps of the workflow are ignored.
 *
 * @example
 * const status: StatusInput = { parse_files: "succeeded", security_scan: "failed" };
 * const fromResult: StatusInput = result.steps;
 */
export type StatusInput =
  | ReadonlyMap<string, StepStatus>
  | Readonly<Record<string, StepStatus | { readonly status: StepStatus }>>;

/**
 * Where the graph flows: top to bottom, left to right, or reversed.
 *
 * @example
 * toMermaid(wf, { direction: "LR" });
 */
export type DiagramDirection = "TB" | "LR" | "BT" | "RL";

/**
 * Options of `toMermaid`, `toDot` and `toSvg`.
 *
 * @example
 * toMermaid(codeAnalysis, { status: result.steps, direction: "LR" });
 */
export interface DiagramOptions {
  /**
   * Colour steps by status (a run's final state, or a live `run.status().steps`).
   * @default undefined (no colours)
   */
  readonly status?: StatusInput | undefined;
  /**
   * Direction of the flow.
   * @default "TB"
   */
  readonly direction?: DiagramDirection | undefined;
  /**
   * The diagram's title, or `false` for none.
   * @default "<workflow name> v<version>"
   */
  readonly title?: string | false | undefined;
  /**
   * Draw the depth groups (steps that can run in parallel) as subgraphs, clusters or bands.
   * @default true
   */
  readonly groups?: boolean | undefined;
}
