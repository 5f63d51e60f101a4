/**
 * The `rubberduck` command line. Uses only the library's public API.
 *
 *   rubberduck run <file> [--workflow NAME] [--input JSON|@file.json] [--store runs.db] [--parallel-limit N] [--json]
 *   rubberduck resume [id] <file> --store runs.db
 *   rubberduck runs --store runs.db [--status S] [--workflow NAME] [--limit N] [--json]
 *   rubberduck runs show <id> --store runs.db [--json]
 *   rubberduck migrate --store runs.db|postgres://…
 * (`--store` takes a SQLite file, or a Postgres connection string.)
 *   rubberduck graph <file> [--workflow NAME] [--format mermaid|dot|svg] [--out FILE]
 *   rubberduck view <trace.jsonl> [--out run.html]
 *   rubberduck list <file>
 */

import { readFileSync, writeFileSync } from "node:fs";
import { Command, InvalidArgumentError } from "commander";
import {
  type AnyWorkflow,
  createEngine,
  type Engine,
  ErrorCode,
  type ExecutionStore,
  memoryStore,
  plan,
  RUN_STATUSES,
  type RunStatus,
  type StepStatus,
  serializeError,
  sqliteStore,
  toDot,
  toMermaid,
  toSvg,
  type WorkflowResult,
  type WorkflowRun,
} from "../index.js";
import { parseTrace, renderTraceHtml, type TraceFooter, type TraceHeader } from "../trace-viewer/index.js";
import { CliError } from "./cli-error.js";
import { DEFAULT_QUEUE, executorsFor } from "./executors.js";
import { parseInput } from "./input.js";
import { startInspector } from "./inspector.js";
import { loadModule, pickWorkflow } from "./load.js";
import { lineProgress, liveProgress } from "./progress.js";
import { runDetails, runsTable } from "./runs.js";
import { openStudio } from "./studio.js";

/** Exit codes: 0 succeeded, 1 failed, 2 bad usage or input, 124 timed out, 130 cancelled. */
const EXIT = { succeeded: 0, failed: 1, usage: 2, timed_out: 124, cancelled: 130 } as const;

interface RunOptions {
  workflow?: string;
  input?: string;
  parallelLimit?: number;
  debug?: boolean;
  json?: boolean;
  traceFile?: string;
  inspect?: number | true;
  inspectWait?: number;
  print?: string;
  store?: string;
  redis?: string;
  queue?: string;
  inProcess?: boolean;
  studio?: number | true;
  studioWait?: number;
}

