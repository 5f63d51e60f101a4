/**
 * A workflow as a Graphviz DOT digraph: depth groups as clusters held on one rank
 * each (`newrank` + `rank=same`), data edges labelled, `dependsOn`-only edges
 * dashed, statuses as fill and border colours.
 */

import type { AnyWorkflow } from "../dsl/workflow.js";
import { dotString } from "./escape.js";
import { type GraphNode, nodeLabel, workflowGraph } from "./graph-model.js";
import type { DiagramOptions } from "./options.js";
import { DEFAULT_STEP_STYLE, STATUS_STYLES } from "./status-style.js";

const FONT = dotString("Helvetica,Arial,sans-serif");

/**
 * Draw a workflow's step graph in Graphviz DOT (`dot -Tsvg`, `dot -Tpng`…). With
 * `status`, steps are coloured by status.
 *
 * @example
 * toDot(codeAnalysis);
 * // digraph "code_analysis" {
 * //   graph [label="code_analysis v1.0.0", labelloc=t, rankdir=TB, newrank=true, …];
 * //   subgraph "cluster_group_0" { label="group 0"; rank=same; "step_parse_files" [label="parse_files\n⏱5s"]; }
 * //   …
 * //   "step_parse_files" -> "step_semantic_analysis" [label="ast_trees"];
 * // }
 * @example
 * writeFileSync("run.dot", toDot(codeAnalysis, { status: result.steps }));
 */
export function toDot(wf: AnyWorkflow, options: DiagramOptions = {}): string {
  const graph = workflowGraph(wf, options);
  const graphAttrs = [
    ...(graph.title === undefined ? [] : [`label=${dotString(graph.title)}`, "labelloc=t", "fontsize=16"]),
    `rankdir=${options.direction ?? "TB"}`,
    "newrank=true",
    "nodesep=0.4",
    "ranksep=0.5",
    `fontname=${FONT}`,
  ];
  const lines = [
    `digraph ${dotString(graph.workflow)} {`,
    `  graph [${graphAttrs.join(", ")}];`,
    `  node [shape=box, style="rounded,filled", fillcolor="${DEFAULT_STEP_STYLE.fill}", color="${DEFAULT_STEP_STYLE.stroke}", fontname=${FONT}, fontsize=12];`,
    `  edge [color="#64748b", fontname=${FONT}, fontsize=10, fontcolor="#334155"];`,
  ];

  if (graph.input !== undefined) lines.push(`  ${node(graph.input)}`);
  if (graph.groups.length > 0) {
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    for (const group of graph.groups) {
      lines.push(`  subgraph ${dotString(`cluster_${group.id}`)} {`);
      lines.push(
        `    label=${dotString(group.label)}; labeljust=l; rank=same; style="rounded,filled"; fillcolor="${group.depth % 2 === 0 ? "#f8fafc" : "#f1f5f9"}"; color="#e2e8f0"; fontcolor="#64748b"; fontsize=10;`,
      );
      for (const id of group.nodes) lines.push(`    ${node(byId.get(id)!)}`);
      lines.push("  }");
    }
  } else {
    for (const n of graph.nodes) if (n.kind === "step") lines.push(`  ${node(n)}`);
  }

  for (const edge of graph.edges) {
    const attrs = edge.kind === "order" ? ["style=dashed"] : [`label=${dotString(edge.labels.join(", "))}`];
    if (edge.kind === "input") attrs.push('color="#94a3b8"');
    lines.push(`  ${dotString(edge.from)} -> ${dotString(edge.to)} [${attrs.join(", ")}];`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

function node(n: GraphNode): string {
  const attrs = [`label=${dotString(nodeLabel(n, "\n"))}`];
  if (n.description !== undefined) attrs.push(`tooltip=${dotString(n.description)}`);
  if (n.kind === "input") {
    attrs.push("shape=parallelogram", 'style="filled,dashed"', 'fillcolor="#f1f5f9"', 'color="#94a3b8"');
  } else if (n.status !== undefined) {
    const style = STATUS_STYLES[n.status];
    attrs.push(
      `fillcolor="${style.fill}"`,
      `color="${style.stroke}"`,
      `fontcolor="${style.text}"`,
      `penwidth=1.5`,
      style.dashed ? 'style="rounded,filled,dashed"' : 'style="rounded,filled"',
    );
  }
  return `${dotString(n.id)} [${attrs.join(", ")}];`;
}
