/**
 * Positions for the SVG renderer, laid out by dagre (synchronous, pure JS).
 *
 * Depth groups must sit on one row each so they can be drawn as bands. Dagre ranks
 * by network simplex, which would pull a step towards its dependents; giving each
 * edge `minlen = depth(to) − depth(from)` makes "rank = depth" the one layout where
 * every edge is tight, hence optimal. Components are tied together by edges from a
 * root (the workflow input node, or a hidden node) to every depth-0 step, so they
 * share rank 0. The hidden edges are laid out but never drawn.
 *
 * Depth groups become bands across the whole drawing, their labels in a gutter
 * beside (or above) the graph, where no node or edge label can overlap them.
 */

import { graphlib, layout } from "@dagrejs/dagre";
import type { GraphEdge, GraphGroup, GraphNode, WorkflowGraph } from "./graph-model.js";
import type { DiagramDirection } from "./options.js";
import { markersWidth } from "./svg-markers.js";
import { textWidth } from "./text-metrics.js";

/** Font sizes the sizes below are computed for; the SVG renderer uses the same. */
export const FONT_SIZES = { name: 13, marker: 11, edge: 11, group: 11 } as const;

const NODE_PADDING_X = 14;
const NODE_MIN_WIDTH = 72;
const LINE = { name: 18, marker: 15 } as const;
const NODE_PADDING_Y = 9;
const EDGE_LABEL_PADDING = { x: 5, y: 3 } as const;
const BAND_PADDING = 12;
const GUTTER_GAP = 14;
const HIDDEN_ROOT = "\u0000root";

/** A point in the drawing. */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** A node placed: its centre and size. */
export interface PlacedNode {
  readonly node: GraphNode;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** An edge routed: its polyline from border to border, and its label's centre and size. */
export interface PlacedEdge {
  readonly edge: GraphEdge;
  readonly points: readonly Point[];
  readonly label:
    | { readonly text: string; readonly x: number; readonly y: number; readonly width: number; readonly height: number }
    | undefined;
}

/** A depth group's band (top-left corner and size), and where its label goes. */
export interface PlacedBand {
  readonly group: GraphGroup;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly labelX: number;
  readonly labelY: number;
}

/** A laid-out graph, with its origin at (0, 0). */
export interface GraphLayout {
  readonly nodes: readonly PlacedNode[];
  readonly edges: readonly PlacedEdge[];
  readonly bands: readonly PlacedBand[];
  /** Whether the graph flows vertically (TB, BT): bands are rows, labelled on their left; else columns, labelled on top. */
  readonly vertical: boolean;
  readonly width: number;
  readonly height: number;
}

/**
 * Lay out a workflow graph: node sizes from their text, positions and edge routes
 * from dagre, bands from the depth groups.
 *
 * @example
 * const { nodes, edges, width, height } = layoutGraph(workflowGraph(codeAnalysis), "TB");
 */
export function layoutGraph(graph: WorkflowGraph, direction: DiagramDirection = "TB"): GraphLayout {
  const g = new graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: direction, nodesep: 28, ranksep: 46, edgesep: 14, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));

  const depthOf = new Map<string, number>();
  for (const node of graph.nodes) {
    g.setNode(node.id, nodeSize(node));
    depthOf.set(node.id, node.depth);
  }
  const root = graph.input?.id ?? HIDDEN_ROOT;
  if (graph.input === undefined) g.setNode(HIDDEN_ROOT, { width: 0, height: 0 });
  depthOf.set(root, -1);

  for (const edge of graph.edges) {
    const text = edge.labels.join(", ");
    const minlen = depthOf.get(edge.to)! - depthOf.get(edge.from)!;
    g.setEdge(edge.from, edge.to, {
      minlen,
      weight: 1,
      ...(text === ""
        ? {}
        : {
            width: textWidth(text, FONT_SIZES.edge) + 2 * EDGE_LABEL_PADDING.x,
            height: FONT_SIZES.edge + 2 * EDGE_LABEL_PADDING.y + 2,
            labelpos: "c" as const,
          }),
    });
  }
  for (const node of graph.nodes) {
    if (node.kind === "step" && node.depth === 0 && !g.hasEdge(root, node.id)) {
      g.setEdge(root, node.id, { minlen: 1, weight: 1 });
    }
  }

  layout(g);

  const nodes: PlacedNode[] = graph.nodes.map((node) => {
    const label = g.node(node.id);
    return { node, x: label.x ?? 0, y: label.y ?? 0, width: label.width, height: label.height };
  });
  const edges: PlacedEdge[] = graph.edges.map((edge) => {
    const label = g.edge(edge.from, edge.to);
    const text = edge.labels.join(", ");
    return {
      edge,
      points: label.points ?? [],
      label:
        text === ""
          ? undefined
          : { text, x: label.x ?? 0, y: label.y ?? 0, width: label.width ?? 0, height: label.height ?? 0 },
    };
  });
  return finish(nodes, edges, graph.groups, direction);
}

