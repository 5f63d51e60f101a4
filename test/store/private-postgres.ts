/**
 * A PostgreSQL server of the test's own, in a temporary directory, that the test may
 * stop, kill and restart without disturbing the shared database other tests use. Made
 * with the server binaries the machine has (`initdb`, `pg_ctl`), run as the `postgres`
 * user when the test runs as root (PostgreSQL refuses to run as root).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PrivatePostgres {
  readonly url: string;
  /** `fast`: sessions are told to end (57P01); `immediate`: the server dies as in a crash, and recovers from its WAL on start. */
  stop(mode: "fast" | "immediate"): void;
  start(): void;
  /** Stop and remove it. */
  destroy(): void;
}

/** Where the server binaries are, or undefined when this machine has none. */
function binaries(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  const bin = version === undefined ? undefined : join(root, version, "bin");
  return bin !== undefined && existsSync(join(bin, "initdb")) ? bin : undefined;
}

/** Why a private server cannot be made here (undefined: it can). */
export function privatePostgresMissing(): string | undefined {
  if (binaries() === undefined) return "no PostgreSQL server binaries under /usr/lib/postgresql";
  if (process.getuid?.() === 0) {
    try {
      execFileSync("id", ["postgres"], { stdio: "ignore" });
    } catch {
      return "running as root, and there is no postgres user to run the server as";
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

export async function privatePostgres(): Promise<PrivatePostgres> {
  const bin = binaries()!;
  const dir = mkdtempSync(join(tmpdir(), "rubberduck-pg-"));
  chmodSync(dir, 0o777);
  const data = join(dir, "data");
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const run = (tool: string, args: string[]) =>
    execFileSync(
      asRoot ? "runuser" : join(bin, tool),
      asRoot ? ["-u", "postgres", "--", join(bin, tool), ...args] : args,
      {
        stdio: "pipe",
      },
    );
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`;
  const start = () => run("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "server.log"), "-w", "start"]);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: (mode) => run("pg_ctl", ["-D", data, "-m", mode, "-w", "stop"]),
    start,
    destroy: () => {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
