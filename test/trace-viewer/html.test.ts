import { readFileSync } from "node:fs";
import { XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { renderTraceHtml } from "../../src/trace-viewer/html.js";
import { parseTrace } from "../../src/trace-viewer/parse.js";
import { eventMs, TraceBuilder, wideTrace } from "./trace-builder.js";

const fixtureText = (name: string) =>
  readFileSync(new URL(`../fixtures/traces/${name}.jsonl`, import.meta.url), "utf8");
const page = (name: string) => renderTraceHtml(parseTrace(fixtureText(name)));
const count = (html: string, needle: string) => html.split(needle).length - 1;
const svgs = (html: string) => html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];

describe("renderTraceHtml", () => {
  it("writes one self-contained page: no external resource, a CSP that forbids loading any", () => {
    const html = page("compensated-run");
    expect(html.startsWith("<!doctype html>\n")).toBe(true);
    expect(html).toContain(`content="default-src 'none';`);
    expect(html).not.toMatch(/<link|<img|<iframe|\ssrc=|@import/i);
    // The only URLs are the SVG namespace and same-document fragment references.
    expect(html.match(/https?:\/\/[^"\s<]*/g)?.every((url) => url === "http://www.w3.org/2000/svg")).toBe(true);
    expect(html.match(/url\([^)]*\)/g)?.every((ref) => ref.startsWith("url(#"))).toBe(true);
    expect(count(html, "<script>")).toBe(1);
  });

  it("has the title, the DAG of every step coloured by final status, and one bar element per attempt", () => {
    const html = page("compensated-run");
    const trace = parseTrace(fixtureText("compensated-run"));
    expect(html).toContain(`<title>publish_release v1.2.0 — failed — trace ${trace.header.executionId}</title>`);
    for (const [step, status] of [
      ["reserve_build_slot", "compensated"],
      ["generate_client", "compensated"],
      ["type_check", "failed"],
      ["publish", "pending"],
    ]) {
      expect(html).toContain(`class="node step" data-step="${step}" data-status="${status}"`);
    }
    expect(count(html, 'data-kind="attempt"')).toBe(4);
    expect(count(html, 'data-kind="retry-wait"')).toBe(1);
    expect(count(html, 'data-kind="compensation"')).toBe(2);
    const start = eventMs(trace, "step.started", "generate_client", 1);
    const end = eventMs(trace, "step.retrying", "generate_client", 1);
    expect(html).toContain(
      `data-kind="attempt" data-step="generate_client" data-attempt="1" data-start-ms="${start}" data-end-ms="${end}" data-duration-ms="${end - start}" data-outcome="retried"`,
    );
  });

  it("writes well-formed SVG", () => {
    for (const name of ["compensated-run", "succeeded-run", "edge-cases", "cut-short"]) {
      const found = svgs(page(name));
      expect(found.length).toBeGreaterThanOrEqual(3);
      for (const svg of found) expect(XMLValidator.validate(svg)).toBe(true);
    }
  });

  it("escapes names, ids and messages everywhere", () => {
    const html = page("edge-cases");
    for (const raw of ["<env>", "<vpc>", "<cache>", "<eni-1", '& "friends', "Zr41<&>"]) expect(html).not.toContain(raw);
    expect(html).toContain("provision &lt;env&gt; &amp; &quot;friends&quot;");
    expect(html).toContain('data-step="create &quot;network&quot; &lt;vpc&gt;"');
    expect(html).toContain("&lt;eni-1 &amp; eni-2&gt;");
    const id = renderTraceHtml(parseTrace(new TraceBuilder(["a"], "w").text().replace('"exec-1"', "\"<id & 'x'>\"")));
    expect(id).toContain('<code class="execution-id">&lt;id &amp; &#39;x&#39;&gt;</code>');
  });

  it("shows the summary: what failed, what was rolled back in order, what was cancelled", () => {
    const html = page("edge-cases");
    expect(html).toMatch(/<h3>Rolled back, in this order<\/h3><ol><li>database<\/li><\/ol>/);
    expect(html).toContain("<h3>Compensations that failed</h3>");
    expect(html).toContain("<h3>Cancelled in flight</h3><ul><li>warm &lt;cache&gt; &amp; &#39;cdn&#39;</li></ul>");
    expect(html).toContain('data-path="database" data-attempt="1"');
  });

  it("says when the trace was cut short", () => {
    const html = page("cut-short");
    expect(html).toContain('data-status="incomplete"');
    expect(html).toContain("the run was cut short");
    expect(html).toContain('data-outcome="unfinished"');
  });

  it("renders a single step", () => {
    const text = new TraceBuilder(["only"])
      .event(0, "workflow.started")
      .event(0, "step.started", { step: "only", attempt: 1 })
      .event(0, "step.succeeded", { step: "only", attempt: 1 })
      .result(0, {
        status: "succeeded",
        steps: { only: { status: "succeeded", attempts: 1 } },
        compensation: { compensated: [], failed: [] },
      })
      .text();
    const html = renderTraceHtml(parseTrace(text));
    expect(count(html, 'data-kind="attempt"')).toBe(1);
    expect(count(html, 'class="row"')).toBe(1);
    for (const svg of svgs(html)) expect(XMLValidator.validate(svg)).toBe(true);
  });

  it("renders 500 steps, every row in the scrolling timeline", () => {
    const { text, attempts } = wideTrace(500);
    const html = renderTraceHtml(parseTrace(text));
    expect(count(html, 'class="row"')).toBe(500);
    expect(count(html, 'data-kind="attempt"')).toBe(attempts);
    expect(count(html, 'class="node step"')).toBe(500);
    expect(html).toContain('<div class="scroll timeline-scroll">');
  });

  it("leaves the DAG out on request, and explains a DAG it cannot draw", () => {
    const text = fixtureText("succeeded-run");
    expect(renderTraceHtml(parseTrace(text), { dag: false })).not.toContain('class="node step"');
    const cyclic = parseTrace(
      new TraceBuilder([
        ["a", ["b"]],
        ["b", ["a"]],
      ]).text(),
    );
    const html = renderTraceHtml(cyclic);
    expect(html).toContain('<p class="notice">The DAG could not be drawn: ');
    expect(count(html, 'class="row"')).toBe(2);
  });
});