function nodeSize(node: GraphNode): { width: number; height: number } {
  const nameWidth = textWidth(node.name, FONT_SIZES.name, node.kind === "step");
  const markerWidth = markersWidth(node.markers, FONT_SIZES.marker);
  const width = Math.max(NODE_MIN_WIDTH, Math.ceil(Math.max(nameWidth, markerWidth) + 2 * NODE_PADDING_X));
  const height = 2 * NODE_PADDING_Y + LINE.name + (node.markers.length > 0 ? LINE.marker : 0);
  return { width, height };
}

/** Add the bands and the gutter for their labels, then move everything to start at (0, 0). */
function finish(
  nodes: PlacedNode[],
  edges: PlacedEdge[],
  groups: readonly GraphGroup[],
  direction: DiagramDirection,
): GraphLayout {
  const vertical = direction === "TB" || direction === "BT";
  // Extent of everything drawn: nodes, edge routes, edge labels.
  const box = { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
  const cover = (x: number, y: number, w = 0, h = 0) => {
    box.minX = Math.min(box.minX, x - w / 2);
    box.maxX = Math.max(box.maxX, x + w / 2);
    box.minY = Math.min(box.minY, y - h / 2);
    box.maxY = Math.max(box.maxY, y + h / 2);
  };
  for (const n of nodes) cover(n.x, n.y, n.width, n.height);
  for (const e of edges) {
    for (const p of e.points) cover(p.x, p.y);
    if (e.label !== undefined) cover(e.label.x, e.label.y, e.label.width, e.label.height);
  }
  if (nodes.length === 0) Object.assign(box, { minX: 0, minY: 0, maxX: 0, maxY: 0 });

  // Each band spans its group's row (or column) of nodes, plus padding.
  const byId = new Map(nodes.map((n) => [n.node.id, n]));
  const spans = groups.map((group) => {
    let from = Infinity;
    let to = -Infinity;
    for (const id of group.nodes) {
      const n = byId.get(id)!;
      const [centre, size] = vertical ? [n.y, n.height] : [n.x, n.width];
      from = Math.min(from, centre - size / 2 - BAND_PADDING);
      to = Math.max(to, centre + size / 2 + BAND_PADDING);
    }
    return { group, from, to };
  });
  const gutter =
    groups.length === 0
      ? 0
      : vertical
        ? Math.ceil(Math.max(...groups.map((g) => textWidth(g.label, FONT_SIZES.group)))) + GUTTER_GAP
        : FONT_SIZES.group + GUTTER_GAP;

  // Shift so the graph starts at the gutter (cross axis) and band padding fits (flow axis).
  const first = Math.min(vertical ? box.minY : box.minX, ...spans.map((s) => s.from));
  const last = Math.max(vertical ? box.maxY : box.maxX, ...spans.map((s) => s.to));
  const crossFrom = (vertical ? box.minX : box.minY) - BAND_PADDING;
  const crossTo = (vertical ? box.maxX : box.maxY) + BAND_PADDING;
  const dx = vertical ? gutter - crossFrom : -first;
  const dy = vertical ? -first : gutter - crossFrom;
  const move = (p: Point): Point => ({ x: p.x + dx, y: p.y + dy });

  const crossSize = gutter + crossTo - crossFrom;
  const bands: PlacedBand[] = spans.map(({ group, from, to }) =>
    vertical
      ? { group, x: 0, y: from + dy, width: crossSize, height: to - from, labelX: 4, labelY: (from + to) / 2 + dy }
      : { group, x: from + dx, y: 0, width: to - from, height: crossSize, labelX: (from + to) / 2 + dx, labelY: 4 },
  );
  return {
    nodes: nodes.map((n) => ({ ...n, ...move(n) })),
    edges: edges.map((e) => ({
      edge: e.edge,
      points: e.points.map(move),
      label: e.label === undefined ? undefined : { ...e.label, ...move(e.label) },
    })),
    bands,
    vertical,
    width: vertical ? crossSize : last - first,
    height: vertical ? last - first : crossSize,
  };
}
