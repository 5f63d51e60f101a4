/**
 * Test helpers: deferred promises, an event recorder, and ordering assertions
 * over recorded events (in the spirit of p-graph's `toHaveStartedBefore`).
 */

import { afterEach, beforeEach, expect, vi } from "vitest";
import type { WorkflowEvent, WorkflowRun } from "../src/index.js";

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Collect every event of a run. */
export function record(run: WorkflowRun<any>): WorkflowEvent[] {
  const events: WorkflowEvent[] = [];
  run.events.subscribe((event) => events.push(event));
  return events;
}

/** `[type, step]` pairs, for compact assertions. */
export function trace(events: readonly WorkflowEvent[], types?: readonly string[]): string[] {
  return events
    .filter((e) => types === undefined || types.includes(e.type))
    .map((e) => (e.step === undefined ? e.type : `${e.type}:${e.step}`));
}

export function indexOfEvent(events: readonly WorkflowEvent[], type: string, step: string): number {
  const i = events.findIndex((e) => e.type === type && e.step === step);
  expect(i, `no ${type} event for ${step}`).toBeGreaterThanOrEqual(0);
  return i;
}

/** `a` settled (succeeded) before `b` started. */
export function expectFinishedBeforeStart(events: readonly WorkflowEvent[], a: string, b: string): void {
  expect(indexOfEvent(events, "step.succeeded", a)).toBeLessThan(indexOfEvent(events, "step.started", b));
}

/** Fake timers (and Date) starting at 0 for every test of the calling file or block. */
export function useFakeClock(): void {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

/** Flush pending microtasks and advance fake timers until the promise settles. */
export async function settle<T>(promise: Promise<T>, stepMs = 1_000, maxSteps = 10_000): Promise<T> {
  let done = false;
  const guarded = promise.finally(() => {
    done = true;
  });
  for (let i = 0; i < maxSteps && !done; i++) {
    await vi.advanceTimersByTimeAsync(stepMs);
  }
  return guarded;
}

/** Resolve after `n` macrotask-free microtask turns (lets actor mailboxes drain). */
export async function flush(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}
