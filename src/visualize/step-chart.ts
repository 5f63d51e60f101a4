/**
 * The step actor's chart (`stepStates`: state → event → next states) as a Mermaid
 * `stateDiagram-v2`. One arrow per pair of states, labelled with every event that
 * takes it; a step actor starts `idle`, and its START leads to `running` (to run
 * the step) or `compensating` (to roll it back); states with no way out are final.
 */

import { graphlib, layout } from "@dagrejs/dagre";
import { type StepState, stepStates } from "../../machines/step-chart.js";
import { escapeXml } from "./escape.js";
import { num } from "./svg-number.js";
import { textWidth } from "./text-metrics.js";

type Chart = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

const ENTRIES: readonly (readonly [StepState, string])[] = [["idle", "created"]];

/**
 * Draw the step actor's states and transitions as a Mermaid state diagram.
 *
 * @example
 * stepMachineMermaid();
 * // stateDiagram-v2
 * //   [*] --> idle : created
 * //   idle --> running : START
 * //   running --> succeeded : SETTLED
 * //   running --> retrying : SETTLED / TIMEOUT
 * //   …
 * //   succeeded --> [*]
 */
export function stepMachineMermaid(): string {
  const chart: Chart = stepStates;
  const lines = ["stateDiagram-v2"];
  for (const [state, label] of ENTRIES) lines.push(`  [*] --> ${state} : ${label}`);
  const finals: string[] = [];
  for (const [state, events] of Object.entries(chart)) {
    // Group the events by target, keeping the chart's order of both.
    const byTarget = new Map<string, string[]>();
    for (const [event, targets] of Object.entries(events)) {
      for (const target of targets) (byTarget.get(target) ?? byTarget.set(target, []).get(target)!).push(event);
    }
    if (byTarget.size === 0) finals.push(state);
    for (const [target, via] of byTarget) lines.push(`  ${state} --> ${target} : ${via.join(" / ")}`);
  }
  for (const state of finals) lines.push(`  ${state} --> [*]`);
  return `${lines.join("\n")}\n`;
}

/**
 * Options of `stepChartSvg`.
 *
 * @example
 * stepChartSvg({ current: "retrying", visited: ["idle", "running"] });
 */
export interface StepChartSvgOptions {
  /** The state to mark as the actor's current one. */
  readonly current?: StepState | undefined;
  /** States the actor went through (drawn solid; the others faded). */
  readonly visited?: readonly StepState[] | undefined;
}

const STATE_FONT = 12;
const EVENT_FONT = 10;

/**
 * Draw the step actor's chart (`stepStates`) as an SVG statechart, laid out by dagre:
 * one rounded box per named state (`data-state` on its group, final states with a
 * double border), one arrow per pair of states labelled with the events that take it,
 * the current state filled, the states not visited faded.
 *
 * @example
 * writeFileSync("step.svg", stepChartSvg({ current: "compensating" }));
 */
export function stepChartSvg(options: StepChartSvgOptions = {}): string {
  const chart: Chart = stepStates;
  const g = new graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: "TB", nodesep: 22, ranksep: 34, edgesep: 10, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const state of Object.keys(chart)) {
    g.setNode(state, { width: textWidth(state.replace("_", " "), STATE_FONT, true) + 22, height: 28 });
  }
  const labels = new Map<string, string>();
  for (const [state, events] of Object.entries(chart)) {
    const byTarget = new Map<string, string[]>();
    for (const [event, targets] of Object.entries(events)) {
      for (const target of targets) (byTarget.get(target) ?? byTarget.set(target, []).get(target)!).push(event);
    }
    for (const [target, via] of byTarget) {
      if (target === state) continue; // self-loops are listed under the state instead
      const text = via.join(" / ");
      labels.set(`${state}>${target}`, text);
      g.setEdge(state, target, {
        width: textWidth(text, EVENT_FONT) + 6,
        height: EVENT_FONT + 4,
        labelpos: "c" as const,
      });
    }
  }
  layout(g);
  const visited = new Set<string>(options.visited ?? []);
  if (options.current !== undefined) visited.add(options.current);
  const faded = (state: string) => visited.size > 0 && !visited.has(state);
  const { width = 0, height = 0 } = g.graph();
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="step-chart" viewBox="0 0 ${num(width)} ${num(height)}" width="${num(width)}" height="${num(height)}" font-family="system-ui, sans-serif" role="img" aria-label="step actor statechart">`,
    '<defs><marker id="rd-step-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#64748b"/></marker></defs>',
  ];
  for (const edge of g.edges()) {
    const e = g.edge(edge);
    const points = (e.points ?? []).map((p: { x: number; y: number }) => `${num(p.x)},${num(p.y)}`).join(" ");
    const dim = faded(edge.v) || faded(edge.w) ? ' opacity="0.35"' : "";
    out.push(
      `<g class="transition"${dim}><polyline points="${points}" fill="none" stroke="#64748b" stroke-width="1.2" marker-end="url(#rd-step-arrow)"/>`,
      `<text x="${num(e.x ?? 0)}" y="${num((e.y ?? 0) + 3)}" font-size="${EVENT_FONT}" text-anchor="middle" fill="#475569">${escapeXml(labels.get(`${edge.v}>${edge.w}`) ?? "")}</text></g>`,
    );
  }
  for (const state of g.nodes()) {
    const n = g.node(state);
    const x = n.x - n.width / 2;
    const y = n.y - n.height / 2;
    const current = state === options.current;
    const final = Object.keys(chart[state] ?? {}).length === 0;
    const fill = current ? "#2563eb" : "#f8fafc";
    const text = current ? "#ffffff" : "#0f172a";
    const attrs = `${current ? ' aria-current="true"' : ""}${faded(state) ? ' opacity="0.45"' : ""}`;
    out.push(
      `<g class="state${current ? " current" : ""}" data-state="${escapeXml(state)}"${attrs}>`,
      `<rect x="${num(x)}" y="${num(y)}" width="${num(n.width)}" height="${num(n.height)}" rx="14" fill="${fill}" stroke="#334155" stroke-width="${current ? 2 : 1.2}"/>`,
      final
        ? `<rect x="${num(x + 3)}" y="${num(y + 3)}" width="${num(n.width - 6)}" height="${num(n.height - 6)}" rx="11" fill="none" stroke="${current ? "#ffffff" : "#334155"}" stroke-width="0.8"/>`
        : "",
      `<text x="${num(n.x)}" y="${num(n.y + 4)}" font-size="${STATE_FONT}" font-weight="600" text-anchor="middle" fill="${text}">${escapeXml(state.replace("_", " "))}</text>`,
      "</g>",
    );
  }
  out.push("</svg>");
  return out.filter((line) => line !== "").join("\n");
}