export async function main(argv: readonly string[]): Promise<number> {
  let debug = argv.includes("--debug");
  const program = new Command("rubberduck")
    .description("Run, inspect and draw RubberDuck workflows.")
    .version(packageVersion(), "-V, --version", "print the version")
    .showHelpAfterError()
    .exitOverride();

  let code: number = EXIT.succeeded;
  program
    .command("run")
    .description("run a workflow from a TypeScript or JavaScript module")
    .argument("<file>", "module exporting workflows (and optionally `defaultInput`)")
    .option("-w, --workflow <name>", "which workflow, when the module exports several")
    .option("-i, --input <json>", "the input: JSON, or @file.json")
    .option("-p, --parallel-limit <n>", "maximum steps in flight", positiveInt)
    .option("--json", "print the WorkflowResult as JSON on stdout")
    .option("--print <output>", "print only this output, raw (e.g. a report, for a pipe)")
    .option("--trace-file <file>", "write the execution trace (every event and actor state) as JSON lines")
    .option(
      "--inspect [port]",
      "serve the Stately inspector on loopback (default port 4242); the run starts when a browser connects",
      positiveInt,
    )
    .option(
      "--inspect-wait <seconds>",
      "with --inspect: start the run after this long even if no browser connected",
      seconds,
    )
    .option(
      "--studio [port]",
      "serve the studio on loopback (default port 4280) and show this run in it live; the run starts when a page is open",
      port,
    )
    .option("--studio-wait <seconds>", "with --studio: start the run after this long even if no page is open", seconds)
    .option("-s, --store <file>", "journal the run in this SQLite file, to resume it after a crash")
    .option("--redis <url>", "run the steps that name an executor as BullMQ jobs, for `rubberduck worker` processes")
    .option("--queue <name>", `with --redis: the queue (default "${DEFAULT_QUEUE}")`)
    .option("--in-process", "run every step in this process, whatever executor it names")
    .option("--debug", "show stack traces")
    .action(async (file: string, options: RunOptions) => {
      debug = options.debug === true;
      code = await run(file, options);
    });
  program
    .command("resume")
    .description("resume interrupted executions from a store: one by id, or every one this process may claim")
    .argument(
      "<[id] file...>",
      "the execution to resume (default: every interrupted one), and the module exporting the workflows they run",
    )
    .requiredOption("-s, --store <file>", "the SQLite file the executions are journaled in")
    .option("--json", "print each WorkflowResult as JSON on stdout")
    .option("--redis <url>", "run the steps that name an executor as BullMQ jobs, for `rubberduck worker` processes")
    .option("--queue <name>", `with --redis: the queue (default "${DEFAULT_QUEUE}")`)
    .option("--debug", "show stack traces")
    .action(async (args: string[], options: RunOptions) => {
      debug = options.debug === true;
      if (args.length > 2) throw new CliError("resume takes an execution id (optional) and a module.", "");
      // `resume FILE` (one argument) resumes them all.
      code = args.length === 1 ? await resume(undefined, args[0]!, options) : await resume(args[0], args[1]!, options);
    });
  program
    .command("studio")
    .description("serve the studio: a live web UI over the executions of a store, with cancel, resume and run again")
    .argument("[file]", "the module exporting the workflows (for their diagrams, resume and run again)")
    .requiredOption("-s, --store <file|url>", "a SQLite file, or postgres://…")
    .option("-p, --port <port>", "the port (0: any free one)", port, 4280)
    .option("--host <address>", "listen on this address instead of 127.0.0.1 (needs --token)")
    .option("--token <secret>", "a secret the browser must bring (required beyond loopback)")
    .option("--redis <url>", "run the steps that name an executor as BullMQ jobs, for `rubberduck worker` processes")
    .option("--queue <name>", `with --redis: the queue (default "${DEFAULT_QUEUE}")`)
    .option("--debug", "show stack traces")
    .action(async (file: string | undefined, options: StudioCommandOptions) => {
      debug = options.debug === true;
      code = await studio(file, options);
    });
  const runs = program
    .command("runs")
    .description("list the executions journaled in a store, newest first")
    .requiredOption("-s, --store <file>", "the SQLite file")
    .option("--status <status>", `only these (${RUN_STATUSES.join(", ")}); comma-separated`)
    .option("-w, --workflow <name>", "only executions of this workflow")
    .option("-n, --limit <n>", "at most this many", positiveInt, 50)
    .option("--json", "print them as JSON")
    .action(async (options: { store: string; status?: string; workflow?: string; limit: number; json?: boolean }) => {
      const status = options.status?.split(",").map((s) => s.trim()) as RunStatus[] | undefined;
      const unknown = status?.filter((s) => !RUN_STATUSES.includes(s));
      if (unknown !== undefined && unknown.length > 0) {
        throw new CliError(`--status: unknown status ${unknown.join(", ")}.`, `Use ${RUN_STATUSES.join(", ")}.`);
      }
      await withStore(options.store, async (engine) => {
        const page = await engine.runs.list({ status, workflow: options.workflow, limit: options.limit });
        process.stdout.write(options.json ? `${JSON.stringify(page.runs, null, 2)}\n` : runsTable(page.runs));
      });
    });
  program
    .command("migrate")
    .description("create or upgrade a store's schema (every command does it on first use; this does it alone)")
    .requiredOption("-s, --store <file|url>", "a SQLite file, or postgres://…")
    .action(async (options: { store: string }) => {
      await withStore(options.store, async (engine) => {
        await engine.runs.list({ limit: 1 });
        process.stderr.write(`The store ${options.store} is up to date\n`);
      });
    });
  runs
    .command("show")
    .description("one execution: its summary and its journal")
    .argument("<id>", "the execution id")
    .option("--json", "print it as JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      // `--store` belongs to `runs` (before or after `show`).
      const store = (runs.opts() as { store: string }).store;
      await withStore(store, async (engine) => {
        const details = await engine.runs.get(id).catch((error: unknown) => {
          if ((error as { code?: string }).code === ErrorCode.EXECUTION_NOT_FOUND) {
            throw new CliError(`${store} holds no execution ${id}.`, "List them with `rubberduck runs`.");
          }
          throw error;
        });
        process.stdout.write(
          options.json ? `${JSON.stringify(toJson(details as never), null, 2)}\n` : runDetails(details),
        );
      });
    });
  program
    .command("worker")
    .description("run the steps of a module's workflows from a BullMQ queue, for engines started with --redis")
    .argument("<file>", "module exporting the workflows (the engine's)")
    .requiredOption("--redis <url>", "the Redis server, e.g. redis://127.0.0.1:6379")
    .option("--queue <name>", `the queue (default "${DEFAULT_QUEUE}")`)
    .option("-c, --concurrency <n>", "jobs run at once", positiveInt, 1)
    .option(
      "--lock-duration <ms>",
      "a dead worker's job runs elsewhere after about this long (default 30000)",
      positiveInt,
    )
    .option("--stalled-interval <ms>", "how often to look for stalled jobs (default 30000)", positiveInt)
    .option("--debug", "show stack traces")
    .action(async (file: string, options: WorkerOptions) => {
      debug = options.debug === true;
      code = await worker(file, options);
    });
  program
    .command("graph")
    .description("draw a workflow's steps and data flow")
    .argument("<file>", "module exporting workflows")
    .option("-w, --workflow <name>", "which workflow, when the module exports several")
    .option("-f, --format <format>", "mermaid, dot or svg", "mermaid")
    .option("-o, --out <file>", "write to a file instead of stdout")
    .action(async (file: string, options: { workflow?: string; format: string; out?: string }) => {
      const wf = pickWorkflow(await loadModule(file), options.workflow);
      const render = { mermaid: toMermaid, dot: toDot, svg: toSvg }[options.format];
      if (render === undefined) throw new CliError(`Unknown format \`${options.format}\`.`, "Use mermaid, dot or svg.");
      const text = render(wf);
      if (options.out === undefined) process.stdout.write(text);
      else writeFileSync(options.out, text);
    });
  program
    .command("view")
    .description("render a trace file (run --trace-file) as one self-contained HTML page")
    .argument("<trace>", "a .jsonl trace written by `rubberduck run --trace-file`")
    .option("-o, --out <file>", "the HTML file to write", "run.html")
    .option("--no-dag", "leave out the DAG (its layout is the slow part of very large traces)")
    .action((file: string, options: { out: string; dag: boolean }) => {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (error) {
        throw new CliError(`Could not read the trace ${file}: ${(error as Error).message}`);
      }
      let trace: ReturnType<typeof parseTrace>;
      try {
        trace = parseTrace(text);
      } catch (error) {
        throw new CliError(
          `${file}: ${(error as Error).message}\n`,
          "Write a trace with `rubberduck run <file> --trace-file run.jsonl`.",
        );
      }
      writeFileSync(options.out, renderTraceHtml(trace, { dag: options.dag }));
      process.stderr.write(`Wrote ${options.out}\n`);
    });
  program
    .command("list")
    .description("list a module's workflows")
    .argument("<file>", "module exporting workflows")
    .action(async (file: string) => {
      for (const wf of (await loadModule(file)).workflows) {
        const p = plan(wf);
        const description = wf.options.description === undefined ? "" : `  ${wf.options.description}`;
        process.stdout.write(
          `${wf.name}@${wf.version}  ${count(p.steps.length, "step")}, ${count(p.groups.length, "group")}${description}\n`,
        );
      }
    });

  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (error) {
    return reportError(error, debug);
  }
}

