/**
 * @rubberduck/workflows/studio — a live local web UI over an engine's executions: the
 * list (filtered, live), each execution's DAG, timeline, event log, steps and step
 * statecharts, the registered workflows with their diagrams, and the actions cancel,
 * resume and run again. What `rubberduck studio` serves. Needs `hono`,
 * `@hono/node-server`, `preact` and `htm` installed (optional peers).
 *
 * @example
 * import { startStudio } from "@rubberduck/workflows/studio";
 * const studio = await startStudio({ engine }); // engine = createEngine({ store: sqliteStore("runs.db"), workflows })
 * console.log(studio.url); // http://127.0.0.1:4280/
 */

export type { Studio, StudioOptions } from "./server.js";
export { StudioOptionsError, startStudio } from "./server.js";
