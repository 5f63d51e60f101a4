/**
 * `@rubberduck/workflows/bullmq`: steps as BullMQ jobs, for workers on any number of
 * machines (bullmq is an optional peer dependency). The engine keeps the orchestration
 * and the lease on the execution; each job carries one attempt of one step (BullMQ's own
 * retries off: the step's retry policy is the only one).
 *
 * @example
 * // the orchestrating engine
 * const engine = createEngine({ workflows: [codeAnalysis], executors: { remote: bullmqExecutor({ connection: "redis://127.0.0.1:6379", queue: "steps" }) } });
 * // each worker machine (or `rubberduck worker examples/code-analysis.ts --redis redis://127.0.0.1:6379 --queue steps`)
 * await createWorker({ connection: "redis://127.0.0.1:6379", queue: "steps", modules: ["./examples/code-analysis.ts"] });
 */

import { randomUUID } from "node:crypto";
import { type ConnectionOptions, Job, type KeepJobs, Queue, QueueEvents, Worker } from "bullmq";
import { deserializeError, type SerializedError, serializeError } from "../error-codec.js";
import { describe, ErrorCode, ExecutorError, isWorkflowError } from "../errors.js";
import { warnAdapter } from "../util/warn-adapter.js";
import {
  type Executor,
  type ExecutorRequest,
  failed,
  failureOf,
  type StepTask,
  type StepTaskResult,
  taskOf,
} from "./executor.js";
import { type ModuleRef, moduleUrls, StepHost } from "./step-host.js";

/**
 * Where Redis is: a `redis://` URL, or BullMQ's connection options (an ioredis instance, host and port…).
 *
 * @example
 * const connection: RedisConnection = process.env.REDIS_URL ?? { host: "127.0.0.1", port: 6379 };
 */
export type RedisConnection = string | ConnectionOptions;

/**
 * Options of {@link bullmqExecutor}.
 *
 * @example
 * bullmqExecutor({ connection: { host: "10.0.0.5", port: 6379 }, queue: "steps", retention: { completed: { age: 600, count: 5000 } } })
 */
export interface BullmqExecutorOptions {
  connection: RedisConnection;
  /** The queue's name: the workers of `createWorker` (or `rubberduck worker --queue`) take its jobs. */
  queue: string;
  /** BullMQ's key prefix. @default "bull" */
  prefix?: string;
  /**
   * How long finished jobs stay in Redis (BullMQ's `removeOnComplete` / `removeOnFail`):
   * an engine resumed after a crash adopts the result of the attempt it left running
   * while the job is kept. @default completed: 1 hour and at most 10,000; failed: 1 day and at most 10,000
   */
  retention?: { completed?: KeepJobs; failed?: KeepJobs };
  /** The executor's name in errors. @default "bullmq" */
  name?: string;
}

/** What one abort message says: which job, and why (the reason's serialised error). */
interface AbortMessage {
  readonly jobId: string;
  readonly reason: SerializedError;
}

/** A channel of ours beside BullMQ's keys: aborts of running jobs, published by engines, heard by workers. */
const abortChannel = (prefix: string, queue: string) => `${prefix}:${queue}:rubberduck:abort`;

/**
 * The job id of one attempt: stable, so that a job added twice is added once and an
 * engine resumed after a crash finds the attempt it left (BullMQ refuses `:` in ids).
 *
 * @example
 * const job = await Job.fromId(queue, jobIdOf(run.id, "parse_files", 1)); // the job of its first attempt
 */
export function jobIdOf(executionId: string, step: string, attempt: number): string {
  const part = (text: string) => encodeURIComponent(text).replaceAll(".", "%2E");
  return `${part(executionId)}.${part(step)}.${attempt}`;
}

/**
 * BullMQ's connection options of a `redis://` URL (or the options as given).
 *
 * @example
 * new Queue("steps", { connection: connectionOf("redis://:secret@10.0.0.5:6380/2") }); // host, port, password, db
 */
export function connectionOf(connection: RedisConnection): ConnectionOptions {
  if (typeof connection !== "string") return connection;
  let url: URL;
  try {
    url = new URL(connection);
  } catch {
    throw new TypeError(`Expected a redis:// URL, got ${JSON.stringify(connection)}`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new TypeError(`Expected a redis:// or rediss:// URL, got ${JSON.stringify(connection)}`);
  }
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined;
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1",
    port: url.port === "" ? 6379 : Number(url.port),
    ...(url.username === "" ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === "" ? {} : { password: decodeURIComponent(url.password) }),
    ...(db === undefined || Number.isNaN(db) ? {} : { db }),
    ...(url.protocol === "rediss:" ? { tls: {} } : {}),
  };
}

