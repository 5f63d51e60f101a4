/**
 * Where step results are cached. A small interface, so any store can back it (Redis,
 * a file, a database); every method may be synchronous or return a promise. Values are
 * the step's frozen outputs object: a store that leaves the process must serialise them.
 *
 * @example
 * const redisCache: CacheStore = {
 *   get: async (key) => { const s = await redis.get(key); return s === null ? undefined : JSON.parse(s); },
 *   set: async (key, value, ttl) => { await redis.set(key, JSON.stringify(value), ...(ttl ? ["PX", ttl] : [])); },
 *   delete: async (key) => { await redis.del(key); },
 * };
 * createEngine({ cache: redisCache });
 */
export interface CacheStore {
  /** The cached value, or `undefined` for a miss (or an expired entry). */
  get(key: string): unknown | Promise<unknown>;
  /** Store a value; `ttlMs` undefined means no expiry. */
  set(key: string, value: unknown, ttlMs: number | undefined): void | Promise<void>;
  delete(key: string): unknown | Promise<unknown>;
}