async function run(file: string, options: RunOptions): Promise<number> {
  const loaded = await loadModule(file);
  let wf: AnyWorkflow = pickWorkflow(loaded, options.workflow);
  if (options.parallelLimit !== undefined) wf = wf.with({ parallelLimit: options.parallelLimit });
  const input = parseInput(options.input, loaded.defaultInput);
  const p = plan(wf);
  if (options.print !== undefined && !p.steps.some((s) => s.definition.outputs.includes(options.print!))) {
    const names = p.steps.flatMap((s) => s.definition.outputs).map((n) => `\`${n}\``);
    throw new CliError(
      `--print: \`${wf.name}\` has no output \`${options.print}\`.`,
      `Its outputs: ${names.join(", ")}.`,
    );
  }

  const inspector =
    options.inspect === undefined ? undefined : await startInspector(options.inspect === true ? 4242 : options.inspect);
  if (inspector !== undefined) {
    const wait = options.inspectWait;
    const until = wait === undefined ? "" : ` (or for ${wait} s)`;
    process.stderr.write(`Inspect this run at ${inspector.url}: the run starts when a browser connects${until}\n`);
    const connected = await untilInterrupted(inspector.waitForBrowser(wait === undefined ? undefined : wait * 1000));
    if (connected === "interrupted") {
      await inspector.stop();
      return EXIT.cancelled;
    }
    if (!connected) process.stderr.write(`No browser connected in ${wait} s; starting the run\n`);
  }
  // The studio reads the engine's store: without --store, one in memory, for this run.
  const store =
    options.store === undefined
      ? options.studio === undefined
        ? undefined
        : memoryStore()
      : await openStore(options.store);
  const engine = createEngine({
    // With a store, every workflow of the module is registered: `resume` finds them there.
    workflows: store === undefined ? [wf] : [...loaded.workflows.filter((w) => w.name !== wf.name), wf],
    store,
    ...(inspector === undefined ? {} : { inspect: inspector.inspect }),
    executors: await executorsFor(loaded.workflows, file, options),
  });
  // Whatever happens from here, the engine, the store and the servers are closed once.
  let shown: Awaited<ReturnType<typeof openStudio>> | undefined;
  try {
    if (options.studio !== undefined) {
      shown = await openStudio(engine, { port: options.studio === true ? 4280 : options.studio });
      const wait = options.studioWait;
      const until = wait === undefined ? "" : ` (or for ${wait} s)`;
      process.stderr.write(`Studio at ${shown.url}: the run starts when a page is open${until}\n`);
      const connected = await untilInterrupted(shown.waitForBrowser(wait === undefined ? undefined : wait * 1000));
      if (connected === "interrupted") return EXIT.cancelled;
      if (!connected) process.stderr.write(`No page opened in ${wait} s; starting the run\n`);
    }
    const run = engine.start(wf, input as Record<string, unknown>, { debug: options.traceFile !== undefined });
    if (options.store !== undefined) {
      const where = redacted(options.store);
      process.stderr.write(
        // An id of the caller's that starts with `-` goes after `--`, where it cannot read as an option.
        `Journaled in ${where} as ${run.id} (after a crash: rubberduck resume --store ${where} ${run.id.startsWith("-") ? "-- " : ""}${run.id} ${file})\n`,
      );
    }
    const result = await follow(run, p, options);
    if (options.traceFile !== undefined) writeTrace(options.traceFile, wf, result);
    report(result, p, options);
    const servers = [
      // The inspector keeps every message of the run: a browser opened now still sees it all.
      ...(inspector === undefined ? [] : [`the inspector stays up at ${inspector.url}`]),
      // The studio's actions (cancel, resume, run again) need the engine: it stays up with the page.
      ...(shown === undefined ? [] : [`the studio stays up at ${shown.url}`]),
    ];
    if (servers.length > 0) {
      process.stderr.write(`The run is over; ${servers.join(" and ")}. Press Ctrl-C to quit.\n`);
      await untilInterrupted(new Promise<never>(() => {}));
    }
    return exitCode(result);
  } finally {
    // Each closed whatever the others do: a server left open would keep the process alive.
    const failures = (
      await Promise.allSettled([
        (async () => {
          await shown?.close();
          await engine.close();
        })().finally(() => store?.close()),
        inspector?.stop(),
      ])
    ).filter((r) => r.status === "rejected");
    if (failures.length > 0)
      process.stderr.write(`Closing: ${String((failures[0] as PromiseRejectedResult).reason)}\n`);
  }
}

