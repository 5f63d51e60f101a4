/**
 * The guide's transactional workflow, with real side effects in a git repository:
 * reserve the repository (a lock), generate a TypeScript module from a template,
 * validate it by type-checking it with the compiler API, wait for a human's approval (when
 * asked to), commit it, tag it, release the lock. Any failure rolls back what was done,
 * newest first: the tag is deleted, the commit reset, the files removed, the lock
 * released — the repository is left exactly as it was. Without `repo`, a fresh temporary
 * repository is created (and removed on rollback).
 *
 *   npx rubberduck run examples/codegen-transaction.ts
 *   npx rubberduck run examples/codegen-transaction.ts --input '{"failAt":"tag_release"}'
 *   npx rubberduck run examples/codegen-transaction.ts --input '{"template":"broken"}'
 *   npx rubberduck run examples/codegen-transaction.ts --store runs.db --input '{"approvalFile":"approve.txt"}'
 *     (waits until approve.txt says `yes` — or anything else, to reject and roll back; kill it
 *     meanwhile, and `npx rubberduck resume examples/codegen-transaction.ts --store runs.db`)
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, open, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import ts from "typescript";
import { z } from "zod";
import { NonRetryableError, workflow } from "../src/index.js";

const run = promisify(execFile);
const git = async (repo: string, ...args: string[]) => (await run("git", args, { cwd: repo })).stdout.trim();

const STEPS = [
  "reserve_resources",
  "generate_code",
  "validate_code",
  "await_approval",
  "commit_code",
  "tag_release",
  "release_reservation",
] as const;

const input = z.object({
  /** The repository to generate into; a new temporary one when omitted. */
  repo: z.string().optional(),
  module: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/, "a module name is lower_snake_case")
    .default("user_profile"),
  template: z.enum(["valid", "broken"]).default("valid"),
  /**
   * Wait for a human before committing: until this file exists, holding `yes` (approve)
   * or anything else (reject: the transaction rolls back). No file: no approval needed.
   */
  approvalFile: z.string().optional(),
  /** Inject a failure at this step, to watch the rollback. */
  failAt: z.enum(STEPS).optional(),
});

const failIf = (failAt: string | undefined, step: string) => {
  if (failAt === step) throw new Error(`failure injected at ${step}`);
};

