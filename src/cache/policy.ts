/**
 * Which steps are cached, and how their key is made: a step's own `cache` setting,
 * else the workflow's `cacheResults`. Pure.
 */

import type { WorkflowOptions } from "../dsl/options.js";
import type { StepCacheSetting, StepContext } from "../dsl/step.js";

/**
 * How one step's cache key and expiry are made.
 *
 * @example
 * plan(analysis).steps.find((s) => s.name === "lint")?.cache?.ttl; // 86_400_000
 */
export interface CachePolicy {
  /** The step's own key function (input, ctx). */
  readonly key: ((input: any, ctx: StepContext<any, any>) => string) | undefined;
  /** The workflow's key function (workflow input), used when the step has none. */
  readonly workflowKey: ((input: any) => string) | undefined;
  /** ms; undefined: no expiry. */
  readonly ttl: number | undefined;
}

/** The effective cache policy of a step, or undefined when it is not cached. */
export function resolveCache(
  step: StepCacheSetting | undefined,
  workflow: WorkflowOptions["cacheResults"],
): CachePolicy | undefined {
  if (step === false) return undefined;
  const wf = typeof workflow === "object" && workflow !== null ? workflow : undefined;
  if (step === undefined && !workflow) return undefined;
  const own = typeof step === "object" && step !== null ? step : undefined;
  return { key: own?.key, workflowKey: wf?.key, ttl: own?.ttl ?? wf?.ttl };
}
