/**
 * The studio's HTTP server: Hono on Node's HTTP server (`@hono/node-server`), serving
 * one page (Preact and htm, from their own packages, no build step), a JSON API over the
 * engine's public API, its actions (cancel, resume, run again) and a server-sent event
 * stream of the executions that changed.
 *
 * It listens on loopback unless told otherwise; another address needs a token. On
 * loopback, requests must name a loopback host (no DNS rebinding), and actions must come
 * from the page itself (its header, its origin): no other site open in the browser can
 * cancel a run.
 */

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { type Context, Hono, type Next } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { streamSSE } from "hono/streaming";
import {
  type Engine,
  RUN_STATUSES,
  type RunStatus,
  type StepState,
  serializeError,
  stepChartSvg,
  stepStates,
} from "../index.js";
import { traceCss } from "../trace-viewer/index.js";
import { ChangeFeed } from "./live.js";
import { ExecutionList, executionView, workflowsView } from "./views.js";

/**
 * Options of `startStudio`.
 *
 * @example
 * await startStudio({ engine, port: 4280 });
 */
export interface StudioOptions {
  /** The engine whose store, workflows and actions the studio shows (give it a `store`). */
  readonly engine: Engine;
  /**
   * The port; 0 takes a free one (see `studio.url`).
   * @default 4280
   */
  readonly port?: number | undefined;
  /**
   * The address to listen on. Anything but loopback needs `token`.
   * @default "127.0.0.1"
   */
  readonly host?: string | undefined;
  /** A secret a browser must bring once (`?token=…`, then a cookie) or send as `Authorization: Bearer …`. */
  readonly token?: string | undefined;
  /**
   * How often the store is read for executions other processes run, in ms.
   * @default 500
   */
  readonly pollMs?: number | undefined;
}

/**
 * A running studio.
 *
 * @example
 * const studio = await startStudio({ engine });
 * console.log(`open ${studio.url}`);
 * await studio.close();
 */
export interface Studio {
  /** The page to open (with the token, when there is one). */
  readonly url: string;
  readonly port: number;
  /** Resolves true once a page is open (its live stream connected), or false after `ms` (never, when undefined). */
  waitForBrowser(ms?: number): Promise<boolean>;
  /** Stop serving (open pages lose their live stream); the engine is left as it is. */
  close(): Promise<void>;
}

/**
 * Thrown when the studio cannot start as asked (an address beyond loopback without a token).
 *
 * @example
 * await startStudio({ engine, host: "0.0.0.0" }).catch((e) => e instanceof StudioOptionsError); // true: no token
 */
export class StudioOptionsError extends Error {
  override readonly name = "StudioOptionsError";
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);
const COOKIE = "rubberduck_studio";
const STATUSES = new Set<string>([...RUN_STATUSES, "interrupted"]);

/** The browser modules the page imports, by the name the page's import map gives them. */
const MODULES: Readonly<Record<string, () => URL>> = {
  "preact.mjs": () => new URL(import.meta.resolve("preact")),
  "hooks.mjs": () => new URL(import.meta.resolve("preact/hooks")),
  "htm.mjs": () => new URL(import.meta.resolve("htm")),
  "app.js": () => new URL("./client/app.js", import.meta.url),
  "studio.css": () => new URL("./client/studio.css", import.meta.url),
};

