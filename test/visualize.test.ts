import fc from "fast-check";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { type AnyWorkflow, plan, stepStates, WorkflowDefinitionError, workflow } from "../src/index.js";
import { toDot } from "../src/visualize/dot.js";
import { workflowGraph } from "../src/visualize/graph-model.js";
import { toMermaid } from "../src/visualize/mermaid.js";
import { STATUS_STYLES } from "../src/visualize/status-style.js";
import { stepMachineMermaid } from "../src/visualize/step-chart.js";
import { toSvg } from "../src/visualize/svg.js";
import { codeAnalysis as codeAnalysisFixture } from "./fixtures/code-analysis.js";

const noop = () => ({}) as any;

/** The guide's code analysis workflow (the shared fixture), plus a compensation. */
function codeAnalysis() {
  return codeAnalysisFixture({ inFlight: 0, maxInFlight: 0, overlapped: false }).step("notify", {
    inputs: ["analysis_report"],
    run: noop,
    compensate: noop,
  });
}

const STEPS = ["parse_files", "semantic_analysis", "security_scan", "generate_report", "notify"];

/** Names that break naive output in one format or another. */
const NASTY = {
  quote: 'say "hi"',
  markup: "<b>bold</b> & co",
  spaced: "fetch the repo",
  dashed: "fetch-the-repo", // sanitises to the same id as `spaced`
  unicode: "ünïcödé 解析 🚀",
  keyword: "end",
  hashes: "#35; | `tick` [x] {y} (z)",
  backslash: "C:\\temp\\new",
  control: "line\nbreak\u0001",
} as const;

function nastyWorkflow(): AnyWorkflow {
  return workflow<{ "in<put>": string }>('wf "<&>"', { description: "a & b < c" })
    .step(NASTY.quote, { inputs: ["in<put>"], outputs: ['out "q"'], run: noop })
    .step(NASTY.markup, { inputs: ['out "q"'], outputs: ["o&1"], run: noop, retry: 2 })
    .step(NASTY.spaced, { inputs: { local: [NASTY.quote, 'out "q"'] }, outputs: ["o2"], run: noop, timeout: 1500 })
    .step(NASTY.dashed, { dependsOn: [NASTY.spaced], run: noop, compensate: noop })
    .step(NASTY.unicode, { inputs: ["o&1", "o2"], outputs: ["ü"], run: noop })
    .step(NASTY.keyword, { inputs: ["ü"], run: noop })
    .step(NASTY.hashes, { dependsOn: [NASTY.keyword], run: noop })
    .step(NASTY.backslash, { dependsOn: "all", run: noop })
    .step(NASTY.control, { dependsOn: [NASTY.backslash], run: noop });
}

function chain(n: number): AnyWorkflow {
  let wf: AnyWorkflow = workflow("chain").step("s0", { inputs: ["seed"], outputs: ["v0"], run: noop });
  for (let i = 1; i < n; i++) wf = wf.step(`s${i}`, { inputs: [`v${i - 1}`], outputs: [`v${i}`], run: noop });
  return wf;
}

// ---- a small XML tree over fast-xml-parser's ordered output ----

interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  readonly text: string;
}

function parseSvg(svg: string): XmlElement {
  expect(XMLValidator.validate(svg)).toBe(true);
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: "",
    htmlEntities: true,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
  });
  const convert = (raw: Record<string, unknown>): XmlElement | undefined => {
    const name = Object.keys(raw).find((k) => k !== ":@");
    if (name === undefined || name === "#text") return undefined;
    const children = (raw[name] as Record<string, unknown>[]).map(convert).filter((c) => c !== undefined);
    const text = (raw[name] as Record<string, unknown>[])
      .filter((c) => "#text" in c)
      .map((c) => String(c["#text"]))
      .join("");
    return { name, attrs: (raw[":@"] ?? {}) as Record<string, string>, children, text };
  };
  const roots = (parser.parse(svg) as Record<string, unknown>[]).map(convert).filter((c) => c !== undefined);
  expect(roots).toHaveLength(1);
  return roots[0]!;
}

function all(root: XmlElement, test: (e: XmlElement) => boolean): XmlElement[] {
  const found: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (test(e)) found.push(e);
    e.children.forEach(walk);
  };
  walk(root);
  return found;
}

const hasClass = (e: XmlElement, c: string) => (e.attrs.class ?? "").split(" ").includes(c);
const texts = (root: XmlElement) => all(root, (e) => e.name === "text").map((e) => e.text);

// ---- format checks ----

