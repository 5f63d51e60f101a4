/**
 * The run of test/fixtures/traces/cut-short.jsonl: a step times out and is retried
 * while a long one runs beside it. The fixture is the trace up to the retry's
 * success, as if the process had been killed then (no `result` line):
 *
 *   node bin/rubberduck.js run test/trace-viewer/workflows/nightly-import.ts --trace-file /tmp/full.jsonl
 *   n=$(grep -n '"step.succeeded".*"unpack_users"' /tmp/full.jsonl | cut -d: -f1)
 *   head -n $((n + 1)) /tmp/full.jsonl > test/fixtures/traces/cut-short.jsonl
 */
import { workflow } from "../../../src/index.js";
import { sleep } from "./sleep.js";

export const defaultInput = { n: 1 };

let unpacked = 0;

export const nightlyImport = workflow<{ n: number }>("nightly_import", {
  version: "2.0.0",
  description: "Download last night's export, unpack it and load it into the warehouse",
})
  .step("download", {
    inputs: ["n"],
    outputs: ["archive"],
    run: async () => {
      await sleep(40);
      return { archive: "export.tgz" };
    },
  })
  .step("unpack_users", {
    inputs: ["archive"],
    outputs: ["users"],
    retry: { maxAttempts: 2, baseDelay: 60, jitter: false },
    timeout: 100,
    run: async (_input, ctx) => {
      unpacked++;
      await sleep(unpacked === 1 ? 150 : 50, ctx.signal);
      return { users: 1 };
    },
  })
  .step("unpack_orders", {
    inputs: ["archive"],
    outputs: ["orders"],
    run: async () => {
      await sleep(400);
      return { orders: 1 };
    },
  })
  .step("load", {
    inputs: ["users", "orders"],
    outputs: ["loaded"],
    run: async () => {
      await sleep(30);
      return { loaded: true };
    },
  });
