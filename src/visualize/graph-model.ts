/**
 * The diagram of a workflow as plain data, computed once from its plan and drawn
 * by every renderer (Mermaid, DOT, SVG), so the graph logic lives here only:
 *
 *   nodes   the workflow input (when some step reads it), then every step in
 *           declaration order, with safe unique ids, markers and status
 *   edges   producer → consumer, labelled with the data names that flow on it
 *           (a plan step's `inputs` whose `step` is the producer); a dependency
 *           with no data on it (only `dependsOn`) is an unlabelled "order" edge;
 *           workflow input → step, labelled with the input names it reads
 *   groups  the plan's depth groups
 */

import type { AnyWorkflow } from "../dsl/workflow.js";
import { plan } from "../planner/plan.js";
import type { PlannedStep } from "../planner/types.js";
import type { StepStatus } from "../result.js";
import { IdAllocator } from "./escape.js";
import type { DiagramOptions, StatusInput } from "./options.js";
import { isStepStatus } from "./status-style.js";

/**
 * A box in the diagram: the workflow input or a step.
 *
 * @example
 * for (const node of workflowGraph(codeAnalysis).nodes) console.log(node.id, node.name, node.markers.join(" "));
 */
export interface GraphNode {
  /** Unique in the graph, only `[A-Za-z0-9_]`: usable as a Mermaid, DOT or XML id as is. */
  readonly id: string;
  readonly kind: "input" | "step";
  /** The step's name (`"input"` for the workflow input). */
  readonly name: string;
  /** Compact annotations: `↻3` (3 retries), `⏱5s` (timeout per attempt), `↶` (has a compensation). */
  readonly markers: readonly string[];
  /** The step's depth group; -1 for the workflow input. */
  readonly depth: number;
  readonly status: StepStatus | undefined;
  readonly description: string | undefined;
}

/**
 * An arrow: data or ordering from one node to another.
 *
 * @example
 * const orderOnly = workflowGraph(codeAnalysis).edges.filter((edge) => edge.kind === "order");
 */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** The data names that flow on it (`key`, or `key as alias` when renamed); empty for an order edge. */
  readonly labels: readonly string[];
  /** `"data"` between steps, `"order"` for a `dependsOn` with no data, `"input"` from the workflow input. */
  readonly kind: "data" | "order" | "input";
}

/**
 * A depth group: steps whose dependencies all lie in earlier groups.
 *
 * @example
 * for (const group of workflowGraph(codeAnalysis).groups) console.log(group.label, group.nodes.length);
 */
export interface GraphGroup {
  readonly id: string;
  readonly depth: number;
  readonly label: string;
  /** Ids of the group's step nodes, in declaration order. */
  readonly nodes: readonly string[];
}

/**
 * A workflow's diagram as data.
 *
 * @example
 * const graph: WorkflowGraph = workflowGraph(codeAnalysis, { groups: false });
 * console.log(graph.title, graph.nodes.length, graph.edges.length);
 */
export interface WorkflowGraph {
  readonly workflow: string;
  readonly version: string;
  readonly description: string | undefined;
  /** The title to draw, or `undefined` when the options turned it off. */
  readonly title: string | undefined;
  /** The workflow input node (first in `nodes`), when some step reads workflow input. */
  readonly input: GraphNode | undefined;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  /** The depth groups, or none when the options turned them off. */
  readonly groups: readonly GraphGroup[];
}

/**
 * Compute a workflow's diagram from its plan (which validates it: an invalid
 * definition throws its `WorkflowDefinitionError`).
 *
 * @example
 * const graph = workflowGraph(codeAnalysis, { status: result.steps });
 * graph.edges.find((e) => e.to === "step_semantic_analysis")?.labels; // ["ast_trees"]
 */
