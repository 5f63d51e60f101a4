/**
 * One execution's use of the cache store: a step's key, a lookup, the write of an
 * accepted result, and the removal of a compensated one. Every store call is guarded:
 * a store that throws or rejects turns into a `step.cache_bypassed` event, never a
 * failed step.
 *
 * Only the step actor writes, and only for the attempt whose result it accepted: an
 * attempt that timed out, was cancelled or was superseded by a retry may still resolve
 * later, and its value must never become a hit.
 */

import type { StepContext } from "../dsl/step.js";
import type { PlannedStep } from "../planner/types.js";
import { stableHash, stepCacheKey } from "./key.js";
import type { CacheStore } from "./store.js";

/** Cache access for one execution. */
export interface CacheAccess {
  readonly store: CacheStore;
  readonly workflow: string;
  readonly version: string;
  /** Tell the workflow actor the cache was bypassed (unhashable input, store error). */
  readonly bypassed: (step: PlannedStep, reason: string) => void;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The step's cache key, or undefined (and a bypass event) when the input cannot be keyed. */
export function cacheKeyOf(
  cache: CacheAccess,
  step: PlannedStep,
  input: unknown,
  ctx: StepContext,
): string | undefined {
  const policy = step.cache!;
  let part: string;
  try {
    if (policy.key !== undefined) part = String(policy.key(input, ctx));
    else if (policy.workflowKey !== undefined) part = String(policy.workflowKey(ctx.workflowInput));
    else {
      const hashed = stableHash(input);
      if ("unhashable" in hashed) {
        cache.bypassed(step, `the input cannot be hashed: ${hashed.unhashable}`);
        return undefined;
      }
      part = hashed.hash;
    }
  } catch (error) {
    cache.bypassed(step, `the cache key function threw: ${message(error)}`);
    return undefined;
  }
  return stepCacheKey(cache.workflow, cache.version, step.name, part);
}

/**
 * The cached outputs under `key`, or undefined for a miss. `accept` checks a hit (it
 * throws for a value that lacks a declared output: written before the step's outputs
 * changed, or by another user of the store), which is then a miss.
 */
export async function readCache<T>(
  cache: CacheAccess,
  step: PlannedStep,
  key: string,
  accept: (hit: unknown) => T,
): Promise<T | undefined> {
  let hit: unknown;
  try {
    hit = await cache.store.get(key);
  } catch (error) {
    cache.bypassed(step, `the cache store failed to read: ${message(error)}`);
    return undefined;
  }
  if (hit === undefined) return undefined;
  try {
    return accept(hit);
  } catch {
    cache.bypassed(step, "the cached value lacks a declared output; running the step");
    return undefined;
  }
}

/** Store the accepted outputs of a step under `key` (with the step's ttl). */
export function writeCache(cache: CacheAccess, step: PlannedStep, key: string, output: unknown): void {
  const failed = (error: unknown) => cache.bypassed(step, `the cache store failed to write: ${message(error)}`);
  try {
    Promise.resolve(cache.store.set(key, output, step.cache!.ttl)).catch(failed);
  } catch (error) {
    failed(error);
  }
}

/**
 * A compensated step's side effects are undone: drop its cached outputs so a later
 * execution does not reuse a result that no longer holds. A store that cannot delete
 * leaves an entry that expires with its ttl.
 */
export function forgetCache(store: CacheStore, key: string): void {
  try {
    Promise.resolve(store.delete(key)).catch(() => {});
  } catch {
    // see above
  }
}