/** A store's address with its password left out (`postgres://user:…@host/db`), to print. */
function redacted(where: string): string {
  try {
    const url = new URL(where);
    if (url.password === "" && !url.searchParams.has("password")) return where;
    if (url.password !== "") url.password = "***";
    if (url.searchParams.has("password")) url.searchParams.set("password", "***");
    return url.toString();
  } catch {
    return where; // a file
  }
}

interface StudioCommandOptions {
  store: string;
  port: number;
  host?: string;
  token?: string;
  redis?: string;
  queue?: string;
  debug?: boolean;
}

/** Serve the studio over a store until Ctrl-C; its engine has the module's workflows, to resume and run again. */
async function studio(file: string | undefined, options: StudioCommandOptions): Promise<number> {
  const loaded = file === undefined ? undefined : await loadModule(file);
  const store = await openStore(options.store);
  const engine = createEngine({
    workflows: loaded?.workflows ?? [],
    store,
    ...(loaded === undefined || file === undefined
      ? {}
      : { executors: await executorsFor(loaded.workflows, file, options) }),
  });
  try {
    const shown = await openStudio(engine, { port: options.port, host: options.host, token: options.token });
    const what =
      loaded === undefined
        ? ""
        : ` with the ${loaded.workflows.length} workflow${loaded.workflows.length === 1 ? "" : "s"} of ${file}`;
    process.stderr.write(`Studio for ${redacted(options.store)}${what} at ${shown.url} — Ctrl-C stops it\n`);
    await untilInterrupted(new Promise<never>(() => {}));
    await shown.close();
    return EXIT.succeeded;
  } finally {
    await engine.close();
    await store.close();
  }
}

