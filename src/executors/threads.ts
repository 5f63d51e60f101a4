/**
 * `@rubberduck/workflows/threads`: run CPU-bound steps on a pool of worker threads
 * (piscina, an optional peer dependency), with real parallelism and a hard stop.
 *
 * @example
 * import { threadExecutor } from "@rubberduck/workflows/threads";
 * const engine = createEngine({
 *   workflows: [codeAnalysis],
 *   executors: { threads: threadExecutor({ modules: [new URL("./code-analysis.ts", import.meta.url)] }) },
 * });
 */

import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { MessageChannel, type ResourceLimits } from "node:worker_threads";
import { Piscina } from "piscina";
import { deserializeError, type SerializedError, serializeError } from "../error-codec.js";
import { ErrorCode, ExecutorError, isWorkflowError } from "../errors.js";
import { type Executor, type ExecutorRequest, failureOf, type StepTaskResult, taskOf } from "./executor.js";
import { type ModuleRef, moduleUrls, READY } from "./step-host.js";
import type { ThreadTask } from "./thread-worker.js";

/**
 * Options of {@link threadExecutor}.
 *
 * @example
 * threadExecutor({ modules: ["./src/workflows.ts"], threads: 4, resourceLimits: { maxOldGenerationSizeMb: 512 } })
 */
export interface ThreadExecutorOptions {
  /**
   * The modules that define the workflows whose steps run here (paths or URLs): each
   * worker imports them and looks steps up by workflow name, version and step name.
   * TypeScript modules need tsx installed.
   */
  modules: readonly ModuleRef[];
  /** Worker threads in the pool (all started at once, and kept). @default the available cores */
  threads?: number;
  /**
   * Limits of each worker (`maxOldGenerationSizeMb`…): a step past them has its worker
   * end, and the attempt fails, retryably, with an ExecutorError.
   */
  resourceLimits?: ResourceLimits;
  /** The executor's name in errors. @default "threads" */
  name?: string;
}

/**
 * An executor on a pool of worker threads: a step over its `timeout`, or aborted and
 * still running past the workflow's `abortGrace`, has its worker terminated (the attempt
 * fails with its StepTimeoutError, or is cancelled) and replaced. `ctx.signal` is aborted
 * inside the worker as it would be in the engine's process. A worker that crashes (an
 * uncaught error, out of memory) fails only its attempt, with a retryable ExecutorError.
 * Inputs and outputs cross as JSON data; a value that is not fails the attempt with a
 * SerializationError naming its path.
 *
 * @example
 * const threads = threadExecutor({ modules: [new URL("./code-analysis.ts", import.meta.url)] });
 * const engine = createEngine({ workflows: [codeAnalysis], executors: { threads } });
 * await engine.execute(codeAnalysis, { file_paths });
 * await engine.close(); // closes the pool too
 */
export function threadExecutor(options: ThreadExecutorOptions): Executor & {
  /** Stop every worker (running steps are terminated). */
  close(): Promise<void>;
  /** The pool's size. */
  readonly threads: number;
  /**
   * Resolves once every worker has imported the modules (each thread loads them, and what
   * they import, once: a module that imports a large library pays for it per thread);
   * rejects with why a module could not be loaded. Attempts wait for it anyway.
   */
  ready(): Promise<void>;
} {
  const modules = moduleUrls(options.modules);
  const name = options.name ?? "threads";
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new TypeError(`Expected \`threads\` to be an integer >= 1, got ${JSON.stringify(options.threads)}`);
  }
  const pool = new Piscina<ThreadTask, StepTaskResult>({
    filename: workerFile(),
    minThreads: threads,
    maxThreads: threads,
    // Never retire an idle worker: starting one imports every module again.
    idleTimeout: Number.POSITIVE_INFINITY,
    // Workers keep their event loop between tasks (a step's timers, the abort port).
    atomics: "async",
    resourceLimits: options.resourceLimits,
    workerData: { modules, name },
  });
  let closed = false;
  let loaded = 0;
  const ready = new Promise<void>((resolve, reject) => {
    pool.on("message", (message: Record<string, unknown> | null) => {
      if (message?.[READY] === true && ++loaded === threads) resolve();
      if (message?.[READY] === false) reject(deserializeError(message.error as SerializedError));
    });
  });
  ready.catch(() => {});

  const run = async (request: ExecutorRequest): Promise<unknown> => {
    if (closed) throw new ExecutorError(request.step, name, "the executor is closed");
    const task = taskOf(request, name);
    const { signal } = request;
    if (signal.aborted) throw signal.reason;
    const channel = new MessageChannel();
    const terminate = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      channel.port1.postMessage(serializeError(signal.reason));
      // A timeout stops the code at once; anything else gets the workflow's grace first.
      const grace = isTimeout(signal.reason) ? 0 : request.abortGrace;
      if (grace === 0) terminate.abort(signal.reason);
      else timer = setTimeout(() => terminate.abort(signal.reason), grace);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    let result: StepTaskResult;
    try {
      result = await pool.run(
        { task, port: channel.port2 },
        { signal: terminate.signal, transferList: [channel.port2] as never },
      );
    } catch (error) {
      if (terminate.signal.aborted) throw signal.reason;
      // The worker itself failed (the task never throws): it crashed or ran out of memory.
      // Piscina replaces it.
      const why = error instanceof Error ? error.message : String(error);
      throw new ExecutorError(request.step, name, `its worker thread ended: ${why}`, error);
    } finally {
      signal.removeEventListener("abort", onAbort);
      if (timer !== undefined) clearTimeout(timer);
      channel.port1.close();
    }
    if (result.ok) return result.output;
    throw failureOf(result);
  };

  return {
    run,
    threads,
    ready: () => {
      // Idle workers do not keep the process alive: whoever waits here does, until it settles.
      const alive = setInterval(() => {}, 60_000);
      return ready.finally(() => clearInterval(alive));
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.destroy();
    },
  };
}

const isTimeout = (reason: unknown) => isWorkflowError(reason) && reason.code === ErrorCode.STEP_TIMEOUT;

/**
 * The worker's entry: the compiled module beside this one, or, running from the
 * TypeScript sources (tests, examples under tsx), a bootstrap that registers tsx first.
 */
function workerFile(): string {
  const compiled = new URL("./thread-worker.js", import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return compiled.href;
  return new URL("./source-worker.mjs", import.meta.url).href;
}
