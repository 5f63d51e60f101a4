/**
 * The rubberduck binary, run as a child process: output on a pipe and on a terminal,
 * exit codes, bad input, and Ctrl-C cancelling with compensation.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = new URL("..", import.meta.url).pathname;
const bin = join(root, "bin", "rubberduck.js");

function cli(args: string[], options: { env?: Record<string, string> } = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, ...options.env, FORCE_COLOR: "0" },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const git = (repo: string, ...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8" }).trim();

function tempRepo(): string {
  const repo = mkdtempSync(join(tmpdir(), "rubberduck-cli-test-"));
  git(repo, "init", "-q", "-b", "main");
  git(repo, "config", "user.email", "test@example.com");
  git(repo, "config", "user.name", "test");
  writeFileSync(join(repo, "README.md"), "before\n");
  git(repo, "add", "README.md");
  git(repo, "commit", "-q", "-m", "Initial commit");
  return repo;
}

const snapshotOf = (repo: string) => ({
  files: readdirSync(repo, { recursive: true })
    .map(String)
    .filter((f) => !f.startsWith(".git"))
    .sort(),
  log: git(repo, "log", "--format=%H %s"),
  tags: git(repo, "tag"),
  status: git(repo, "status", "--porcelain"),
  locked: existsSync(join(repo, ".git", "rubberduck.lock")),
});

describe("rubberduck CLI", () => {
  it("list: the workflows of a module", () => {
    const { code, stdout } = cli(["list", "examples/codegen-transaction.ts"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^code_generation_transaction@1\.0\.0 {2}7 steps, 7 groups {2}Generate/);
  });

  it("run without a terminal: one line per event on stderr, the final outputs on stdout, exit 0", () => {
    const { code, stdout, stderr } = cli(["run", "examples/generate-docs.ts", "--input", '{"root": "src/engine"}']);
    expect(code).toBe(0);
    expect(stdout).toContain("# API");
    expect(stdout).toContain("**createEngine** (function)");
    const lines = stderr.trim().split("\n");
    expect(lines[0]).toMatch(/^\[\+ *\d+ ms\] workflow\.started/);
    expect(lines.some((l) => /step\.succeeded +analyze_code \(attempt 1, \d+ ms\)/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/workflow\.succeeded/);
  });

  it("run --json prints the WorkflowResult", () => {
    const { code, stdout } = cli(["run", "examples/generate-docs.ts", "--json", "--input", '{"root": "src/cache"}']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.status).toBe("succeeded");
    expect(result.steps.generate_docs.status).toBe("succeeded");
    expect(result.output.documentation).toContain("memoryCache");
  });

  it("run on a terminal: a live table of steps redrawn in place", () => {
    const out = spawnSync("script", ["-qec", `${process.execPath} ${bin} run examples/generate-docs.ts`, "/dev/null"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, COLUMNS: "120", LINES: "40" },
      timeout: 60_000,
    });
    expect(out.status).toBe(0);
    expect(out.stdout).toContain("\x1b[2K"); // lines cleared and redrawn
    const ESC = "\u001b";
    expect(out.stdout).toMatch(new RegExp(`${ESC}\\[\\d+F`)); // cursor moved up to redraw
    expect(out.stdout).toMatch(new RegExp(`✓ succeeded +${ESC}\\[0m analyze_code`));
    expect(out.stdout).toContain("generate_documentation@1.0.0 succeeded");
  });

  it("the transaction with an injected failure exits non-zero and leaves the repository exactly as before", () => {
    const repo = tempRepo();
    const before = snapshotOf(repo);
    const { code, stderr } = cli([
      "run",
      "examples/codegen-transaction.ts",
      "--input",
      JSON.stringify({ repo, module: "billing", failAt: "release_reservation" }),
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain("failed at step `release_reservation`");
    expect(stderr).toContain("compensated, in order: tag_release, commit_code, generate_code, reserve_resources");
    expect(snapshotOf(repo)).toEqual(before);
  });

  it("a broken template fails validation and is rolled back; a valid one commits", () => {
    const repo = tempRepo();
    const before = snapshotOf(repo);
    const broken = cli([
      "run",
      "examples/codegen-transaction.ts",
      "--input",
      JSON.stringify({ repo, template: "broken" }),
    ]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("failed at step `validate_code`: the generated code does not type-check:");
    expect(snapshotOf(repo)).toEqual(before);

    const ok = cli(["run", "examples/codegen-transaction.ts", "--input", JSON.stringify({ repo })]);
    expect(ok.code).toBe(0);
    const after = snapshotOf(repo);
    expect(after.files).toEqual(["README.md", "src", "src/user_profile.ts"]);
    expect(after.log.split("\n")[0]).toMatch(/Add user_profile \(generated\)$/);
    expect(after.tags).toBe("codegen/user_profile");
    expect(after.locked).toBe(false);
  });

  it.each([
    [["run", "examples/nope.ts"], /^rubberduck: No such file: examples\/nope\.ts\. Give the path/],
    [
      ["run", "examples/generate-docs.ts", "--workflow", "other"],
      /has no workflow named `other`\. It exports: generate_documentation\.\n$/,
    ],
    [
      ["run", "examples/generate-docs.ts", "--input", "{not json"],
      /^rubberduck: --input is not valid JSON \(.+\)\. Pass a JSON object/,
    ],
    [
      ["run", "examples/generate-docs.ts", "--input", "[1]"],
      /^rubberduck: --input must be a JSON object, got an array\./,
    ],
    [
      ["run", "examples/generate-docs.ts", "--print", "nope"],
      /--print: `generate_documentation` has no output `nope`\. Its outputs: /,
    ],
    [
      ["run", "examples/generate-docs.ts", "--parallel-limit", "0"],
      /option '-p, --parallel-limit <n>' argument '0' is invalid/,
    ],
    [["graph", "examples/generate-docs.ts", "--format", "png"], /Unknown format `png`\. Use mermaid, dot or svg\./],
  ])("bad input %j: one paragraph, exit 2, no stack trace", (args, message) => {
    const { code, stderr } = cli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n +at /);
  });

  it("input that fails the workflow's schema: no step runs, the issues, exit 2, no stack trace", () => {
    const { code, stderr } = cli(["run", "examples/codegen-transaction.ts", "--input", '{"module": "Bad-Name"}']);
    expect(code).toBe(2);
    expect(stderr).toContain("code_generation_transaction@1.0.0: its input was rejected, no step ran:");
    expect(stderr).toContain("input is invalid: module: a module name is lower_snake_case");
    expect(stderr).not.toContain("step.started");
    expect(stderr).not.toMatch(/\n +at /);
  });

  it("--version, counts in `list`, outputs by name and --print", () => {
    expect(cli(["--version"]).stdout).toBe(`${JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version}\n`);
    expect(cli(["list", "test/fixtures/cli-failing.ts"]).stdout).toBe("failing@1.0.0  2 steps, 2 groups\n");
    expect(cli(["list", "test/fixtures/one-step.ts"]).stdout).toBe("single@1.0.0  1 step, 1 group\n");
    const docs = cli(["run", "examples/generate-docs.ts", "--input", '{"root": "src/engine"}']);
    expect(docs.stdout).toMatch(/^documentation:\n# API/);
    const raw = cli([
      "run",
      "examples/generate-docs.ts",
      "--input",
      '{"root": "src/engine"}',
      "--print",
      "documentation",
    ]);
    expect(raw.stdout).toMatch(/^# API/);
  });

  it("--debug shows the stack trace", () => {
    const { stderr } = cli(["run", "examples/nope.ts", "--debug"]);
    expect(stderr).toMatch(/\n +at /);
  });

  it("Ctrl-C (SIGINT) cancels the run, compensation runs, exit 130", async () => {
    const marker = join(mkdtempSync(join(tmpdir(), "rubberduck-sigint-")), "marker.txt");
    const child: ChildProcess = spawn(
      process.execPath,
      [bin, "run", "test/fixtures/cli-slow.ts", "--input", JSON.stringify({ marker })],
      { cwd: root, env: { ...process.env, FORCE_COLOR: "0" } },
    );
    let stderr = "";
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      child.stderr!.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/step\.started +wait/.test(stderr)) resolve();
      });
    });
    expect(existsSync(marker)).toBe(true);
    child.kill("SIGINT");
    const code = await exited;
    expect(code).toBe(130);
    expect(stderr).toContain("Cancelling");
    expect(stderr).toMatch(/step\.compensated +touch/);
    expect(stderr).toContain("slow@1.0.0 cancelled");
    expect(existsSync(marker)).toBe(false);
  });
});

describe("rubberduck run --trace-file and view", () => {
  it("writes the trace as JSON lines, and view renders it as one HTML page", () => {
    const dir = mkdtempSync(join(tmpdir(), "rubberduck-trace-"));
    const trace = join(dir, "run.jsonl");
    const html = join(dir, "run.html");
    const run = cli(["run", "test/fixtures/cli-failing.ts", "--trace-file", trace]);
    expect(run.code).toBe(1);
    const lines = readFileSync(trace, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ kind: "run", workflow: "failing", steps: [{ name: "a" }, { name: "b" }] });
    expect(lines.at(-1)).toMatchObject({ kind: "result", status: "failed", compensation: { compensated: ["a"] } });
    const states = lines.filter((l) => l.kind === "state" && l.actor === "step:b").map((l) => l.state);
    expect(states).toEqual(["idle", "running", "failed"]);
    const view = cli(["view", trace, "--out", html]);
    expect(view.code).toBe(0);
    const page = readFileSync(html, "utf8");
    expect(page).toMatch(/^<!DOCTYPE html>/i);
    expect(page).toContain("failing");

    writeFileSync(join(dir, "bad.jsonl"), "not json\n");
    const bad = cli(["view", join(dir, "bad.jsonl")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("line 1");
  });
});

describe("loading TypeScript modules", () => {
  it("works in a project whose package.json is not an ES module one", () => {
    const dir = mkdtempSync(join(tmpdir(), "rubberduck-cjs-"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "plain-project", version: "1.0.0" }));
    writeFileSync(
      join(dir, "wf.ts"),
      `import { workflow } from ${JSON.stringify(join(root, "src", "index.ts"))};\n` +
        `export const hello = workflow("hello").step("greet", { outputs: ["greeting"], run: () => ({ greeting: "hi" }) });\n`,
    );
    const { code, stdout } = cli(["run", join(dir, "wf.ts")]);
    expect(code).toBe(0);
    expect(stdout).toBe("greeting: hi\n");
  });

  it("run --store, kill -9, runs, resume: the transaction finishes where it stopped, or rolls back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rubberduck-cli-durable-"));
    const store = join(dir, "runs.db");
    for (const [answer, status] of [
      ["yes", "succeeded"],
      ["no", "failed"],
    ] as const) {
      const repo = tempRepo();
      const before = snapshotOf(repo);
      const approval = join(dir, `approve-${answer}.txt`);
      const input = JSON.stringify({ repo, approvalFile: approval });
      const child = spawn(
        process.execPath,
        [bin, "run", "examples/codegen-transaction.ts", "--store", store, "--input", input],
        {
          cwd: root,
          env: { ...process.env, FORCE_COLOR: "0" },
        },
      );
      let stderr = "";
      await new Promise<void>((resolve) =>
        child.stderr!.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes("Waiting for approval")) resolve();
        }),
      );
      const id = /Journaled in .* as (\S+)/.exec(stderr)![1]!;
      child.kill("SIGKILL");
      await new Promise((resolve) => child.on("exit", resolve));
      // The repository holds the uncommitted work and the lock; the store, a running execution.
      expect(snapshotOf(repo).locked, stderr).toBe(true);
      const listed = cli(["runs", "--store", store, "--status", "running"]);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout, `${stderr}\n${listed.stdout}`).toContain(id);
      expect(listed.stdout).toContain("running");

      writeFileSync(approval, `${answer}\n`);
      const resumed = cli(["resume", id, "examples/codegen-transaction.ts", "--store", store]);
      expect(resumed.code, resumed.stderr).toBe(status === "succeeded" ? 0 : 1);
      expect(resumed.stderr).toContain("step.started             await_approval (attempt 2)");
      // Completed steps did not run again: each started once, with attempt 1.
      expect(resumed.stderr.match(/step\.started +validate_code/g)).toHaveLength(1);
      const shown = cli(["runs", "show", id, "--store", store]);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toContain(`${id}  ${status === "succeeded" ? "✓" : "✗"} ${status}`);
      if (status === "succeeded") {
        expect(git(repo, "tag")).toBe("codegen/user_profile");
        expect(snapshotOf(repo).locked).toBe(false);
      } else {
        expect(shown.stdout).toContain("compensated, in order: generate_code, reserve_resources");
        expect(snapshotOf(repo)).toEqual(before);
      }
    }
    expect(cli(["resume", "examples/codegen-transaction.ts", "--store", store]).stderr).toContain("Nothing to resume");
    expect(cli(["runs", "show", "nope", "--store", store]).code).toBe(2);
  }, 60_000);

  it.runIf(process.env.RUBBERDUCK_TEST_POSTGRES !== undefined)(
    "--store postgres://…: migrate, then run and show on Postgres",
    () => {
      const url = process.env.RUBBERDUCK_TEST_POSTGRES!;
      expect(cli(["migrate", "--store", url]).stderr).toContain("is up to date");
      const ran = cli(["run", "examples/generate-docs.ts", "--input", '{"root": "src/engine"}', "--store", url]);
      expect(ran.code, ran.stderr).toBe(0);
      const id = /Journaled in .* as (\S+)/.exec(ran.stderr)![1]!;
      const shown = cli(["runs", "show", id, "--store", url]);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toContain("✓ succeeded");
    },
    60_000,
  );
});
