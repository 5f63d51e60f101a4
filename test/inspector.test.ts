/**
 * `rubberduck run --inspect`: the inspector server on loopback receives the workflow
 * actor's and every step actor's inspection events (checked with a WebSocket receiver
 * on loopback; no browser, no network).
 */
import { createServer } from "node:net";
import { createWebSocketReceiver, type StatelyInspectionEvent } from "@statelyai/inspect";
import { describe, expect, it } from "vitest";
import { startInspector } from "../src/cli/inspector.js";
import { createEngine, workflow } from "../src/index.js";

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
      await until(() => ["inspected", "step:fetch", "step:sum"].every((n) => actorNames().has(n)));
      const snapshotsOf = (name: string) => {
        const sessions = new Set(
          received.filter((e) => (e as { name?: string }).name === name).map((e) => e.sessionId),
        );
        return received
          .filter((e) => e.type === "@xstate.snapshot" && sessions.has(e.sessionId))
          .map((e) => (e as { snapshot: { value?: unknown } }).snapshot.value);
      };
      await until(
        () => snapshotsOf("step:sum").includes("succeeded") && snapshotsOf("inspected").includes("succeeded"),
      );
      expect(snapshotsOf("step:fetch")).toContain("succeeded");
      // The workflow actor's context is summarised, not the whole ledger.
      const root = received.find((e) => e.type === "@xstate.actor" && e.name === "inspected")!.sessionId;
      const last = received.filter((e) => e.type === "@xstate.snapshot" && e.sessionId === root).at(-1) as {
        snapshot: { context: unknown };
      };
      expect(last.snapshot.context).toEqual({
        executionId: result.executionId,
        steps: { fetch: "succeeded", sum: "succeeded" },
      });
    } finally {
      inspector.stop();
    }
  });
});
