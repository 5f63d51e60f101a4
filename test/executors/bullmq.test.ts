/**
 * Steps as BullMQ jobs on a real Redis, run by `rubberduck worker` processes: two workers
 * share the jobs; a worker killed mid-job leaves a stalled job that the other runs again;
 * a cancel reaches a running remote step; an orchestrator killed with jobs in flight is
 * resumed and adopts them instead of running them again. Runs where RUBBERDUCK_TEST_REDIS
 * is set (CI starts Redis); skipped with one line elsewhere.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { bullmqExecutor, connectionOf } from "../../src/executors/bullmq.js";
import { createEngine, ExecutorError } from "../../src/index.js";
import { listening, relayed, slow } from "./fixtures.js";

const REDIS = process.env.RUBBERDUCK_TEST_REDIS;
if (REDIS === undefined) {
  console.log("BullMQ executor tests skipped: set RUBBERDUCK_TEST_REDIS=redis://127.0.0.1:6379 to run them");
}
const FIXTURES = "test/executors/fixtures.ts";
const CLI = join(import.meta.dirname, "../../bin/rubberduck.js");
const queues: string[] = [];
const children: ChildProcess[] = [];

/** A queue of this test's own, emptied afterwards. */
function queueName(): string {
  const name = `rd-test-${process.pid}-${queues.length}`;
  queues.push(name);
  return name;
}

/** A `rubberduck worker` process; resolves once it takes jobs. */
async function startWorker(queue: string, concurrency = 4): Promise<ChildProcess> {
  const proc = spawn(
    process.execPath,
    [CLI, "worker", FIXTURES, "--redis", REDIS!, "--queue", queue, "-c", String(concurrency)].concat([
      "--lock-duration",
      "1000",
      "--stalled-interval",
      "500",
    ]),
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  children.push(proc);
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    proc.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes(`Worker ${proc.pid}:`)) resolve();
    });
    proc.on("exit", (code) => reject(new Error(`the worker exited (${code}): ${stderr}`)));
  });
  return proc;
}

const lines = (file: string) => {
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
};

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  if (REDIS === undefined) return;
  for (const name of queues) {
    const queue = new Queue(name, { connection: connectionOf(REDIS) });
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  }
});

