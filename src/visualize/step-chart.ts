/**
 * The step actor's chart (`stepStates`: state → event → next states) as a Mermaid
 * `stateDiagram-v2`. One arrow per pair of states, labelled with every event that
 * takes it; a step actor starts `idle`, and its START leads to `running` (to run
 * the step) or `compensating` (to roll it back); states with no way out are final.
 */

import { type StepState, stepStates } from "../../machines/step-chart.js";

type Chart = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

const ENTRIES: readonly (readonly [StepState, string])[] = [["idle", "created"]];

/**
 * Draw the step actor's states and transitions as a Mermaid state diagram.
 *
 * @example
 * stepMachineMermaid();
 * // stateDiagram-v2
 * //   [*] --> idle : created
 * //   idle --> running : START
 * //   running --> succeeded : SETTLED
 * //   running --> retrying : SETTLED / TIMEOUT
 * //   …
 * //   succeeded --> [*]
 */
export function stepMachineMermaid(): string {
  const chart: Chart = stepStates;
  const lines = ["stateDiagram-v2"];
  for (const [state, label] of ENTRIES) lines.push(`  [*] --> ${state} : ${label}`);
  const finals: string[] = [];
  for (const [state, events] of Object.entries(chart)) {
    // Group the events by target, keeping the chart's order of both.
    const byTarget = new Map<string, string[]>();
    for (const [event, targets] of Object.entries(events)) {
      for (const target of targets) (byTarget.get(target) ?? byTarget.set(target, []).get(target)!).push(event);
    }
    if (byTarget.size === 0) finals.push(state);
    for (const [target, via] of byTarget) lines.push(`  ${state} --> ${target} : ${via.join(" / ")}`);
  }
  for (const state of finals) lines.push(`  ${state} --> [*]`);
  return `${lines.join("\n")}\n`;
}
