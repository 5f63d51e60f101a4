/**
 * Time, as the engine sees it. XState schedules delayed transitions (timeouts,
 * backoff) through `setTimeout`/`clearTimeout`; timestamps and durations come from
 * `now`. Inject one clock to make every delay and timestamp deterministic in tests.
 *
 * @example
 * const clock = { now: () => fake.now, setTimeout: fake.setTimeout, clearTimeout: fake.clearTimeout };
 * createEngine({ clock });
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The real clock. Looks the globals up at call time, so fake timers installed later apply.
 *
 * @example
 * createEngine({ clock: simulate ? new SimulatedClock() : systemClock });
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