describe.skipIf(REDIS === undefined)("bullmqExecutor with `rubberduck worker` processes", () => {
  it("spreads the steps over two workers, which run them with the ctx of the engine", async () => {
    const queue = queueName();
    const workers = await Promise.all([startWorker(queue), startWorker(queue)]);
    const remote = bullmqExecutor({ connection: REDIS!, queue });
    const engine = createEngine({ executors: { remote } });
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => engine.execute(relayed, { a: i, b: 1 })));
    await engine.close();
    expect(results.map((r) => r.status)).toEqual(results.map(() => "succeeded"));
    expect(results.map((r) => r.output.doubled)).toEqual(results.map((_, i) => (i + 1) * 2));
    const pids = new Set(results.flatMap((r) => [r.output.pid, r.output.pid2]));
    expect(pids).toEqual(new Set(workers.map((w) => w.pid)));
  }, 60_000);

  it("runs the job of a worker killed mid-job on the other worker, with the same idempotency key", async () => {
    const queue = queueName();
    const dir = mkdtempSync(join(tmpdir(), "rubberduck-bullmq-"));
    const log = join(dir, "work.log");
    const [first, second] = await Promise.all([startWorker(queue, 1), startWorker(queue, 1)]);
    const engine = createEngine({ executors: { remote: bullmqExecutor({ connection: REDIS!, queue }) } });
    const run = engine.start(slow, { ms: 1_500, log });
    await until("the job to start", () => lines(log).length > 0);
    const [pid, key] = lines(log)[0]!.split(" ");
    const victim = [first, second].find((w) => String(w!.pid) === pid)!;
    const survivor = [first, second].find((w) => w !== victim)!;
    victim.kill("SIGKILL");
    const result = await run.result;
    await engine.close();
    expect(result.status).toBe("succeeded");
    expect(result.output.pid).toBe(survivor.pid);
    // One attempt for the engine; at least once for the step's code, under one key.
    expect(result.steps.work?.attempts).toBe(1);
    expect(lines(log)).toEqual([`${pid} ${key} start`, `${survivor.pid} ${key} start`, `${survivor.pid} ${key} end`]);
  }, 60_000);

  it("aborts the signal of a running remote step on a cancel", async () => {
    const queue = queueName();
    const dir = mkdtempSync(join(tmpdir(), "rubberduck-bullmq-"));
    const log = join(dir, "listen.log");
    const worker = await startWorker(queue);
    const engine = createEngine({ executors: { remote: bullmqExecutor({ connection: REDIS!, queue }) } });
    const run = engine.start(listening, { log });
    await until("the step to start", () => lines(log).length > 0);
    run.cancel("the user asked");
    const result = await run.result;
    await engine.close();
    expect(result.status).toBe("cancelled");
    expect(result.steps.wait?.status).toBe("cancelled");
    await until("the worker to see the abort", () => lines(log).length > 1);
    expect(lines(log)).toEqual([
      `${worker.pid} started`,
      `${worker.pid} aborted: Step \`wait\` was aborted: the workflow was cancelled`,
    ]);
  }, 60_000);

  it("gives an attempt whose job id an earlier run holds a job of its own (an execution id used again)", async () => {
    const queue = queueName();
    await startWorker(queue);
    const engine = createEngine({ executors: { remote: bullmqExecutor({ connection: REDIS!, queue }) } });
    // Without a store an execution id may be given again: same steps, same attempts, same job ids.
    const first = await engine.execute(relayed, { a: 1, b: 2 }, { executionId: "again" });
    const second = await engine.execute(relayed, { a: 10, b: 20 }, { executionId: "again" });
    await engine.close();
    expect([first.output.doubled, second.output.doubled]).toEqual([6, 60]);
  }, 60_000);

  it("fails the attempt, retryably, when the queue cannot be reached", async () => {
    const remote = bullmqExecutor({
      connection: {
        host: "127.0.0.1",
        port: 1,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        retryStrategy: () => null,
      },
      queue: queueName(),
    });
    const engine = createEngine({ executors: { remote } });
    const result = await engine.execute(relayed, { a: 1, b: 2 });
    await engine.close();
    expect(result.status).toBe("failed");
    expect(result.error).toBeInstanceOf(ExecutorError);
    expect(result.error).toMatchObject({ retryable: true, step: "add" });
    expect(result.error?.message).toContain(
      'was lost by executor "bullmq": Redis could not be reached: connect ECONNREFUSED',
    );
  }, 30_000);

  it("resumes an orchestrator killed with jobs in flight, adopting them instead of running them again", async () => {
    const queue = queueName();
    const dir = mkdtempSync(join(tmpdir(), "rubberduck-bullmq-"));
    const db = join(dir, "runs.db");
    const log = join(dir, "work.log");
    await startWorker(queue, 4);
    const flags = ["--store", db, "--redis", REDIS!, "--queue", queue];
    // Two executions: one whose job finishes while no engine runs, one still running when the next engine starts.
    const started: { id: string; ms: number }[] = [];
    for (const ms of [300, 4_000]) {
      const orchestrator = spawn(
        process.execPath,
        [CLI, "run", FIXTURES, "--workflow", "slow", "--input", JSON.stringify({ ms, log }), ...flags],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      children.push(orchestrator);
      let stderr = "";
      orchestrator.stderr!.on("data", (c: Buffer) => {
        stderr += c.toString();
      });
      await until("the execution to be journaled", () => /Journaled in .* as (\S+)/.test(stderr));
      const id = /Journaled in .* as (\S+)/.exec(stderr)![1]!;
      await until("its job to start", () => lines(log).some((l) => l.endsWith(`${id}:work start`)));
      orchestrator.kill("SIGKILL");
      await new Promise((r) => orchestrator.once("exit", r));
      started.push({ id, ms });
    }
    await until("the short job to end", () => lines(log).some((l) => l.endsWith(`${started[0]!.id}:work end`)));
    for (const { id } of started) {
      const resumed = spawnSync(process.execPath, [CLI, "resume", id, FIXTURES, "--json", ...flags], {
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(resumed.status, resumed.stderr).toBe(0);
      const result = JSON.parse(resumed.stdout) as { status: string; steps: { work: { attempts: number } } };
      expect(result.status).toBe("succeeded");
      // Each step's code ran once: the resumed engine took the job's outcome.
      expect(lines(log).filter((l) => l.endsWith(`${id}:work start`))).toHaveLength(1);
      expect(lines(log).filter((l) => l.endsWith(`${id}:work end`))).toHaveLength(1);
    }
  }, 120_000);
});
