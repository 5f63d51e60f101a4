/**
 * `rubberduck run --inspect`: the inspector server on loopback receives the workflow
 * actor's and every step actor's inspection events (checked with a WebSocket receiver
 * on loopback; no browser, no network).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWebSocketReceiver, type StatelyInspectionEvent } from "@statelyai/inspect";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startInspector } from "../src/cli/inspector.js";
import { type AnyWorkflow, createEngine, workflow } from "../src/index.js";

/** A free port on loopback. */
const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const until = async (condition: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for inspection events");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe("the inspector server", () => {
  it("receives the parent's and every step actor's events", async () => {
    const port = await freePort();
    const inspector = await startInspector(port);
    const received: StatelyInspectionEvent[] = [];
    try {
      // The receiver stands in for the browser page the URL serves.
      await new Promise((resolve) => setTimeout(resolve, 200));
      createWebSocketReceiver({ server: `ws://127.0.0.1:${port}` }).subscribe((e) => received.push(e));
      await new Promise((resolve) => setTimeout(resolve, 200));

      const wf = workflow("inspected")
        .step("fetch", { outputs: ["data"], run: () => ({ data: [1, 2, 3] }) })
        .step("sum", {
          inputs: ["data"],
          outputs: ["total"],
          run: ({ data }) => ({ total: data.reduce((a, b) => a + b, 0) }),
        });
      const result = await createEngine({ inspect: inspector.inspect }).execute(wf, {});
      expect(result.status).toBe("succeeded");

      const actorNames = () => new Set(received.filter((e) => e.type === "@xstate.actor").map((e) => e.name));
      // The workflow actor is named by its workflow and execution.
      const root = `inspected:${result.executionId}`;
      await until(() => [root, "step:fetch", "step:sum"].every((n) => actorNames().has(n)));
      const snapshotsOf = (name: string) => {
        const sessions = new Set(
          received.filter((e) => (e as { name?: string }).name === name).map((e) => e.sessionId),
        );
        return received
          .filter((e) => e.type === "@xstate.snapshot" && sessions.has(e.sessionId))
          .map((e) => (e as { snapshot: { value?: unknown } }).snapshot.value);
      };
      await until(() => snapshotsOf("step:sum").includes("succeeded") && snapshotsOf(root).includes("succeeded"));
      expect(snapshotsOf("step:fetch")).toContain("succeeded");
      // The workflow actor's context is summarised, not the whole ledger.
      const session = received.find((e) => e.type === "@xstate.actor" && e.name === root)!.sessionId;
      const last = received.filter((e) => e.type === "@xstate.snapshot" && e.sessionId === session).at(-1) as {
        snapshot: { context: unknown };
      };
      expect(last.snapshot.context).toEqual({
        executionId: result.executionId,
        steps: { fetch: "succeeded", sum: "succeeded" },
      });
    } finally {
      await inspector.stop();
    }
  });

  it("replays every message of the run to a browser that connects after it ended", async () => {
    const port = await freePort();
    const inspector = await startInspector(port);
    try {
      let wf: AnyWorkflow = workflow("many_steps").step("s0", { run: () => {} });
      for (let i = 1; i < 60; i++) wf = wf.step(`s${i}`, { dependsOn: [`s${i - 1}`], run: () => {} });
      await createEngine({ inspect: inspector.inspect }).execute(wf, {});
      const early: StatelyInspectionEvent[] = [];
      createWebSocketReceiver({ server: `ws://127.0.0.1:${port}` }).subscribe((e) => early.push(e));
      await until(() => early.some((e) => e.type === "@xstate.actor" && e.name === "step:s59"));
      const steps = new Set(early.filter((e) => e.type === "@xstate.actor").map((e) => e.name));
      expect(steps.size).toBe(62); // the workflow actor, its supervisor and every step actor, from the first
      expect(early.length).toBeGreaterThan(200);
      expect(await inspector.waitForBrowser(0)).toBe(true);
    } finally {
      await inspector.stop();
    }
  });
});

describe("rubberduck run --inspect", () => {
  const root = new URL("..", import.meta.url).pathname;

  /** `rubberduck run` of the 40-step fixture with the inspector on a free port; each step appends to a log. */
  async function inspectedRun(...extra: string[]) {
    const port = await freePort();
    const log = join(mkdtempSync(join(tmpdir(), "rubberduck-inspect-")), "steps.log");
    writeFileSync(log, "");
    const args = ["run", "test/fixtures/cli-inspected.ts", "--inspect", String(port), ...extra];
    const child = spawn(
      process.execPath,
      [join(root, "bin", "rubberduck.js"), ...args, "--input", JSON.stringify({ log })],
      {
        cwd: root,
        env: { ...process.env, FORCE_COLOR: "0" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    return {
      port,
      child,
      exited: new Promise<number | null>((resolve) => child.on("exit", resolve)),
      err: () => stderr,
      stepsRun: () => readFileSync(log, "utf8").split("\n").filter(Boolean).length,
    };
  }

  it("waits for a browser, then runs, then stays up until Ctrl-C", async () => {
    const run = await inspectedRun();
    try {
      await until(() => run.err().includes("the run starts when a browser connects"));
      // Nothing runs until a browser is there; the page embeds the inspector and this server's socket.
      const page = await (await fetch(`http://127.0.0.1:${run.port}/`)).text();
      expect(page).toContain('src="https://stately.ai/inspect"');
      expect(page).toContain(`:${run.port}`);
      // A web page of another origin may not connect.
      const foreign = new WebSocket(`ws://127.0.0.1:${run.port}`, { headers: { Origin: "https://evil.example" } });
      const refused = await new Promise<boolean>((resolve) => {
        foreign.on("error", () => resolve(true));
        foreign.on("open", () => resolve(false));
      });
      expect(refused).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(run.stepsRun()).toBe(0);
      const received: StatelyInspectionEvent[] = [];
      createWebSocketReceiver({ server: `ws://127.0.0.1:${run.port}` }).subscribe((e) => received.push(e));
      await until(() => run.err().includes("the inspector stays up"));
      expect(run.stepsRun()).toBe(40);
      // Well after the run, a second browser still gets the whole run.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const late: StatelyInspectionEvent[] = [];
      createWebSocketReceiver({ server: `ws://127.0.0.1:${run.port}` }).subscribe((e) => late.push(e));
      await until(() => late.length >= received.length && received.length > 0);
      expect(new Set(late.filter((e) => e.type === "@xstate.actor").map((e) => e.name)).size).toBe(42);
      run.child.kill("SIGINT");
      expect(await run.exited).toBe(0);
    } finally {
      run.child.kill("SIGKILL");
    }
  });

  it("with --inspect-wait, starts without a browser after that long", async () => {
    const run = await inspectedRun("--inspect-wait", "0.2");
    try {
      await until(() => run.err().includes("the inspector stays up"));
      expect(run.err()).toContain("No browser connected in 0.2 s; starting the run");
      expect(run.stepsRun()).toBe(40);
      run.child.kill("SIGINT");
      expect(await run.exited).toBe(0);
    } finally {
      run.child.kill("SIGKILL");
    }
  });
});
