/**
 * The studio in a real browser: Debian's Chromium driven by playwright-core, against a
 * studio on a SQLite store. The list shows a running execution and updates when it ends
 * (run by another engine on the same file: the studio tails the store); a run page shows
 * the DAG and timeline and follows the steps live; Cancel on the page rolls the run
 * back, journaled (one this engine runs, and one another engine runs, by a request);
 * Resume finishes an interrupted one; Run again starts one with the same input; names,
 * errors and outputs full of markup are shown as text; and no page logs an error. Skipped when /usr/bin/chromium is missing (CI installs it).
 *
 * `UPDATE_STUDIO_SCREENSHOTS=1 npx vitest run test/studio/browser.test.ts` also rewrites
 * visualizations/studio-executions.png and visualizations/studio-compensated-run.png.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine, type ExecutionStore, StepError, sqliteStore, workflow } from "../../src/index.js";
import { type Studio, startStudio } from "../../src/studio/index.js";
import { deferred } from "../helpers.js";

const CHROMIUM = process.env.STUDIO_CHROMIUM ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
const skipNote = hasChromium ? "" : ` — SKIPPED: ${CHROMIUM} not found (apt-get install -y chromium)`;
if (!hasChromium) console.warn(`Browser tests of the studio${skipNote}`);
const screenshots = process.env.UPDATE_STUDIO_SCREENSHOTS === "1";

/** A gate per execution id, which its `wait` step waits on (and gives up on abort). */
const gates = new Map<string, ReturnType<typeof deferred<void>>>();
const gateOf = (id: string) => gates.get(id) ?? gates.set(id, deferred<void>()).get(id)!;
const undone: string[] = [];

const order = workflow("order_fulfilment", { description: "Reserve, wait for the warehouse, ship" })
  .step("reserve", {
    inputs: ["sku"],
    outputs: ["reservation"],
    run: ({ sku }) => ({ reservation: `r-${sku}` }),
    compensate: (ctx) => {
      undone.push(`reserve ${ctx.executionId}`);
    },
  })
  .step("wait_for_warehouse", {
    inputs: ["reservation"],
    outputs: ["picked"],
    run: async ({ reservation }, ctx) => {
      const gate = gateOf(ctx.executionId);
      await new Promise<void>((resolve, reject) => {
        gate.promise.then(() => resolve());
        ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true });
      });
      return { picked: `${reservation}/picked` };
    },
  })
  .step("ship", { inputs: ["picked"], outputs: ["tracking"], run: ({ picked }) => ({ tracking: `t:${picked}` }) });

const XSS = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;
const hostile = workflow("hostile")
  .step(`<b>render</b>`, {
    outputs: ["html"],
    run: () => ({ html: `<script>window.__pwned=3</script><i>not italic</i>` }),
    compensate: () => {},
  })
  .step("explode", {
    dependsOn: [`<b>render</b>`],
    run: () => {
      throw new StepError("explode", `bad markup ${XSS}`);
    },
  });