interface WorkerOptions {
  redis: string;
  queue?: string;
  concurrency: number;
  lockDuration?: number;
  stalledInterval?: number;
  debug?: boolean;
}

/** Take jobs until SIGINT or SIGTERM; then let the running ones finish and stop. */
async function worker(file: string, options: WorkerOptions): Promise<number> {
  await loadModule(file); // the module's problems, said the way `run` says them
  let entry: typeof import("../executors/bullmq.js");
  try {
    entry = await import("../executors/bullmq.js");
  } catch (error) {
    throw new CliError(
      `rubberduck worker needs the bullmq package: ${(error as Error).message}`,
      "npm install bullmq@5",
    );
  }
  const queue = options.queue ?? DEFAULT_QUEUE;
  const running = await entry.createWorker({
    connection: options.redis,
    queue,
    modules: [file],
    concurrency: options.concurrency,
    lockDuration: options.lockDuration,
    stalledInterval: options.stalledInterval,
  });
  process.stderr.write(
    `Worker ${process.pid}: ${running.steps.length} steps of ${file}, from queue ${queue} at ${options.redis}, ` +
      `${options.concurrency} at a time. Ctrl-C stops it.\n`,
  );
  // SIGTERM (a deploy, `kill`) as Ctrl-C: stop taking jobs, finish the running ones.
  await untilInterrupted(
    new Promise<never>((_resolve, reject) => process.once("SIGTERM", () => reject("SIGTERM"))),
  ).catch(() => "interrupted");
  process.stderr.write(`Worker ${process.pid}: stopping once its running jobs finish\n`);
  await running.close();
  return EXIT.succeeded;
}

/** Resume one execution (by id) or every interrupted one, with the same progress as `run`. */
async function resume(id: string | undefined, file: string, options: RunOptions): Promise<number> {
  const loaded = await loadModule(file);
  const store = await openStore(options.store!);
  const engine = createEngine({
    workflows: loaded.workflows,
    store,
    executors: await executorsFor(loaded.workflows, file, options),
  });
  try {
    let runs: WorkflowRun[];
    if (id !== undefined) {
      runs = [
        await engine.resume(id).catch((error: unknown) => Promise.reject(resumeError(error, id, options.store!))),
      ];
    } else {
      runs = await engine.recover();
      if (runs.length === 0) {
        process.stderr.write(
          `Nothing to resume in ${options.store}: no interrupted execution this process may claim.\n`,
        );
        return EXIT.succeeded;
      }
      process.stderr.write(
        `Resuming ${runs.length} execution${runs.length === 1 ? "" : "s"}: ${runs.map((r) => r.id).join(", ")}\n`,
      );
    }
    let worst: number = EXIT.succeeded;
    for (const run of runs) {
      const wf = loaded.workflows.find((w) => w.name === run.workflow && w.version === run.version)!;
      const p = plan(wf);
      process.stderr.write(`${run.id}: ${run.workflow}@${run.version}\n`);
      const result = await follow(run, p, options, true);
      report(result, p, options);
      worst = Math.max(worst, exitCode(result));
    }
    return worst;
  } finally {
    await engine.close();
    await store.close();
  }
}

function resumeError(error: unknown, id: string, store: string): unknown {
  const code = (error as { code?: string }).code;
  if (code === ErrorCode.EXECUTION_NOT_FOUND) {
    return new CliError(`${store} holds no execution ${id}.`, "List them with `rubberduck runs --store …`.");
  }
  if (code === ErrorCode.DEFINITION_MISMATCH || code === ErrorCode.LEASE_LOST) {
    return new CliError((error as Error).message, "The execution is left as it is.");
  }
  return error;
}