const IMPORT_MAP = JSON.stringify({
  imports: { preact: "/assets/preact.mjs", "preact/hooks": "/assets/hooks.mjs", htm: "/assets/htm.mjs" },
});
const IMPORT_MAP_HASH = createHash("sha256").update(IMPORT_MAP).digest("base64");
const CSP = [
  "default-src 'none'",
  `script-src 'self' 'sha256-${IMPORT_MAP_HASH}'`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>RubberDuck Studio</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/trace.css">
<link rel="stylesheet" href="/assets/studio.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="/assets/app.js"></script>
</head>
<body><div id="app"></div></body>
</html>
`;

const sameSecret = (given: string | undefined, token: string) => {
  if (given === undefined) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(token).digest();
  return timingSafeEqual(a, b);
};

/**
 * Serve the studio for an engine: the executions in its store (live), each one's DAG,
 * timeline, events, steps and step statecharts, its registered workflows, and the
 * actions cancel, resume and run again (through the engine's public API, journaled).
 *
 * @throws {StudioOptionsError} for a non-loopback `host` without a `token`
 *
 * @example
 * import { createEngine, sqliteStore } from "@rubberduck/workflows";
 * import { startStudio } from "@rubberduck/workflows/studio";
 * const engine = createEngine({ workflows: [codeAnalysis], store: sqliteStore("runs.db") });
 * const studio = await startStudio({ engine });
 * console.log(`studio: ${studio.url}`);
 */
export async function startStudio(options: StudioOptions): Promise<Studio> {
  const { engine } = options;
  const host = options.host ?? "127.0.0.1";
  const token = options.token;
  const loopback = LOOPBACK.has(host);
  if (!loopback && (token === undefined || token.length < 16)) {
    throw new StudioOptionsError(
      `The studio listens on ${host}, beyond this machine: give it a token of 16 characters or more (--token, or token:)`,
    );
  }
  const feed = new ChangeFeed(engine, options.pollMs ?? 500);
  const list = new ExecutionList(engine);
  const app = new Hono();
  let port = 0;
  const sessions = new Set<string>();
  let opened: (() => void) | undefined;
  const firstPage = new Promise<void>((resolve) => {
    opened = resolve;
  });

  app.onError((error, c) => c.json({ error: errorJson(error) }, statusOf(error)));

  // Only loopback names on a loopback server (DNS rebinding); the token, when there is one.
  app.use("*", async (c: Context, next: Next) => {
    if (loopback) {
      const name = (c.req.header("host") ?? "").replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
      if (!LOOPBACK.has(name)) return c.text("Not a loopback host", 403);
    }
    if (token !== undefined) {
      const bearer = c.req.header("authorization")?.replace(/^Bearer /, "");
      if (sameSecret(c.req.query("token"), token)) {
        // The cookie holds a session of its own, not the token (a cookie reaches every port of
        // the host); the token leaves the address bar.
        const session = randomBytes(24).toString("base64url");
        sessions.add(session);
        // The oldest sessions go first past a thousand.
        if (sessions.size > 1000) sessions.delete(sessions.values().next().value!);
        // Lax: the page opened from a link elsewhere still gets it on the redirect; the API's
        // actions are guarded by their header and origin, and cross-site fetches refused.
        setCookie(c, COOKIE, session, { httpOnly: true, sameSite: "Lax", path: "/" });
        if (c.req.method === "GET" && c.req.path === "/") return c.redirect("/", 303);
      } else if (!sameSecret(bearer, token) && !sessions.has(getCookie(c, COOKIE) ?? "")) {
        return c.text("This studio needs its token: open the URL it printed", 401);
      }
    }
    await next();
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
  });

  // Actions only from the page itself: its header (a cross-site form cannot set it) and its origin.
  app.use("/api/*", async (c: Context, next: Next) => {
    // Another site's page may not even open the API (its live stream would count as a page).
    if (c.req.header("sec-fetch-site") === "cross-site") {
      return c.json({ error: { name: "Forbidden", message: "The studio's API serves its own page only" } }, 403);
    }
    if (c.req.method !== "GET") {
      const origin = c.req.header("origin");
      if (
        c.req.header("x-rubberduck-studio") !== "1" ||
        (origin !== undefined && hostOf(origin) !== c.req.header("host"))
      ) {
        return c.json({ error: { name: "Forbidden", message: "Actions come from the studio's own page" } }, 403);
      }
    }
    await next();
    c.header("Cache-Control", "no-store");
  });

  app.get("/", (c) => {
    c.header("Content-Security-Policy", CSP);
    c.header("Cache-Control", "no-store");
    return c.html(SHELL);
  });

  app.get("/assets/trace.css", (c) => c.body(traceCss, 200, { "Content-Type": "text/css; charset=utf-8" }));
  app.get("/assets/:file", async (c) => {
    const file = c.req.param("file");
    if (!Object.hasOwn(MODULES, file)) return c.notFound();
    const where = MODULES[file]!;
    const type = file.endsWith(".css") ? "text/css" : "text/javascript";
    return c.body(await readFile(where(), "utf8"), 200, { "Content-Type": `${type}; charset=utf-8` });
  });

  app.get("/api/executions", async (c) => {
    const status = c.req.query("status");
    const limit = Number(c.req.query("limit") ?? 50);
    return c.json(
      await list.list({
        status: status !== undefined && STATUSES.has(status) ? (status as RunStatus | "interrupted") : undefined,
        workflow: c.req.query("workflow"),
        cursor: c.req.query("cursor"),
        limit: Number.isInteger(limit) && limit > 0 && limit <= 500 ? limit : 50,
      }),
    );
  });

  app.get("/api/executions/:id", async (c) => c.json(await executionView(engine, c.req.param("id"))));

  app.get("/api/step-chart", (c) => {
    const isState = (s: string | undefined): s is StepState => s !== undefined && Object.hasOwn(stepStates, s);
    const current = c.req.query("state");
    const visited = (c.req.query("visited") ?? "").split(",").filter(isState);
    return c.body(stepChartSvg({ current: isState(current) ? current : undefined, visited }), 200, {
      "Content-Type": "image/svg+xml; charset=utf-8",
    });
  });

  app.get("/api/workflows", (c) => c.json(workflowsView(engine)));

  app.post("/api/executions/:id/cancel", async (c) => {
    const id = c.req.param("id");
    const run = await engine.cancel(id, "cancelled from the studio");
    // undefined: another live engine runs it, and was asked to (it reads the request within a second).
    return c.json({ executionId: id, requested: run === undefined });
  });

  app.post("/api/executions/:id/resume", async (c) => {
    const run = await engine.resume(c.req.param("id"));
    return c.json({ executionId: run.id });
  });

  app.post("/api/executions/:id/rerun", async (c) => {
    const { run, events } = await engine.runs.get(c.req.param("id"));
    const started = events.find((e) => e.type === "workflow.started" && e.path === undefined);
    const wf = engine.registry.get(run.workflow, run.version);
    const again = engine.start(wf, (started?.input ?? {}) as never, {
      metadata: { ...run.metadata, rerunOf: run.executionId },
    });
    again.result.catch(() => {});
    return c.json({ executionId: again.id });
  });

  app.get("/api/live", (c) =>
    streamSSE(c, async (stream) => {
      // Listen for the end first: a client gone before the first write must not leak a subscription.
      const ended = new Promise<void>((resolve) => stream.onAbort(resolve));
      let id = 0;
      const unsubscribe = feed.subscribe((ids) => {
        void stream.writeSSE({ event: "changed", data: JSON.stringify(ids), id: String(++id) });
      });
      // Comments keep proxies and the browser from timing the stream out.
      const beat = setInterval(() => void stream.write(": keep-alive\n\n"), 15_000);
      beat.unref();
      try {
        if (!stream.aborted) {
          await stream.writeSSE({ event: "hello", data: "{}" });
          opened?.();
          await ended;
        }
      } finally {
        clearInterval(beat);
        unsubscribe();
      }
    }),
  );

  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 4280, hostname: host }, (info: AddressInfo) => {
      port = info.port;
      resolve(s);
    });
    s.once("error", reject);
  });
  const shown = host.includes(":") ? `[${host}]` : host;
  const url = `http://${shown === "::1" ? "[::1]" : shown}:${port}/${token === undefined ? "" : `?token=${encodeURIComponent(token)}`}`;
  return {
    url,
    port,
    waitForBrowser: (ms) =>
      Promise.race([
        firstPage.then(() => true),
        ...(ms === undefined ? [] : [new Promise<boolean>((resolve) => setTimeout(resolve, ms, false).unref())]),
      ]),
    close: () =>
      new Promise<void>((resolve) => {
        feed.close();
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}

/** The host of an Origin header; undefined for one that is not a URL (`null`, from a sandboxed frame or a file). */
function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

function errorJson(error: unknown) {
  const e = serializeError(error);
  return { name: e.name, code: (e as { code?: string }).code, message: e.message };
}

function statusOf(error: unknown): 400 | 404 | 409 | 500 {
  const code = (error as { code?: string }).code;
  if (code === "EXECUTION_NOT_FOUND" || code === "WORKFLOW_NOT_FOUND") return 404;
  if (code === "LEASE_LOST" || code === "DEFINITION_MISMATCH") return 409;
  if (code === "INPUT_INVALID") return 400;
  return 500;
}
