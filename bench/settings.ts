/**
 * Command-line settings:
 *
 *   --runs N              timed samples per series, after one warm-up (default 5; --quick 3)
 *   --timeout S           per-series budget in seconds (default 30; --quick 10)
 *   --parallel-limit N    engine parallelLimit and p-graph concurrency for W1–W3 and W6
 *                         (default unbounded; also "inf")
 *   --only W1,W5          workloads to run (default all)
 *   --quick               fewer runs and smaller timeouts, for fast iteration
 */

import { parseArgs } from "node:util";

export const WORKLOAD_IDS = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8"] as const;
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

export interface Settings {
  readonly runs: number;
  readonly timeoutSeconds: number;
  /** For W1–W3 and W6; `Infinity` = unbounded. */
  readonly parallelLimit: number;
  readonly only: readonly WorkloadId[];
  readonly quick: boolean;
}

const isWorkloadId = (id: string): id is WorkloadId => (WORKLOAD_IDS as readonly string[]).includes(id);

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} expects an integer >= 1, got ${text}`);
  return n;
}

function workloadIds(text: string | undefined): WorkloadId[] {
  if (text === undefined) return [...WORKLOAD_IDS];
  const ids = text.split(",").map((id) => id.trim().toUpperCase());
  const unknown = ids.filter((id) => !isWorkloadId(id));
  if (unknown.length > 0) throw new Error(`--only: unknown workload ${unknown.join(", ")} (ids: ${WORKLOAD_IDS})`);
  return WORKLOAD_IDS.filter((id) => ids.includes(id));
}

export function parseSettings(argv: readonly string[]): Settings {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      runs: { type: "string" },
      timeout: { type: "string" },
      "parallel-limit": { type: "string", default: "inf" },
      only: { type: "string" },
      quick: { type: "boolean", default: false },
    },
    strict: true,
  });
  const quick = values.quick;
  const limit = values["parallel-limit"];
  return {
    runs: positiveInt("runs", values.runs ?? (quick ? "3" : "5")),
    timeoutSeconds: positiveInt("timeout", values.timeout ?? (quick ? "10" : "30")),
    parallelLimit: /^(inf|infinity|unbounded)$/i.test(limit)
      ? Number.POSITIVE_INFINITY
      : positiveInt("parallel-limit", limit),
    only: workloadIds(values.only),
    quick,
  };
}