interface Publisher {
  publish(channel: string, message: string): Promise<unknown>;
}

interface RedisKeys {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ex: "EX", seconds: number): Promise<unknown>;
}

/** An outcome of a step stopped because its engine was going away: not one to adopt. */
function stoppedByEngine(result: StepTaskResult): boolean {
  return !result.ok && result.error.code === ErrorCode.STEP_ABORTED;
}

interface Pending {
  resolve(result: StepTaskResult): void;
  reject(error: unknown): void;
  /** When it was registered (ms, performance clock): a job not heard of for long is looked up. */
  readonly since: number;
  readonly step: string;
  /** BullMQ kept an earlier job under this id: add this attempt's under another. */
  onDuplicate?: (() => void) | undefined;
}

/** How long a job may go without its event before the executor looks it up itself. */
const SWEEP_MS = 2_000;

/**
 * An executor that runs each attempt as a BullMQ job on `queue`: the job id comes from the
 * execution, the step and the attempt; BullMQ's attempts are 1 (the step's retry policy
 * is the only one); finished jobs are removed after `retention`. Results come back through
 * BullMQ's queue events. An abort (a cancel, the step's timeout, the workflow's halt)
 * removes a job still waiting and reaches a running one's worker, whose `ctx.signal`
 * aborts. A worker that dies mid-job leaves a stalled job that another worker runs again
 * (at least once, with the same `ctx.idempotencyKey`); a job that BullMQ fails (stalled
 * too often) fails its attempt with a retryable ExecutorError. An engine resumed after a
 * crash adopts the job of the attempt it left running, instead of running it again.
 *
 * @example
 * const remote = bullmqExecutor({ connection: "redis://127.0.0.1:6379", queue: "steps" });
 * const engine = createEngine({ workflows: [codeAnalysis], store: sqliteStore("runs.db"), executors: { remote } });
 */