/** Mermaid: ids are plain, every label is one well-formed quoted string with no raw special characters. */
function expectSafeMermaid(text: string): void {
  for (const line of text.split("\n").slice(text.startsWith("---") ? 3 : 0)) {
    const outside = line.replace(/"[^"]*"/g, '""').replace(/-\.?->/g, "");
    expect(outside, line).not.toMatch(/[<>&#`]/);
    for (const quoted of line.match(/"[^"]*"/g) ?? []) expect(quoted, line).not.toMatch(/[<>&|`]|#(?!\d+;)/);
    const node = line.match(/^\s+(\w+)\[/);
    if (node) expect(node[1]).toMatch(/^[A-Za-z0-9_]+$/);
  }
}

/** DOT: every quoted string closes, braces balance, nothing unquoted but ids, keywords and numbers. */
function expectSafeDot(text: string): void {
  const outside = text.replace(/"(?:[^"\\\n]|\\.)*"/g, "");
  expect(outside).not.toMatch(/["\\]/);
  expect(outside.split("{").length).toBe(outside.split("}").length);
  expect(outside.replaceAll("->", "")).not.toMatch(/[<>&]/);
}

describe("workflowGraph", () => {
  it("has the plan's steps, groups and edges once each", () => {
    const wf = codeAnalysis();
    const graph = workflowGraph(wf);
    const p = plan(wf);
    expect(graph.nodes.filter((n) => n.kind === "step").map((n) => n.name)).toEqual(STEPS);
    expect(graph.groups.map((g) => g.nodes.length)).toEqual(p.groups.map((g) => g.length));
    const stepEdges = graph.edges.filter((e) => e.kind !== "input");
    expect(stepEdges).toHaveLength(p.steps.reduce((sum, s) => sum + s.deps.length, 0));
    expect(graph.edges.filter((e) => e.kind === "input")).toEqual([
      { from: "workflow_input", to: "step_parse_files", labels: ["file_paths"], kind: "input" },
    ]);
  });

  it("refuses an invalid definition with its WorkflowDefinitionError", () => {
    const cyclic = workflow("cyclic")
      .step("a", { inputs: ["y"], outputs: ["x"], run: noop })
      .step("b", { inputs: ["x"], outputs: ["y"], run: noop });
    for (const draw of [toMermaid, toDot, toSvg]) expect(() => draw(cyclic)).toThrow(WorkflowDefinitionError);
  });

  it("gives every node a unique plain id, even when names sanitise alike", () => {
    const ids = workflowGraph(nastyWorkflow()).nodes.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_]+$/);
  });

  it("labels renamed inputs, leaves dependsOn-only edges unlabelled, and reads result.steps as status", () => {
    const graph = workflowGraph(nastyWorkflow(), {
      status: { [NASTY.quote]: { status: "succeeded" }, ghost: "failed" },
    });
    const spaced = graph.nodes.find((n) => n.name === NASTY.spaced)!;
    const dashed = graph.nodes.find((n) => n.name === NASTY.dashed)!;
    expect(graph.edges.find((e) => e.to === spaced.id)!.labels).toEqual(['out "q" as local']);
    expect(graph.edges.find((e) => e.to === dashed.id)).toMatchObject({ labels: [], kind: "order" });
    expect(graph.nodes.find((n) => n.name === NASTY.quote)!.status).toBe("succeeded");
    expect(graph.nodes.filter((n) => n.status !== undefined)).toHaveLength(1);
  });
});

describe("toMermaid", () => {
  const text = toMermaid(codeAnalysis());

  it("draws every step, with its markers", () => {
    expect(text).toMatch(/^---\ntitle: "code_analysis v1\.0\.0"\n---\nflowchart TB\n/);
    for (const step of STEPS) expect(text).toContain(`step_${step}["${step}`);
    expect(text).toContain('step_parse_files["parse_files ⏱5s"]');
    expect(text).toContain('step_semantic_analysis["semantic_analysis ↻3"]');
    expect(text).toContain('step_notify["notify ↶"]');
  });

  it("labels edges with the data that flows on them, from the workflow input too", () => {
    expect(text).toContain('workflow_input[/"input"/]');
    expect(text).toContain('workflow_input -->|"file_paths"| step_parse_files');
    expect(text).toContain('step_parse_files -->|"ast_trees"| step_semantic_analysis');
    expect(text).toContain('step_parse_files -->|"ast_trees"| step_security_scan');
    expect(text).toContain('step_semantic_analysis -->|"semantic_results"| step_generate_report');
    expect(text).toContain('step_security_scan -->|"security_issues"| step_generate_report');
    expect(text).toContain('step_generate_report -->|"analysis_report"| step_notify');
  });

  it("puts each depth group in a subgraph", () => {
    const group1 = text.slice(text.indexOf('subgraph group_1 ["group 1"]'));
    expect(group1.slice(0, group1.indexOf("end"))).toMatch(/step_semantic_analysis\[.*\n.*step_security_scan\[/);
    for (let i = 0; i < 4; i++) expect(text).toContain(`subgraph group_${i} ["group ${i}"]`);
    expect(toMermaid(codeAnalysis(), { groups: false })).not.toContain("subgraph");
  });

  it("colours steps by status with classDef", () => {
    const run = toMermaid(codeAnalysis(), {
      status: new Map([
        ["parse_files", "succeeded"],
        ["security_scan", "failed"],
        ["generate_report", "skipped"],
      ] as const),
    });
    expect(run).toContain(`classDef succeeded fill:${STATUS_STYLES.succeeded.fill}`);
    expect(run).toContain("class step_parse_files succeeded");
    expect(run).toContain("class step_security_scan failed");
    expect(run).toContain("class step_generate_report skipped");
    expect(run).not.toContain("classDef running");
  });

  it("keeps names that need escaping inside their labels", () => {
    const nasty = toMermaid(nastyWorkflow(), { direction: "LR" });
    expect(nasty).toContain("flowchart LR");
    expectSafeMermaid(nasty);
    expect(nasty).toContain('title: "wf \\"<&>\\" v1.0.0"');
    expect(nasty).toContain('["say #34;hi#34;"]');
    expect(nasty).toContain("#60;b#62;bold#60;/b#62; #38; co");
    expect(nasty).toContain('step_end["end"]');
    expect(nasty).toContain("ünïcödé 解析 🚀");
    expect(nasty).toContain('["line break "]');
    expect(nasty).toMatch(/step_fetch_the_repo -.-> step_fetch_the_repo_2/);
  });
});

describe("toDot", () => {
  const text = toDot(codeAnalysis(), { status: { security_scan: "failed" } });

  it("draws every step, the labelled edges and a cluster per depth group", () => {
    expect(text).toMatch(/^digraph "code_analysis" \{\n/);
    for (const step of STEPS) expect(text).toContain(`"step_${step}" [label="${step}`);
    expect(text).toContain('"step_parse_files" [label="parse_files\\n⏱5s"]');
    expect(text).toContain('"workflow_input" -> "step_parse_files" [label="file_paths"');
    expect(text).toContain('"step_parse_files" -> "step_semantic_analysis" [label="ast_trees"]');
    expect(text).toContain('"step_security_scan" -> "step_generate_report" [label="security_issues"]');
    for (let i = 0; i < 4; i++) expect(text).toContain(`subgraph "cluster_group_${i}" {`);
    expectSafeDot(text);
  });

  it("colours steps by status", () => {
    const line = text.split("\n").find((l) => l.includes('"step_security_scan" [label'))!;
    expect(line).toContain(`fillcolor="${STATUS_STYLES.failed.fill}"`);
    expect(line).toContain(`color="${STATUS_STYLES.failed.stroke}"`);
  });

  it("keeps names that need escaping inside their strings", () => {
    const nasty = toDot(nastyWorkflow());
    expectSafeDot(nasty);
    expect(nasty).toContain('label="say \\"hi\\""');
    expect(nasty).toContain('label="C:\\\\temp\\\\new"');
    expect(nasty).toContain('label="line\\nbreak "');
    expect(nasty).toMatch(/"step_fetch_the_repo" -> "step_fetch_the_repo_2" \[style=dashed\]/);
  });
});

describe("toSvg", () => {
  const wf = codeAnalysis();
  const svg = parseSvg(toSvg(wf));

  it("is a well-formed, titled SVG document that names every step", () => {
    expect(svg.name).toBe("svg");
    expect(svg.attrs.xmlns).toBe("http://www.w3.org/2000/svg");
    expect(texts(svg)).toContain("code_analysis v1.0.0");
    const steps = all(svg, (e) => e.name === "g" && hasClass(e, "step"));
    expect(steps.map((s) => s.attrs["data-step"])).toEqual(STEPS);
    for (const step of STEPS) expect(texts(svg)).toContain(step);
  });

  it("draws one edge path per dependency, plus the workflow input's", () => {
    const edges = all(svg, (e) => e.name === "path" && hasClass(e, "edge"));
    const p = plan(wf);
    const deps = p.steps.flatMap((s) => s.dependencies.map((d) => `${d}->${s.name}`));
    expect(
      edges
        .filter((e) => e.attrs["data-kind"] !== "input")
        .map((e) => `${e.attrs["data-from"]}->${e.attrs["data-to"]}`),
    ).toEqual(deps);
    expect(edges.filter((e) => e.attrs["data-kind"] === "input")).toHaveLength(1);
    for (const edge of edges) expect(edge.attrs.d).toMatch(/^M[\d.-]+ [\d.-]+( [QL][\d. -]+)+$/);
    expect(texts(svg)).toEqual(
      expect.arrayContaining(["file_paths", "ast_trees", "semantic_results", "security_issues"]),
    );
  });

  it("draws each depth group as a band that holds its steps", () => {
    const bands = all(svg, (e) => e.name === "g" && hasClass(e, "group"));
    expect(bands.map((b) => b.children.find((c) => c.name === "text")!.text)).toEqual([
      "group 0",
      "group 1",
      "group 2",
      "group 3",
    ]);
    expectStepsInsideTheirBands(svg, wf);
  });

  it("colours steps by status, with a legend", () => {
    const run = parseSvg(toSvg(wf, { status: { parse_files: "succeeded", security_scan: "compensation_failed" } }));
    const node = (name: string) => all(run, (e) => e.name === "g" && e.attrs["data-step"] === name)[0]!;
    const rect = (name: string) => node(name).children.find((c) => c.name === "rect")!;
    expect(node("parse_files").attrs["data-status"]).toBe("succeeded");
    expect(rect("parse_files").attrs.fill).toBe(STATUS_STYLES.succeeded.fill);
    expect(rect("security_scan").attrs.stroke).toBe(STATUS_STYLES.compensation_failed.stroke);
    expect(node("notify").attrs["data-status"]).toBeUndefined();
    expect(texts(run)).toEqual(expect.arrayContaining(["succeeded", "compensation_failed"]));
    expect(texts(parseSvg(toSvg(wf, { status: { parse_files: "failed" }, legend: false })))).not.toContain("failed");
  });

  it("survives names that need escaping, in both directions", () => {
    for (const direction of ["TB", "LR"] as const) {
      const raw = toSvg(nastyWorkflow(), { direction, status: { [NASTY.markup]: "failed" } });
      const nasty = parseSvg(raw);
      const names = all(nasty, (e) => e.name === "g" && hasClass(e, "step")).map((e) => e.attrs["data-step"]);
      expect(names).toEqual(Object.values(NASTY).map((n) => n.replace("\u0001", "\uFFFD")));
      for (const name of [NASTY.quote, NASTY.markup, NASTY.unicode, NASTY.hashes, NASTY.backslash]) {
        expect(texts(nasty)).toContain(name);
      }
      expect(texts(nasty)).toContain('wf "<&>" v1.0.0');
      expect(raw).not.toContain("<b>");
      expectStepsInsideTheirBands(nasty, nastyWorkflow());
    }
  });

  it("keeps depth groups on their own rows in an irregular DAG", () => {
    // a skip-level edge (a → e), a step with no dependencies feeding a deep one (z → f), two components
    const wf = workflow("irregular")
      .step("a", { outputs: ["x"], run: noop })
      .step("b", { inputs: ["x"], outputs: ["y"], run: noop })
      .step("c", { inputs: ["y"], outputs: ["w"], run: noop })
      .step("z", { outputs: ["q"], run: noop })
      .step("e", { inputs: ["x", "w"], outputs: ["v"], run: noop })
      .step("f", { inputs: ["v", "q"], run: noop })
      .step("lonely", { run: noop });
    for (const direction of ["TB", "BT", "LR", "RL"] as const) {
      expectStepsInsideTheirBands(parseSvg(toSvg(wf, { direction })), wf);
    }
  });

  it("keeps depth groups on their own rows in any DAG, disconnected ones included", () => {
    // step i depends on a subset of steps before it; some read workflow input
    const dag = fc.integer({ min: 2, max: 20 }).chain((n) =>
      fc.tuple(
        ...Array.from({ length: n }, (_, i) =>
          fc.record({
            deps: fc.subarray(
              Array.from({ length: i }, (_, j) => j),
              { maxLength: Math.min(3, i) },
            ),
            readsInput: fc.boolean(),
          }),
        ),
      ),
    );
    fc.assert(
      fc.property(dag, fc.constantFrom("TB", "LR"), (steps, direction) => {
        let wf: AnyWorkflow = workflow("random");
        steps.forEach(({ deps, readsInput }, i) => {
          wf = wf.step(`s${i}`, { dependsOn: deps.map((d) => `s${d}`), inputs: readsInput ? ["x"] : [], run: noop });
        });
        expectStepsInsideTheirBands(parseSvg(toSvg(wf, { direction, legend: false })), wf);
      }),
      { numRuns: 60 },
    );
  });

  it("can leave out the title, the background and the groups", () => {
    const bare = parseSvg(toSvg(wf, { title: false, background: false, groups: false, legend: false }));
    expect(all(bare, (e) => hasClass(e, "title") || hasClass(e, "group") || hasClass(e, "legend"))).toEqual([]);
    expect(all(bare, (e) => e.name === "rect" && e.attrs.width === "100%")).toEqual([]);
  });
});

/** Every step's box lies inside the band of its depth group, and bands do not overlap. */
function expectStepsInsideTheirBands(svg: XmlElement, wf: AnyWorkflow): void {
  const p = plan(wf);
  const bands = all(svg, (e) => e.name === "g" && hasClass(e, "group")).map((g) => {
    const r = g.children.find((c) => c.name === "rect")!.attrs;
    return { depth: Number(g.attrs["data-group"]), x: +r.x!, y: +r.y!, w: +r.width!, h: +r.height! };
  });
  expect(bands).toHaveLength(p.groups.length);
  // The SVG shows a control character as U+FFFD, which XML allows.
  const depthOf = new Map(p.steps.map((s) => [s.name.replaceAll("\u0001", "\uFFFD"), s.depth]));
  for (const step of all(svg, (e) => e.name === "g" && hasClass(e, "step"))) {
    const r = step.children.find((c) => c.name === "rect")!.attrs;
    const band = bands.find((b) => b.depth === depthOf.get(step.attrs["data-step"]!))!;
    expect(+r.x!).toBeGreaterThanOrEqual(band.x);
    expect(+r.y!).toBeGreaterThanOrEqual(band.y);
    expect(+r.x! + +r.width!).toBeLessThanOrEqual(band.x + band.w + 0.1);
    expect(+r.y! + +r.height!).toBeLessThanOrEqual(band.y + band.h + 0.1);
  }
  for (const a of bands) {
    for (const b of bands) {
      if (a === b) continue;
      const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
      expect(apart, `bands ${a.depth} and ${b.depth} overlap`).toBe(true);
    }
  }
}

describe("large workflows", () => {
  it("renders a 1,000-step chain in every format", () => {
    const wf = chain(1_000);
    const mermaid = toMermaid(wf);
    expect(mermaid.match(/^\s+step_s\d+\["s\d+"\]$/gm)).toHaveLength(1_000);
    const dot = toDot(wf);
    expect(dot.match(/^\s+"step_s\d+" \[label=/gm)).toHaveLength(1_000);
    const svg = parseSvg(toSvg(wf));
    expect(all(svg, (e) => e.name === "g" && hasClass(e, "step"))).toHaveLength(1_000);
    expect(all(svg, (e) => e.name === "path" && e.attrs["data-kind"] === "data")).toHaveLength(999);
  });
});

describe("stepMachineMermaid", () => {
  const text = stepMachineMermaid();

  it("lists every state and transition of the step actor's chart", () => {
    expect(text.startsWith("stateDiagram-v2\n")).toBe(true);
    for (const [state, events] of Object.entries(stepStates)) {
      expect(text).toMatch(new RegExp(`^\\s+(\\[\\*\\] --> )?${state}\\b`, "m"));
      for (const [event, targets] of Object.entries(events)) {
        for (const target of targets as readonly string[]) {
          expect(text).toMatch(new RegExp(`^  ${state} --> ${target} : .*\\b${event}\\b`, "m"));
        }
      }
    }
  });

  it("enters at idle, then running or compensating, and marks the final states", () => {
    expect(text).toContain("[*] --> idle");
    expect(text).toContain("idle --> running : START");
    expect(text).toContain("idle --> compensating : START");
    const finals = Object.entries(stepStates)
      .filter(([, events]) => Object.keys(events).length === 0)
      .map(([state]) => state);
    expect(finals).toEqual(["succeeded", "failed", "cancelled", "compensated", "compensation_failed"]);
    for (const state of finals) expect(text).toContain(`  ${state} --> [*]`);
    expect(text).not.toContain("running --> [*]");
  });
});
