/**
 * Step bodies: every one counts itself (so a run can be checked to have run every
 * step) and returns its small object, after doing nothing, sleeping, or waiting at a gate.
 */

import type { StepFactory } from "./runners/types.js";
import { outputOf } from "./runners/types.js";
import type { StepWork } from "./task.js";

export interface StepCounter {
  ran: number;
}

export function countingSteps(work: StepWork, counter: StepCounter): StepFactory {
  switch (work.kind) {
    case "noop":
      return (node) => () => {
        counter.ran++;
        return outputOf(node);
      };
    case "sleep": {
      const { ms } = work;
      return (node) => async () => {
        counter.ran++;
        await new Promise<void>((resolve) => setTimeout(resolve, ms));
        return outputOf(node);
      };
    }
  }
}

/**
 * A gate that steps wait at until it opens. `close()` re-arms it (steps compiled once
 * see the current gate); `arrivals(n)` resolves once n steps have reached it.
 */
export class Gate {
  #opened: Promise<void> = Promise.resolve();
  #open: () => void = () => {};
  #arrived = 0;
  #waiting: { readonly count: number; readonly resolve: () => void } | undefined;

  close(): void {
    this.#arrived = 0;
    this.#opened = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  open(): void {
    this.#open();
  }

  arrivals(count: number): Promise<void> {
    if (this.#arrived >= count) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiting = { count, resolve };
    });
  }

  steps(counter: StepCounter): StepFactory {
    return (node) => async () => {
      counter.ran++;
      if (++this.#arrived === this.#waiting?.count) this.#waiting.resolve();
      await this.#opened;
      return outputOf(node);
    };
  }
}
