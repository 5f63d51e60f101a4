/**
 * An attempt's abort signal, created only when the step reads it. Most steps never
 * look at `ctx.signal`, and an AbortController costs microseconds to create; an
 * attempt aborted before its signal was read hands out an already-aborted signal.
 */
export class AttemptSignal {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  #listeners: ((reason: unknown) => void)[] | undefined;
  #disposers: (() => void)[] | undefined;
  #hurriers: ((reason: string) => void)[] | undefined;
  #ownsRun = false;

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener(reason);
  }

  /** Call `listener` once when the attempt is aborted (at once if it already is). */
  onAbort(listener: (reason: unknown) => void): void {
    if (this.#aborted) listener(this.#reason);
    else (this.#listeners ??= []).push(listener);
  }

  /**
   * The attempt started a nested run (a sub-workflow's actor): from now on an abort
   * waits for that run to stop and roll back, instead of for the grace period.
   */
  adoptRun(): void {
    this.#ownsRun = true;
    const pending = this.#abortOnAdopt;
    this.#abortOnAdopt = undefined;
    if (pending !== undefined) this.abort(pending);
  }

  /** Abort as soon as the attempt has started its nested run (or now, if it starts none: see `run`). */
  abortWhenAdopted(reason: unknown): void {
    this.#abortOnAdopt = reason;
  }

  #abortOnAdopt: unknown;

  get ownsRun(): boolean {
    return this.#ownsRun;
  }

  /** Call `listener` whenever the aborted attempt is told to settle now (a second cancel). */
  onHurry(listener: (reason: string) => void): void {
    (this.#hurriers ??= []).push(listener);
  }

  /** The attempt was aborted and must not wait for its grace: tell whoever can hurry. */
  hurry(reason: string): void {
    for (const listener of this.#hurriers ?? []) listener(reason);
  }

  /** Call `disposer` when the attempt's actor stops (to stop what the attempt started). */
  onDispose(disposer: () => void): void {
    (this.#disposers ??= []).push(disposer);
  }

  /** The attempt's actor stopped: release everything the attempt owns. */
  dispose(): void {
    const disposers = this.#disposers;
    this.#disposers = undefined;
    if (disposers !== undefined) for (const disposer of disposers) disposer();
  }
}
