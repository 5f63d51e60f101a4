/**
 * Every registered version of every workflow. `get(name)` is the latest by semver,
 * `get(name, version)` an exact one. Registering validates the definition (all
 * problems at once); registering the same version again is a no-op when the
 * definition is the same and an error when it differs.
 */

import semver from "semver";
import type { AnyWorkflow } from "../dsl/workflow.js";
import { WorkflowNotFoundError, WorkflowVersionConflictError } from "../errors.js";
import { plan } from "../planner/plan.js";
import { fingerprint } from "./fingerprint.js";

/**
 * One line of `registry.list()`.
 *
 * @example
 * for (const { name, version, steps } of engine.registry.list()) console.log(`${name}@${version}: ${steps} steps`);
 */
export interface RegisteredWorkflow {
  readonly name: string;
  readonly version: string;
  readonly description: string | undefined;
  readonly tags: readonly string[];
  readonly steps: number;
}

/**
 * The workflows an engine knows, every version of each: `engine.registry`.
 *
 * @example
 * engine.registry.has("code_analysis", "1.0.0"); // true
 * const latest = engine.registry.get("code_analysis");
 */
export class WorkflowRegistry {
  readonly #byName = new Map<string, Map<string, AnyWorkflow>>();

  /**
   * Add a workflow version.
   * @throws {WorkflowDefinitionError} if the definition is invalid.
   * @throws {WorkflowVersionConflictError} if this version is registered with a different definition.
   */
  register(wf: AnyWorkflow): void {
    plan(wf);
    let versions = this.#byName.get(wf.name);
    if (versions === undefined) {
      versions = new Map();
      this.#byName.set(wf.name, versions);
    }
    const existing = versions.get(wf.version);
    if (existing !== undefined && existing !== wf && fingerprint(existing) !== fingerprint(wf)) {
      throw new WorkflowVersionConflictError(wf.name, wf.version);
    }
    if (existing === undefined) versions.set(wf.version, wf);
  }

  /**
   * The latest version of `name` (by semver), or exactly `version`.
   * @throws {WorkflowNotFoundError}
   */
  get(name: string, version?: string): AnyWorkflow {
    const versions = this.#byName.get(name);
    const found = versions === undefined ? undefined : version === undefined ? latest(versions) : versions.get(version);
    if (found === undefined) throw new WorkflowNotFoundError(name, version);
    return found;
  }

  has(name: string, version?: string): boolean {
    const versions = this.#byName.get(name);
    return versions !== undefined && (version === undefined || versions.has(version));
  }

  /** Every registered version, by name then newest version first. */
  list(): RegisteredWorkflow[] {
    const rows: RegisteredWorkflow[] = [];
    for (const name of [...this.#byName.keys()].sort()) {
      const versions = [...this.#byName.get(name)!.values()].sort((a, b) => semver.rcompare(a.version, b.version));
      for (const wf of versions) {
        rows.push({
          name,
          version: wf.version,
          description: wf.options.description,
          tags: wf.options.tags ?? [],
          steps: wf.steps.length,
        });
      }
    }
    return rows;
  }
}

function latest(versions: Map<string, AnyWorkflow>): AnyWorkflow | undefined {
  let best: AnyWorkflow | undefined;
  for (const wf of versions.values()) {
    if (best === undefined || semver.gt(wf.version, best.version)) best = wf;
  }
  return best;
}