export function bullmqExecutor(options: BullmqExecutorOptions): Executor & {
  /** Close the queue's connections (jobs already added stay in Redis for the workers). */
  close(): Promise<void>;
} {
  const name = options.name ?? "bullmq";
  const prefix = options.prefix ?? "bull";
  const connection = connectionOf(options.connection);
  const queueName = requireName(options.queue);
  const retention = {
    removeOnComplete: options.retention?.completed ?? { age: 3_600, count: 10_000 },
    removeOnFail: options.retention?.failed ?? { age: 86_400, count: 10_000 },
  };
  const queue = new Queue(queueName, { connection, prefix });
  const events = new QueueEvents(queueName, { connection, prefix });
  const channel = abortChannel(prefix, queueName);
  const pending = new Map<string, Pending>();
  let closed = false;
  // Connection errors (Redis down…) are the attempts' to report: say it once, keep the process alive.
  const quiet = warnOnce("The bullmq executor's");
  queue.on("error", quiet("queue"));
  events.on("error", quiet("queue events"));
  // Both connections settled (closing one still connecting leaves a rejection inside BullMQ unhandled).
  const connected = Promise.allSettled([queue.waitUntilReady(), events.waitUntilReady()]);
  const ready = connected.then((outcomes) => {
    for (const outcome of outcomes) if (outcome.status === "rejected") throw outcome.reason;
  });
  ready.catch(() => {});

  const settle = (jobId: string, outcome: { result: StepTaskResult } | { error: unknown }) => {
    const waiting = pending.get(jobId);
    if (waiting === undefined) return;
    pending.delete(jobId);
    if ("result" in outcome) waiting.resolve(outcome.result);
    else waiting.reject(outcome.error);
  };
  events.on("completed", ({ jobId, returnvalue }) => {
    settle(jobId, { result: returnvalue as unknown as StepTaskResult });
  });
  (events as unknown as { on(event: "duplicated", listener: (args: { jobId: string }) => void): void }).on(
    "duplicated",
    ({ jobId }) => pending.get(jobId)?.onDuplicate?.(),
  );
  events.on("failed", ({ jobId, failedReason }) => {
    const step = pending.get(jobId)?.step ?? "?";
    settle(jobId, { error: new ExecutorError(step, name, `its job ${jobId} failed: ${failedReason}`) });
  });

  /** Look up jobs not heard of for a while (an event missed, a job removed): settle them from Redis. */
  const sweep = async () => {
    const now = performance.now();
    for (const [jobId, waiting] of [...pending]) {
      if (now - waiting.since < SWEEP_MS) continue;
      const found = await lookUp(jobId).catch(() => undefined);
      if (found === "missing") {
        settle(jobId, { error: new ExecutorError(waiting.step, name, `its job ${jobId} is gone from Redis`) });
      } else if (found !== undefined && found !== "running") {
        settle(jobId, found);
      }
    }
  };
  let sweeping = false;
  const sweeper = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    void sweep()
      .catch(() => {})
      .finally(() => {
        sweeping = false;
      });
  }, SWEEP_MS);
  sweeper.unref();

  /** Where job `jobId` is: running (or waiting), finished (its outcome), or missing. */
  const lookUp = async (
    jobId: string,
  ): Promise<"running" | "missing" | { result: StepTaskResult } | { error: unknown } | undefined> => {
    const job = await Job.fromId<StepTask, StepTaskResult>(queue, jobId);
    if (job === undefined) return "missing";
    const state = await job.getState();
    if (state === "completed") return { result: job.returnvalue };
    if (state === "failed")
      return { error: new ExecutorError(job.data.step, name, `its job ${jobId} failed: ${job.failedReason}`) };
    return state === "unknown" ? "missing" : "running";
  };

  const await_ = (jobId: string, step: string) => {
    const promise = new Promise<StepTaskResult>((resolve, reject) => {
      pending.set(jobId, { resolve, reject, since: performance.now(), step });
    });
    // Whoever awaits it may have left already (an error before its await): never unhandled.
    promise.catch(() => {});
    return promise;
  };

  /** Redis is a dependency of the attempt: what it throws loses the attempt, retryably. */
  const redisCall = <T>(step: string, what: string, call: () => Promise<T>): Promise<T> =>
    call().catch((error: unknown) => {
      throw new ExecutorError(step, name, `${what}: ${describe(error)}`, error);
    });

  /** The job an attempt resumed after a crash may adopt: its own or, if it adopted one, that one. */
  const aliasKey = (jobId: string) => `${prefix}:${queueName}:rubberduck:adopted:${jobId}`;

  const run = async (request: ExecutorRequest): Promise<unknown> => {
    if (closed) throw new ExecutorError(request.step, name, "the executor is closed");
    const task = taskOf(request, name);
    const { signal } = request;
    // Listening from the start: an abort while Redis is slow or down is not missed.
    let jobId: string | undefined;
    const onAbort = () => {
      if (jobId !== undefined) void abort(jobId, request, signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const checkAborted = () => {
      if (signal.aborted) throw signal.reason;
    };
    try {
      checkAborted();
      await redisCall(request.step, "Redis could not be reached", () => ready);
      checkAborted();
      let outcome: Promise<StepTaskResult> | undefined;
      // Resumed after a crash: the attempt left running may have finished, or still run.
      if (request.interruptedAttempt !== undefined) {
        const left = await redisCall(request.step, "its earlier job could not be looked up", () =>
          adoptable(jobIdOf(request.executionId, request.step, request.interruptedAttempt!)),
        );
        if (left !== undefined && typeof left.found === "object") {
          // A job stopped by an engine that was going away (not a step's own outcome) runs anew.
          if ("result" in left.found && !stoppedByEngine(left.found.result)) return outcomeOf(left.found.result);
        } else if (left?.found === "running") {
          jobId = left.jobId;
          outcome = await_(left.jobId, request.step);
          // A later crash finds it through this attempt's id.
          await redisCall(request.step, "its adoption could not be recorded", async () =>
            (await client()).set(
              aliasKey(jobIdOf(request.executionId, request.step, request.attempt)),
              left.jobId,
              "EX",
              86_400,
            ),
          );
          // It may have finished between the look and the wait.
          const again = await lookUp(left.jobId).catch(() => undefined);
          if (again !== undefined && typeof again === "object") settle(left.jobId, again);
        }
      }
      if (outcome === undefined) {
        const id = jobIdOf(request.executionId, request.step, request.attempt);
        outcome = await_(id, request.step);
        jobId = id;
        const add = (as: string) =>
          redisCall(request.step, "its job could not be added", () =>
            queue.add(request.step, task, { jobId: as, attempts: 1, ...retention }),
          );
        // The id was an earlier run's (a sub-workflow retried by its parent, an execution id
        // used again): BullMQ keeps that job and says so; this attempt gets a job of its own.
        pending.get(id)!.onDuplicate = () => {
          const entry = pending.get(id)!;
          pending.delete(id);
          const own = `${id}.${randomUUID()}`;
          pending.set(own, { ...entry, since: performance.now(), onDuplicate: undefined });
          jobId = own;
          add(own).catch((error: unknown) => settle(own, { error }));
        };
        await add(id);
      }
      if (signal.aborted) onAbort();
      return outcomeOf(await outcome);
    } catch (error) {
      if (jobId !== undefined) pending.delete(jobId);
      throw error;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  };

  /** Job `jobId`, or the one it adopted (after a crash), as `lookUp` finds it; undefined: neither is there. */
  const adoptable = async (jobId: string) => {
    const found = await lookUp(jobId);
    if (found !== "missing") return { jobId, found };
    const adopted = await (await client()).get(aliasKey(jobId));
    if (adopted === null) return undefined;
    const again = await lookUp(adopted);
    return again === "missing" ? undefined : { jobId: adopted, found: again };
  };

  const client = async () => (await queue.client) as unknown as Publisher & RedisKeys;

  /** Stop job `jobId`: remove it if it still waits, tell its worker if it runs; give up on it past the grace. */
  const abort = async (jobId: string, request: ExecutorRequest, reason: unknown) => {
    const waiting = pending.get(jobId);
    if (waiting === undefined) return;
    // The engine is going away (a deploy, a lost lease), not the attempt: the job runs on, for
    // the engine that resumes the execution to adopt.
    if (request.detached.aborted) {
      settle(jobId, { error: reason });
      return;
    }
    const timeout = isWorkflowError(reason) && reason.code === ErrorCode.STEP_TIMEOUT;
    // The attempt is over for the engine at once on a timeout, after the grace otherwise.
    const giveUp = () => settle(jobId, { error: reason });
    if (timeout) giveUp();
    else setTimeout(giveUp, request.abortGrace).unref();
    const message: AbortMessage = { jobId, reason: serializeError(reason) };
    try {
      const state = await queue.getJobState(jobId);
      if (state === "completed" || state === "failed") {
        // It finished before the abort reached it: its outcome counts (as a late success does in process).
        const found = await lookUp(jobId);
        if (typeof found === "object") settle(jobId, found);
        return;
      }
      if (state === "waiting" || state === "delayed" || state === "prioritized") {
        const removed = await queue.remove(jobId).catch(() => 0);
        if (removed === 1) {
          settle(jobId, { error: reason });
          return;
        }
      }
      await (await client()).publish(channel, JSON.stringify(message));
    } catch (error) {
      quiet("abort")(error);
    }
  };

  return {
    run,
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      for (const [jobId, waiting] of [...pending]) {
        settle(jobId, {
          error: new ExecutorError(waiting.step, name, "the executor closed while it waited for the job"),
        });
      }
      await connected;
      await Promise.allSettled([events.close(), queue.close()]);
    },
  };
}

function outcomeOf(result: StepTaskResult): unknown {
  if (result.ok) return result.output;
  throw failureOf(result);
}

/**
 * Options of {@link createWorker}.
 *
 * @example
 * await createWorker({ connection: process.env.REDIS_URL!, queue: "steps", modules: ["./dist/workflows.js"], concurrency: 8 });
 */
export interface CreateWorkerOptions {
  connection: RedisConnection;
  /** The queue whose jobs it runs (the executor's `queue`). */
  queue: string;
  /** The modules that define the workflows whose steps it runs (paths or URLs); TypeScript needs tsx. */
  modules: readonly ModuleRef[];
  /** Jobs it runs at once. @default 1 */
  concurrency?: number;
  /** BullMQ's key prefix (the executor's). @default "bull" */
  prefix?: string;
  /**
   * How long a job's lock lasts without renewal, in ms: a worker that dies leaves its job
   * stalled, and another worker runs it again within about this long (plus `stalledInterval`).
   * @default 30000 (BullMQ's)
   */
  lockDuration?: number;
  /** How often it looks for stalled jobs, in ms. @default 30000 (BullMQ's) */
  stalledInterval?: number;
  /** How many times a job may stall before BullMQ fails it (the attempt then fails, retryably). @default 1 */
  maxStalledCount?: number;
  /** The name in errors. @default "bullmq" */
  name?: string;
}

/**
 * A worker running steps from a queue (see {@link createWorker}).
 *
 * @example
 * const worker = await createWorker({ connection, queue: "steps", modules });
 * process.on("SIGTERM", () => void worker.close());
 */
export interface StepWorker {
  /** The BullMQ worker. */
  readonly worker: Worker<StepTask, StepTaskResult>;
  /** The steps it can run, as `workflow@version/step`. */
  readonly steps: readonly string[];
  /** Stop taking jobs, let the running ones finish, and disconnect. */
  close(): Promise<void>;
}

/**
 * Run the steps of `modules` from `queue`: the worker imports the modules, takes jobs,
 * looks each step up by workflow name, version and step name, and runs it with a `ctx`
 * rebuilt from the job (its `signal` aborted when the engine aborts the attempt).
 *
 * @example
 * const worker = await createWorker({ connection: "redis://127.0.0.1:6379", queue: "steps", modules: ["./examples/code-analysis.ts"], concurrency: 4 });
 */
export async function createWorker(options: CreateWorkerOptions): Promise<StepWorker> {
  const name = options.name ?? "bullmq";
  const prefix = options.prefix ?? "bull";
  const queueName = requireName(options.queue);
  const connection = connectionOf(options.connection);
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new TypeError(`Expected \`concurrency\` to be an integer >= 1, got ${JSON.stringify(options.concurrency)}`);
  }
  const host = await StepHost.load(moduleUrls(options.modules), name);
  const running = new Map<string, AbortController>();
  const worker = new Worker<StepTask, StepTaskResult>(
    queueName,
    async (job, _token, signal) => {
      const controller = new AbortController();
      const id = job.id!;
      running.set(id, controller);
      const onClose = () => controller.abort(signal?.reason);
      signal?.addEventListener("abort", onClose, { once: true });
      try {
        return { ok: true, output: await host.run(job.data, controller.signal) };
      } catch (error) {
        return failed(error);
      } finally {
        signal?.removeEventListener("abort", onClose);
        running.delete(id);
      }
    },
    {
      connection,
      prefix,
      concurrency,
      ...(options.lockDuration === undefined ? {} : { lockDuration: options.lockDuration }),
      ...(options.stalledInterval === undefined ? {} : { stalledInterval: options.stalledInterval }),
      maxStalledCount: options.maxStalledCount ?? 1,
    },
  );
  const quiet = warnOnce("A bullmq worker's");
  worker.on("error", quiet("worker"));
  // Aborts come on a channel of their own (a subscribed connection serves nothing else).
  const subscriber = (await worker.client).duplicate() as unknown as {
    subscribe(channel: string): Promise<unknown>;
    on(event: "message", listener: (channel: string, message: string) => void): void;
    on(event: "error", listener: (error: unknown) => void): void;
    quit(): Promise<unknown>;
  };
  subscriber.on("error", quiet("abort channel"));
  subscriber.on("message", (_channel, text) => {
    try {
      const { jobId, reason } = JSON.parse(text) as AbortMessage;
      running.get(jobId)?.abort(deserializeError(reason));
    } catch {
      // Not one of ours.
    }
  });
  await subscriber.subscribe(abortChannel(prefix, queueName));
  await worker.waitUntilReady();
  let closing: Promise<void> | undefined;
  return {
    worker,
    steps: host.steps,
    close: () => {
      closing ??= (async () => {
        await worker.close();
        await subscriber.quit().catch(() => {});
      })();
      return closing;
    },
  };
}

/** A warning per kind of connection error, once (ioredis reports each reconnection attempt). */
function warnOnce(who: string): (what: string) => (error: unknown) => void {
  const said = new Set<string>();
  return (what) => (error) => {
    if (said.has(what)) return;
    said.add(what);
    warnAdapter(`${who} ${what}`, "(said once; it reconnects by itself)", error, "RubberDuckExecutorWarning");
  };
}

function requireName(queue: unknown): string {
  if (typeof queue !== "string" || queue.length === 0 || queue.includes(":")) {
    throw new TypeError(`Expected \`queue\` to be a non-empty name without ':', got ${JSON.stringify(queue)}`);
  }
  return queue;
}
