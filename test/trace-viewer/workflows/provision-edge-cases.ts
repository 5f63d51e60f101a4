/**
 * The run of test/fixtures/traces/edge-cases.jsonl: names that need escaping, a
 * sub-workflow (its events carry a `path`), a step cancelled in flight, and a
 * compensation that fails, is retried twice, and fails for good. Regenerate with
 *
 *   node bin/rubberduck.js run test/trace-viewer/workflows/provision-edge-cases.ts \
 *     --trace-file test/fixtures/traces/edge-cases.jsonl
 */
import { workflow } from "../../../src/index.js";
import { sleep } from "./sleep.js";

export const defaultInput = { env: "staging" };

const createDatabase = workflow<{ env: string }>("create_database")
  .step("allocate_volume", {
    inputs: ["env"],
    outputs: ["volume"],
    run: async ({ env }) => {
      await sleep(30);
      return { volume: `${env}-vol` };
    },
    compensate: () => sleep(10),
  })
  .step("start_database", {
    inputs: ["volume"],
    outputs: ["db_url"],
    run: async ({ volume }) => {
      await sleep(50);
      return { db_url: `postgres://${volume}` };
    },
    compensate: () => sleep(15),
  });

export const provision = workflow<{ env: string }>(`provision <env> & "friends"`, { version: "0.3.0-beta.1" })
  .step(`create "network" <vpc>`, {
    inputs: ["env"],
    outputs: ["network"],
    retry: { maxAttempts: 3, baseDelay: 40, jitter: false },
    run: async ({ env }) => {
      await sleep(25);
      return { network: `${env}-net` };
    },
    compensate: async () => {
      await sleep(20);
      throw new Error("cannot delete network: 2 endpoints still attached <eni-1 & eni-2>");
    },
  })
  .step("database", {
    dependsOn: [`create "network" <vpc>`],
    inputs: ["env"],
    outputs: ["db_url"],
    workflow: createDatabase,
  })
  .step("warm <cache> & 'cdn'", {
    inputs: ["network"],
    outputs: ["warmed"],
    run: async (_input, ctx) => {
      await sleep(400, ctx.signal);
      return { warmed: true };
    },
  })
  .step("deploy_app", {
    inputs: ["network", "db_url"],
    outputs: ["app_url"],
    timeout: 80,
    run: async (_input, ctx) => {
      await sleep(500, ctx.signal);
      return { app_url: "https://staging.example.com" };
    },
  });
