/**
 * The studio's server without a browser: who may read it (loopback names only; a token
 * beyond loopback), who may act (the page's own header and origin), its errors as typed
 * JSON, its live stream, and `rubberduck studio` as a command.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createEngine, type Engine, memoryStore, sqliteStore, workflow } from "../../src/index.js";
import { type Studio, StudioOptionsError, startStudio } from "../../src/studio/index.js";
import { deferred } from "../helpers.js";

const quick = workflow("quick").step("only", { outputs: ["n"], run: () => ({ n: 1 }) });

/** A raw HTTP request, so that the Host header can be anything. */
function raw(port: number, path: string, headers: Record<string, string> = {}, method = "GET") {
  return new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, headers }, (res) => {
      let body = "";
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the studio's server", () => {
  let studio: Studio | undefined;
  let engine: Engine | undefined;
  afterEach(async () => {
    await studio?.close();
    await engine?.close();
    studio = engine = undefined;
  });

  it("on loopback answers loopback names only, and takes actions only from its page", async () => {
    engine = createEngine({ workflows: [quick], store: memoryStore() });
    studio = await startStudio({ engine, port: 0 });
    expect(studio.url).toBe(`http://127.0.0.1:${studio.port}/`);
    const page = await raw(studio.port, "/");
    expect(page.status).toBe(200);
    expect(String(page.headers["content-security-policy"])).toContain("default-src 'none'");
    expect((await raw(studio.port, "/", { host: `localhost:${studio.port}` })).status).toBe(200);
    // A name that resolves to loopback by DNS rebinding is not one of ours.
    expect((await raw(studio.port, "/api/executions", { host: "evil.example" })).status).toBe(403);

    const { executionId } = await engine.execute(quick, {});
    const rerun = `/api/executions/${executionId}/rerun`;
    expect((await raw(studio.port, rerun, {}, "POST")).status).toBe(403);
    const foreign = { "x-rubberduck-studio": "1", origin: "https://evil.example" };
    expect((await raw(studio.port, rerun, foreign, "POST")).status).toBe(403);
    const own = { "x-rubberduck-studio": "1", origin: `http://127.0.0.1:${studio.port}` };
    const ok = await raw(studio.port, rerun, own, "POST");
    expect(ok.status).toBe(200);
    const again = JSON.parse(ok.body).executionId as string;
    expect(again).not.toBe(executionId);
    expect((await engine.runs.get(again)).run.metadata).toEqual({ rerunOf: executionId });
  });

  it("beyond loopback needs a token: refused without one, taken from the URL once (then a cookie) or as a bearer", async () => {
    engine = createEngine({ store: memoryStore() });
    await expect(startStudio({ engine, port: 0, host: "0.0.0.0" })).rejects.toBeInstanceOf(StudioOptionsError);
    await expect(startStudio({ engine, port: 0, host: "0.0.0.0", token: "short" })).rejects.toThrow(/16 characters/);
    const token = "a-long-enough-secret-1234";
    studio = await startStudio({ engine, port: 0, host: "0.0.0.0", token });
    expect(studio.url).toContain(`?token=${token}`);
    expect((await raw(studio.port, "/api/executions")).status).toBe(401);
    expect((await raw(studio.port, "/api/executions?token=wrong")).status).toBe(401);
    // The token leaves the address bar: a redirect, with a session cookie (not the token).
    const first = await raw(studio.port, `/?token=${token}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe("/");
    const setCookie = String((first.headers["set-cookie"] as string[])[0]);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).not.toContain(token);
    const cookie = setCookie.split(";")[0]!;
    expect((await raw(studio.port, "/", { cookie })).status).toBe(200);
    expect((await raw(studio.port, "/api/executions", { cookie })).status).toBe(200);
    expect((await raw(studio.port, "/api/executions", { cookie: "rubberduck_studio=guess" })).status).toBe(401);
    expect((await raw(studio.port, "/api/executions", { authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it("answers errors as typed JSON, cancels what another engine runs by a request, refuses what is not its page's", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "rd-studio-server-")), "runs.db");
    const store = sqliteStore(file);
    const otherStore = sqliteStore(file);
    const gate = deferred<void>();
    const slow = workflow("slow").step("wait", { run: () => gate.promise });
    engine = createEngine({ workflows: [slow], store, owner: "studio" });
    const other = createEngine({ workflows: [slow], store: otherStore, owner: "runner", cancelPollMs: 50 });
    try {
      studio = await startStudio({ engine, port: 0 });
      const missing = await raw(studio.port, "/api/executions/nope");
      expect(missing.status).toBe(404);
      expect(JSON.parse(missing.body).error).toMatchObject({ code: "EXECUTION_NOT_FOUND" });
      const run = other.start(slow, {});
      // Its row (and lease) is journaled before its first step runs.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const own = { "x-rubberduck-studio": "1" };
      // Another engine runs it: the studio leaves it a cancel request, which that engine acts on.
      const seen: string[] = [];
      run.events.subscribe((e) => seen.push(e.type));
      const held = await raw(studio.port, `/api/executions/${run.id}/cancel`, own, "POST");
      expect(held.status).toBe(200);
      expect(JSON.parse(held.body)).toEqual({ executionId: run.id, requested: true });
      while (!seen.includes("workflow.interrupted")) await new Promise((resolve) => setTimeout(resolve, 20));
      gate.resolve();
      expect((await run.result).status).toBe("cancelled");
      // An action that is not the page's own; a broken origin; a file name of Object's.
      expect(
        (await raw(studio.port, `/api/executions/${run.id}/rerun`, { ...own, origin: "null" }, "POST")).status,
      ).toBe(403);
      expect((await raw(studio.port, "/api/executions", { "sec-fetch-site": "cross-site" })).status).toBe(403);
      expect((await raw(studio.port, "/assets/toString")).status).toBe(404);
    } finally {
      await other.close();
      await otherStore.close();
      await studio?.close();
      studio = undefined;
      await engine.close();
      engine = undefined;
      await store.close();
    }
  });

  it("streams the ids of executions that change", async () => {
    engine = createEngine({ workflows: [quick], store: memoryStore() });
    studio = await startStudio({ engine, port: 0, pollMs: 50 });
    const controller = new AbortController();
    const response = await fetch(`http://127.0.0.1:${studio.port}/api/live`, { signal: controller.signal });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = response.body!.getReader();
    let text = "";
    const read = async (until: (s: string) => boolean) => {
      while (!until(text)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await read((s) => s.includes("event: hello"));
    expect(await studio.waitForBrowser(0)).toBe(true);
    const { executionId } = await engine.execute(quick, {});
    await read((s) => s.includes(executionId));
    expect(text).toMatch(new RegExp(`event: changed\\ndata: \\[[^\\]]*"${executionId}"`));
    controller.abort();
  });
});

describe("rubberduck studio", () => {
  it("serves a store with a module's workflows until Ctrl-C", async () => {
    const root = new URL("../..", import.meta.url).pathname;
    const file = join(mkdtempSync(join(tmpdir(), "rd-studio-cli-")), "runs.db");
    const child = spawn(
      process.execPath,
      [join(root, "bin", "rubberduck.js"), "studio", "examples/codegen-transaction.ts", "--store", file, "--port", "0"],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    try {
      const deadline = Date.now() + 20_000;
      while (!/at (http:\/\/127\.0\.0\.1:\d+\/)/.test(stderr) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const url = stderr.match(/at (http:\/\/127\.0\.0\.1:\d+\/)/)?.[1];
      expect(url, stderr).toBeDefined();
      expect(stderr).toContain("with the 1 workflow of examples/codegen-transaction.ts");
      const workflows = (await (await fetch(`${url}api/workflows`)).json()) as { name: string; diagram: string }[];
      expect(workflows.map((w) => w.name)).toEqual(["code_generation_transaction"]);
      expect(workflows[0]!.diagram).toContain("<svg");
      expect(await (await fetch(`${url}api/executions`)).json()).toMatchObject({ runs: [] });
      child.kill("SIGINT");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  }, 30_000);
});
