/**
 * An engine's recovery loop (`recoverEvery`): it recovers what it may claim now, then
 * looks again after `every` ms, or sooner — when the next lease it saw held is due to
 * expire, or when the store says another engine released one (a hint: a missed one
 * costs a tick, never an execution). One pass at a time; a pass that fails (the store
 * away) warns once and tries again at the next tick.
 */

import type { Clock } from "./clock.js";
import { warnAdapter } from "./guard.js";

export interface RecoveryLoopOptions {
  readonly every: number;
  readonly clock: Clock;
  /** One pass: recover what may be claimed; when the next held lease expires. */
  readonly pass: () => Promise<number | undefined>;
}

/** A margin past a lease's expiry, so that the store agrees it has expired. */
const PAST_EXPIRY_MS = 5;

export class RecoveryLoop {
  readonly #options: RecoveryLoopOptions;
  #timer: unknown;
  #running = false;
  #again = false;
  #stopped = false;
  #warned = false;

  constructor(options: RecoveryLoopOptions) {
    this.#options = options;
  }

  /** Look now (at start, or woken by a release). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) this.#again = true;
    else this.#schedule(0);
  }

  /** Stop; resolves once a pass under way has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#current;
  }

  #current: Promise<void> | undefined;

  #schedule(ms: number): void {
    const { clock } = this.#options;
    if (this.#timer !== undefined) clock.clearTimeout(this.#timer);
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      this.#current = this.#pass();
    }, ms);
    // The loop alone does not keep the process alive.
    (this.#timer as { unref?: () => void } | undefined)?.unref?.();
  }

  async #pass(): Promise<void> {
    if (this.#stopped) return;
    const { every, clock, pass } = this.#options;
    this.#running = true;
    let delay = every;
    try {
      const nextExpiry = await pass();
      this.#warned = false;
      if (nextExpiry !== undefined) delay = Math.min(every, Math.max(0, nextExpiry - clock.now()) + PAST_EXPIRY_MS);
    } catch (error) {
      if (!this.#warned)
        warnAdapter("Recovery", "in the recovery loop (it tries again)", error, "RubberDuckRecoveryWarning");
      this.#warned = true;
    } finally {
      this.#running = false;
    }
    if (this.#stopped) return;
    const again = this.#again;
    this.#again = false;
    this.#schedule(again ? 0 : delay);
  }
}
