/**
 * The trace page in a real browser: Debian's Chromium driven by playwright-core, one
 * launch and one page for the whole file. Skipped when /usr/bin/chromium is missing
 * (CI installs it: `apt-get install -y chromium`).
 *
 * `UPDATE_TRACE_SCREENSHOT=1 npx vitest run test/trace-viewer/browser.test.ts`
 * also rewrites visualizations/trace-compensated-run.png.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderTraceHtml } from "../../src/trace-viewer/html.js";
import { parseTrace } from "../../src/trace-viewer/parse.js";
import { formatMs } from "../../src/trace-viewer/time-axis.js";
import { eventMs, wideTrace } from "./trace-builder.js";

/** Debian's Chromium; `TRACE_VIEWER_CHROMIUM` points elsewhere (another machine, or a missing path to try the skip). */
const CHROMIUM = process.env.TRACE_VIEWER_CHROMIUM ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
const skipNote = hasChromium ? "" : ` — SKIPPED: ${CHROMIUM} not found (apt-get install -y chromium)`;
if (!hasChromium) console.warn(`Browser tests of the trace viewer${skipNote}`);
const root = new URL("../../", import.meta.url);
const fixtureText = (name: string) => readFileSync(new URL(`test/fixtures/traces/${name}.jsonl`, root), "utf8");

