/**
 * `rubberduck run --inspect`: a Stately inspector server on loopback for one run.
 *
 * The page at the printed URL embeds the Stately inspector and receives the run's
 * inspection events over a WebSocket. The server keeps every message of the run and
 * replays them to each browser that connects, whenever it connects; the CLI waits for
 * the first browser before it starts the run (or for `--inspect-wait` seconds), and
 * keeps the server up after the run until Ctrl-C, so a browser opened late still sees
 * the whole run. Inspection events are made with `@statelyai/inspect`'s own
 * `createInspector`, so the page gets exactly what its other inspectors send;
 * contexts are summarised (a workflow actor's holds every output).
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { configure } from "safe-stable-stringify";
import type { InspectionEvent } from "xstate";
import { CliError } from "./cli-error.js";

export interface InspectorServer {
  /** The page to open. */
  readonly url: string;
  /** The inspection observer to give the engine. */
  readonly inspect: (event: InspectionEvent) => void;
  /** Browsers connected so far. */
  readonly browsers: () => number;
  /** Resolves true when a browser connects, or false after `ms` (never, when undefined). */
  waitForBrowser(ms: number | undefined): Promise<boolean>;
  stop(): Promise<void>;
}

const stringify = configure({ maximumDepth: 10, circularValue: "[Circular]", bigint: true });

export async function startInspector(port: number): Promise<InspectorServer> {
  let inspectModule: typeof import("@statelyai/inspect");
  let wsModule: typeof import("ws");
  try {
    inspectModule = await import("@statelyai/inspect");
    wsModule = await import("ws");
  } catch {
    throw new CliError(
      "--inspect needs the @statelyai/inspect package.",
      "Install it next to your workflows: npm install @statelyai/inspect",
    );
  }
  const messages: string[] = [];
  const http = createServer((_request, response) => {
    response.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    response.end(bridgePage((http.address() as AddressInfo).port));
  });
  // Only this server's own page (or a client that is not a web page) may read the run:
  // any site open in the browser could otherwise connect to a loopback port.
  const sockets = new wsModule.WebSocketServer({
    server: http,
    verifyClient: ({ origin }: { origin?: string }) => {
      if (origin === undefined) return true;
      const port = (http.address() as AddressInfo).port;
      return origin === `http://localhost:${port}` || origin === `http://127.0.0.1:${port}`;
    },
  });
  let connected: (() => void) | undefined;
  const firstBrowser = new Promise<void>((resolve) => {
    connected = resolve;
  });
  sockets.on("connection", (socket) => {
    for (const message of messages) socket.send(message);
    connected?.();
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new CliError(
          `--inspect could not listen on 127.0.0.1:${port}: ${error.code ?? error.message}`,
          "Pick another port: --inspect 4343",
        ),
      ),
    );
    http.listen(port, "127.0.0.1", resolve);
  });
  const inspector = inspectModule.createInspector(
    {
      send: (event) => {
        const message = stringify(event) ?? "{}";
        messages.push(message);
        for (const client of sockets.clients) if (client.readyState === wsModule.WebSocket.OPEN) client.send(message);
      },
    },
    { sanitizeContext: summarise, autoStart: true },
  );
  const actualPort = (http.address() as AddressInfo).port;
  return {
    url: `http://localhost:${actualPort}`,
    inspect: (event) => inspector.inspect.next?.(event),
    browsers: () => sockets.clients.size,
    waitForBrowser: (ms) => {
      if (ms === undefined) return firstBrowser.then(() => true);
      let timer: NodeJS.Timeout | undefined;
      const elapsed = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      });
      return Promise.race([firstBrowser.then(() => true), elapsed]).finally(() => clearTimeout(timer));
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        http.close(() => resolve());
      }),
  };
}

/**
 * The page: the Stately inspector in an iframe, fed with this server's messages. The
 * inspector says when it is ready; messages that come before are held until then.
 */
function bridgePage(port: number): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>RubberDuck run · Stately Inspector</title>
  <style>* { margin: 0; padding: 0; } html, body { height: 100%; } iframe { width: 100%; height: 100%; border: none; }</style>
</head>
<body>
  <iframe id="inspector" src="https://stately.ai/inspect"></iframe>
  <script>
    const frame = document.getElementById("inspector");
    const held = [];
    let ready = false;
    window.addEventListener("message", (e) => {
      if (e.data && e.data.type === "@statelyai.connected") {
        ready = true;
        for (const event of held.splice(0)) frame.contentWindow.postMessage(event, "*");
      }
    });
    const socket = new WebSocket("ws://" + location.hostname + ":${Number(port)}");
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (ready) frame.contentWindow.postMessage(event, "*");
      else held.push(event);
    };
  </script>
</body>
</html>`;
}

/** A workflow actor's context, summarised; a step actor's is already small. */
function summarise(context: Record<string, unknown>): Record<string, unknown> {
  const ledger = context?.ledger as
    | { executionId: string; status: readonly string[]; plan: { steps: readonly { name: string }[] } }
    | undefined;
  if (ledger === undefined) return context;
  const steps: Record<string, string> = {};
  ledger.plan.steps.forEach((step, i) => {
    steps[step.name] = ledger.status[i]!;
  });
  return { executionId: ledger.executionId, steps };
}
