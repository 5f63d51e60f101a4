/**
 * Cache keys: workflow name and version, step name, and a stable hash of the input —
 * the same for equal values whatever their key order. Values JSON cannot represent
 * faithfully (functions, symbols, cycles, class instances other than Date) make the
 * input unhashable: the step then runs uncached.
 */

import { createHash } from "node:crypto";
import { configure } from "safe-stable-stringify";

const stringify = configure({ deterministic: true, strict: true, circularValue: TypeError, bigint: true });

/** A stable hash of a value, or the reason it cannot be hashed. */
export function stableHash(value: unknown): { hash: string } | { unhashable: string } {
  const problem = unhashable(value, new Set());
  if (problem !== undefined) return { unhashable: problem };
  try {
    const text = stringify(value) ?? "undefined";
    return { hash: createHash("sha256").update(text).digest("base64url") };
  } catch (error) {
    return { unhashable: error instanceof Error ? error.message : String(error) };
  }
}

/** The full key of a step's cached outputs. */
export function stepCacheKey(workflow: string, version: string, step: string, part: string): string {
  return `rubberduck:${workflow}@${version}:${step}:${part}`;
}

/** Why a value cannot be hashed faithfully (JSON would silently drop or change it), if it cannot. */
function unhashable(value: unknown, seen: Set<object>): string | undefined {
  switch (typeof value) {
    case "function":
      return "it contains a function";
    case "symbol":
      return "it contains a symbol";
    case "object": {
      if (value === null || value instanceof Date) return undefined;
      if (seen.has(value)) return "it contains a cycle";
      const proto = Object.getPrototypeOf(value);
      if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
        return `it contains a ${value.constructor?.name ?? "class"} instance`;
      }
      seen.add(value);
      for (const item of Object.values(value)) {
        const problem = unhashable(item, seen);
        if (problem !== undefined) return problem;
      }
      seen.delete(value);
      return undefined;
    }
    default:
      return undefined;
  }
}