/** A SQLite file, or a Postgres database (`postgres://…`, through the optional `pg` package). */
async function openStore(where: string): Promise<ExecutionStore> {
  if (/^postgres(ql)?:\/\//.test(where)) {
    let entry: typeof import("../store/postgres-store.js");
    try {
      entry = await import("../store/postgres-store.js");
    } catch (error) {
      throw new CliError(`--store ${where} needs the pg package: ${(error as Error).message}`, "npm install pg@8");
    }
    return entry.postgresStore({ connectionString: where });
  }
  try {
    return sqliteStore(where);
  } catch (error) {
    throw new CliError(`Could not open the store ${where}: ${(error as Error).message}`);
  }
}

async function withStore(file: string, use: (engine: Engine) => Promise<void>): Promise<void> {
  const store = await openStore(file);
  try {
    await use(createEngine({ store }));
  } finally {
    await store.close();
  }
}

/** Show a run's progress until it ends (Ctrl-C cancels it: the rollback runs); its result. */
async function follow(
  run: WorkflowRun,
  p: ReturnType<typeof plan>,
  options: RunOptions,
  replay = false,
): Promise<WorkflowResult> {
  const tty = process.stderr.isTTY === true && !options.json && process.env.RUBBERDUCK_PROGRESS !== "lines";
  const progress = tty ? liveProgress(p, process.stderr) : lineProgress((line) => process.stderr.write(`${line}\n`));
  // A resumed run shows its history first, then what happens now.
  (replay ? run.eventsFrom(1) : run.events).subscribe((event) => progress.event(event));

  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT.cancelled);
    process.stderr.write(
      "\nCancelling: in-flight steps are aborted and the rollback runs (Ctrl-C again to quit now)\n",
    );
    run.cancel("interrupted (SIGINT)");
  };
  process.on("SIGINT", onSigint);
  // A step waiting on a promise holds no handle of its own: keep the process alive
  // until the run ends (and for Ctrl-C to reach it).
  const keepAlive = setInterval(() => {}, 60_000);
  try {
    return await run.result;
  } finally {
    clearInterval(keepAlive);
    process.off("SIGINT", onSigint);
    progress.stop();
  }
}

function report(result: WorkflowResult, p: ReturnType<typeof plan>, options: RunOptions): void {
  if (options.json) process.stdout.write(`${JSON.stringify(toJson({ ...result, trace: undefined }), null, 2)}\n`);
  else if (result.status === "succeeded") printOutputs(result, p, options.print);
  if (result.status !== "succeeded") printFailure(result, options.debug === true);
}

/** Input the workflow rejected before any step ran is bad usage, not a failed run. */
const exitCode = (result: WorkflowResult): number => (inputRejected(result) ? EXIT.usage : EXIT[result.status]);

/** The workflow refused its input (missing names, its schema) before any step ran. */
function inputRejected(result: WorkflowResult): boolean {
  const error = result.error;
  return (
    error !== undefined &&
    error.step === undefined &&
    (error.code === ErrorCode.INPUT_INVALID || error.code === ErrorCode.VALIDATION_FAILED)
  );
}

/** Wait for `promise`, or for Ctrl-C (SIGINT), whichever comes first. */
async function untilInterrupted<T>(promise: Promise<T>): Promise<T | "interrupted"> {
  let onSigint: (() => void) | undefined;
  const interrupted = new Promise<"interrupted">((resolve) => {
    onSigint = () => resolve("interrupted");
    process.once("SIGINT", onSigint);
  });
  // Nothing else may hold the process open while it waits.
  const keepAlive = setInterval(() => {}, 60_000);
  try {
    return await Promise.race([promise, interrupted]);
  } finally {
    clearInterval(keepAlive);
    process.off("SIGINT", onSigint!);
  }
}

/**
 * Print the outputs of the final steps (those nothing depends on), each under its name:
 * `name: value` (JSON), or `name:` then the text for a multi-line string. `--print
 * NAME` prints one output alone, raw, for a pipe.
 */