export const codegenTransaction = workflow("code_generation_transaction", {
  description: "Generate, validate and commit code as one transaction",
  input,
  onError: "compensate_all",
})
  .step("reserve_resources", {
    inputs: ["repo", "module", "failAt"],
    outputs: ["reservation_id", "workspace", "created"],
    run: async ({ repo, module, failAt }) => {
      failIf(failAt, "reserve_resources");
      let workspace = repo;
      const created = workspace === undefined;
      if (workspace === undefined) {
        workspace = await mkdtemp(join(tmpdir(), "rubberduck-codegen-"));
        await git(workspace, "init", "-q", "-b", "main");
        await git(workspace, "config", "user.email", "codegen@example.com");
        await git(workspace, "config", "user.name", "codegen");
        await writeFile(join(workspace, "README.md"), "# generated code lives here\n");
        await git(workspace, "add", "README.md");
        await git(workspace, "commit", "-q", "-m", "Initial commit");
      }
      // The reservation: an exclusive lock inside .git (never part of a commit).
      const reservation_id = `codegen-${module}-${Date.now().toString(36)}`;
      const lock = await open(join(workspace, ".git", "rubberduck.lock"), "wx");
      await lock.writeFile(reservation_id);
      await lock.close();
      return { reservation_id, workspace, created };
    },
    compensate: async ({ output }) => {
      if (output === undefined) return;
      if (output.created) await rm(output.workspace, { recursive: true, force: true });
      else await rm(join(output.workspace, ".git", "rubberduck.lock"), { force: true });
    },
  })
  .step("generate_code", {
    inputs: ["workspace", "module", "template", "failAt"],
    outputs: ["generated_code"],
    run: async ({ workspace, module, template, failAt }) => {
      failIf(failAt, "generate_code");
      const file = join("src", `${module}.ts`);
      // mkdir returns the first directory it created, if any: remember it to remove it on rollback.
      const createdDir = await mkdir(dirname(join(workspace, file)), { recursive: true });
      await writeFile(join(workspace, file), render(module, template), { flag: "wx" });
      return { generated_code: { workspace, files: [file], createdDir } };
    },
    compensate: async ({ output }) => {
      if (output === undefined) return;
      const { workspace, files, createdDir } = output.generated_code;
      for (const file of files) await rm(join(workspace, file), { force: true });
      if (createdDir !== undefined) await rmdir(createdDir);
    },
  })
  .step("validate_code", {
    inputs: ["generated_code", "failAt"],
    outputs: ["validation_result"],
    run: ({ generated_code, failAt }) => {
      failIf(failAt, "validate_code");
      const files = generated_code.files.map((f) => join(generated_code.workspace, f));
      const program = ts.createProgram(files, {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        skipLibCheck: true,
        types: [],
      });
      const diagnostics = ts
        .getPreEmitDiagnostics(program)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      if (diagnostics.length > 0) throw new Error(`the generated code does not type-check: ${diagnostics.join("; ")}`);
      return { validation_result: { files: files.length, diagnostics: 0 } };
    },
  })
  .step("await_approval", {
    inputs: ["validation_result", "approvalFile", "failAt"],
    outputs: ["approval"],
    run: async ({ approvalFile, failAt }, ctx) => {
      failIf(failAt, "await_approval");
      if (approvalFile === undefined) return { approval: "not required" };
      process.stderr.write(`Waiting for approval: write yes (or no) into ${approvalFile}\n`);
      for (;;) {
        const answer = await readFile(approvalFile, "utf8").then(
          (text) => text.trim(),
          () => undefined,
        );
        if (answer === "yes") return { approval: `approved in ${approvalFile}` };
        if (answer !== undefined) throw new NonRetryableError(`the change was rejected (${approvalFile}: ${answer})`);
        await sleep(250, undefined, { signal: ctx.signal });
      }
    },
  })
  .step("commit_code", {
    inputs: ["generated_code", "validation_result", "approval", "module", "failAt"],
    outputs: ["commit_id"],
    run: async ({ generated_code, module, failAt }) => {
      failIf(failAt, "commit_code");
      const { workspace, files } = generated_code;
      await git(workspace, "add", ...files);
      await git(workspace, "commit", "-q", "-m", `Add ${module} (generated)`);
      return { commit_id: await git(workspace, "rev-parse", "HEAD") };
    },
    compensate: async ({ output, input }) => {
      if (output === undefined) return;
      const { workspace } = input.generated_code;
      // Only undo our own commit, and only if nothing was committed on top of it.
      if ((await git(workspace, "rev-parse", "HEAD")) !== output.commit_id) {
        throw new Error(`HEAD moved past ${output.commit_id}; not resetting`);
      }
      await git(workspace, "reset", "-q", "--mixed", "HEAD~1");
    },
  })
  .step("tag_release", {
    inputs: ["generated_code", "commit_id", "module", "failAt"],
    outputs: ["tag"],
    run: async ({ generated_code, commit_id, module, failAt }) => {
      failIf(failAt, "tag_release");
      const tag = `codegen/${module}`;
      await git(generated_code.workspace, "tag", tag, commit_id);
      return { tag };
    },
    compensate: async ({ input }) => {
      await git(input.generated_code.workspace, "tag", "-d", `codegen/${input.module}`).catch(() => {});
    },
  })
  .step("release_reservation", {
    inputs: ["workspace", "reservation_id", "tag", "failAt"],
    outputs: ["summary"],
    run: async ({ workspace, reservation_id, tag, failAt }) => {
      failIf(failAt, "release_reservation");
      await rm(join(workspace, ".git", "rubberduck.lock"));
      return { summary: `${reservation_id}: committed and tagged ${tag} in ${workspace}` };
    },
  });

export const defaultInput = {};

function render(module: string, template: "valid" | "broken"): string {
  const type = module.replace(/(^|_)(\w)/g, (_m, _s, c: string) => c.toUpperCase());
  const id = template === "valid" ? "id" : "42";
  return `export interface ${type} {\n  id: string;\n  createdAt: Date;\n}\n\nexport function create${type}(id: string): ${type} {\n  return { id: ${id}, createdAt: new Date() };\n}\n`;
}
