import { describe } from "../errors.js";

/**
 * Say that code the engine calls but does not own threw, in one template:
 * `A telemetry backend threw on step.started: …`. A process warning, never an error.
 */
export function warnAdapter(who: string, during: string, error: unknown, type = "RubberDuckAdapterWarning"): void {
  process.emitWarning(`${who} threw ${during}: ${describe(error)}`, type);
}
