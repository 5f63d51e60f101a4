/**
 * Engines on different hosts (each its own owner, `takeOverLocal` off): one is killed
 * with SIGKILL in the middle of its runs, and another takes its executions over only
 * once their leases have expired, running each step that had not completed, and none
 * that had. And an execution whose step kills every engine that runs it is
 * dead-lettered after `maxRecoveries` takeovers, while the executions beside it, which
 * make progress between the crashes, finish. On SQLite, and on Postgres when
 * RUBBERDUCK_TEST_POSTGRES is set.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, sqliteStore } from "../../src/index.js";
import { decodeEvent } from "../../src/journal/codec.js";
import type { ExecutionStore } from "../../src/store/execution-store.js";
import { postgresStore } from "../../src/store/postgres-store.js";
import { bundleChild, bundledChild, postgresSchemas } from "./support.js";

const CHILD = bundledChild("takeover");
beforeAll(() => bundleChild(join(import.meta.dirname, "takeover-child.ts"), "takeover"));

interface Effect {
  owner: string;
  exec: string;
  step: string;
  attempt?: number;
  t?: number;
  compensated?: boolean;
}

function child(db: string, log: string, env: Record<string, string>) {
  const proc: ChildProcess = spawn(process.execPath, [CHILD, db, log], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  proc.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const ready = new Promise<void>((resolve) =>
    proc.stdout!.on("data", (c: Buffer) => c.includes("ready") && resolve()),
  );
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    proc.on("exit", (code, signal) => resolve({ code, signal, stderr })),
  );
  return { proc, ready, exit };
}

const POSTGRES = process.env.RUBBERDUCK_TEST_POSTGRES;
const freshSchema = postgresSchemas("takeover");
const kinds: ("sqlite" | "postgres")[] = POSTGRES === undefined ? ["sqlite"] : ["sqlite", "postgres"];
if (POSTGRES === undefined) {
  console.log("Postgres takeover tests skipped: set RUBBERDUCK_TEST_POSTGRES=postgres://user@host:5432/db to run them");
}

function setup(kind: "sqlite" | "postgres") {
  const dir = mkdtempSync(join(tmpdir(), "rubberduck-takeover-"));
  const log = join(dir, "effects.jsonl");
  writeFileSync(log, "");
  const schema = freshSchema();
  const db = kind === "sqlite" ? join(dir, "runs.db") : POSTGRES!;
  const open = (): ExecutionStore =>
    kind === "sqlite" ? sqliteStore(db) : postgresStore({ connectionString: db, schema, max: 2 });
  const effects = () =>
    readFileSync(log, "utf8")
      .split("\n")
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as Effect);
  return { db, log, env: { PG_SCHEMA: schema }, open, effects };
}

describe.each(kinds)("%s: takeover across hosts", (kind) => {
  it("takes over a killed engine's executions once their leases expire, rerunning only what had not completed", async () => {
    const { db, log, env, open, effects } = setup(kind);
    const a = child(db, log, { ...env, MODE: "start", START: "6", OWNER: "host-a:1", LEASE_MS: "1500" });
    await a.ready;
    // Mid-run: once some chain has started its second step.
    for (let i = 0; i < 1_000 && !effects().some((e) => e.step === "s2"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    a.proc.kill("SIGKILL");
    expect((await a.exit).signal).toBe("SIGKILL");
    const store = open();
    const { runs: atKill } = await store.list({ limit: 100 });
    const leaseUntil = new Map(atKill.map((r) => [r.executionId, r.leaseUntil]));
    const unfinished = atKill.filter((r) => r.status === "running");
    expect(unfinished.length).toBeGreaterThan(0);

    const b = child(db, log, { ...env, MODE: "recover", OWNER: "host-b:1", LEASE_MS: "1500" });
    const { code, stderr } = await b.exit;
    expect(code, stderr).toBe(0);

    const problems: string[] = [];
    const all = effects();
    const { runs: after } = await store.list({ limit: 100 });
    expect(after.length).toBe(6);
    for (const run of after) {
      const id = run.executionId;
      if (run.status !== "succeeded") problems.push(`${id}: ${run.status}`);
      const rows = await store.events(id);
      if (rows.some((r, i) => r.seq !== i + 1)) problems.push(`${id}: journal has gaps`);
      const journal = rows.map(decodeEvent);
      const mine = all.filter((e) => e.exec === id);
      // B ran nothing of it before its lease expired.
      const firstByB = mine.find((e) => e.owner === "host-b:1");
      if (firstByB !== undefined && firstByB.t! < leaseUntil.get(id)!) {
        problems.push(
          `${id}: host-b ran ${firstByB.step} at ${firstByB.t}, before the lease expired at ${leaseUntil.get(id)}`,
        );
      }
      // No step completed by A ran again; no attempt number ran twice.
      for (const done of journal.filter((e) => e.type === "step.succeeded")) {
        const by = Object.values(done.output ?? {})[0];
        const again = mine.filter((e) => e.step === done.step && e.owner !== by);
        if (by === "host-a:1" && again.length > 0) problems.push(`${id}: ${done.step} completed by A, ran again on B`);
      }
      const attempts = mine.map((e) => `${e.step}#${e.attempt}`);
      if (new Set(attempts).size !== attempts.length) problems.push(`${id}: an attempt ran twice: ${attempts}`);
    }
    expect(problems).toEqual([]);
    // B did take over: the executions unfinished at the kill finished on B.
    for (const run of unfinished) {
      const owners = new Set(all.filter((e) => e.exec === run.executionId).map((e) => e.owner));
      expect(owners.has("host-b:1")).toBe(true);
    }
    await store.close();
  }, 60_000);

  it("dead-letters an execution that kills every engine that runs it; the ones beside it finish", async () => {
    const { db, log, env, open, effects } = setup(kind);
    const max = 2;
    let kills = 0;
    const first = child(db, log, {
      ...env,
      MODE: "start",
      START: "3",
      KILLER: "1",
      OWNER: "host-0:1",
      MAX_RECOVERIES: String(max),
    });
    if ((await first.exit).signal === "SIGKILL") kills++;
    for (let gen = 1; gen < 10; gen++) {
      const next = child(db, log, {
        ...env,
        MODE: "recover",
        OWNER: `host-${gen}:1`,
        LEASE_MS: "300",
        MAX_RECOVERIES: String(max),
      });
      const { code, signal, stderr } = await next.exit;
      if (signal === "SIGKILL") kills++;
      else {
        expect(code, stderr).toBe(0);
        break;
      }
    }
    // Started once, recovered `max` times, each run killed; the next takeover dead-letters it.
    expect(kills).toBe(max + 1);
    const store = open();
    const { runs } = await store.list({ limit: 100 });
    const killer = runs.find((r) => r.workflow === "takeover_killer")!;
    expect(killer).toMatchObject({ status: "failed" });
    const journal = (await store.events(killer.executionId)).map(decodeEvent);
    const end = journal.at(-1)!;
    expect(end.type).toBe("workflow.failed");
    expect(end.error?.code).toBe(ErrorCode.RECOVERY_LIMIT);
    expect(end.error).toMatchObject({ step: "boom", recoveries: max + 1 });
    expect(effects().filter((e) => e.exec === killer.executionId && e.step === "boom").length).toBe(max + 1);
    expect(effects().some((e) => e.compensated)).toBe(false);
    const chains = runs.filter((r) => r.workflow === "takeover_chain");
    expect(chains.map((r) => r.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    await store.close();
  }, 60_000);
});
