/**
 * A text that is equal for two definitions that would behave the same: options,
 * step structure, and the source text of every function. Used to tell a harmless
 * re-registration (e.g. a module loaded twice) from a conflicting one.
 */

import type { AnyWorkflow } from "../dsl/workflow.js";

const cache = new WeakMap<AnyWorkflow, string>();

export function fingerprint(wf: AnyWorkflow): string {
  let text = cache.get(wf);
  if (text === undefined) {
    text = JSON.stringify({ name: wf.name, options: wf.options, steps: wf.steps.map((s) => s.raw) }, (_key, value) =>
      typeof value === "function" ? `fn:${value.toString()}` : value,
    );
    cache.set(wf, text);
  }
  return text;
}
