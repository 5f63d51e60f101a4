/**
 * One engine process of the durable benchmark: on a Postgres store (URL, schema), runs
 * COUNT executions of the 3-step workflow with IN_FLIGHT in flight once told "go" on
 * stdin; prints "ready" before, "done" after.
 *
 *   node --import tsx bench/durable-engine.ts URL SCHEMA COUNT IN_FLIGHT
 */
import { createEngine } from "../src/index.js";
import { postgresStore } from "../src/store/postgres-store.js";
import { three } from "./durable-workflows.js";

const [url, schema, countText, inFlightText] = process.argv.slice(2) as [string, string, string, string];
const count = Number(countText);
const store = postgresStore({ connectionString: url, schema, max: 8 });
const engine = createEngine({ workflows: [three], store, historyLimit: 10 });
// Warm the pool and the code paths before the clock starts.
await engine.execute(three, { n: -1 });
process.stdout.write("ready\n");
await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));
let next = 0;
const lane = async () => {
  while (next < count) {
    next++;
    const result = await engine.execute(three, { n: next });
    if (result.status !== "succeeded") throw new Error(`three ${result.status}`);
  }
};
await Promise.all(Array.from({ length: Number(inFlightText) }, lane));
process.stdout.write("done\n");
await engine.close();
await store.close();
process.exit(0);
