/**
 * What the studio's pages show, as JSON, read through the engine's public API only:
 * `engine.runs` (the store), `engine.registry` (the diagrams) and the trace viewer's
 * sections (the DAG and the timeline, as escaped HTML fragments). The page renders the
 * JSON (its text escaped by Preact) and drops the fragments in as they are.
 */

import { LRUCache } from "lru-cache";
import {
  type AnyWorkflow,
  type Engine,
  FINAL_STATUSES,
  type PlannedStep,
  plan,
  type RunRecord,
  type RunStatus,
  type StepState,
  serializeError,
  type TraceEntry,
  toSvg,
  UNFINISHED_STATUSES,
  type WorkflowEvent,
  type WorkflowRegistry,
} from "../index.js";
import {
  type TraceFooter,
  type TraceHeader,
  traceDagSection,
  traceTimeline,
  traceTimelineSection,
} from "../trace-viewer/index.js";

/** An execution as the list shows it. */
export interface ExecutionRow {
  readonly executionId: string;
  readonly workflow: string;
  readonly version: string;
  /** Its status; `interrupted` when it did not finish and no engine holds it any more. */
  readonly status: RunStatus | "interrupted";
  readonly startedAt: number;
  readonly finishedAt: number | undefined;
  /** Finished: how long it took; running: how long so far. */
  readonly durationMs: number;
  readonly failedStep: string | undefined;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly owner: string | undefined;
  readonly lastSeq: number;
}

/** Whether an unfinished execution is held by no live engine (its lease ran out). */
const interrupted = (run: RunRecord, now: number) =>
  !FINAL_STATUSES.has(run.status) && (run.owner === undefined || run.leaseUntil === undefined || run.leaseUntil < now);

/** The step whose failure ended a run: the last top-level step.failed in its events. */
const failedStepOf = (events: readonly WorkflowEvent[]) =>
  events.findLast((e) => e.type === "step.failed" && e.path === undefined)?.step;

