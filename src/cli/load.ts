/**
 * Loading workflows from a user's module (TypeScript through tsx, or JavaScript).
 * A module offers every exported workflow definition, and may export `defaultInput`
 * (the input used when `--input` is not given).
 */

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type AnyWorkflow, isWorkflow } from "../index.js";
import { CliError } from "./cli-error.js";

export interface LoadedModule {
  readonly file: string;
  readonly workflows: readonly AnyWorkflow[];
  readonly defaultInput: unknown;
}

/** Import a workflow module; every export that is a workflow definition counts. */
export async function loadModule(file: string): Promise<LoadedModule> {
  const path = resolve(file);
  if (!existsSync(path))
    throw new CliError(`No such file: ${file}.`, "Give the path of a .ts or .js module that exports workflows.");
  let exports: Record<string, unknown>;
  try {
    const url = pathToFileURL(path).href;
    // TypeScript through tsx as ESM, whatever the surrounding package.json says (a
    // project without "type": "module" would otherwise compile it as CommonJS).
    exports = /\.[cm]?tsx?$/.test(path)
      ? ((await (await typeScriptLoader(file)).tsImport(url, import.meta.url)) as Record<string, unknown>)
      : ((await import(url)) as Record<string, unknown>);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      `Could not load ${file}: ${error instanceof Error ? error.message : String(error)}`,
      undefined,
      error,
    );
  }
  const workflows: AnyWorkflow[] = [];
  for (const value of Object.values(exports)) {
    if (isWorkflow(value) && !workflows.includes(value)) workflows.push(value);
  }
  if (workflows.length === 0) {
    throw new CliError(
      `${file} exports no workflow.`,
      'Export the definitions built with workflow(…), e.g. `export const myWorkflow = workflow("name")…`.',
    );
  }
  return { file, workflows, defaultInput: exports.defaultInput };
}

/**
 * tsx, which loads TypeScript modules: an optional peer dependency (an app importing
 * the library never needs it), so its absence is one clear sentence.
 */
async function typeScriptLoader(file: string): Promise<typeof import("tsx/esm/api")> {
  try {
    return await import("tsx/esm/api");
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw error;
    throw new CliError(
      `Loading ${file} needs tsx, which compiles TypeScript on the fly, and it is not installed.`,
      "Install it (npm install --save-dev tsx), or run the compiled .js module.",
    );
  }
}

/** Pick the workflow to run: by name, or the only one. */
export function pickWorkflow(loaded: LoadedModule, name: string | undefined): AnyWorkflow {
  const names = loaded.workflows.map((wf) => wf.name);
  if (name === undefined) {
    if (loaded.workflows.length === 1) return loaded.workflows[0]!;
    throw new CliError(
      `${loaded.file} exports ${loaded.workflows.length} workflows (${names.join(", ")}).`,
      "Choose one with --workflow NAME.",
    );
  }
  const found = loaded.workflows.find((wf) => wf.name === name);
  if (found === undefined) {
    throw new CliError(`${loaded.file} has no workflow named \`${name}\`.`, `It exports: ${names.join(", ")}.`);
  }
  return found;
}
