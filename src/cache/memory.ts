/**
 * The default cache store: an in-process LRU (lru-cache) bounded by entries, whose TTL
 * runs on the engine's clock (so tests with a fake clock can expire entries).
 */

import { LRUCache } from "lru-cache";
import type { CacheStore } from "./store.js";

/**
 * Options of `memoryCache`.
 *
 * @example
 * memoryCache({ max: 10_000, now: clock.now });
 */
export interface MemoryCacheOptions {
  /** Entries kept at most; the least recently used go first. @default 1000 */
  max?: number;
  /** Time source for TTLs, in ms. @default Date.now */
  now?: () => number;
}

// lru-cache refuses undefined values; a step without outputs caches an empty object anyway.
type Entry = { value: unknown };

/**
 * An in-memory LRU cache store.
 *
 * @example
 * createEngine({ cache: memoryCache({ max: 10_000 }) });
 */
export function memoryCache(options: MemoryCacheOptions = {}): CacheStore {
  const now = options.now ?? Date.now;
  const lru = new LRUCache<string, Entry>({
    max: options.max ?? 1000,
    // Expiry is checked against `now` on read; no timers, and no cached clock reading.
    // lru-cache takes a start time of 0 for "no ttl", so a clock starting at 0 (a fake
    // one) is shifted by 1 ms; only differences of it matter.
    perf: { now: () => now() + 1 },
    ttlResolution: 0,
    allowStale: false,
  });
  return {
    get: (key) => lru.get(key)?.value,
    set: (key, value, ttlMs) => {
      lru.set(key, { value }, ttlMs === undefined ? undefined : { ttl: ttlMs });
    },
    delete: (key) => lru.delete(key),
  };
}