function printOutputs(result: WorkflowResult, p: ReturnType<typeof plan>, only: string | undefined): void {
  if (only !== undefined) {
    const value = result.output[only];
    process.stdout.write(`${typeof value === "string" ? value : JSON.stringify(value, null, 2)}\n`);
    return;
  }
  for (const step of p.steps) {
    if (step.dependents.length > 0) continue;
    for (const name of step.definition.outputs) {
      const value = result.output[name];
      if (typeof value === "string" && value.includes("\n"))
        process.stdout.write(`${name}:\n${value.replace(/\n$/, "")}\n`);
      else process.stdout.write(`${name}: ${typeof value === "string" ? value : JSON.stringify(value, null, 2)}\n`);
    }
  }
}

function printFailure(result: WorkflowResult, debug: boolean): void {
  const error = result.error!;
  if (inputRejected(result)) {
    process.stderr.write(
      `\n✗ ${result.workflow}@${result.version}: its input was rejected, no step ran: ${error.message}\n`,
    );
    return;
  }
  const where = error.step === undefined ? "" : ` at step \`${error.step}\``;
  const lines = [`\n✗ ${result.workflow}@${result.version} ${result.status}${where}: ${error.detail}`];
  const { compensated, failed, kept } = result.compensation;
  if (compensated.length > 0) lines.push(`  compensated, in order: ${compensated.join(", ")}`);
  if (kept.length > 0) lines.push(`  kept: ${kept.map((k) => `${k.step} (${k.reason})`).join(", ")}`);
  if (failed.length > 0)
    lines.push(`  compensation failed: ${failed.map((f) => `${f.step} (${f.error.detail})`).join(", ")}`);
  if (compensated.length === 0 && failed.length === 0 && kept.length === 0) lines.push("  nothing to compensate");
  if (debug && error.stack !== undefined) lines.push(error.stack);
  process.stderr.write(`${lines.join("\n")}\n`);
}

function reportError(error: unknown, debug: boolean): number {
  const e = error as { code?: string; exitCode?: number; message?: string };
  if (typeof e.code === "string" && e.code.startsWith("commander.")) {
    // commander printed its own message (and help); --help and --version exit 0.
    return e.exitCode === 0 ? EXIT.succeeded : EXIT.usage;
  }
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof CliError && error.hint !== undefined ? ` ${error.hint}` : "";
  process.stderr.write(`rubberduck: ${message}${hint}\n`);
  if (debug && error instanceof Error) process.stderr.write(`${error.stack ?? ""}\n`);
  return EXIT.usage;
}

/** This package's version, from its package.json (two levels up in the sources and in dist). */
function packageVersion(): string {
  for (const up of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "@rubberduck/workflows" && pkg.version !== undefined) return pkg.version;
    } catch {
      // not this one
    }
  }
  return "unknown";
}

/** `1 step`, `2 steps`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("expected a number of seconds >= 0");
  return n;
}

/** A port: 0 (any free one) to 65535. */
function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError("expected a port, 0 to 65535.");
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected an integer >= 1");
  return n;
}

/** The trace file: a header (the DAG), every trace entry, a footer (the outcome), as JSON lines. */
function writeTrace(file: string, wf: AnyWorkflow, result: WorkflowResult): void {
  const p = plan(wf);
  const header: TraceHeader = {
    kind: "run",
    executionId: result.executionId,
    workflow: result.workflow,
    version: result.version,
    description: wf.options.description,
    startedAt: result.startedAt,
    steps: p.steps.map((s) => ({
      name: s.name,
      dependencies: s.dependencies,
      depth: s.depth,
      outputs: s.definition.outputs,
    })),
  };
  const steps: Record<string, { status: StepStatus; attempts: number }> = {};
  for (const [name, step] of Object.entries(result.steps))
    steps[name] = { status: step.status, attempts: step.attempts };
  const footer: TraceFooter = {
    kind: "result",
    status: result.status,
    finishedAt: result.finishedAt,
    error: result.error === undefined ? undefined : serializeError(result.error),
    steps,
    compensation: {
      compensated: result.compensation.compensated,
      failed: result.compensation.failed.map((f) => f.step),
    },
  };
  const lines = [header, ...(result.trace ?? []), footer].map((line) => JSON.stringify(line));
  writeFileSync(file, `${lines.join("\n")}\n`);
}

function toJson(result: WorkflowResult): unknown {
  return JSON.parse(JSON.stringify(result, (_key, value) => (value instanceof Error ? serializeError(value) : value)));
}
