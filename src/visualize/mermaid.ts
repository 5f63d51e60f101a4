/**
 * A workflow as a Mermaid `flowchart`: depth groups as subgraphs, data edges
 * labelled with what flows on them, `dependsOn`-only edges dotted, statuses as
 * `classDef` classes.
 */

import type { AnyWorkflow } from "../dsl/workflow.js";
import { mermaidLabel } from "./escape.js";
import { type GraphNode, nodeLabel, workflowGraph } from "./graph-model.js";
import type { DiagramOptions } from "./options.js";
import { STATUS_STYLES, STEP_STATUSES, type StatusStyle } from "./status-style.js";

/**
 * Draw a workflow's step graph as a Mermaid flowchart (paste it in a markdown file,
 * GitHub renders it). With `status`, steps are coloured by status: a run's final state.
 *
 * @example
 * toMermaid(codeAnalysis);
 * // ---
 * // title: "code_analysis v1.0.0"
 * // ---
 * // flowchart TB
 * //   workflow_input[/"input"/]
 * //   subgraph group_0 ["group 0"]
 * //     step_parse_files["parse_files ⏱5s"]
 * //   end
 * //   …
 * //   workflow_input -->|"file_paths"| step_parse_files
 * //   step_parse_files -->|"ast_trees"| step_semantic_analysis
 * @example
 * const result = await engine.execute(codeAnalysis, input);
 * toMermaid(codeAnalysis, { status: result.steps, direction: "LR" });
 */
export function toMermaid(wf: AnyWorkflow, options: DiagramOptions = {}): string {
  const graph = workflowGraph(wf, options);
  const lines: string[] = [];
  if (graph.title !== undefined) lines.push("---", `title: ${JSON.stringify(graph.title)}`, "---");
  lines.push(`flowchart ${options.direction ?? "TB"}`);

  if (graph.input !== undefined) lines.push(`  ${node(graph.input)}`);
  if (graph.groups.length > 0) {
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    for (const group of graph.groups) {
      lines.push(`  subgraph ${group.id} [${mermaidLabel(group.label)}]`);
      for (const id of group.nodes) lines.push(`    ${node(byId.get(id)!)}`);
      lines.push("  end");
    }
  } else {
    for (const n of graph.nodes) if (n.kind === "step") lines.push(`  ${node(n)}`);
  }

  for (const edge of graph.edges) {
    if (edge.kind === "order") lines.push(`  ${edge.from} -.-> ${edge.to}`);
    else lines.push(`  ${edge.from} -->|${mermaidLabel(edge.labels.join(", "))}| ${edge.to}`);
  }

  const byStatus = new Map<string, string[]>();
  for (const n of graph.nodes)
    if (n.status !== undefined) (byStatus.get(n.status) ?? byStatus.set(n.status, []).get(n.status)!).push(n.id);
  for (const status of STEP_STATUSES) {
    const ids = byStatus.get(status);
    if (ids === undefined) continue;
    lines.push(`  classDef ${status} ${classDef(STATUS_STYLES[status])}`);
    lines.push(`  class ${ids.join(",")} ${status}`);
  }
  return `${lines.join("\n")}\n`;
}

function node(n: GraphNode): string {
  const label = mermaidLabel(nodeLabel(n));
  return n.kind === "input" ? `${n.id}[/${label}/]` : `${n.id}[${label}]`;
}

function classDef(style: StatusStyle): string {
  const dash = style.dashed ? ",stroke-dasharray:4 3" : "";
  return `fill:${style.fill},stroke:${style.stroke},color:${style.text}${dash}`;
}
