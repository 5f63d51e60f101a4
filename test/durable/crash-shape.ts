/**
 * The shape of the crash tests' workflows, shared by the child that runs them and the
 * test that checks their journals: a fixed-seed hash, and each workflow's DAG from it.
 */

/** A small deterministic hash → [0, 1). */
export function chance(...parts: (string | number)[]): number {
  let h = 2166136261;
  for (const c of parts.join("|")) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return ((h >>> 0) % 10_000) / 10_000;
}

export const WORKFLOWS = 4;

/** Workflow k's steps (3–6) and, for each, the steps it depends on. */
export function shape(k: number): number[][] {
  const size = 3 + Math.floor(chance("size", k) * 4);
  return Array.from({ length: size }, (_v, s) =>
    Array.from({ length: s }, (_w, d) => d).filter((d) => chance("dep", k, s, d) < 0.4),
  );
}