describe(`trace page in Chromium${skipNote}`, () => {
  let browser: Browser | undefined;
  let page: Page;
  let dir = "";
  /** What the page reported since the last `open`. */
  const log = { problems: [] as string[], requests: [] as string[] };

  beforeAll(async () => {
    if (!hasChromium) return;
    dir = mkdtempSync(join(tmpdir(), "rd-trace-viewer-"));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
    // One page for every test: a new page costs more than the rest of a test.
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") log.problems.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => log.problems.push(`page error: ${error.message}`));
    page.on("request", (request) => log.requests.push(request.url()));
    // Starting Chromium takes seconds, and longer on a loaded machine (the suite runs files in parallel).
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  /** Write `html` to a file and open its file:// URL; the only request must be that file. */
  async function open(name: string, html: string): Promise<void> {
    const file = join(dir, `${name}.html`);
    writeFileSync(file, html);
    log.problems = [];
    log.requests = [];
    const url = pathToFileURL(file).href;
    await page.goto(url);
    expect(log.requests).toEqual([url]);
  }

  it.skipIf(!hasChromium)(
    "renders the compensated run: title, DAG, one bar per attempt, hover details, no errors",
    async () => {
      const trace = parseTrace(fixtureText("compensated-run"));
      await open("compensated", renderTraceHtml(trace));

      await expect(page.title()).resolves.toBe(`publish_release v1.2.0 — failed — trace ${trace.header.executionId}`);
      await expect(page.locator("h1").textContent()).resolves.toBe("publish_release v1.2.0");
      const steps = await page
        .locator(".dag svg .node.step")
        .evaluateAll((els) => els.map((e) => e.getAttribute("data-step")));
      expect(steps).toEqual(trace.header.steps.map((s) => s.name));
      await expect(page.locator('.dag .node.step[data-step="type_check"]').getAttribute("data-status")).resolves.toBe(
        "failed",
      );

      const started = trace.entries.filter((e) => e.kind === "event" && e.event.type === "step.started").length;
      await expect(page.locator('[data-kind="attempt"]').count()).resolves.toBe(started);
      await expect(page.locator('[data-kind="retry-wait"]').count()).resolves.toBe(1);
      await expect(page.locator('[data-kind="compensation"]').count()).resolves.toBe(2);
      // Bars are drawn where their times say: the retried attempt left of its wait, left of the retry.
      const xs = await page
        .locator('.timeline [data-step="generate_client"] rect')
        .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().x));
      expect(xs).toEqual([...xs].sort((a, b) => a - b));

      const tooltip = page.locator("#tooltip");
      await expect(tooltip.isHidden()).resolves.toBe(true);
      await page.hover('[data-kind="attempt"][data-step="generate_client"][data-attempt="1"]');
      await expect(tooltip.isVisible()).resolves.toBe(true);
      // The first line (step and attempt) in bold, then times, outcome and error.
      await expect(tooltip.locator("strong").textContent()).resolves.toBe("generate_client — attempt 1");
      const text = await tooltip.textContent();
      const [start, end] = [
        eventMs(trace, "step.started", "generate_client", 1),
        eventMs(trace, "step.retrying", "generate_client", 1),
      ];
      expect(text).toContain(`${formatMs(start)} → ${formatMs(end)} (${formatMs(end - start)})`);
      expect(text).toContain("failed, retried");
      expect(text).toContain(
        "STEP_FAILED: Step `generate_client` failed: LLM provider rate-limited the request (HTTP 429",
      );
      await page.hover('[data-kind="compensation"][data-step="reserve_build_slot"]');
      await expect(tooltip.locator("strong").textContent()).resolves.toBe(
        "reserve_build_slot — compensation attempt 1",
      );
      await page.mouse.move(2, 2);
      await expect(tooltip.isHidden()).resolves.toBe(true);

      // The script moved the <title>s into data-tip, so no native tooltip doubles it.
      await expect(page.locator(".bar > title").count()).resolves.toBe(0);
      expect(log.problems).toEqual([]);
      expect(log.requests).toHaveLength(1);

      if (process.env.UPDATE_TRACE_SCREENSHOT === "1") {
        // The full page, with room below it for the failed attempt's tooltip, showing.
        const height = await page.locator("html").evaluate((el) => el.scrollHeight);
        await page.setViewportSize({ width: 1200, height: height + 90 });
        await page.hover('[data-kind="attempt"][data-step="type_check"]');
        const path = new URL("visualizations/trace-compensated-run.png", root).pathname;
        await page.screenshot({ path });
        await page.setViewportSize({ width: 1200, height: 900 });
      }
    },
  );

  it.skipIf(!hasChromium)("shows escaped names as text, and nested sub-workflow bars", async () => {
    await open("edge-cases", renderTraceHtml(parseTrace(fixtureText("edge-cases"))));
    await expect(page.locator("h1").textContent()).resolves.toBe('provision <env> & "friends" v0.3.0-beta.1');
    await page.hover('[data-kind="compensation"][data-step=\'create "network" <vpc>\'][data-attempt="3"]');
    const first = await page.locator("#tooltip strong").textContent();
    expect(first).toBe('create "network" <vpc> — compensation attempt 3');
    const text = await page.locator("#tooltip").textContent();
    expect(text).toContain("<eni-1 & eni-2>");
    await expect(page.locator('[data-kind="attempt"][data-path="database"]').count()).resolves.toBe(2);
    expect(log.problems).toEqual([]);
  });

  it.skipIf(!hasChromium)("scrolls 500 steps inside the timeline, its axis staying in view", async () => {
    const { text, attempts } = wideTrace(500);
    await open("wide", renderTraceHtml(parseTrace(text), { dag: false }));
    await expect(page.locator('[data-kind="attempt"]').count()).resolves.toBe(attempts);
    const scroller = page.locator(".timeline-scroll");
    const box = await scroller.evaluate((el) => ({ client: el.clientHeight, scroll: el.scrollHeight }));
    expect(box.scroll).toBeGreaterThan(box.client);
    await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    const axisTop = await page.locator(".timeline-axis").evaluate((el) => el.getBoundingClientRect().top);
    const scrollerTop = await scroller.evaluate((el) => el.getBoundingClientRect().top);
    expect(Math.abs(axisTop - scrollerTop)).toBeLessThanOrEqual(2);
    await page.hover('[data-kind="attempt"][data-step="step_499"]');
    await expect(page.locator("#tooltip strong").textContent()).resolves.toMatch(/^step_499 — attempt [12]$/);
    expect(log.problems).toEqual([]);
  });
});