describe(`the studio in Chromium${skipNote}`, () => {
  let browser: Browser | undefined;
  let page: Page;
  let store: ExecutionStore;
  let file = "";
  let engine: Engine;
  let studio: Studio;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!hasChromium) return;
    file = join(mkdtempSync(join(tmpdir(), "rd-studio-")), "runs.db");
    store = sqliteStore(file);
    engine = createEngine({ workflows: [order, hostile], store, owner: "studio-test" });
    studio = await startStudio({ engine, port: 0, pollMs: 100 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await studio?.close();
    for (const gate of gates.values()) gate.resolve();
    await engine?.close();
    await store?.close();
  });

  /** Another engine on the same file, with its own store handle, closed after `use`. */
  const onAnotherEngine = async (
    owner: string,
    use: (other: Engine) => Promise<void>,
    options: { cancelPollMs?: number } = {},
  ) => {
    const otherStore = sqliteStore(file);
    const other = createEngine({ workflows: [order], store: otherStore, owner, ...options });
    try {
      await use(other);
    } finally {
      await other.close();
      await otherStore.close();
    }
  };

  const open = async (hash: string) => {
    await page.goto(`${studio.url}#${hash}`);
    await page.waitForSelector("nav .live.on");
  };

  it.skipIf(!hasChromium)(
    "the list shows an execution another engine runs, and updates when it finishes",
    async () => {
      // Another engine on the same file: the studio sees it by tailing the store.
      await onAnotherEngine("worker-2", async (other) => {
        await open("/");
        const run = other.start(order, { sku: "duck-42" }, { metadata: { customer: "ada" } });
        const row = page.locator(`tr[data-execution="${run.id}"]`);
        await row.and(page.locator('[data-status="running"]')).waitFor();
        expect(await row.textContent()).toContain("order_fulfilment@1.0.0");
        expect(await row.textContent()).toContain('{"customer":"ada"}');
        gateOf(run.id).resolve();
        expect((await run.result).status).toBe("succeeded");
        await page.locator(`tr[data-execution="${run.id}"][data-status="succeeded"]`).waitFor();
        // The filters narrow the list.
        await page.selectOption("select[name=status]", "failed");
        await page.locator(`tr[data-execution="${run.id}"]`).waitFor({ state: "detached" });
        await page.selectOption("select[name=status]", "succeeded");
        await row.waitFor();
      });
      expect(problems).toEqual([]);
    },
    30_000,
  );

  it.skipIf(!hasChromium)(
    "a run page shows the DAG and the timeline, and follows the steps as they finish",
    async () => {
      const run = engine.start(order, { sku: "duck-7" });
      await open(`/runs/${run.id}`);
      const node = (step: string) => page.locator(`.dag-html g.node[data-step="${step}"]`);
      await node("wait_for_warehouse").and(page.locator('[data-status="running"]')).waitFor();
      expect(await node("reserve").getAttribute("data-status")).toBe("succeeded");
      expect(await node("ship").getAttribute("data-status")).toBe("pending");
      expect(await page.locator('.timeline-html g.bar[data-step="reserve"]').count()).toBe(1);
      expect(await page.locator('.timeline-html g.bar[data-step="ship"]').count()).toBe(0);
      gateOf(run.id).resolve();
      await page.locator(`.execution[data-status="succeeded"]`).waitFor();
      await node("ship").and(page.locator('[data-status="succeeded"]')).waitFor();
      expect(await page.locator('.timeline-html g.bar[data-step="ship"]').count()).toBe(1);
      expect(await page.locator(".event-log tr[data-type='workflow.succeeded']").count()).toBe(1);
      // A step's input, output and statechart.
      await page.click('.step-tab[data-step="ship"]');
      expect(await page.locator(".step-details pre.input").textContent()).toContain(`r-duck-7/picked`);
      expect(await page.locator(".step-details pre.output").textContent()).toContain(`t:r-duck-7/picked`);
      const chart = await page.locator("img.step-chart").getAttribute("src");
      expect(chart).toContain("state=succeeded");
      const svg = await (await page.request.get(new URL(chart!, studio.url).href)).text();
      expect(svg).toContain('data-state="succeeded" aria-current="true"');
      expect(problems).toEqual([]);
    },
    30_000,
  );

  it.skipIf(!hasChromium)(
    "Cancel on the page rolls the execution back, journaled",
    async () => {
      const run = engine.start(order, { sku: "duck-9" });
      await open(`/runs/${run.id}`);
      await page.locator('.dag-html g.node[data-step="wait_for_warehouse"][data-status="running"]').waitFor();
      await page.click("button.cancel");
      await page.locator(`.execution[data-status="cancelled"]`).waitFor();
      const result = await run.result;
      expect(result.status).toBe("cancelled");
      expect(result.compensation.compensated).toEqual(["reserve"]);
      expect(undone).toContain(`reserve ${run.id}`);
      const { events } = await engine.runs.get(run.id);
      expect(events.map((e) => e.type)).toEqual(
        expect.arrayContaining(["workflow.interrupted", "step.compensated", "workflow.cancelled"]),
      );
      await page.locator('.dag-html g.node[data-step="reserve"][data-status="compensated"]').waitFor();
      expect(await page.locator(".run").textContent()).toContain("rolled back: reserve");
      // Run again: a new execution with the same input, shown at once.
      await page.click("button.rerun");
      await page.waitForFunction(
        (id) => !(globalThis as unknown as { location: URL }).location.hash.includes(id),
        run.id,
      );
      const again = decodeURIComponent(new URL(page.url()).hash.replace("#/runs/", ""));
      expect((await engine.runs.get(again)).events[0]).toMatchObject({ input: { sku: "duck-9" } });
      gateOf(again).resolve();
      await page.locator(`.execution[data-status="succeeded"]`).waitFor();
      expect(problems).toEqual([]);
    },
    30_000,
  );

  it.skipIf(!hasChromium)(
    "Cancel on the page of an execution another engine runs: a request it acts on",
    async () => {
      const cancelledElsewhere = async (other: Engine) => {
        const run = other.start(order, { sku: "duck-3" });
        await open(`/runs/${run.id}`);
        await page.locator('.dag-html g.node[data-step="wait_for_warehouse"][data-status="running"]').waitFor();
        await page.click("button.cancel");
        await page.getByText("Asked worker-3 to cancel it").waitFor();
        await page.locator(`.execution[data-status="cancelled"]`).waitFor();
        const result = await run.result;
        expect(result.status).toBe("cancelled");
        expect(result.compensation.compensated).toEqual(["reserve"]);
      };
      await onAnotherEngine("worker-3", cancelledElsewhere, { cancelPollMs: 50 });
      expect(problems).toEqual([]);
    },
    30_000,
  );

  it.skipIf(!hasChromium)(
    "Resume on the page of an interrupted execution: the studio's engine finishes it",
    async () => {
      // Its engine stops mid-run (a deploy): the execution is left interrupted, its lease released.
      let id = "";
      let stopped: Promise<unknown> = Promise.resolve();
      await onAnotherEngine("worker-4", async (other) => {
        const run = other.start(order, { sku: "duck-4" });
        id = run.id;
        const journaled = async () => (await engine.runs.get(run.id).catch(() => undefined))?.events ?? [];
        while ((await journaled()).every((e) => e.step !== "wait_for_warehouse")) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        stopped = run.result.catch(() => "stopped");
      });
      expect(await stopped).toBe("stopped");
      const run = { id };
      await open(`/runs/${run.id}`);
      await page.locator(`.execution[data-status="interrupted"]`).waitFor();
      gateOf(run.id).resolve();
      await page.click("button.resume");
      await page.locator(`.execution[data-status="succeeded"]`).waitFor();
      const { run: record, events } = await engine.runs.get(run.id);
      expect(record.owner).toBe("studio-test");
      // `reserve` ran once; the step in flight ran again with its next attempt.
      expect(events.filter((e) => e.type === "step.started" && e.step === "reserve")).toHaveLength(1);
      expect(
        events.filter((e) => e.type === "step.started" && e.step === "wait_for_warehouse").map((e) => e.attempt),
      ).toEqual([1, 2]);
      expect(problems).toEqual([]);
    },
    30_000,
  );

  it.skipIf(!hasChromium)(
    "shows markup in step names, errors and outputs as text, and runs none of it",
    async () => {
      const result = await engine.execute(hostile, {});
      expect(result.status).toBe("failed");
      await open(`/runs/${result.executionId}`);
      await page.locator(`.execution[data-status="failed"]`).waitFor();
      await page.click('.step-tab[data-step="explode"]');
      expect(await page.locator(".step-details pre.error").textContent()).toContain(XSS);
      expect(await page.locator(".run-error").textContent()).toContain(XSS);
      await page.click('.step-tab[data-step="<b>render</b>"]');
      expect(await page.locator(".step-details pre.output").textContent()).toContain(
        "<script>window.__pwned=3</script>",
      );
      // The DAG and timeline (server-rendered) carry the name as text too.
      expect(await page.locator('.dag-html g.node[data-step="<b>render</b>"]').count()).toBe(1);
      // Nothing was injected: no element from the payloads, no script ran.
      expect(await page.locator("main b, main i, main img[src=x], main script").count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
      await open("/");
      expect(await page.locator("main b, main img[src=x], main script").count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
      await open("/workflows");
      await page.locator('article.workflow[data-workflow="hostile"]').waitFor();
      expect(await page.locator("main b, main script").count()).toBe(0);
      expect(problems).toEqual([]);
    },
    30_000,
  );

  it.skipIf(!hasChromium || !screenshots)(
    "screenshots: the list, and a compensated run",
    async () => {
      const run = engine.start(order, { sku: "duck-99" }, { metadata: { customer: "grace" } });
      await open(`/runs/${run.id}`);
      await page.locator('.dag-html g.node[data-step="wait_for_warehouse"][data-status="running"]').waitFor();
      await engine.cancel(run.id, "customer changed their mind");
      await page.locator(`.execution[data-status="cancelled"]`).waitFor();
      await page.locator('.dag-html g.node[data-step="reserve"][data-status="compensated"]').waitFor();
      const root = new URL("../../visualizations/", import.meta.url).pathname;
      await page.screenshot({ path: join(root, "studio-compensated-run.png"), fullPage: true });
      await open("/");
      await page.locator("table.runs").waitFor();
      await page.screenshot({ path: join(root, "studio-executions.png") });
    },
    30_000,
  );
});
