/**
 * The worker side of an executor: import the workflow modules, look steps up by workflow
 * name, version and step name (as Temporal workers do), and run one task with a `ctx`
 * rebuilt from it. Used by the thread pool's workers and by BullMQ workers.
 */

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { freeze } from "immer";
import type { StepContext, StepDefinition } from "../dsl/step.js";
import { isWorkflow } from "../dsl/workflow.js";
import { ExecutorError, SerializationError, StepOutputError } from "../errors.js";
import { findNonJson } from "../util/json-data.js";
import { type StepTask, TaskResults } from "./executor.js";

/** A module to import: a path, a `file:` URL string, or a URL. */
export type ModuleRef = string | URL;

/** The modules as URLs (`href`s), which cross to a thread or a process as they are. */
export function moduleUrls(modules: readonly ModuleRef[]): string[] {
  if (!Array.isArray(modules) || modules.length === 0) {
    throw new TypeError("Expected `modules` to list the workflow modules a worker imports (paths or URLs)");
  }
  return modules.map((module) => {
    if (module instanceof URL) return module.href;
    if (typeof module === "string" && module.length > 0) {
      return /^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)
        ? module
        : pathToFileURL(resolve(module)).href;
    }
    throw new TypeError(`Expected a module path or URL, got ${JSON.stringify(module)}`);
  });
}

/** The key of the message a worker thread sends its pool once it has imported the modules. */
export const READY = "rubberduck:ready";

const TYPESCRIPT = /\.[cm]?tsx?$/;
const TSX = Symbol.for("@rubberduck/workflows/tsx-registered");

/** Load TypeScript modules through tsx (an optional peer), registered once per thread. */
async function allowTypeScript(): Promise<void> {
  const global = globalThis as Record<symbol, unknown>;
  if (global[TSX] === true) return;
  let api: typeof import("tsx/esm/api");
  try {
    api = await import("tsx/esm/api");
  } catch (error) {
    throw new Error("A worker imports a TypeScript module: install tsx (`npm install tsx`), or give it JavaScript", {
      cause: error,
    });
  }
  api.register();
  global[TSX] = true;
}

/** Mark this thread as having tsx registered (a bootstrap that registered it first). */
export function typeScriptRegistered(): void {
  (globalThis as Record<symbol, unknown>)[TSX] = true;
}

export class StepHost {
  readonly #steps: ReadonlyMap<string, StepDefinition>;
  readonly #executor: string;
  readonly #modules: readonly string[];

  private constructor(steps: ReadonlyMap<string, StepDefinition>, executor: string, modules: readonly string[]) {
    this.#steps = steps;
    this.#executor = executor;
    this.#modules = modules;
  }

  /** Import `modules` (URLs) and index every step of every workflow they export, sub-workflows included. */
  static async load(modules: readonly string[], executor: string): Promise<StepHost> {
    if (modules.some((url) => TYPESCRIPT.test(new URL(url).pathname))) await allowTypeScript();
    const steps = new Map<string, StepDefinition>();
    const index = (wf: { name: string; version: string; steps: readonly StepDefinition[] }) => {
      for (const step of wf.steps) {
        const key = keyOf(wf.name, wf.version, step.name);
        if (steps.has(key)) continue;
        steps.set(key, step);
        if (step.workflow !== undefined) index(step.workflow);
      }
    };
    for (const url of modules) {
      const exports = (await import(url)) as Record<string, unknown>;
      for (const value of Object.values(exports)) if (isWorkflow(value)) index(value);
    }
    return new StepHost(steps, executor, modules);
  }

  /** The names (`workflow@version/step`) of the steps it can run. */
  get steps(): string[] {
    return [...this.#steps.keys()];
  }

  /**
   * Run one task: the step's code with a `ctx` whose signal is `signal`; resolves with its
   * declared outputs, checked to cross back as JSON.
   */
  async run(task: StepTask, signal: AbortSignal): Promise<Readonly<Record<string, unknown>>> {
    const step = this.#steps.get(keyOf(task.workflow, task.version, task.step));
    if (step?.run === undefined) {
      throw new ExecutorError(
        task.step,
        this.#executor,
        `its worker's modules (${this.#modules.map(shortName).join(", ")}) define no workflow \`${task.workflow}\` ` +
          `version ${task.version} with a step \`${task.step}\` to run`,
      );
    }
    if (signal.aborted) throw signal.reason;
    // Frozen, as in the engine's process: a step cannot change what it was given.
    const value: unknown = await step.run(freeze(task.input, true), contextOf(task, signal));
    // Only the declared outputs cross back; the engine checks them again as it does for any step.
    const declared = task.outputs;
    if (declared.length === 0) return {};
    const source = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
    const missing = source === undefined ? [...declared] : declared.filter((key) => !Object.hasOwn(source, key));
    if (missing.length > 0) throw new StepOutputError(task.step, missing);
    const output: Record<string, unknown> = {};
    for (const key of declared) output[key] = source![key];
    const bad = findNonJson(output, "output");
    if (bad !== undefined) throw new SerializationError(task.step, bad.path, bad.found, `executor "${this.#executor}"`);
    return output;
  }
}

const keyOf = (workflow: string, version: string, step: string) => `${workflow}@${version}/${step}`;
const shortName = (url: string) => url.slice(url.lastIndexOf("/") + 1);

/** The `ctx` of a remote attempt: the task's fields, `signal`, and the dependencies' results. */
function contextOf(task: StepTask, signal: AbortSignal): StepContext {
  const { input: _input, outputs: _outputs, results, deadline: _deadline, ...fields } = task;
  const plain = {
    ...fields,
    workflowInput: freeze(task.workflowInput, true),
    metadata: freeze(task.metadata, true),
  };
  return Object.freeze({
    ...plain,
    signal,
    results: new TaskResults(freeze(results, true)),
    toJSON: () => plain,
  });
}
