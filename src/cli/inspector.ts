/**
 * `rubberduck run --inspect`: a Stately inspector server on loopback (from
 * `@statelyai/inspect/server`), and a WebSocket inspector connecting the execution's
 * actors to it. Open the printed URL: it embeds the Stately inspector, which shows the
 * workflow actor and every step actor. Contexts are summarised (a workflow actor's
 * context holds every output, too much to send on every transition).
 */

import type { InspectionEvent } from "xstate";
import { CliError } from "./cli-error.js";

export interface InspectorConnection {
  readonly url: string;
  readonly inspect: (event: InspectionEvent) => void;
  stop(): void;
}

export async function startInspector(port: number): Promise<InspectorConnection> {
  let server: typeof import("@statelyai/inspect/server");
  let client: typeof import("@statelyai/inspect");
  try {
    server = await import("@statelyai/inspect/server");
    client = await import("@statelyai/inspect");
  } catch {
    throw new CliError("--inspect needs the @statelyai/inspect package.", "Install it: npm install @statelyai/inspect");
  }
  const bridge = server.createInspectorServer({ port, autoOpen: false });
  const inspector = client.createWebSocketInspector({
    url: `ws://127.0.0.1:${port}`,
    maxDeferredEvents: 100_000,
    sanitizeContext: summarise,
  });
  return {
    url: `http://localhost:${port}`,
    inspect: (event) => inspector.inspect.next?.(event),
    stop: () => {
      inspector.stop();
      bridge.stop();
    },
  };
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
