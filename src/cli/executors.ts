/**
 * The executors a CLI engine gives the steps that name one: `threads` is a worker-thread
 * pool over the module itself; with `--redis`, every named executor is the BullMQ queue
 * (`--queue`) that `rubberduck worker` processes take jobs from. Each integration is
 * imported only when a step needs it.
 */

import { type AnyWorkflow, type Executor, inProcessExecutor } from "../index.js";
import { CliError } from "./cli-error.js";

export interface ExecutorFlags {
  redis?: string;
  queue?: string;
  /** Run every step in this process, whatever executor it names. */
  inProcess?: boolean;
}

/** The default queue of `--redis` without `--queue`. */
export const DEFAULT_QUEUE = "rubberduck";

/** The executor names the workflows' steps use (sub-workflows' steps included). */
export function executorNames(workflows: readonly AnyWorkflow[]): Set<string> {
  const names = new Set<string>();
  const visit = (wf: { steps: readonly { executor: string | undefined; workflow?: unknown }[] }) => {
    for (const step of wf.steps) {
      if (step.executor !== undefined) names.add(step.executor);
      if (step.workflow !== undefined) visit(step.workflow as AnyWorkflow);
    }
  };
  for (const wf of workflows) visit(wf);
  return names;
}

/** The engine's `executors` for `workflows` loaded from `file`, or undefined when no step names one. */
export async function executorsFor(
  workflows: readonly AnyWorkflow[],
  file: string,
  flags: ExecutorFlags,
): Promise<Record<string, Executor> | undefined> {
  const names = executorNames(workflows);
  if (names.size === 0) return undefined;
  if (flags.inProcess === true) {
    const local = inProcessExecutor();
    return Object.fromEntries([...names].map((name) => [name, local]));
  }
  if (flags.redis !== undefined) {
    const { bullmqExecutor } = await integration(() => import("../executors/bullmq.js"), "bullmq@5", "--redis");
    const remote = bullmqExecutor({ connection: flags.redis, queue: flags.queue ?? DEFAULT_QUEUE });
    return Object.fromEntries([...names].map((name) => [name, remote]));
  }
  if (!names.has("threads")) return undefined;
  const { threadExecutor } = await integration(() => import("../executors/threads.js"), "piscina@5", "threads");
  const threads = threadExecutor({ modules: [file] });
  // The run starts on a warm pool; what starting it costs is said apart.
  const began = performance.now();
  await threads.ready().catch(async (error: unknown) => {
    await threads.close();
    throw new CliError(`The worker threads could not load ${file}: ${(error as Error).message}`, undefined, error);
  });
  process.stderr.write(
    `Started ${threads.threads} worker threads for the steps on "threads" in ${Math.round(performance.now() - began)} ms\n`,
  );
  return { threads };
}

async function integration<T>(load: () => Promise<T>, install: string, what: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw new CliError(
      `${what} needs the ${install.split("@")[0]} package: ${(error as Error).message}`,
      `npm install ${install}`,
    );
  }
}
