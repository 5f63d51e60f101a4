/**
 * Loads one runner's module only, so a series of the plain Promise graph or of
 * p-graph does not import the engine's sources (and keeps working while they are
 * being edited).
 */

import type { Runner, RunnerName } from "./types.js";

export async function loadRunner(name: RunnerName): Promise<Runner> {
  switch (name) {
    case "engine":
      return (await import("./engine.js")).createRunner();
    case "plain":
      return (await import("./plain.js")).createRunner();
    case "p-graph":
      return (await import("./p-graph.js")).createRunner();
  }
}