/** The execution list, filtered; the failed step of each failed row read from its journal (kept: it no longer changes). */
export class ExecutionList {
  readonly #engine: Engine;
  /** By execution id; a failed execution's failed step never changes. */
  readonly #failed = new LRUCache<string, { step: string | undefined }>({ max: 5_000 });

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  async list(query: {
    status?: RunStatus | "interrupted" | undefined;
    workflow?: string | undefined;
    cursor?: string | undefined;
    limit?: number | undefined;
  }) {
    const now = Date.now();
    const wanted = query.status === "interrupted" ? UNFINISHED_STATUSES : query.status;
    const page = await this.#engine.runs.list({
      ...(wanted === undefined ? {} : { status: wanted }),
      ...(query.workflow === undefined || query.workflow === "" ? {} : { workflow: query.workflow }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      limit: query.limit ?? 50,
    });
    let runs = page.runs;
    if (query.status === "interrupted") runs = runs.filter((r) => interrupted(r, now));
    const rows: ExecutionRow[] = await Promise.all(
      runs.map(async (run) => ({
        executionId: run.executionId,
        workflow: run.workflow,
        version: run.version,
        status: interrupted(run, now) ? "interrupted" : run.status,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
        durationMs: (run.finishedAt ?? now) - run.startedAt,
        failedStep: run.status === "failed" ? await this.#failedStep(run.executionId) : undefined,
        metadata: run.metadata,
        owner: run.owner,
        lastSeq: run.lastSeq,
      })),
    );
    const workflows = [...new Set(this.#engine.registry.list().map((w) => w.name))].sort();
    return { runs: rows, cursor: page.cursor, workflows };
  }

  async #failedStep(id: string): Promise<string | undefined> {
    const known = this.#failed.get(id);
    if (known !== undefined) return known.step;
    const step = failedStepOf((await this.#engine.runs.get(id)).events);
    this.#failed.set(id, { step });
    return step;
  }
}

/** One step of an execution, as its page shows it. */
export interface StepView {
  readonly name: string;
  readonly status: string;
  /** The step actor's state, for its statechart. */
  readonly state: StepState | undefined;
  readonly visited: readonly StepState[];
  readonly attempts: number;
  readonly compensations: number;
  readonly durationMs: number | undefined;
  /**
   * Its input, as the journal lets it be rebuilt: from the workflow input as the caller gave
   * it (before its schema's defaults and transforms) and its dependencies' outputs.
   */
  readonly input: Readonly<Record<string, unknown>> | undefined;
  readonly output: Readonly<Record<string, unknown>> | undefined;
  readonly error: ReturnType<typeof serializeError> | undefined;
  readonly dependencies: readonly string[];
}

/** Which step actor state each event puts a step in. */
const STATE_AFTER: Partial<Record<string, StepState>> = {
  "step.started": "running",
  "step.retrying": "retrying",
  "step.succeeded": "succeeded",
  "step.degraded": "failed",
  "step.failed": "failed",
  "step.cancelled": "cancelled",
  "step.compensating": "compensating",
  "step.compensated": "compensated",
  "step.compensation_failed": "compensation_failed",
};

/** The events that end a step or its rollback, with the error that ended it. */
const ENDINGS = new Set(["step.failed", "step.degraded", "step.cancelled", "step.compensation_failed"]);

/** The registered definition an execution ran on, if this engine has it. */
function definitionOf(registry: WorkflowRegistry, run: RunRecord): AnyWorkflow | undefined {
  try {
    return registry.get(run.workflow, run.version);
  } catch {
    return undefined;
  }
}

/** The most steps whose DAG is laid out again at every change of a run. */
const MAX_LIVE_DAG = 300;

/** Everything the execution page shows. */
export async function executionView(engine: Engine, executionId: string) {
  const { run, events, result } = await engine.runs.get(executionId);
  const wf = definitionOf(engine.registry, run);
  const planned = wf === undefined ? undefined : plan(wf);
  const top = events.filter((e) => e.path === undefined);
  const header = traceHeader(run, planned?.steps, top);
  const entries: TraceEntry[] = events.map((event) => ({
    kind: "event",
    at: event.timestamp,
    event: { ...event, error: event.error === undefined ? undefined : serializeError(event.error) },
  }));
  const footer: TraceFooter | undefined =
    result === undefined
      ? undefined
      : {
          kind: "result",
          status: result.status,
          finishedAt: run.finishedAt ?? run.updatedAt,
          error: result.error === undefined ? undefined : serializeError(result.error),
          steps: Object.fromEntries(
            Object.entries(result.steps).map(([name, s]) => [name, { status: s.status, attempts: s.attempts }]),
          ),
          compensation: {
            compensated: result.compensation.compensated,
            failed: result.compensation.failed.map((f) => (typeof f === "string" ? f : f.step)),
          },
        };
  const trace = { header, entries, footer };
  const timeline = traceTimeline(trace);
  let dag: string;
  if (header.steps.length > MAX_LIVE_DAG && !FINAL_STATUSES.has(run.status)) {
    // Its layout would take a second or more on the engine's thread at every change.
    dag = `<section class="card dag"><p class="notice">${header.steps.length} steps: too many to draw the DAG live (rubberduck graph draws it).</p></section>`;
  } else {
    try {
      dag = traceDagSection(trace, timeline);
    } catch {
      dag = "";
    }
  }
  const now = Date.now();
  const workflowInput = (top.find((e) => e.type === "workflow.started")?.input ?? {}) as Record<string, unknown>;
  const outputs = new Map<string, Readonly<Record<string, unknown>>>();
  // A degraded step's fallback outputs are what its dependents read.
  for (const e of top) {
    if ((e.type === "step.succeeded" || e.type === "step.degraded") && e.step !== undefined && e.output) {
      outputs.set(e.step, e.output);
    }
  }
  const rows = new Map(timeline.rows.filter((r) => r.path.length === 0).map((r) => [r.step, r]));
  const steps: StepView[] = header.steps.map((s) => {
    const own = top.filter((e) => e.step === s.name);
    const visited: StepState[] = [];
    for (const e of own) {
      const state = STATE_AFTER[e.type];
      if (state !== undefined && visited.at(-1) !== state) visited.push(state);
    }
    // The error that ended the step (or its rollback): not an attempt's that was retried.
    const failure = own.findLast((e) => e.error !== undefined && ENDINGS.has(e.type))?.error;
    const row = rows.get(s.name);
    const plannedStep = planned?.steps.find((p) => p.name === s.name);
    return {
      name: s.name,
      status: row?.status ?? "pending",
      state: visited.at(-1),
      visited,
      attempts: own.filter((e) => e.type === "step.started").length,
      compensations: own.filter((e) => e.type === "step.compensating").length,
      durationMs: own.findLast((e) => e.durationMs !== undefined)?.durationMs,
      input: plannedStep === undefined ? undefined : inputOf(plannedStep, planned!.steps, workflowInput, outputs),
      output: outputs.get(s.name),
      error: failure === undefined ? undefined : serializeError(failure),
      dependencies: s.dependencies,
    };
  });
  return {
    run: {
      ...run,
      status: interrupted(run, now) ? ("interrupted" as const) : run.status,
      durationMs: (run.finishedAt ?? now) - run.startedAt,
      failedStep: failedStepOf(events),
      registered: wf !== undefined,
    },
    input: workflowInput,
    error: result?.error === undefined ? undefined : serializeError(result.error),
    compensation: result?.compensation,
    events: events.map((e) => ({
      seq: e.seq,
      type: e.type,
      timestamp: e.timestamp,
      step: e.path === undefined ? e.step : [...e.path, e.step].join(" › "),
      attempt: e.attempt,
      delayMs: e.delayMs,
      durationMs: e.durationMs,
      error: e.error === undefined ? undefined : `${e.error.code}: ${e.error.message}`,
    })),
    steps,
    dag,
    timeline: traceTimelineSection(timeline, { width: 1080 }),
  };
}

/** A step's input: each declared input from the workflow input or the output of the step that produces it. */
function inputOf(
  step: PlannedStep,
  all: readonly PlannedStep[],
  workflowInput: Readonly<Record<string, unknown>>,
  outputs: ReadonlyMap<string, Readonly<Record<string, unknown>>>,
): Record<string, unknown> | undefined {
  const input: Record<string, unknown> = {};
  for (const { as, step: from, key } of step.inputs) {
    const producer = all[from];
    if (producer === undefined) input[as] = workflowInput[key];
    else {
      const out = outputs.get(producer.name);
      if (out === undefined) return undefined; // not produced yet (or not journaled)
      input[as] = out[key];
    }
  }
  return input;
}

/** The trace header of an execution: from its definition, else from the steps its events name. */
function traceHeader(
  run: RunRecord,
  steps: readonly PlannedStep[] | undefined,
  events: readonly WorkflowEvent[],
): TraceHeader {
  const named =
    steps?.map((s) => ({
      name: s.name,
      dependencies: s.dependencies,
      depth: s.depth,
      outputs: [...s.definition.outputs],
    })) ??
    [...new Set(events.flatMap((e) => (e.step === undefined ? [] : [e.step])))].map((name) => ({
      name,
      dependencies: [],
      depth: 0,
      outputs: [],
    }));
  return {
    kind: "run",
    executionId: run.executionId,
    workflow: run.workflow,
    version: run.version,
    description: undefined,
    startedAt: run.startedAt,
    steps: named,
  };
}

/** The registered workflows, each with its diagram. */
export function workflowsView(engine: Engine) {
  return engine.registry.list().map(({ name, version, description }) => {
    const wf = engine.registry.get(name, version)!;
    const p = plan(wf);
    return {
      name,
      version,
      description,
      steps: p.steps.length,
      criticalPath: p.criticalPath,
      diagram: toSvg(wf, { title: false, idPrefix: `wf-${name}-${version}`.replace(/[^\w-]/g, "_") }),
    };
  });
}
