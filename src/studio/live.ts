/**
 * Which executions changed, for the studio's live pages: the engine's own events (an
 * execution this process runs, heard at once) and a tail of the store (executions other
 * processes run, seen within `pollMs`), merged into one stream of execution ids.
 */

import { type Engine, UNFINISHED_STATUSES } from "../index.js";

type Listener = (ids: readonly string[]) => void;

/** How often pending ids are sent: a burst of events becomes one message. */
const BATCH_MS = 50;

export class ChangeFeed {
  readonly #engine: Engine;
  readonly #pollMs: number;
  readonly #listeners = new Set<Listener>();
  readonly #pending = new Set<string>();
  /** Each execution's signature in the last look at the store. */
  #seen: Map<string, string> | undefined;
  #poll: ReturnType<typeof setInterval> | undefined;
  #flush: ReturnType<typeof setTimeout> | undefined;
  #unsubscribe: (() => void) | undefined;
  #polling = false;

  constructor(engine: Engine, pollMs: number) {
    this.#engine = engine;
    this.#pollMs = pollMs;
  }

  /** Hear the ids of executions that changed; the store is tailed while anyone listens. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) this.#start();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stop();
    };
  }

  close(): void {
    this.#listeners.clear();
    this.#stop();
  }

  #start(): void {
    const subscription = this.#engine.events.subscribe({ next: (event) => this.#changed(event.executionId) });
    this.#unsubscribe = () => subscription.unsubscribe();
    this.#poll = setInterval(() => void this.#look(), this.#pollMs);
    this.#poll.unref?.();
    void this.#look();
  }

  #stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    if (this.#poll !== undefined) clearInterval(this.#poll);
    if (this.#flush !== undefined) clearTimeout(this.#flush);
    this.#poll = this.#flush = undefined;
    this.#seen = undefined;
    this.#pending.clear();
  }

  #changed(id: string): void {
    this.#pending.add(id);
    if (this.#flush !== undefined) return;
    this.#flush = setTimeout(() => {
      this.#flush = undefined;
      const ids = [...this.#pending];
      this.#pending.clear();
      for (const listener of this.#listeners) {
        try {
          listener(ids);
        } catch {
          // A closed connection: its own cleanup unsubscribes it.
        }
      }
    }, BATCH_MS);
  }

  /** Tail the store: the newest executions' status and last seq, against the last look. */
  async #look(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const now = Date.now();
      // The newest, and every unfinished one however old (the ones that can still change).
      const [newest, unfinished] = await Promise.all([
        this.#engine.runs.list({ limit: 200 }),
        this.#engine.runs.list({ status: UNFINISHED_STATUSES, limit: 500 }),
      ]);
      const seen = new Map<string, string>();
      for (const r of [...newest.runs, ...unfinished.runs]) {
        const held = r.leaseUntil !== undefined && r.leaseUntil >= now;
        seen.set(r.executionId, `${r.status}:${r.lastSeq}:${held}`);
      }
      const before = this.#seen;
      this.#seen = seen;
      if (before === undefined) return;
      for (const [id, signature] of seen) if (before.get(id) !== signature) this.#changed(id);
      // Gone from both lists: an older execution that finished (or was pruned).
      for (const id of before.keys()) if (!seen.has(id)) this.#changed(id);
    } catch {
      // The store is down for a moment: the next look tries again.
    } finally {
      this.#polling = false;
    }
  }
}