export function workflowGraph(wf: AnyWorkflow, options: DiagramOptions = {}): WorkflowGraph {
  const p = plan(wf);
  const statuses = readStatuses(options.status);
  const ids = new IdAllocator();
  const input: GraphNode | undefined =
    p.requiredInputs.length > 0
      ? {
          id: ids.next("", "workflow_input"),
          kind: "input",
          name: "input",
          markers: [],
          depth: -1,
          status: undefined,
          description: "The workflow's input",
        }
      : undefined;

  const stepIds = p.steps.map((s) => ids.next("step_", s.name));
  const nodes: GraphNode[] = input === undefined ? [] : [input];
  const edges: GraphEdge[] = [];
  for (const step of p.steps) {
    const id = stepIds[step.index]!;
    nodes.push({
      id,
      kind: "step",
      name: step.name,
      markers: stepMarkers(step),
      depth: step.depth,
      status: statuses.get(step.name),
      description: step.definition.description,
    });
    if (input !== undefined) {
      const names = dataNames(step, -1);
      if (names.length > 0) edges.push({ from: input.id, to: id, labels: names, kind: "input" });
    }
    for (const dep of step.deps) {
      const names = dataNames(step, dep);
      edges.push({ from: stepIds[dep]!, to: id, labels: names, kind: names.length > 0 ? "data" : "order" });
    }
  }

  const groups: GraphGroup[] =
    options.groups === false
      ? []
      : p.groups.map((members, depth) => ({
          id: `group_${depth}`,
          depth,
          label: `group ${depth}`,
          nodes: members.map((name) => stepIds[p.indexOf.get(name)!]!),
        }));

  const title = options.title === false ? undefined : (options.title ?? `${p.workflow} v${p.version}`);
  return {
    workflow: p.workflow,
    version: p.version,
    description: wf.options.description,
    title,
    input,
    nodes,
    edges,
    groups,
  };
}

/** The data a step reads from `source` (a step index, or -1 for the workflow input), each name once. */
function dataNames(step: PlannedStep, source: number): string[] {
  const names: string[] = [];
  for (const binding of step.inputs) {
    if (binding.step !== source) continue;
    const name = binding.as === binding.key ? binding.key : `${binding.key} as ${binding.as}`;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * A step's markers: a sub-workflow, retries, timeout, caching, compensation.
 *
 * @example
 * stepMarkers(plan(codeAnalysis).steps[1]!); // ["↻3"]
 */
export function stepMarkers(step: PlannedStep): string[] {
  const markers: string[] = [];
  const sub = step.definition.workflow;
  if (sub !== undefined) markers.push(`⊂${sub.name}`);
  const retries = step.retry.maxAttempts - 1;
  if (retries > 0) markers.push(`↻${Number.isFinite(retries) ? retries : "∞"}`);
  if (step.timeout !== undefined) markers.push(`⏱${formatDuration(step.timeout)}`);
  if (step.cache !== undefined) markers.push("cached");
  if (step.definition.compensate !== undefined || sub !== undefined) markers.push("↶");
  return markers;
}

/**
 * A duration in ms, compactly: `250ms`, `5s`, `1.5s`, `2m`, `1h`.
 *
 * @example
 * formatDuration(5_000); // "5s"
 * formatDuration(90_000); // "90s"
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "∞";
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1_000) return `${Number((ms / 1_000).toFixed(1))}s`;
  return `${Number(ms.toFixed(1))}ms`;
}

/**
 * A node's label on one line: its name, then its markers.
 *
 * @example
 * nodeLabel({ name: "parse_files", markers: ["⏱5s"] }); // "parse_files ⏱5s"
 */
export function nodeLabel(node: Pick<GraphNode, "name" | "markers">, separator = " "): string {
  return node.markers.length === 0 ? node.name : `${node.name}${separator}${node.markers.join(" ")}`;
}

function readStatuses(input: StatusInput | undefined): Map<string, StepStatus> {
  const statuses = new Map<string, StepStatus>();
  if (input === undefined) return statuses;
  const entries: Iterable<readonly [string, unknown]> =
    input instanceof Map ? input.entries() : Object.entries(input as Record<string, unknown>);
  for (const [name, value] of entries) {
    const status =
      typeof value === "object" && value !== null && "status" in value ? (value as { status: unknown }).status : value;
    if (isStepStatus(status)) statuses.set(name, status);
  }
  return statuses;
}
